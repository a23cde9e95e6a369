package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/pgwire"
)

// sqlState returns err's SQLSTATE, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// textRows reads every row of a pgx query as text.
func textRows(t *testing.T, c *pgx.Conn, sql string, args ...any) [][]string {
	t.Helper()
	rows, err := c.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("Query(%q): %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("Values: %v", err)
		}
		r := make([]string, len(vals))
		for i, v := range vals {
			r[i] = fmt.Sprint(normalize(v))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("Query(%q): %v", sql, err)
	}
	return out
}

// engineRows runs sql on the engine directly as principal, rendered like textRows.
func engineRows(t *testing.T, principal, sql string) [][]string {
	t.Helper()
	_, rows, err := shared.p.Engine.Exec(asPrincipal(t, principal), sql)
	if err != nil {
		t.Fatalf("Engine.Exec(%q) as %s: %v", sql, principal, err)
	}
	var out [][]string
	for _, r := range rows {
		s := make([]string, len(r))
		for i, v := range r {
			s[i] = fmt.Sprint(v)
		}
		out = append(out, s)
	}
	return out
}

// TestGovernance checks the wire protocol serves exactly what the engine
// serves each principal: masked columns for analyst, Europe's rows only
// for analyst-europe, everything for the owner.
func TestGovernance(t *testing.T) {
	s := startServer(t)
	const q = "SELECT c_custkey, c_name, c_phone, c_nationkey FROM customers.crm.customer ORDER BY c_custkey LIMIT 50"
	var owner [][]string
	for _, who := range []string{"customers-owner", "analyst", "analyst-europe"} {
		t.Run(who, func(t *testing.T) {
			c := s.connect(t, who)
			got := textRows(t, c, q, pgx.QueryExecModeSimpleProtocol)
			want := engineRows(t, who, q)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("wire rows differ from the engine's for %s (-engine +wire):\n%s", who, d)
			}
			bin := textRows(t, c, q)
			if d := cmp.Diff(got, bin); d != "" {
				t.Errorf("binary rows differ from text rows (-text +binary):\n%s", d)
			}
			switch who {
			case "customers-owner":
				owner = got
			case "analyst":
				if len(got) != len(owner) || len(got) == 0 || got[0][1] == owner[0][1] {
					t.Errorf("analyst sees c_name %q, the owner %q: want it masked", got[0][1], owner[0][1])
				}
			case "analyst-europe":
				for _, r := range got {
					if !strings.Contains(" 6 7 19 22 23 ", " "+r[3]+" ") {
						t.Errorf("analyst-europe sees a customer of nation %s", r[3])
					}
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	tests := []struct {
		name, user, sql, code string
	}{
		{"forbidden table", "customers-consumer", "SELECT * FROM sales.orders.lineitem LIMIT 1", "42501"},
		{"unknown table", "analyst", "SELECT * FROM sales.orders.nope", "42P01"},
		{"syntax", "analyst", "SELEC 1", "42601"},
		{"write", "analyst", "DELETE FROM sales.orders.lineitem", "42501"},
		{"ddl", "admin", "CREATE TABLE x (a INT)", "42501"},
		{"file function", "admin", "SELECT * FROM read_csv('/etc/passwd')", "42501"},
		{"duckdb setting", "admin", "SET enable_external_access = true", "42704"},
		{"unknown setting", "analyst", "SET work_mem = '1GB'", "42704"},
		{"time zone", "analyst", "SET TimeZone = 'Europe/Paris'", "0A000"},
		{"division by zero", "analyst", "SELECT 1 // 0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.connect(t, tt.user)
			for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
				_, err := c.Exec(ctx, tt.sql, mode)
				if tt.code == "" {
					continue
				}
				if got := sqlState(err); got != tt.code {
					t.Errorf("Exec(%q, %v) = %v (SQLSTATE %q), want SQLSTATE %s", tt.sql, mode, err, got, tt.code)
				}
				// The connection is still usable.
				var one int
				if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
					t.Fatalf("SELECT 1 after the error = %d, %v", one, err)
				}
			}
		})
	}
}

func TestParameters(t *testing.T) {
	s := startServer(t)
	c := s.connect(t, "analyst")
	ctx := context.Background()
	var n int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM sales.orders.orders WHERE o_orderkey < $1 AND o_orderstatus = $2", 1000, "F").Scan(&n); err != nil {
		t.Fatal(err)
	}
	want := engineRows(t, "analyst", "SELECT count(*) FROM sales.orders.orders WHERE o_orderkey < 1000 AND o_orderstatus = 'F'")
	if fmt.Sprint(n) != want[0][0] {
		t.Errorf("count with parameters = %d, want %s", n, want[0][0])
	}
	tests := []struct {
		sql  string
		arg  any
		want string
	}{
		{"SELECT $1::INTEGER + 1", int32(41), "42"},
		{"SELECT $1::BIGINT * 2", int64(1) << 40, "2199023255552"},
		{"SELECT $1::SMALLINT", int16(-3), "-3"},
		{"SELECT $1::DOUBLE / 2", 3.0, "1.5"},
		{"SELECT $1::FLOAT", float32(0.5), "0.5"},
		{"SELECT $1::DECIMAL(10,2) + 0.01", "12.34", "12.35"},
		{"SELECT upper($1::VARCHAR)", "it's", "IT'S"},
		{"SELECT $1::BOOLEAN AND true", true, "true"},
		{"SELECT $1::DATE + 1", time.Date(2024, 2, 28, 0, 0, 0, 0, time.UTC), "2024-02-29 00:00:00 +0000 UTC"},
		{"SELECT $1::TIMESTAMP", time.Date(2024, 2, 28, 1, 2, 3, 4000, time.UTC), "2024-02-28 01:02:03.000004 +0000 UTC"},
		{"SELECT $1::TIMESTAMPTZ", time.Date(2024, 2, 28, 1, 2, 3, 0, time.UTC), "2024-02-28 01:02:03 +0000 UTC"},
		{"SELECT octet_length($1::BLOB)", []byte{1, 2, 3}, "3"},
		{"SELECT $1::UUID", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"SELECT $1::VARCHAR IS NULL", nil, "true"},
		{"SELECT count(*) FROM customers.crm.nation WHERE n_nationkey % $1 = 0", 5, "5"},
		{"SELECT $1 || 'b'", "a", "ab"},
		{"SELECT count(*) FROM customers.crm.customer WHERE c_name = $1", "x' OR '1'='1", "0"},
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.sql, func(t *testing.T) {
				if _, blob := tt.arg.([]byte); blob && mode == pgx.QueryExecModeSimpleProtocol {
					t.Skip("pgx's simple protocol inlines bytea as '\\x..', which DuckDB reads as an escaped string")
				}
				got := textRows(t, c, tt.sql, mode, tt.arg)
				if len(got) != 1 || got[0][0] != tt.want {
					t.Errorf("%s with %v = %v, want %s", tt.sql, tt.arg, got, tt.want)
				}
			})
		}
	}
	// A named prepared statement, executed twice.
	if _, err := c.Prepare(ctx, "nation", "SELECT n_name FROM customers.crm.nation WHERE n_nationkey = $1"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{6, 7} {
		got := textRows(t, c, "nation", k)
		want := engineRows(t, "analyst", fmt.Sprintf("SELECT n_name FROM customers.crm.nation WHERE n_nationkey = %d", k))
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("nation %d (-want +got):\n%s", k, d)
		}
	}
}

func TestSession(t *testing.T) {
	s := startServer(t)
	c := s.connect(t, "analyst", "application_name=test-app")
	ctx := context.Background()
	show := func(name string) string {
		t.Helper()
		var v string
		if err := c.QueryRow(ctx, "SHOW "+name, pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil {
			t.Fatalf("SHOW %s: %v", name, err)
		}
		return v
	}
	if got := show("application_name"); got != "test-app" {
		t.Errorf("application_name = %q, want test-app", got)
	}
	steps := []struct{ sql, tag string }{
		{"SET application_name = 'other'", "SET"},
		{"SET extra_float_digits TO 3", "SET"},
		{"SET search_path = public, \"$user\"", "SET"},
		{"SET TIME ZONE 'UTC'", "SET"},
		{"SET client_encoding = 'UTF8'", "SET"},
		{"BEGIN", "BEGIN"},
		{"SELECT 1", "SELECT 1"},
		{"COMMIT", "COMMIT"},
		{"START TRANSACTION READ ONLY", "BEGIN"},
		{"ROLLBACK", "ROLLBACK"},
		{"RESET application_name", "RESET"},
	}
	for _, st := range steps {
		tag, err := c.Exec(ctx, st.sql)
		if err != nil || tag.String() != st.tag {
			t.Errorf("Exec(%q) = %q, %v, want %q", st.sql, tag, err, st.tag)
		}
	}
	if got := show("application_name"); got != "" {
		t.Errorf("application_name after RESET = %q, want empty", got)
	}
	if got := show("server_version"); !strings.HasPrefix(got, "15") {
		t.Errorf("server_version = %q", got)
	}
	if got := c.PgConn().ParameterStatus("TimeZone"); got != "UTC" {
		t.Errorf("ParameterStatus(TimeZone) = %q, want UTC", got)
	}
	// A failed transaction refuses everything until ROLLBACK.
	c.Exec(ctx, "BEGIN")
	if _, err := c.Exec(ctx, "SELECT * FROM nope.nope.nope"); err == nil {
		t.Fatal("a query of an unknown table succeeded")
	}
	if _, err := c.Exec(ctx, "SELECT 1"); sqlState(err) != "25P02" {
		t.Errorf("SELECT in a failed transaction = %v, want 25P02", err)
	}
	if tag, err := c.Exec(ctx, "COMMIT"); err != nil || tag.String() != "ROLLBACK" {
		t.Errorf("COMMIT of a failed transaction = %q, %v, want ROLLBACK", tag, err)
	}
	// Several statements in one Query message; the empty query.
	res, err := c.PgConn().Exec(ctx, "SELECT 1; SELECT 2, 3; ;").ReadAll()
	if err != nil || len(res) != 2 || len(res[1].Rows) != 1 || string(res[1].Rows[0][1]) != "3" {
		t.Errorf("multi-statement query = %v, %v", res, err)
	}
	if res, err := c.PgConn().Exec(ctx, " -- nothing\n").ReadAll(); err != nil {
		t.Errorf("empty query = %v, %v", res, err)
	}
}

// TestStatementTimeout checks statement_timeout bounds queries (57014).
func TestStatementTimeout(t *testing.T) {
	s := startServer(t)
	c := s.connect(t, "analyst")
	ctx := context.Background()
	if _, err := c.Exec(ctx, "SET statement_timeout = 100"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Exec(ctx, slowQuery)
	if sqlState(err) != "57014" {
		t.Errorf("slow query with statement_timeout = %v, want SQLSTATE 57014", err)
	}
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Errorf("SELECT 1 after the timeout: %v", err)
	}
}

// slowQuery runs for far longer than any test waits.
const slowQuery = "SELECT count(*) FROM sales.orders.lineitem a, sales.orders.lineitem b, sales.orders.lineitem c WHERE a.l_quantity + b.l_quantity > c.l_quantity"

func TestCancel(t *testing.T) {
	s := startServer(t)
	c := s.connect(t, "analyst")
	ctx := context.Background()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, slowQuery)
		errc <- err
	}()
	// The cancel request may arrive before the query starts; repeat until it ends.
	for {
		if err := c.PgConn().CancelRequest(ctx); err != nil {
			t.Fatalf("CancelRequest: %v", err)
		}
		select {
		case err := <-errc:
			if sqlState(err) != "57014" {
				t.Fatalf("canceled query = %v, want SQLSTATE 57014", err)
			}
			var one int
			if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				t.Errorf("SELECT 1 after cancel: %v", err)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestDisconnectMidQuery checks a client that goes away mid-query does not
// take the server down and its query ends (the audit shows it canceled).
func TestDisconnectMidQuery(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.dsn("analyst"))
	if err != nil {
		t.Fatal(err)
	}
	qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	// pgx closes the connection when the context ends mid-query.
	c.Exec(qctx, slowQuery+" AND 'disconnect' = 'disconnect'")
	c.Close(ctx)
	c2 := s.connect(t, "analyst")
	var one int
	if err := c2.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("a new connection after a client left mid-query: %v", err)
	}
	waitAudit(t, func(e audit.Event) bool {
		return e.Action == "query" && e.Principal == "analyst" && e.Outcome == audit.Failed && strings.Contains(string(e.Details), "canceled")
	})
}

// waitAudit waits for an audit event matching ok.
func waitAudit(t *testing.T, ok func(audit.Event) bool) audit.Event {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		shared.p.Audit.Flush(ctx)
		evs, err := shared.p.Audit.Since(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if ok(e) {
				return e
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no matching audit event")
	return audit.Event{}
}

func TestAuth(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	h, p := s.hostPort()
	tests := []struct {
		name, dsn, code string
	}{
		{"bad token", fmt.Sprintf("host=%s port=%s user=analyst password=nope sslmode=disable", h, p), "28P01"},
		{"token of another principal", fmt.Sprintf("host=%s port=%s user=analyst password=%s sslmode=disable", h, p, shared.tokens["analyst-europe"]), "28P01"},
		{"unknown user", fmt.Sprintf("host=%s port=%s user=nobody password=%s sslmode=disable", h, p, shared.tokens["analyst"]), "28P01"},
		{"no password", fmt.Sprintf("host=%s port=%s user=analyst sslmode=disable", h, p), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := pgx.Connect(ctx, tt.dsn)
			if err == nil {
				c.Close(ctx)
				t.Fatal("connected, want a refusal")
			}
			if tt.code != "" && sqlState(err) != tt.code {
				t.Errorf("Connect = %v, want SQLSTATE %s", err, tt.code)
			}
		})
	}
	waitAudit(t, func(e audit.Event) bool {
		return e.Action == "auth" && e.Outcome == audit.Denied && e.Resource == "pgwire user nobody"
	})
	// A wire query is audited like an HTTP one.
	c := s.connect(t, "analyst-europe")
	textRows(t, c, "SELECT count(*) FROM customers.crm.customer WHERE 'audited' = 'audited'")
	waitAudit(t, func(e audit.Event) bool {
		return e.Action == "query" && e.Principal == "analyst-europe" && e.Resource == "customers.crm" && e.Outcome == audit.OK
	})
}

func TestConnectionLimit(t *testing.T) {
	s := startServer(t, func(c *pgwire.Config) { c.MaxConns = 2 })
	ctx := context.Background()
	first := s.connect(t, "analyst")
	s.connect(t, "analyst")
	for i := 0; i < 5; i++ {
		_, err := pgx.Connect(ctx, s.dsn("analyst"))
		if sqlState(err) != "53300" || !strings.Contains(err.Error(), "limit 2") {
			t.Fatalf("connection over the limit = %v, want SQLSTATE 53300 naming the limit", err)
		}
	}
	// A cancel request still gets through when the server is full.
	if err := first.PgConn().CancelRequest(ctx); err != nil {
		t.Errorf("CancelRequest at the limit: %v", err)
	}
	// A slot frees when a client leaves (the server notices asynchronously).
	first.Close(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := pgx.Connect(ctx, s.dsn("analyst"))
		if err == nil {
			c.Close(ctx)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection after a client left: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConcurrent runs queries on several connections at once.
func TestConcurrent(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	const q = "SELECT count(*), sum(l_quantity) FROM sales.orders.lineitem WHERE l_orderkey % $1 = 0"
	want := engineRows(t, "analyst", strings.ReplaceAll(q, "$1", "3"))
	errc := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			c, err := pgx.Connect(ctx, s.dsn("analyst"))
			if err != nil {
				errc <- err
				return
			}
			defer c.Close(ctx)
			for j := 0; j < 5; j++ {
				var n int64
				var sum string
				if err := c.QueryRow(ctx, strings.Replace(q, "sum(l_quantity)", "sum(l_quantity)::VARCHAR", 1), 3).Scan(&n, &sum); err != nil {
					errc <- err
					return
				}
				if fmt.Sprint(n) != want[0][0] {
					errc <- fmt.Errorf("count = %d, want %s", n, want[0][0])
					return
				}
			}
			errc <- nil
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}

// TestPortalSuspended reads a result in pages through a row-limited Execute.
func TestPortalSuspended(t *testing.T) {
	s := startServer(t)
	c := s.connect(t, "analyst")
	ctx := context.Background()
	pc := c.PgConn()
	const q = "SELECT o_orderkey FROM sales.orders.orders ORDER BY o_orderkey LIMIT 25"
	if _, err := pc.Prepare(ctx, "pages", q, nil); err != nil {
		t.Fatal(err)
	}
	want := engineRows(t, "analyst", q)
	// pgconn has no row-limited Execute; speak the protocol through its frontend.
	fe := pc.Frontend()
	fe.Send(&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "pages"})
	var got []string
	for page := 0; ; page++ {
		fe.Send(&pgproto3.Execute{Portal: "p", MaxRows: 10})
		fe.Send(&pgproto3.Flush{})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		rows, suspended := readPage(t, fe)
		got = append(got, rows...)
		if !suspended {
			break
		}
		if page > 5 {
			t.Fatal("too many pages")
		}
	}
	fe.Send(&pgproto3.Sync{})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	var flat []string
	for _, r := range want {
		flat = append(flat, r[0])
	}
	if d := cmp.Diff(flat, got); d != "" {
		t.Errorf("paged rows (-want +got):\n%s", d)
	}
}

// readPage reads DataRows up to PortalSuspended or CommandComplete.
func readPage(t *testing.T, fe *pgproto3.Frontend) (rows []string, suspended bool) {
	t.Helper()
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.BindComplete:
		case *pgproto3.DataRow:
			rows = append(rows, string(m.Values[0]))
		case *pgproto3.PortalSuspended:
			return rows, true
		case *pgproto3.CommandComplete:
			return rows, false
		case *pgproto3.ErrorResponse:
			t.Fatalf("error: %s", m.Message)
		default:
			t.Fatalf("unexpected %T", m)
		}
	}
}

// TestShutdown checks Close ends running queries and idle connections,
// telling the clients why, and returns.
func TestShutdown(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	idle := s.connect(t, "analyst")
	busy := s.connect(t, "analyst")
	errc := make(chan error, 1)
	go func() {
		_, err := busy.Exec(ctx, slowQuery)
		errc <- err
	}()
	if err := s.srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-errc; err == nil {
		t.Error("the running query survived Close")
	}
	_, err := idle.Exec(ctx, "SELECT 1")
	if err == nil {
		t.Fatal("an idle connection survived Close")
	}
	if code := sqlState(err); code != "" && code != "57P01" {
		t.Errorf("idle connection after Close = %v, want 57P01 or a closed connection", err)
	}
}
