package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/platform"
)

// editContract changes a contract document (as `mesh contract show` prints
// it) and writes it to a file: version, and edit on the properties of the
// orders table.
func editContract(t *testing.T, doc, version string, edit func([]any) []any) string {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	m["version"] = version
	for _, o := range m["schema"].([]any) {
		obj := o.(map[string]any)
		if obj["name"] == "orders" {
			obj["properties"] = edit(obj["properties"].([]any))
		}
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "orders-"+version+".yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEvolutionOnDemo evolves the demo's sales contract through the CLI, as
// docs/contracts.md walks through it: add a column, promote a type, be
// refused a drop, make the drop a new major, fill it and query both majors.
func TestEvolutionOnDemo(t *testing.T) {
	p, getenv := server(t)
	ctx := platform.AsAdmin(context.Background())
	srcs, err := demo.Sources()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Applier.Apply(ctx, srcs, false); err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, p.Applier, p.Publisher, 0.01, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	url := getenv("MESH_URL")
	v1 := mustMesh(t, getenv, "contract", "show", "sales-orders-contract", "1.0.0")

	// 1. Add an optional column.
	f := editContract(t, v1, "1.1.0", func(ps []any) []any {
		return append(ps, map[string]any{"name": "o_channel", "logicalType": "string", "classification": "internal"})
	})
	mustMesh(t, getenv, "lint", f, "--against", url)
	if out := mustMesh(t, getenv, "apply", "-f", f); !strings.Contains(out, "add optional column o_channel VARCHAR") {
		t.Errorf("mesh apply 1.1.0 =\n%s\nwant the new column", out)
	}
	// 2. Promote a type.
	promote := func(ps []any) []any {
		for _, p := range ps {
			if c := p.(map[string]any); c["name"] == "o_shippriority" {
				c["physicalType"] = "bigint"
			}
		}
		return ps
	}
	v12 := editContract(t, v1, "1.2.0", func(ps []any) []any {
		return promote(append(ps, map[string]any{"name": "o_channel", "logicalType": "string", "classification": "internal"}))
	})
	if out := mustMesh(t, getenv, "apply", "-f", v12); !strings.Contains(out, "promote column o_shippriority from INTEGER to BIGINT") {
		t.Errorf("mesh apply 1.2.0 =\n%s\nwant the promotion", out)
	}
	if out := mustMesh(t, getenv, "query", "--format", "csv", "SELECT typeof(max(o_shippriority)) AS t, count(o_channel) AS n FROM sales.orders.orders"); out != "t,n\nBIGINT,0\n" {
		t.Errorf("after the promotion: %q", out)
	}
	// 3. Drop a column: refused within the major, by lint and by apply.
	v12doc := mustMesh(t, getenv, "contract", "show", "sales-orders-contract", "1.2.0")
	drop := func(ps []any) []any {
		var keep []any
		for _, p := range ps {
			if p.(map[string]any)["name"] != "o_comment" {
				keep = append(keep, p)
			}
		}
		return keep
	}
	f = editContract(t, v12doc, "1.3.0", drop)
	code, out, _ := mesh(t, getenv, "lint", f, "--against", url)
	if code != 1 || !strings.Contains(out, "drop-required-column") {
		t.Errorf("mesh lint of a drop = exit %d\n%s\nwant exit 1 naming drop-required-column", code, out)
	}
	code, _, errOut := mesh(t, getenv, "apply", "-f", f)
	if code == 0 || !strings.Contains(errOut, "compatibility violation") || !strings.Contains(errOut, "o_comment") {
		t.Errorf("mesh apply of a drop = exit %d\n%s\nwant a conflict naming o_comment", code, errOut)
	}
	// 4. The same drop as a new major; fill it from major 1 and query both.
	f = editContract(t, v12doc, "2.0.0", drop)
	if out := mustMesh(t, getenv, "apply", "-f", f); !strings.Contains(out, "sales.orders@v2.orders") {
		t.Errorf("mesh apply 2.0.0 =\n%s\nwant the new major's tables", out)
	}
	for _, tbl := range []string{"orders", "lineitem"} {
		cols := "*"
		if tbl == "orders" {
			cols = "* EXCLUDE (o_comment)"
		}
		csv := mustMesh(t, getenv, "query", "--format", "csv", "SELECT "+cols+" FROM sales.orders@v1."+tbl)
		path := filepath.Join(t.TempDir(), tbl+".csv")
		if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
		mustMesh(t, getenv, "publish", "sales.orders@v2."+tbl, path)
	}
	for _, q := range []string{"SELECT count(*) FROM sales.orders@v1.orders", "SELECT count(*) FROM sales.orders.orders"} {
		if out := mustMesh(t, getenv, "query", "--format", "csv", q); out != "count_star()\n15000\n" {
			t.Errorf("mesh query %q = %q, want 15000 orders", q, out)
		}
	}
	q := "SELECT (SELECT count(*) FROM sales.orders@v1.lineitem) - (SELECT count(*) FROM sales.orders@v2.lineitem) AS d"
	if out := mustMesh(t, getenv, "query", "--format", "csv", q); out != "d\n0\n" {
		t.Errorf("lineitem rows of major 1 minus major 2 = %q, want 0", out)
	}
	code, _, errOut = mesh(t, getenv, "query", "SELECT o_comment FROM sales.orders.orders")
	if code == 0 || !strings.Contains(errOut, "o_comment") {
		t.Errorf("o_comment through the unpinned name (now major 2) = exit %d %s, want an error", code, errOut)
	}
	var majors struct {
		Majors []struct {
			Major   int  `json:"major"`
			Default bool `json:"default"`
		} `json:"majors"`
	}
	if err := json.Unmarshal([]byte(mustMesh(t, getenv, "contract", "majors", "sales.orders", "--json")), &majors); err != nil || len(majors.Majors) != 2 || !majors.Majors[0].Default || majors.Majors[0].Major != 2 {
		t.Errorf("mesh contract majors = %+v, %v; want 2 (default) then 1", majors, err)
	}
	if out := mustMesh(t, getenv, "contract", "diff", "sales.orders", "1.2.0", "2.0.0"); !strings.Contains(out, "- o_comment") {
		t.Errorf("mesh contract diff 1.2.0 2.0.0 =\n%s\nwant o_comment removed", out)
	}
}
