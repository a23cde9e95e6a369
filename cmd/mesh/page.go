package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meshwork/meshwork/internal/httpapi"
)

// cmdPage prints a product's page: what it is, who owns it, its contract,
// data dictionary, sample queries, quality history, freshness, lineage and use.
func cmdPage(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("page", flag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	if err := parseFlags(fs, reorder(args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: mesh page DOMAIN.PRODUCT [--format text|json]")
	}
	if *format != "text" && *format != "json" {
		return usageError(fmt.Sprintf("--format %q: use text or json", *format))
	}
	name, err := splitName(fs.Arg(0), 2)
	if err != nil {
		return err
	}
	path := "/api/v1/products/" + name[0] + "/" + name[1] + "/page"
	if *format == "json" {
		return newClient(getenv).copyJSON(ctx, path, stdout)
	}
	var p httpapi.Page
	if err := newClient(getenv).getJSON(ctx, path, &p); err != nil {
		return err
	}
	return writePage(stdout, &p)
}

// writePage prints the page as text, a section after another.
func writePage(w io.Writer, p *httpapi.Page) error {
	pr := p.Product
	fmt.Fprintf(w, "%s.%s %s (%s)", pr.Domain, pr.Name, pr.Version, pr.Status)
	if len(pr.Tags) > 0 {
		fmt.Fprintf(w, "  tags: %s", strings.Join(pr.Tags, ", "))
	}
	fmt.Fprintln(w)
	for _, d := range []struct{ what, text string }{{"purpose", pr.Description.Purpose}, {"limitations", pr.Description.Limitations}} {
		if d.text != "" {
			fmt.Fprintf(w, "%s: %s\n", d.what, strings.TrimSpace(d.text))
		}
	}

	fmt.Fprintln(w, "\nOwners")
	for _, t := range p.Owners.Teams {
		var ms []string
		for _, m := range t.Members {
			who := m.Username
			if m.Name != "" {
				who = m.Name + " <" + m.Username + ">"
			}
			if m.Role != "" {
				who += " (" + m.Role + ")"
			}
			ms = append(ms, who)
		}
		fmt.Fprintf(w, "  team %s [%s]", t.Name, t.Source)
		if len(ms) > 0 {
			fmt.Fprintf(w, ": %s", strings.Join(ms, ", "))
		}
		fmt.Fprintln(w)
	}
	for _, g := range p.Owners.Grants {
		fmt.Fprintf(w, "  owner grant: %s on the %s\n", g.Subject, g.Scope)
	}
	for _, s := range p.Owners.Support {
		fmt.Fprintf(w, "  support: %s %s (%s, %s)\n", s.Channel, s.URL, s.Tool, s.Scope)
	}

	fmt.Fprintln(w, "\nContracts")
	for _, c := range p.Contract.Majors {
		def := ""
		if c.Default {
			def = ", default"
		}
		fmt.Fprintf(w, "  v%d: %s %s (%s%s)  %s\n", c.Major, c.ID, c.Version, c.Status, def, c.Document)
	}

	fmt.Fprintln(w, "\nData dictionary")
	for _, t := range p.DataDictionary {
		fmt.Fprintf(w, "  %s", t.Address)
		if t.BusinessName != "" {
			fmt.Fprintf(w, " — %s", t.BusinessName)
		}
		if t.Description != "" {
			fmt.Fprintf(w, ": %s", firstLine(t.Description))
		}
		fmt.Fprintln(w)
		if t.Denied != "" {
			fmt.Fprintf(w, "  you may not query it: %s\n", t.Denied)
		}
		if t.RowFiltered {
			fmt.Fprintln(w, "  you see some of its rows only")
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "    COLUMN\tTYPE\tKEY\tCLASSIFICATION\tYOU SEE\tDESCRIPTION")
		for _, c := range t.Columns {
			key := ""
			switch {
			case c.PrimaryKey:
				key = "primary"
			case c.Unique:
				key = "unique"
			}
			sees := "clear"
			if c.Masked {
				sees = "masked (" + c.Mask + ")"
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.LogicalType, key, c.Classification, sees, firstLine(c.Description))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintln(w, "\nSample queries")
	if u := strings.TrimSpace(p.SampleQueries.Usage); u != "" {
		for _, l := range strings.Split(u, "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	for _, e := range p.SampleQueries.Examples {
		fmt.Fprintf(w, "  %s\n", e.SQL)
	}
	for _, d := range p.SampleQueries.AuthoritativeDefinitions {
		fmt.Fprintf(w, "  %s: %s %s\n", d.Type, d.URL, d.Description)
	}
	if len(p.SampleQueries.Frequent) > 0 {
		fmt.Fprintln(w, "  most frequent (anonymised):")
		for _, f := range p.SampleQueries.Frequent {
			fmt.Fprintf(w, "    %5d×  %s  (last %s)\n", f.Queries, f.Fingerprint, f.LastSeen.Format("2006-01-02 15:04"))
		}
	}

	fmt.Fprintln(w, "\nQuality history (newest first)")
	for _, q := range p.QualityHistory {
		fmt.Fprintf(w, "  %s (v%d): %d runs\n", q.Table, q.Major, len(q.Runs))
		for i, r := range q.Runs {
			if i == 5 {
				fmt.Fprintf(w, "    ... %d more (--format json)\n", len(q.Runs)-5)
				break
			}
			var failed []string
			for _, rule := range r.Rules {
				if rule.Verdict != "pass" {
					v := "?"
					if rule.Value != nil {
						v = fmt.Sprint(*rule.Value)
					}
					failed = append(failed, fmt.Sprintf("%s %s=%s", rule.Verdict, rule.Name, v))
				}
			}
			fmt.Fprintf(w, "    %s  %-11s %d rows  %d/%d rules passed", r.Time.Format("2006-01-02 15:04:05"), r.Status, r.RowsOK,
				len(r.Rules)-len(failed), len(r.Rules))
			if len(failed) > 0 {
				fmt.Fprintf(w, "  (%s)", strings.Join(failed, ", "))
			}
			fmt.Fprintln(w)
		}
	}

	if p.Freshness != nil {
		if err := writePageFreshness(w, p.Freshness); err != nil {
			return err
		}
	}
	if len(p.Lineage) > 0 {
		fmt.Fprintln(w, "\nLineage")
		for _, n := range p.Lineage {
			node := n.Dataset
			if n.Domain != "" {
				node = n.Domain + "." + n.Product
				if n.Table != "" {
					node += "." + n.Table
				}
			}
			fmt.Fprintf(w, "  %-10s %d hop(s)  %s\n", n.Direction, n.Hops, node)
		}
	}
	if u := p.Usage; u != nil {
		fmt.Fprintf(w, "\nUsage (last %d days)\n  %d queries by %d consumers\n  per day: ", u.Days, u.TotalQueries, u.Consumers)
		var days []string
		for _, d := range u.PerDay {
			days = append(days, fmt.Sprint(d.Queries))
		}
		fmt.Fprintln(w, strings.Join(days, " "))
	}
	if len(p.Unavailable) > 0 {
		fmt.Fprintf(w, "\n(unavailable now: %s)\n", strings.Join(p.Unavailable, ", "))
	}
	return nil
}

// writePageFreshness prints the page's freshness section: one line a table.
func writePageFreshness(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var ts []struct {
		Address     string     `json:"address"`
		Status      string     `json:"status"`
		AgeSeconds  *float64   `json:"ageSeconds"`
		LastPublish *time.Time `json:"lastPublish"`
		Due         *time.Time `json:"due"`
		SLA         *struct {
			Text string `json:"text"`
		} `json:"sla"`
	}
	if err := json.Unmarshal(b, &ts); err != nil {
		return fmt.Errorf("read the freshness section: %w", err)
	}
	fmt.Fprintln(w, "\nFreshness")
	for _, t := range ts {
		line := fmt.Sprintf("  %-28s %-6s", t.Address, t.Status)
		if t.AgeSeconds != nil {
			line += " last publish " + time.Duration(*t.AgeSeconds*float64(time.Second)).Round(time.Second).String() + " ago"
		}
		if t.Due != nil {
			line += ", due " + t.Due.UTC().Format(time.DateTime)
		}
		if t.SLA != nil && t.SLA.Text != "" {
			line += " (" + t.SLA.Text + ")"
		}
		fmt.Fprintln(w, line)
	}
	return nil
}
