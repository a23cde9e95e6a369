package tpch

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

const testSF = 0.01

// loadMesh generates every table at sf into a temporary directory and
// loads it into an in-memory DuckDB under the qualified mesh names
// (customers.crm.*, sales.orders.*, supply.parts.*).
func loadMesh(t *testing.T, sf float64) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // ATTACHed catalogs belong to the connection's database; keep one.
	dir := t.TempDir()
	schemas := map[string]bool{}
	for _, table := range Tables {
		path := filepath.Join(dir, table+".csv")
		if err := writeFile(path, table, sf); err != nil {
			t.Fatal(err)
		}
		name := TableNames[table]
		parts := strings.Split(name, ".")
		stmts := []string{}
		if !schemas[parts[0]] {
			stmts = append(stmts, fmt.Sprintf("ATTACH ':memory:' AS %s", parts[0]))
		}
		if schema := parts[0] + "." + parts[1]; !schemas[schema] {
			stmts = append(stmts, "CREATE SCHEMA "+schema)
			schemas[parts[0]], schemas[schema] = true, true
		}
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM read_csv('%s', header = true, columns = %s)",
			name, path, duckColumns(table)))
		for _, s := range stmts {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	return db
}

func writeFile(path, table string, sf float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := WriteCSV(w, table, sf); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// duckColumns renders Columns(table) as a read_csv columns struct literal.
func duckColumns(table string) string {
	cols, _ := Columns(table)
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("'%s': '%s'", c.Name, c.Type)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func queryInt(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// queryRows runs q and returns its rows as strings.
func queryRows(t *testing.T, db *sql.DB, q string) [][]string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		rec := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				rec[i] = "NULL"
			} else {
				rec[i] = fmt.Sprint(v)
			}
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDuckDB(t *testing.T) {
	if testing.Short() {
		t.Skip("loads generated data into DuckDB")
	}
	db := loadMesh(t, testSF)

	t.Run("row counts", func(t *testing.T) {
		for _, table := range Tables {
			want, _ := RowCount(table, testSF)
			if got := queryInt(t, db, "SELECT count(*) FROM "+TableNames[table]); got != want {
				t.Errorf("%s: %d rows, want %d", table, got, want)
			}
		}
	})

	t.Run("primary keys", func(t *testing.T) {
		keys := map[string]string{
			"region": "r_regionkey", "nation": "n_nationkey", "supplier": "s_suppkey",
			"customer": "c_custkey", "part": "p_partkey", "partsupp": "ps_partkey, ps_suppkey",
			"orders": "o_orderkey", "lineitem": "l_orderkey, l_linenumber",
		}
		for table, key := range keys {
			q := fmt.Sprintf("SELECT count(*) FROM (SELECT %s FROM %s GROUP BY ALL HAVING count(*) > 1)", key, TableNames[table])
			if n := queryInt(t, db, q); n != 0 {
				t.Errorf("%s: %d duplicate keys (%s)", table, n, key)
			}
		}
	})

	t.Run("foreign keys", func(t *testing.T) {
		tests := []struct{ name, child, cols, parent, pcols string }{
			{"nation->region", "nation", "n_regionkey", "region", "r_regionkey"},
			{"supplier->nation", "supplier", "s_nationkey", "nation", "n_nationkey"},
			{"customer->nation", "customer", "c_nationkey", "nation", "n_nationkey"},
			{"partsupp->part", "partsupp", "ps_partkey", "part", "p_partkey"},
			{"partsupp->supplier", "partsupp", "ps_suppkey", "supplier", "s_suppkey"},
			{"orders->customer", "orders", "o_custkey", "customer", "c_custkey"},
			{"lineitem->orders", "lineitem", "l_orderkey", "orders", "o_orderkey"},
			{"lineitem->partsupp", "lineitem", "l_partkey, l_suppkey", "partsupp", "ps_partkey, ps_suppkey"},
		}
		for _, tt := range tests {
			q := fmt.Sprintf("SELECT count(*) FROM %s WHERE (%s) NOT IN (SELECT (%s) FROM %s)",
				TableNames[tt.child], tt.cols, tt.pcols, TableNames[tt.parent])
			if n := queryInt(t, db, q); n != 0 {
				t.Errorf("%s: %d dangling references", tt.name, n)
			}
		}
	})

	t.Run("spec rules", func(t *testing.T) {
		checks := []struct{ name, q string }{
			{"custkey%3 never orders", "SELECT count(*) FROM sales.orders.orders WHERE o_custkey % 3 = 0"},
			{"orderstatus from linestatus", `SELECT count(*) FROM sales.orders.orders o JOIN (
				SELECT l_orderkey, CASE WHEN bool_and(l_linestatus = 'F') THEN 'F' WHEN bool_and(l_linestatus = 'O') THEN 'O' ELSE 'P' END AS s
				FROM sales.orders.lineitem GROUP BY l_orderkey) l ON o.o_orderkey = l.l_orderkey WHERE o.o_orderstatus <> l.s`},
			{"totalprice from lines", `SELECT count(*) FROM sales.orders.orders o JOIN (
				SELECT l_orderkey, sum(round(l_extendedprice * (1 + l_tax) * (1 - l_discount), 2)) AS total
				FROM sales.orders.lineitem GROUP BY l_orderkey) l ON o.o_orderkey = l.l_orderkey WHERE abs(o.o_totalprice - l.total) > 0.005`},
			{"extendedprice", `SELECT count(*) FROM sales.orders.lineitem JOIN supply.parts.part ON l_partkey = p_partkey
				WHERE l_extendedprice <> l_quantity * p_retailprice`},
			{"phone country code", `SELECT count(*) FROM customers.crm.customer WHERE substring(c_phone, 1, 2)::INTEGER <> c_nationkey + 10`},
			{"returnflag", `SELECT count(*) FROM sales.orders.lineitem WHERE (l_receiptdate <= DATE '1995-06-17') <> (l_returnflag IN ('R', 'A'))`},
			{"linestatus", `SELECT count(*) FROM sales.orders.lineitem WHERE (l_shipdate > DATE '1995-06-17') <> (l_linestatus = 'O')`},
			{"orderdate range", `SELECT count(*) FROM sales.orders.orders WHERE o_orderdate NOT BETWEEN DATE '1992-01-01' AND DATE '1998-08-02'`},
			{"sparse orderkeys", `SELECT count(*) FROM sales.orders.orders WHERE (o_orderkey - 1) % 32 >= 8`},
		}
		for _, c := range checks {
			if n := queryInt(t, db, c.q); n != 0 {
				t.Errorf("%s: %d violations", c.name, n)
			}
		}
		if n := queryInt(t, db, "SELECT count(*) FROM supply.parts.supplier WHERE s_comment LIKE '%Customer%Complaints%'"); n == 0 {
			t.Error("no supplier with Customer ... Complaints")
		}
		if n := queryInt(t, db, "SELECT count(DISTINCT o_orderstatus) FROM sales.orders.orders"); n != 3 {
			t.Errorf("%d distinct o_orderstatus, want 3", n)
		}
	})

	t.Run("queries", func(t *testing.T) { runQueries(t, db) })
}

// TestQueriesAtScale runs the 22 queries at the scale factors listed in
// $TPCH_QUERY_SF (comma separated, e.g. "0.1,1"); it is skipped otherwise.
func TestQueriesAtScale(t *testing.T) {
	env := os.Getenv("TPCH_QUERY_SF")
	if env == "" {
		t.Skip("set TPCH_QUERY_SF=0.1,1 to run the queries at larger scale factors")
	}
	for _, f := range strings.Split(env, ",") {
		sf, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			t.Fatalf("TPCH_QUERY_SF: %v", err)
		}
		t.Run("sf"+f, func(t *testing.T) { runQueries(t, loadMesh(t, sf)) })
	}
}

// runQueries runs all 22 queries and checks each returns meaningful rows.
func runQueries(t *testing.T, db *sql.DB) {
	for n := 1; n <= 22; n++ {
		t.Run(fmt.Sprintf("q%02d", n), func(t *testing.T) {
			q, err := Query(n)
			if err != nil {
				t.Fatal(err)
			}
			rows := queryRows(t, db, q)
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
			if rows[0][0] == "NULL" {
				t.Errorf("first value is NULL: %v", rows[0])
			}
			t.Logf("%d rows, first %v", len(rows), rows[0])
			if check := queryChecks[n]; check != nil {
				check(t, rows)
			}
		})
	}
}

// queryChecks holds query-specific sanity checks on the sf 0.01 results.
var queryChecks = map[int]func(t *testing.T, rows [][]string){
	1: func(t *testing.T, rows [][]string) {
		var groups []string
		for _, r := range rows {
			groups = append(groups, r[0]+"/"+r[1])
		}
		if got := strings.Join(groups, " "); got != "A/F N/F N/O R/F" {
			t.Errorf("groups %s, want A/F N/F N/O R/F", got)
		}
	},
	6: func(t *testing.T, rows [][]string) {
		if strings.HasPrefix(rows[0][0], "-") || rows[0][0] == "0" {
			t.Errorf("revenue %s, want > 0", rows[0][0])
		}
	},
	13: func(t *testing.T, rows [][]string) {
		for _, r := range rows {
			if r[0] == "0" {
				return
			}
		}
		t.Error("no group with 0 orders")
	},
	22: func(t *testing.T, rows [][]string) {
		if len(rows) != 7 {
			t.Errorf("%d country codes, want 7", len(rows))
		}
	},
}
