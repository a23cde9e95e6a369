package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/httpapi"
)

func TestPage(t *testing.T) {
	p, admin := server(t)
	shop(t, admin)
	reader := as(admin, newToken(t, admin, "--principal", "reader"))
	mustMesh(t, admin, "grant", "consumer", "reader", "retail.shop")
	mustMesh(t, reader, "query", "SELECT order_id FROM retail.shop.orders WHERE customer = 'ada'")
	if err := p.Usage.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	t.Run("text", func(t *testing.T) {
		out := mustMesh(t, reader, "page", "retail.shop")
		for _, want := range []string{"retail.shop", "Owners", "Data dictionary", "retail.shop.orders",
			"customer", "masked (hash)", "SELECT * FROM retail.shop.orders LIMIT 10", "Quality history",
			"committed", "SELECT order_id FROM retail.shop.orders WHERE customer = ?", "1 queries by 1 consumers"} {
			if !strings.Contains(out, want) {
				t.Errorf("mesh page retail.shop output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "'ada'") || strings.Contains(out, "reader") {
			t.Errorf("mesh page retail.shop shows a literal or a consumer:\n%s", out)
		}
	})
	t.Run("json", func(t *testing.T) {
		out := mustMesh(t, admin, "page", "retail.shop", "--format", "json")
		var pg httpapi.Page
		if err := json.Unmarshal([]byte(out), &pg); err != nil {
			t.Fatalf("mesh page --format json is not a page: %v\n%s", err, out)
		}
		if pg.Product.Name != "shop" || len(pg.DataDictionary) == 0 || pg.Usage == nil || pg.Usage.TotalQueries != 1 {
			t.Errorf("mesh page --format json = product %q, %d tables, usage %+v; want shop, its tables, 1 query", pg.Product.Name, len(pg.DataDictionary), pg.Usage)
		}
	})
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"page"}, 2, "usage: mesh page"},
			{[]string{"page", "retail.shop", "--format", "xml"}, 2, "use text or json"},
			{[]string{"page", "retail"}, 2, ""},
			{[]string{"page", "retail.nothing"}, 1, "404"},
		}
		for _, tt := range tests {
			code, _, errOut := mesh(t, reader, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("mesh %v = exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.msg)
			}
		}
	})
}
