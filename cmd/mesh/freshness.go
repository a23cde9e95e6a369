package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

const freshnessUsage = "usage: mesh freshness [DOMAIN[.PRODUCT]] [--status fresh|late|stale|never|none] [--format text|json]"

func cmdFreshness(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("freshness", flag.ContinueOnError)
	status := fs.String("status", "", "only tables with this status: fresh, late, stale, never or none")
	format := fs.String("format", "text", "text or json")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError(freshnessUsage)
	}
	if *format != "text" && *format != "json" {
		return usageError(fmt.Sprintf("--format %q: use text or json", *format))
	}
	q := url.Values{}
	if fs.NArg() == 1 {
		domain, product, _ := strings.Cut(fs.Arg(0), ".")
		if domain == "" || strings.Contains(product, ".") || (product == "" && strings.HasSuffix(fs.Arg(0), ".")) {
			return usageError(freshnessUsage)
		}
		q.Set("domain", domain)
		if product != "" {
			q.Set("product", product)
		}
	}
	if *status != "" {
		q.Set("status", *status)
	}
	path := "/api/v1/freshness"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var res struct {
		Tables []struct {
			Address     string     `json:"address"`
			Status      string     `json:"status"`
			LastPublish *time.Time `json:"lastPublish"`
			AgeSeconds  *float64   `json:"ageSeconds"`
			Due         *time.Time `json:"due"`
			SLA         *struct {
				Text string `json:"text"`
			} `json:"sla"`
			Problems []string `json:"problems"`
		} `json:"tables"`
	}
	var raw json.RawMessage
	if err := newClient(getenv).getJSON(ctx, path, &raw); err != nil {
		return err
	}
	if *format == "json" {
		_, err := fmt.Fprintf(stdout, "%s\n", raw)
		return err
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tSTATUS\tAGE\tLAST PUBLISH\tDUE\tSLA")
	for _, t := range res.Tables {
		age, last, due, sla := "-", "never", "-", "-"
		if t.AgeSeconds != nil {
			age = humanAge(time.Duration(*t.AgeSeconds * float64(time.Second)))
		}
		if t.LastPublish != nil {
			last = t.LastPublish.UTC().Format(time.RFC3339)
		}
		if t.Due != nil {
			due = t.Due.UTC().Format(time.RFC3339)
		}
		if t.SLA != nil {
			sla = t.SLA.Text
		}
		if len(t.Problems) > 0 {
			sla += " (" + strings.Join(t.Problems, "; ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Address, t.Status, age, last, due, sla)
	}
	return tw.Flush()
}

// humanAge prints an age to the unit a reader wants: 42s, 17m, 5h3m, 3d4h.
func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}
