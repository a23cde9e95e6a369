package query

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/meshwork/meshwork/internal/errs"
)

// TestGuardParameters checks positional parameters pass the guard as
// parameters (bound by DuckDB, never spliced) and run with their values.
func TestGuardParameters(t *testing.T) {
	f := newGuardFixture(t)
	ctx := context.Background()
	tests := []struct {
		name string
		sql  string
		args []any
		want []string
	}{
		{"dollar", "SELECT order_id FROM sales.orders.lineitem WHERE customer_id = $1 ORDER BY 1", []any{10}, []string{"1", "2"}},
		{"question", "SELECT order_id FROM sales.orders.lineitem WHERE amount > ? ORDER BY 1", []any{60}, []string{"1", "3"}},
		{"two", "SELECT name FROM crm.customers.customer WHERE id = $2 AND country = $1", []any{"DE", 20}, []string{"Bob"}},
		{"injection is a value", "SELECT count(*) FROM crm.customers.customer WHERE name = $1", []any{"x' OR 1=1 --"}, []string{"0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rw, err := f.guard.Rewrite(ctx, f.conn, tt.sql, &guardFakeBinder{})
			if err != nil {
				t.Fatalf("Rewrite(%q) = %v", tt.sql, err)
			}
			if !strings.Contains(rw.SQL, "$") {
				t.Errorf("Rewrite(%q) = %q, want the parameters kept", tt.sql, rw.SQL)
			}
			rows, err := f.conn.QueryContext(ctx, rw.SQL, tt.args...)
			if err != nil {
				t.Fatalf("run %q: %v", rw.SQL, err)
			}
			var got []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				got = append(got, s)
			}
			rows.Close()
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("rows of %q (-want +got):\n%s", tt.sql, d)
			}
		})
	}
	for _, q := range []string{"SELECT $name", "SELECT * FROM sales.orders.lineitem AT (VERSION => $1)"} {
		if _, err := f.guard.Rewrite(ctx, f.conn, q, &guardFakeBinder{}); !errs.Is(err, errs.Invalid) {
			t.Errorf("Rewrite(%q) = %v, want an invalid error", q, err)
		}
	}
}
