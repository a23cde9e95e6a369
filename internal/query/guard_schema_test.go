package query

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// PostgreSQL clients name a mesh table as table "table" of schema
// "domain.product" (the wire protocol's mapping): the guard reads that as
// domain.product.table, and nothing else with two parts.
func TestGuardSchemaQualified(t *testing.T) {
	f := newGuardFixture(t)
	ctx := context.Background()
	li := "sales.orders.lineitem"
	tests := []struct {
		name   string
		sql    string
		rows   []string
		tables []string
	}{
		{"quoted schema", `SELECT count(*) FROM "sales.orders".lineitem`, []string{"3"}, []string{li}},
		{"quoted schema and table", `SELECT count(*) FROM "sales.orders"."lineitem"`, []string{"3"}, []string{li}},
		{"BI tool style", `SELECT "lineitem"."order_id" AS "order_id" FROM "sales.orders"."lineitem" "lineitem" ORDER BY 1`,
			[]string{"1", "2", "3"}, []string{li}},
		{"schema-qualified column", `SELECT "sales.orders".lineitem.order_id FROM "sales.orders".lineitem ORDER BY 1`,
			[]string{"1", "2", "3"}, []string{li}},
		{"join with three-part name", `SELECT c.name, sum(l.amount) FROM "sales.orders".lineitem l
			JOIN crm.customers.customer c ON c.id = l.customer_id GROUP BY 1 ORDER BY 1`,
			[]string{"Ada|150", "Bob|70"}, []string{li, "crm.customers.customer"}},
		{"pinned major", `SELECT count(*) FROM "sales.orders@v2".lineitem`, []string{"3"}, []string{"sales.orders@v2.lineitem"}},
		{"time travel", `SELECT count(*) FROM "sales.orders".lineitem AT (VERSION => 3)`, []string{"1"},
			[]string{li + " AT (VERSION => 3)"}},
		{"upper case", `SELECT count(*) FROM "SALES.ORDERS".LINEITEM`, []string{"3"}, []string{li}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rw, err := f.guard.Rewrite(ctx, f.conn, tt.sql, &guardFakeBinder{})
			if err != nil {
				t.Fatalf("Rewrite(%q) error: %v", tt.sql, err)
			}
			var tables []string
			for _, r := range rw.Tables {
				tables = append(tables, r.String())
			}
			if diff := cmp.Diff(tt.tables, tables); diff != "" {
				t.Errorf("Rewrite(%q).Tables (-want +got):\n%s", tt.sql, diff)
			}
			got, err := guardRows(ctx, f.conn, rw.SQL)
			if err != nil {
				t.Fatalf("running %q: %v", rw.SQL, err)
			}
			if diff := cmp.Diff(tt.rows, got); diff != "" {
				t.Errorf("rows of %q (-want +got):\n%s", rw.SQL, diff)
			}
		})
	}
}

func TestGuardSchemaQualifiedRefused(t *testing.T) {
	f := newGuardFixture(t)
	ctx := context.Background()
	for _, q := range []string{
		`SELECT * FROM "sales".lineitem`,               // one-part schema
		`SELECT * FROM "sales.orders.x".lineitem`,      // two dots
		`SELECT * FROM "sales.".lineitem`,              // empty product
		`SELECT * FROM ".orders".lineitem`,             // empty domain
		`SELECT * FROM "sales.or ders".lineitem`,       // not a name
		`SELECT * FROM "main.x".lineitem`,              // reserved domain
		`SELECT * FROM "system.main".lineitem`,         // reserved domain
		`SELECT * FROM "pg_catalog.x".pg_class`,        // reserved domain
		`SELECT * FROM "sales.orders@v".lineitem`,      // bad pin
		`SELECT * FROM "sales.orders@v01".lineitem`,    // bad pin
		`SELECT * FROM memory."sales.orders".lineitem`, // with a catalog it is catalog.schema.table
		`SELECT * FROM __mesh.sales_lineitem`,          // internal relations stay unreachable
	} {
		b := &guardFakeBinder{}
		_, err := f.guard.Rewrite(ctx, f.conn, q, b)
		if err == nil {
			t.Errorf("Rewrite(%q) = nil error, want a refusal", q)
			continue
		}
		if len(b.calls) > 0 && !strings.Contains(q, "memory.") {
			t.Errorf("Rewrite(%q) bound %v before refusing", q, b.calls)
		}
	}
}
