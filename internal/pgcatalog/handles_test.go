package pgcatalog

import (
	"context"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

func TestHandles(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{"SELECT version()", true},
		{"select current_database(), current_schema()", true},
		{"SELECT current_user", true},
		{"select pg_catalog.set_config('search_path', '', false)", true},
		{"SELECT t.oid, t.typname FROM pg_type t WHERE t.oid = $1", true},
		{"select * from pg_catalog.pg_class", true},
		{"SELECT * FROM information_schema.tables", true},
		{`SELECT * FROM "pg_catalog"."pg_namespace"`, true},
		{"SELECT n.nspname FROM pg_namespace n, pg_class c", true},
		{"SELECT setting FROM pg_settings WHERE name = 'max_index_keys'", true},
		{"SELECT has_table_privilege('x', 'SELECT')", true},
		{"SELECT 1", false},
		{"SELECT count(*) FROM sales.orders.orders", false},
		{`SELECT * FROM "sales.orders"."orders"`, false},
		{"SELECT * FROM sales.orders@v2.orders", false},
		{"SELECT 'pg_catalog.pg_class' AS s FROM sales.orders.orders", false},
		{"SELECT 1 -- pg_catalog.pg_class", false},
		{`SELECT "pg_class" FROM sales.orders.orders`, false},
		{"SELECT pg_class FROM sales.orders.orders", false}, // a column, not in FROM
		{"SELECT o.version FROM sales.orders.orders o", false},
		{"BEGIN", false},
		{"SELECT pg_typeof(o_orderkey) FROM sales.orders.orders", false},
		{"SELECT * FROM pg_class JOIN sales.orders.orders o ON true", true}, // mixed: claimed, then refused
	}
	for _, tt := range tests {
		if got := (&Catalog{}).Handles(tt.sql); got != tt.want {
			t.Errorf("Handles(%q) = %v, want %v", tt.sql, got, tt.want)
		}
	}
}

type fakeTables []registry.Table

func (f fakeTables) Tables(context.Context, string, string) ([]registry.Table, error) { return f, nil }

// domainGov lets principals read the products of the domain they are named after.
type domainGov struct{}

func (domainGov) Readable(ctx context.Context, domain, _ string) error {
	p, _ := access.FromContext(ctx)
	if p.Name == "admin" || p.Name == domain {
		return nil
	}
	return errs.E(errs.Forbidden, "test", "no")
}

// Govern denies the table "secret" to everyone but admin, as a query policy may.
func (g domainGov) Govern(ctx context.Context, tbl *registry.Table) (query.Governance, error) {
	if err := g.Readable(ctx, tbl.Domain, tbl.Product); err != nil {
		return query.Governance{}, err
	}
	if p, _ := access.FromContext(ctx); tbl.Name == "secret" && p.Name != "admin" {
		return query.Governance{}, errs.E(errs.Forbidden, "test", "denied by policy")
	}
	return query.Governance{}, nil
}

func fakeCatalog(t testing.TB) *Catalog {
	t.Helper()
	col := func(n string, k schema.Kind) schema.Column { return schema.Column{Name: n, Type: schema.Type{Kind: k}} }
	tbl := func(d, p, n string, major int, status string, cols ...schema.Column) registry.Table {
		return registry.Table{Domain: d, Product: p, Name: n, Major: major, Status: status,
			Def: registry.TableDef{Schema: schema.Table{Columns: cols}}}
	}
	c := New(Config{Registry: fakeTables{
		tbl("sales", "orders", "orders", 1, "deprecated", col("id", schema.Int)),
		tbl("sales", "orders", "orders", 2, "active", col("id", schema.Long), col("note", schema.String)),
		tbl("hr", "people", "staff", 1, "active", col("salary", schema.Double)),
		tbl("hr", "people", "gone", 1, "retired", col("x", schema.Int)),
		tbl("hr", "people", "secret", 1, "active", col("x", schema.Int)),
	}, Gov: domainGov{}, CacheSize: 2})
	t.Cleanup(func() { c.Close() })
	return c
}

func who(name string) context.Context {
	return access.WithPrincipal(context.Background(), access.Principal{Name: name})
}

func TestQueryVisibility(t *testing.T) {
	c := fakeCatalog(t)
	q := `SELECT n.nspname || '|' || c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`
	for _, tt := range []struct {
		who  string
		want string
	}{
		{"admin", "hr.people|secret,hr.people|staff,sales.orders@v1|orders,sales.orders|orders"},
		{"sales", "sales.orders@v1|orders,sales.orders|orders"},
		{"hr", "hr.people|staff"},
		{"nobody", ""},
	} {
		_, rows, err := c.Query(who(tt.who), q, nil)
		if err != nil {
			t.Fatalf("Query as %s: %v", tt.who, err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r[0].(string))
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("tables of %s = %q, want %q", tt.who, strings.Join(got, ","), tt.want)
		}
	}
	if _, _, err := c.Query(context.Background(), "SELECT version()", nil); !errs.Is(err, errs.Unauthenticated) {
		t.Errorf("Query without a principal = %v, want Unauthenticated", err)
	}
}

func TestQueryRefused(t *testing.T) {
	c := fakeCatalog(t)
	ctx := who("admin")
	for _, tt := range []struct {
		sql, msg string
	}{
		{"SELECT * FROM pg_class JOIN sales.orders.orders o ON true", "cannot read both mesh tables"},
		{`SELECT * FROM pg_class, "sales.orders".orders`, "cannot read both mesh tables"},
		{"DELETE FROM pg_class", "only SELECT"},
		{"CREATE TABLE pg_catalog.x (a int)", "only SELECT"},
		{"SELECT 1; SELECT 2", "one statement"},
		{"SELECT * FROM duckdb_tables()", "not available"},
		{"SELECT * FROM pg_class, read_csv('/etc/passwd')", "not available"},
		{"SELECT * FROM pg_class, '/etc/passwd'", "does not exist"},
		{"SELECT * FROM pg_class, main.sqlite_master", "does not exist"},
		{"SELECT * FROM pg_class, pgc.pg_class", "does not exist"},
		{"SELECT * FROM pg_class, system.main.duckdb_settings", "does not exist"},
		{"SELECT * FROM pg_class WHERE relname = query('select 1')", "not available"},
		{"SELECT getvariable('x'), pg_backend_pid()", "not available"},
		{"SELECT system.main.version()", "does not exist"},
		{"SELECT x.y.z(), pg_backend_pid()", "does not exist"},
	} {
		_, _, err := c.Query(ctx, tt.sql, nil)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Query(%q) error = %v, want one saying %q", tt.sql, err, tt.msg)
		}
	}
}

func TestQueryParametersAndCache(t *testing.T) {
	c := fakeCatalog(t)
	cols, rows, err := c.Query(who("sales"), "SELECT typname, pg_catalog.format_type(oid, $2) AS t FROM pg_type WHERE oid = $1", []any{int64(1700), int64(15<<16 | 2 + 4)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][0] != "numeric" || rows[0][1] != "numeric(15,2)" || cols[1].Name != "t" {
		t.Errorf("rows = %v, cols %v, want numeric | numeric(15,2)", rows, cols)
	}
	// More table sets than the cache holds: each still answers for its own.
	for i := 0; i < 3; i++ {
		for _, p := range []string{"admin", "sales", "hr", "nobody"} {
			_, rows, err := c.Query(who(p), "SELECT count(*) FROM pg_namespace", nil)
			if err != nil || len(rows) != 1 {
				t.Fatalf("Query as %s: %v %v", p, rows, err)
			}
		}
	}
	c.mu.Lock()
	n := len(c.sets)
	c.mu.Unlock()
	if n > 2 {
		t.Errorf("%d catalogs cached, want at most 2", n)
	}
}
