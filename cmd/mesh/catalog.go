package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"
)

func cmdQuery(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	format := fs.String("format", "table", "table, csv or json")
	timeout := fs.Duration("timeout", 0, "cancel the query after this long (0: the server's limit)")
	if err := parseFlags(fs, reorder(args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError(`usage: mesh query "SELECT ..." [--format table|csv|json]`)
	}
	body, _ := json.Marshal(map[string]any{"sql": fs.Arg(0), "timeout_ms": timeout.Milliseconds()})
	accept := "application/json"
	if *format == "csv" {
		accept = "text/csv"
	} else if *format != "table" && *format != "json" {
		return usageError(fmt.Sprintf("--format %q: use table, csv or json", *format))
	}
	resp, err := newClient(getenv).do(ctx, http.MethodPost, "/api/v1/query", strings.NewReader(string(body)),
		map[string]string{"Content-Type": "application/json", "Accept": accept})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if *format != "table" {
		_, err := io.Copy(stdout, resp.Body)
		return err
	}
	var res struct {
		Columns []struct{ Name, Type string }   `json:"columns"`
		Rows    [][]any                         `json:"rows"`
		Count   int64                           `json:"rowCount"`
		Trunc   bool                            `json:"truncated"`
		Elapsed float64                         `json:"elapsedMs"`
		Error   *struct{ Code, Message string } `json:"error"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		return fmt.Errorf("read result: %w", err)
	}
	if res.Error != nil {
		return fmt.Errorf("the query failed after %d rows: %s (%s)", len(res.Rows), res.Error.Message, res.Error.Code)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	var hdr []string
	for _, c := range res.Columns {
		hdr = append(hdr, c.Name)
	}
	fmt.Fprintln(tw, strings.Join(hdr, "\t"))
	for _, row := range res.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			if v == nil {
				cells[i] = "NULL"
			} else {
				cells[i] = fmt.Sprint(v)
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	more := ""
	if res.Trunc {
		more = " (truncated)"
	}
	fmt.Fprintf(stdout, "(%d rows%s, %.1f ms)\n", res.Count, more, res.Elapsed)
	return nil
}

func cmdProducts(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	var res struct {
		Products []struct {
			Domain, Name, Status, Team, Description string
			Tables                                  []string
		} `json:"products"`
	}
	if err := newClient(getenv).getJSON(ctx, "/api/v1/products", &res); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRODUCT\tSTATUS\tTEAM\tTABLES\tDESCRIPTION")
	for _, p := range res.Products {
		fmt.Fprintf(tw, "%s.%s\t%s\t%s\t%d\t%s\n", p.Domain, p.Name, p.Status, p.Team, len(p.Tables), firstLine(p.Description))
	}
	return tw.Flush()
}

func cmdDescribe(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) != 1 {
		return usageError("usage: mesh describe DOMAIN.PRODUCT")
	}
	name, err := splitName(args[0], 2)
	if err != nil {
		return err
	}
	var d struct {
		Domain, Name, Status, Team, Description string
		Contracts                               []struct{ ID, Version, Status string }
		Tables                                  []struct {
			SQLName, Description, ContractVersion string
			Columns                               []struct {
				Name, Type, Classification, Description string
				Required                                bool
			}
			PrimaryKey        []string
			CurrentSnapshotID *int64
			Snapshots         []struct {
				ID          int64
				TimestampMs int64
				Operation   string
			}
		}
	}
	if err := newClient(getenv).getJSON(ctx, "/api/v1/products/"+name[0]+"/"+name[1], &d); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s.%s (%s), owned by %s\n%s\n", d.Domain, d.Name, d.Status, d.Team, d.Description)
	for _, c := range d.Contracts {
		fmt.Fprintf(stdout, "contract %s %s (%s)\n", c.ID, c.Version, c.Status)
	}
	for _, t := range d.Tables {
		fmt.Fprintf(stdout, "\ntable %s — %s\n", t.SQLName, firstLine(t.Description))
		if len(t.PrimaryKey) > 0 {
			fmt.Fprintf(stdout, "primary key (%s)\n", strings.Join(t.PrimaryKey, ", "))
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  COLUMN\tTYPE\tREQUIRED\tCLASSIFICATION\tDESCRIPTION")
		for _, c := range t.Columns {
			fmt.Fprintf(tw, "  %s\t%s\t%v\t%s\t%s\n", c.Name, c.Type, c.Required, c.Classification, firstLine(c.Description))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "snapshots: %d", len(t.Snapshots))
		if n := len(t.Snapshots); n > 0 {
			s := t.Snapshots[n-1]
			fmt.Fprintf(stdout, ", latest %d (%s, %s)", s.ID, s.Operation, time.UnixMilli(s.TimestampMs).UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}
