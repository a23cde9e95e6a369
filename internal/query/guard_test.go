package query

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/meshwork/meshwork/internal/errs"

	_ "github.com/duckdb/duckdb-go/v2"
)

var guardUpdate = flag.Bool("guard-update", false, "rewrite testdata/guard golden files")

// guardFixture is a DuckDB with mesh tables in __mesh and, in main, decoy
// tables named like the CTEs the tests use, so a CTE the guard wrongly
// trusted would read "POISON" rows and fail the comparison.
type guardFixture struct {
	db    *sql.DB
	conn  *sql.Conn
	guard *Guard
}

var guardSetupSQL = []string{
	`SET TimeZone = 'UTC'`,
	`CREATE SCHEMA __mesh`,
	`CREATE TABLE __mesh.sales_lineitem AS SELECT * FROM (VALUES
		(1, 10, 100, [1, 2]), (2, 10, 50, [3]), (3, 20, 70, []::INT[])) t(order_id, customer_id, amount, items)`,
	`CREATE TABLE __mesh.sales_lineitem_v3 AS SELECT * FROM __mesh.sales_lineitem WHERE order_id = 1`,
	`CREATE TABLE __mesh.crm_customer AS SELECT * FROM (VALUES
		(10, 'Ada', 'NL'), (20, 'Bob', 'DE')) t(id, name, country)`,
	`CREATE TABLE __mesh.geo_country AS SELECT * FROM (VALUES
		('NL', 'Netherlands'), ('DE', 'Germany')) t(code, name)`,
	`CREATE TABLE __mesh.other_customer AS SELECT 99 AS id`,
}

// Decoys: every one-part name a test uses as a CTE, plus the mesh table names.
var guardDecoys = []string{"a", "b", "c", "r", "m", "x", "y", "z", "big", "names", "lineitem", "customer", "country", "t"}

func newGuardFixture(tb testing.TB) *guardFixture {
	tb.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	stmts := append([]string{}, guardSetupSQL...)
	for _, d := range guardDecoys {
		stmts = append(stmts, fmt.Sprintf(`CREATE TABLE main.%s AS SELECT 'POISON' AS x, 'POISON' AS n, 'POISON' AS v`, d))
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
	}
	g, err := NewGuard(ctx, conn)
	if err != nil {
		tb.Fatal(err)
	}
	return &guardFixture{db: db, conn: conn, guard: g}
}

// guardFakeBinder serves a fixed set of mesh tables from __mesh.
type guardFakeBinder struct {
	mu    sync.Mutex
	calls []TableRef
}

var guardMeshTables = map[string]string{
	"sales.orders.lineitem":  "sales_lineitem",
	"crm.customers.customer": "crm_customer",
	"geo.ref.country":        "geo_country",
	"other.stuff.customer":   "other_customer",
}

func (b *guardFakeBinder) Bind(_ context.Context, ref TableRef) (string, string, error) {
	b.mu.Lock()
	b.calls = append(b.calls, ref)
	b.mu.Unlock()
	name, ok := guardMeshTables[ref.Domain+"."+ref.Product+"."+ref.Table]
	if !ok {
		return "", "", errs.E(errs.NotFound, "test.Bind", "table %q not found", ref.Domain+"."+ref.Product+"."+ref.Table)
	}
	if ref.Version != nil && *ref.Version == 3 {
		name += "_v3"
	}
	return "__mesh", name, nil
}

// guardRows runs q and renders each row as "a|b|c".
func guardRows(ctx context.Context, conn *sql.Conn, q string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out, rows.Err()
}

func TestGuardAccept(t *testing.T) {
	f := newGuardFixture(t)
	ctx := context.Background()
	li, cu, co := "sales.orders.lineitem", "crm.customers.customer", "geo.ref.country"
	tests := []struct {
		name   string
		sql    string
		rows   []string
		tables []string
	}{
		{"three domains join", `SELECT c.name, sum(l.amount) AS total
			FROM sales.orders.lineitem l JOIN crm.customers.customer c ON l.customer_id = c.id
			JOIN geo.ref.country g ON g.code = c.country GROUP BY c.name ORDER BY c.name`,
			[]string{"Ada|150", "Bob|70"}, []string{li, cu, co}},
		{"window", `SELECT order_id, row_number() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS rn
			FROM sales.orders.lineitem ORDER BY order_id`, []string{"1|1", "2|2", "3|1"}, []string{li}},
		{"nested ctes", `WITH big AS (SELECT * FROM sales.orders.lineitem WHERE amount > 60),
			names AS (SELECT b.order_id, c.name FROM big b JOIN crm.customers.customer c ON c.id = b.customer_id)
			SELECT * FROM names ORDER BY 1`, []string{"1|Ada", "3|Bob"}, []string{li, cu}},
		{"cte sees earlier cte", `WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS x FROM a) SELECT x FROM b`,
			[]string{"2"}, nil},
		{"recursive cte", `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT sum(n) FROM r`,
			[]string{"6"}, nil},
		{"recursive cte over mesh", `WITH RECURSIVE r(n) AS (SELECT min(order_id) FROM sales.orders.lineitem
			UNION ALL SELECT n + 1 FROM r WHERE n < (SELECT max(order_id) FROM sales.orders.lineitem)) SELECT count(*) FROM r`,
			[]string{"3"}, []string{li}},
		{"cte inside subquery", `SELECT * FROM (WITH y AS (SELECT 42 AS v) SELECT v FROM y) s`, []string{"42"}, nil},
		{"outer cte seen in subquery", `WITH c AS (SELECT 7 AS v) SELECT (SELECT v FROM c), * FROM (SELECT v + 1 FROM c)`,
			[]string{"7|8"}, nil},
		{"subqueries everywhere", `SELECT (SELECT count(*) FROM crm.customers.customer) AS n, order_id
			FROM (SELECT * FROM sales.orders.lineitem) s
			WHERE customer_id IN (SELECT id FROM crm.customers.customer WHERE country = 'NL')
			AND EXISTS (SELECT 1 FROM geo.ref.country) ORDER BY 2`, []string{"2|1", "2|2"}, []string{cu, li, co}},
		{"union", `SELECT name FROM crm.customers.customer UNION ALL SELECT name FROM geo.ref.country ORDER BY 1`,
			[]string{"Ada", "Bob", "Germany", "Netherlands"}, []string{cu, co}},
		{"except", `SELECT id FROM crm.customers.customer EXCEPT SELECT 20 ORDER BY 1`, []string{"10"}, []string{cu}},
		{"values", `SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(x, y) ORDER BY x`, []string{"1|a", "2|b"}, nil},
		{"bare values", `VALUES (1), (2)`, []string{"1", "2"}, nil},
		{"lambda", `SELECT order_id, list_transform(items, x -> x * 10), list_filter(items, lambda y: y > 1)
			FROM sales.orders.lineitem ORDER BY 1`, []string{"1|[10 20]|[2]", "2|[30]|[3]", "3|[]|[]"}, []string{li}},
		{"version", `SELECT count(*) FROM sales.orders.lineitem AT (VERSION => 3)`, []string{"1"}, []string{li + " AT (VERSION => 3)"}},
		{"timestamp literal", `SELECT count(*) FROM sales.orders.lineitem AT (TIMESTAMP => TIMESTAMP '2026-01-01')`,
			[]string{"3"}, []string{li + " AT (TIMESTAMP => '2026-01-01T00:00:00Z')"}},
		{"same table two versions", `SELECT (SELECT count(*) FROM sales.orders.lineitem)
			- (SELECT count(*) FROM sales.orders.lineitem AT (VERSION => 3))`, []string{"2"}, []string{li, li + " AT (VERSION => 3)"}},
		{"quoted identifiers", `SELECT count(*) FROM "sales"."orders"."lineitem"`, []string{"3"}, []string{li}},
		{"upper case", `SELECT COUNT(*) FROM SALES.ORDERS.LINEITEM WHERE LINEITEM.AMOUNT > 60`, []string{"2"}, []string{li}},
		{"fully qualified column", `SELECT sales.orders.lineitem.order_id, orders.lineitem.amount FROM sales.orders.lineitem ORDER BY 1`,
			[]string{"1|100", "2|50", "3|70"}, []string{li}},
		{"same table name in two domains", `SELECT a.id, b.id FROM crm.customers.customer a, other.stuff.customer b ORDER BY 1`,
			[]string{"10|99", "20|99"}, []string{cu, "other.stuff.customer"}},
		{"qualify", `SELECT order_id FROM sales.orders.lineitem QUALIFY row_number() OVER (ORDER BY amount DESC) = 1`,
			[]string{"1"}, []string{li}},
		{"unpivot", `SELECT * FROM geo.ref.country UNPIVOT (val FOR col IN (code, name)) ORDER BY ALL`,
			[]string{"code|DE", "code|NL", "name|Germany", "name|Netherlands"}, []string{co}},
		{"pivot", `SELECT * FROM sales.orders.lineitem PIVOT (sum(amount) FOR customer_id IN (10, 20) GROUP BY order_id) ORDER BY 1`,
			[]string{"1|100|<nil>", "2|50|<nil>", "3|<nil>|70"}, []string{li}},
		{"sample", `SELECT count(*) FROM sales.orders.lineitem USING SAMPLE 100%`, []string{"3"}, []string{li}},
		{"positional join", `SELECT c.name, g.name FROM crm.customers.customer c POSITIONAL JOIN geo.ref.country g ORDER BY 1`,
			[]string{"Ada|Netherlands", "Bob|Germany"}, []string{cu, co}},
		{"asof join", `SELECT l.order_id, c.id FROM sales.orders.lineitem l ASOF JOIN crm.customers.customer c ON l.customer_id >= c.id ORDER BY 1`,
			[]string{"1|10", "2|10", "3|20"}, []string{li, cu}},
		{"columns star struct list", `SELECT max(COLUMNS(* EXCLUDE (items))), {'k': 1}.k, [1, 2][2], MAP {'a': 1}['a']
			FROM sales.orders.lineitem`, []string{"3|20|100|1|2|1"}, []string{li}},
		{"aggregates", `SELECT customer_id, count(*), string_agg(order_id::VARCHAR, ',' ORDER BY order_id), sum(amount) FILTER (WHERE amount > 60)
			FROM sales.orders.lineitem GROUP BY ALL ORDER BY ALL`, []string{"10|2|1,2|100", "20|1|3|70"}, []string{li}},
		{"macros and operators", `SELECT nullif(1, 1), list_sum([1, 2]), coalesce(NULL, 'x'), 'a' || 'b', 'abc' LIKE 'a%', current_date IS NOT NULL`,
			[]string{"<nil>|3|x|ab|true|true"}, nil},
		{"unnest in select", `SELECT unnest(items) AS i FROM sales.orders.lineitem ORDER BY i`, []string{"1", "2", "3"}, []string{li}},
		{"lateral", `SELECT l.order_id, s.n FROM sales.orders.lineitem l, LATERAL (SELECT l.amount * 2 AS n) s ORDER BY 1`,
			[]string{"1|200", "2|100", "3|140"}, []string{li}},
		{"from first", `FROM geo.ref.country SELECT code ORDER BY code`, []string{"DE", "NL"}, []string{co}},
		{"trailing semicolon and comment", "SELECT 1; -- done", []string{"1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &guardFakeBinder{}
			rw, err := f.guard.Rewrite(ctx, f.conn, tt.sql, b)
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
			if strings.Contains(strings.ToLower(rw.SQL), " at (") {
				t.Errorf("Rewrite(%q).SQL = %q, still has an AT clause", tt.sql, rw.SQL)
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

func TestGuardTimeTravelValues(t *testing.T) {
	f := newGuardFixture(t)
	ctx := context.Background()
	before := time.Now().Add(-time.Hour)
	rw, err := f.guard.Rewrite(ctx, f.conn,
		`SELECT * FROM sales.orders.lineitem x AT (TIMESTAMP => now() - INTERVAL 1 HOUR)
		 JOIN crm.customers.customer c AT (VERSION => 2 + 1) ON x.customer_id = c.id`, &guardFakeBinder{})
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().Add(-time.Hour)
	if len(rw.Tables) != 2 {
		t.Fatalf("Tables = %v, want 2", rw.Tables)
	}
	ts := rw.Tables[0].Timestamp
	if ts == nil || ts.Before(before.Add(-time.Second)) || ts.After(after.Add(time.Second)) {
		t.Errorf("Tables[0].Timestamp = %v, want about %v", ts, before)
	}
	if v := rw.Tables[1].Version; v == nil || *v != 3 {
		t.Errorf("Tables[1].Version = %v, want 3", v)
	}
	if rw.Tables[0].Version != nil || rw.Tables[1].Timestamp != nil {
		t.Errorf("Tables = %v, want only one clause each", rw.Tables)
	}
}

// TestGuardAttacks runs every query in testdata/guard/attacks; each must be
// refused with the message recorded in attacks.golden (-guard-update rewrites it).
func TestGuardAttacks(t *testing.T) {
	f := newGuardFixture(t)
	ctx := context.Background()
	files, err := filepath.Glob("testdata/guard/attacks/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no attack corpus: %v", err)
	}
	sort.Strings(files)
	golden := guardReadGolden(t, "testdata/guard/attacks.golden")
	var lines []string
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".sql")
		q, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		b := &guardFakeBinder{}
		rw, err := f.guard.Rewrite(ctx, f.conn, string(q), b)
		if err == nil {
			t.Errorf("%s: Rewrite(%q) = %q, want refusal", name, q, rw.SQL)
			continue
		}
		kind, msg, _ := errs.Public(err)
		if kind != errs.Invalid && kind != errs.NotFound {
			t.Errorf("%s: Rewrite(%q) kind = %v (%v), want invalid", name, q, kind, err)
		}
		got := strings.ReplaceAll(kind.String()+": "+msg, "\n", `\n`) // one line per golden entry
		lines = append(lines, name+"\t"+got)
		if !*guardUpdate {
			if want, ok := golden[name]; !ok {
				t.Errorf("%s: no golden message; run with -guard-update (got %q)", name, got)
			} else if got != want {
				t.Errorf("%s: Rewrite(%q) error = %q, want %q", name, q, got, want)
			}
		}
	}
	if *guardUpdate {
		if err := os.WriteFile("testdata/guard/attacks.golden", []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func guardReadGolden(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		if *guardUpdate {
			return out
		}
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		name, msg, _ := strings.Cut(l, "\t")
		out[name] = msg
	}
	return out
}

func TestGuardRefuse(t *testing.T) {
	f := newGuardFixture(t)
	ctx := context.Background()
	tests := []struct {
		name string
		sql  string
		kind errs.Kind
		msg  string
	}{
		{"too large", "SELECT 1 " + strings.Repeat(" ", guardMaxSQL), errs.TooLarge, "SQL is longer than 1048576 bytes"},
		{"empty", "", errs.Invalid, "SQL is empty"},
		{"blank", " \n\t", errs.Invalid, "SQL is empty"},
		{"comment", "-- nothing", errs.Invalid, "SQL is empty"},
		{"invalid utf8", "SELECT '\xff'", errs.Invalid, "SQL must be valid UTF-8 text without NUL bytes"},
		{"unknown mesh table", "SELECT * FROM sales.orders.nope", errs.NotFound, `table "sales.orders.nope" not found`},
		{"syntax", "SELEC 1", errs.Invalid, `syntax error at or near "SELEC"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.guard.Rewrite(ctx, f.conn, tt.sql, &guardFakeBinder{})
			var e *errs.Error
			if !errors.As(err, &e) {
				t.Fatalf("Rewrite error = %v, want *errs.Error", err)
			}
			kind, msg, _ := errs.Public(err)
			if kind != tt.kind || msg != tt.msg {
				t.Errorf("Rewrite error = %v %q, want %v %q", kind, msg, tt.kind, tt.msg)
			}
		})
	}
}

// TestGuardBinderError checks the binder's error reaches the caller unchanged.
func TestGuardBinderError(t *testing.T) {
	f := newGuardFixture(t)
	want := errs.E(errs.Forbidden, "test", "no")
	_, err := f.guard.Rewrite(context.Background(), f.conn, "SELECT * FROM a.b.c", guardBinderFunc(func(TableRef) error { return want }))
	if err != want {
		t.Errorf("Rewrite error = %v, want the binder's error %v", err, want)
	}
}

type guardBinderFunc func(TableRef) error

func (f guardBinderFunc) Bind(_ context.Context, ref TableRef) (string, string, error) {
	return "", "", f(ref)
}

func TestGuardFunctionList(t *testing.T) {
	f := newGuardFixture(t)
	for _, name := range []string{"abs", "sum", "row_number", "list_transform", "nullif", "list_sum", "unnest", "~~", "+", "count_star"} {
		if !f.guard.funcs[name] {
			t.Errorf("function %q not allowed, want allowed", name)
		}
	}
	for name := range guardDenied {
		if f.guard.funcs[name] {
			t.Errorf("function %q allowed, want denied", name)
		}
	}
	for _, name := range []string{"read_parquet", "duckdb_tables", "query", "glob", "pg_get_viewdef", "current_catalog"} {
		if f.guard.funcs[name] {
			t.Errorf("function %q allowed, want denied", name)
		}
	}
	denied, err := f.guard.guardDeniedMacros(context.Background(), f.conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("macros denied by vetting: %v", denied)
}

func TestGuardConcurrent(t *testing.T) {
	f := newGuardFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := f.db.Conn(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			for j := 0; j < 20; j++ {
				if _, err := f.guard.Rewrite(ctx, conn, "SELECT count(*) FROM sales.orders.lineitem", &guardFakeBinder{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

const guardQ5 = `SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
FROM tpch.sf1.customer, tpch.sf1.orders, tpch.sf1.lineitem, tpch.sf1.supplier, tpch.sf1.nation, tpch.sf1.region
WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey
  AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
  AND r_name = 'ASIA' AND o_orderdate >= CAST('1994-01-01' AS date)
  AND o_orderdate < CAST('1995-01-01' AS date)
GROUP BY n_name ORDER BY revenue DESC`

type guardIdentityBinder struct{}

func (guardIdentityBinder) Bind(_ context.Context, ref TableRef) (string, string, error) {
	return "__mesh", ref.Domain + "_" + ref.Product + "_" + ref.Table, nil
}

func BenchmarkGuardRewrite(b *testing.B) {
	f := newGuardFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.guard.Rewrite(ctx, f.conn, guardQ5, guardIdentityBinder{}); err != nil {
			b.Fatal(err)
		}
	}
}
