package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSearchCommand(t *testing.T) {
	_, admin := server(t)
	mustMesh(t, admin, "apply", "-f", "testdata/specs")

	t.Run("text", func(t *testing.T) {
		out := mustMesh(t, admin, "search", "customer")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) < 3 || !strings.HasPrefix(lines[0], "ADDRESS") || !strings.HasPrefix(lines[1], "retail.shop.orders.customer ") {
			t.Errorf("mesh search customer =\n%s\nwant a header, then retail.shop.orders.customer first", out)
		}
		if !strings.Contains(lines[len(lines)-1], "of ") {
			t.Errorf("mesh search customer: last line %q, want the count", lines[len(lines)-1])
		}
	})
	t.Run("words and flags in any order", func(t *testing.T) {
		out := mustMesh(t, admin, "search", "order", "--kind", "column", "date", "--format", "json")
		var res struct {
			Query   string `json:"query"`
			Total   int    `json:"total"`
			Results []struct {
				Kind, Address string
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("mesh search --format json: %v\n%s", err, out)
		}
		if res.Query != "order date" || res.Total != 1 || len(res.Results) != 1 || res.Results[0].Address != "retail.shop.orders.order_date" {
			t.Errorf("mesh search order date --kind column = %+v, want only retail.shop.orders.order_date", res)
		}
	})
	t.Run("browse a filter", func(t *testing.T) {
		out := mustMesh(t, admin, "search", "--classification", "pii", "--kind", "column")
		if !strings.Contains(out, "retail.shop.orders.customer") || strings.Contains(out, "order_date") {
			t.Errorf("mesh search --classification pii =\n%s\nwant the customer column only", out)
		}
	})
	t.Run("nothing visible", func(t *testing.T) {
		stranger := newToken(t, admin, "--principal", "stranger")
		out := mustMesh(t, as(admin, stranger), "search", "customer")
		if out != "no results (0 in all)\n" {
			t.Errorf("mesh search as a principal without grants = %q, want no results", out)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no text", []string{"search"}, 2, "usage: mesh search TEXT"},
		{"bad format", []string{"search", "x", "--format", "yaml"}, 2, `--format "yaml"`},
		{"too many terms", []string{"search", strings.Repeat("a ", 40)}, 1, "q has 40 terms; at most 16"},
		{"bad kind", []string{"search", "x", "--kind", "view"}, 1, `kind "view" is not product, table or column`},
		{"limit", []string{"search", "x", "--limit", "500"}, 1, "limit 500 is out of range"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := mesh(t, admin, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("mesh %v = exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.msg)
			}
		})
	}
}
