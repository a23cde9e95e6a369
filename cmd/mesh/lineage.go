package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/meshwork/meshwork/internal/lineage"
)

// cmdLineage prints what a node reads from and what reads it; with
// --direction down it is an impact analysis: every downstream product and
// who owns it.
func cmdLineage(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("lineage", flag.ContinueOnError)
	direction := fs.String("direction", "both", "up, down or both")
	depth := fs.Int("depth", 1, fmt.Sprintf("hops to follow, 1 to %d", lineage.MaxDepth))
	format := fs.String("format", "text", "text or json")
	if err := parseFlags(fs, reorder(args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: mesh lineage NODE [--direction up|down|both] [--depth N] [--format text|json]")
	}
	if *format != "text" && *format != "json" {
		return usageError(fmt.Sprintf("--format %q: use text or json", *format))
	}
	if _, err := lineage.ParseDirection(*direction); err != nil {
		return usageError(fmt.Sprintf("--direction %q: use up, down or both", *direction))
	}
	if *depth < 1 || *depth > lineage.MaxDepth {
		return usageError(fmt.Sprintf("--depth %d: use 1 to %d", *depth, lineage.MaxDepth))
	}
	path := "/api/v1/lineage/" + url.PathEscape(fs.Arg(0)) + "?direction=" + url.QueryEscape(*direction) + "&depth=" + strconv.Itoa(*depth)
	if *format == "json" {
		return newClient(getenv).copyJSON(ctx, path, stdout)
	}
	var g lineage.Graph
	if err := newClient(getenv).getJSON(ctx, path, &g); err != nil {
		return err
	}
	return writeLineage(stdout, &g)
}

// writeLineage prints a traversal: the nodes of each direction by distance,
// then the downstream products with their owners.
func writeLineage(w io.Writer, g *lineage.Graph) error {
	fmt.Fprintf(w, "%s\n", g.Root)
	via := map[string][]string{} // node -> how it is linked to its neighbours in the answer
	for _, e := range g.Edges {
		how := e.Source
		if e.Job != "" {
			how += " " + e.Job
		}
		for _, id := range []string{e.From, e.To} {
			if !contains(via[id], how) {
				via[id] = append(via[id], how)
			}
		}
	}
	for _, dir := range []string{"upstream", "downstream"} {
		var ns []lineage.Node
		for _, n := range g.Nodes {
			if n.Direction == dir {
				ns = append(ns, n)
			}
		}
		if len(ns) == 0 {
			continue
		}
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].Hops < ns[j].Hops })
		fmt.Fprintf(w, "\n%s\n", strings.ToUpper(dir[:1])+dir[1:])
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  HOPS\tKIND\tNODE\tVIA\tOWNERS")
		for _, n := range ns {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", n.Hops, n.Kind, n.ID, strings.Join(via[n.ID], ", "), owners(n))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	// Impact: the products downstream, each once, with who to tell.
	seen := map[string]bool{}
	var impact []string
	for _, n := range g.Nodes {
		if n.Direction != "downstream" || n.Domain == "" {
			continue
		}
		p := n.Domain + "." + n.Product
		if seen[p] || (g.Root == p || strings.HasPrefix(g.Root, p+".")) {
			continue
		}
		seen[p] = true
		impact = append(impact, fmt.Sprintf("  %s  %s", p, owners(n)))
	}
	if len(impact) > 0 {
		fmt.Fprintf(w, "\nImpact: %d downstream products\n%s\n", len(impact), strings.Join(impact, "\n"))
	}
	if g.Hidden > 0 {
		fmt.Fprintf(w, "\n%d more nodes of products you may not read\n", g.Hidden)
	}
	return nil
}

func owners(n lineage.Node) string {
	s := n.Team
	if len(n.Owners) > 0 {
		if s != "" {
			s += ": "
		}
		s += strings.Join(n.Owners, ", ")
	}
	return s
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
