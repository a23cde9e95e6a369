package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
)

const searchUsage = `usage: mesh search TEXT [--domain D] [--tag T] [--classification C] [--status S] [--kind product|table|column] [--limit N] [--offset N] [--format text|json]`

// cmdSearch searches the catalog: products, tables and columns the caller
// may read, best match first.
func cmdSearch(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	filters := map[string]*string{}
	for _, f := range []struct{ name, help string }{
		{"domain", "only this domain"},
		{"tag", "only what carries this tag (its own or its product's or table's)"},
		{"classification", "only what has this classification (e.g. pii)"},
		{"status", "only this status (e.g. active, draft, deprecated)"},
		{"kind", "only products, tables or columns"},
	} {
		filters[f.name] = fs.String(f.name, "", f.help)
	}
	limit := fs.Int("limit", 0, "results per page (default 20, at most 100)")
	offset := fs.Int("offset", 0, "results to skip")
	format := fs.String("format", "text", "text or json")
	if err := parseFlags(fs, reorder(args), stdout); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError(fmt.Sprintf("--format %q: use text or json", *format))
	}
	text := strings.Join(fs.Args(), " ")
	filtered := false
	for _, v := range filters {
		filtered = filtered || *v != ""
	}
	if strings.TrimSpace(text) == "" && !filtered {
		return usageError(searchUsage)
	}
	q := url.Values{}
	if text != "" {
		q.Set("q", text)
	}
	for name, v := range filters {
		if *v != "" {
			q.Set(name, *v)
		}
	}
	if *limit != 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	if *offset != 0 {
		q.Set("offset", strconv.Itoa(*offset))
	}
	path := "/api/v1/search?" + q.Encode()
	if *format == "json" {
		return newClient(getenv).copyJSON(ctx, path, stdout)
	}
	var res struct {
		Total   int `json:"total"`
		Results []struct {
			Kind, Address, BusinessName, Description, Snippet string
			Score                                             float64
			Matched                                           []string
		} `json:"results"`
	}
	if err := newClient(getenv).getJSON(ctx, path, &res); err != nil {
		return err
	}
	if len(res.Results) == 0 {
		fmt.Fprintf(stdout, "no results (%d in all)\n", res.Total)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tKIND\tSCORE\tMATCHED\tDESCRIPTION")
	for _, h := range res.Results {
		about := h.Snippet
		if about == "" {
			about = h.Description
		}
		if about == "" {
			about = h.BusinessName
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%s\n", h.Address, h.Kind, h.Score, strings.Join(h.Matched, ","), firstLine(about))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "(%d–%d of %d)\n", *offset+1, *offset+len(res.Results), res.Total)
	return nil
}
