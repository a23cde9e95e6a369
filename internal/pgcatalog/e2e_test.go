package pgcatalog_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meshwork/meshwork/internal/pgwire"
	"github.com/meshwork/meshwork/internal/platform"
)

// wire starts the platform's PostgreSQL wire-protocol server with the
// catalog, as mesh serve --pg-addr does, and returns its host and port.
func (e *env) wire(t *testing.T) (host, port string) {
	t.Helper()
	srv, err := e.p.PGWire(platform.PGWireConfig{Metadata: e.cat})
	if err != nil {
		t.Fatalf("PGWire: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != pgwire.ErrServerClosed {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	host, port, _ = net.SplitHostPort(ln.Addr().String())
	return host, port
}

func (e *env) dsn(host, port, user string) string {
	return fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=mesh sslmode=disable", host, port, user, e.tokens[user])
}

// TestClients runs psql, pgx and the PostgreSQL JDBC driver against a real
// wire-protocol server: metadata commands, queries and prepared statements.
func TestClients(t *testing.T) {
	e := newEnv(t)
	host, port := e.wire(t)
	t.Run("psql", func(t *testing.T) { testPsql(t, e, host, port) })
	t.Run("pgx", func(t *testing.T) { testPgx(t, e, host, port) })
	t.Run("jdbc", func(t *testing.T) { testJDBC(t, e, host, port) })
}

func testPsql(t *testing.T, e *env, host, port string) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	run := func(user, cmd string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, psql, "-X", "-A", "-v", "ON_ERROR_STOP=1", "-d", e.dsn(host, port, user), "-c", cmd).CombinedOutput()
		if err != nil {
			t.Fatalf("psql -c %q as %s: %v\n%s", cmd, user, err, out)
		}
		return string(out)
	}
	tests := []struct {
		user, cmd string
		want      []string // lines that must appear
		not       []string // text that must not
	}{
		{"sales-consumer", `\dt`, []string{"sales.orders|lineitem|table|mesh", "sales.orders|orders|table|mesh"}, []string{"customers.crm", "platform.audit"}},
		{"admin", `\dt`, []string{"customers.crm|customer|table|mesh", "platform.audit|events|table|mesh", "supply.parts|part|table|mesh"}, nil},
		{"sales-consumer", `\dn`, []string{"sales.orders|mesh"}, []string{"supply", "public"}},
		{"sales-consumer", `\l`, []string{"mesh|mesh|UTF8|C.UTF-8|C.UTF-8||libc|"}, nil},
		{"sales-consumer", `\d "sales.orders".orders`, []string{"o_orderkey|integer||not null|", "o_totalprice|numeric(15,2)||not null|",
			`"orders_pkey" PRIMARY KEY, btree (o_orderkey)`}, nil},
		{"sales-consumer", `\d+ "sales.orders".lineitem`, []string{"l_shipdate|date||not null||plain|||Date the line left the supplier."}, nil},
		{"sales-consumer", `\d`, []string{"sales.orders|orders|table|mesh"}, nil},
		{"customers-consumer", `\dt "sales.orders".*`, []string{`Did not find any relation named`}, []string{"|orders|"}},
		{"sales-consumer", `SELECT count(*) > 0 FROM "sales.orders".orders`, []string{"t", "(1 row)"}, nil},
		{"sales-consumer", `SELECT count(*) > 0 FROM sales.orders.orders`, []string{"t", "(1 row)"}, nil},
		{"sales-consumer", `SELECT current_user, current_database()`, []string{"sales-consumer|mesh"}, nil},
	}
	for _, tt := range tests {
		out := run(tt.user, tt.cmd)
		lines := map[string]bool{}
		for _, l := range strings.Split(out, "\n") {
			lines[strings.TrimRight(l, " ")] = true
		}
		for _, w := range tt.want {
			if !lines[w] && !strings.Contains(out, w) {
				t.Errorf("psql %s as %s: no line %q in\n%s", tt.cmd, tt.user, w, out)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(out, n) {
				t.Errorf("psql %s as %s: shows %q:\n%s", tt.cmd, tt.user, n, out)
			}
		}
	}
}

func testPgx(t *testing.T, e *env, host, port string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, e.dsn(host, port, "sales-consumer"))
	if err != nil {
		t.Fatalf("pgx.Connect: %v", err)
	}
	defer c.Close(context.Background())
	rows, err := c.Query(ctx, `SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`)
	if err != nil {
		t.Fatalf("tables: %v", err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var s, n string
		err := r.Scan(&s, &n)
		return s + "." + n, err
	})
	if err != nil {
		t.Fatalf("tables: %v", err)
	}
	if strings.Join(got, ",") != "sales.orders.lineitem,sales.orders.orders" {
		t.Errorf("tables = %v, want sales.orders.lineitem and sales.orders.orders", got)
	}
	// A prepared metadata query with parameters (the extended protocol).
	var typ string
	var n int64
	err = c.QueryRow(ctx, `SELECT format_type(a.atttypid, a.atttypmod), count(*) OVER ()
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE s.nspname = $1 AND c.relname = $2 AND a.attname = $3`, "sales.orders", "orders", "o_totalprice").Scan(&typ, &n)
	if err != nil || typ != "numeric(15,2)" || n != 1 {
		t.Errorf("column type = %q, %d, %v; want numeric(15,2)", typ, n, err)
	}
	var version string
	if err := c.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil || !strings.HasPrefix(version, "PostgreSQL ") {
		t.Errorf("version() = %q, %v", version, err)
	}
	var rowCount int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM "sales.orders"."orders" WHERE o_orderkey > $1`, 0).Scan(&rowCount); err != nil || rowCount == 0 {
		t.Errorf(`count of "sales.orders"."orders" = %d, %v`, rowCount, err)
	}
	_, err = c.Exec(ctx, `SELECT * FROM pg_class, sales.orders.orders`)
	if err == nil || !strings.Contains(err.Error(), "cannot read both mesh tables") {
		t.Errorf("mixed query error = %v, want a refusal", err)
	}
}

func testJDBC(t *testing.T, e *env, host, port string) {
	jar := os.Getenv("MESH_TEST_PGJDBC_JAR")
	if jar == "" {
		t.Skip("MESH_TEST_PGJDBC_JAR is not set (e.g. /usr/share/java/postgresql.jar)")
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java is not installed")
	}
	probe, err := filepath.Abs("testdata/Probe.java")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url := fmt.Sprintf("jdbc:postgresql://%s:%s/mesh?sslmode=disable", host, port)
	cmd := exec.CommandContext(ctx, java, "-cp", jar, probe, url, "sales-consumer", e.tokens["sales-consumer"],
		"sales.orders", "orders",
		`SELECT count(*) > 0 AS some FROM "sales.orders"."orders"`,
		`SELECT o_orderstatus, count(*) > 0 AS n FROM "sales.orders"."orders" WHERE o_orderstatus = ? GROUP BY 1`, "F")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("java Probe: %v\n%s", err, out)
	}
	got := string(out)
	golden := filepath.Join("testdata", "golden", "jdbc_probe.txt")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := mustRead(t, golden)
	if got != want {
		t.Errorf("java Probe output:\n%s\nwant:\n%s", got, want)
	}
}
