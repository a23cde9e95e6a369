package usage_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/usage"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := registry.OpenSQLite(filepath.Join(t.TempDir(), "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func open(t *testing.T, db *sql.DB, c usage.Config) *usage.Aggregator {
	t.Helper()
	c.DB = db
	if c.FlushEvery == 0 {
		c.FlushEvery = time.Hour // the tests flush themselves
	}
	a, err := usage.Open(context.Background(), c)
	if err != nil {
		t.Fatalf("usage.Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func ref(domain, product, table string) query.TableRef {
	return query.TableRef{Domain: domain, Product: product, Table: table}
}

func TestCounts(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	a := open(t, db, usage.Config{})
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	yesterday := now.AddDate(0, 0, -1)
	orders := []query.TableRef{ref("sales", "orders", "orders")}
	join := []query.TableRef{ref("sales", "orders", "orders"), ref("customers", "crm", "customer"), ref("sales", "orders", "lineitem")}
	a.Observe("alice", now, "SELECT * FROM sales.orders.orders WHERE o_clerk = 'Clerk#1'", orders)
	a.Observe("alice", now, "SELECT * FROM sales.orders.orders WHERE o_clerk = 'Clerk#2'", orders)
	a.Observe("bob", now, "SELECT * FROM sales.orders.orders  WHERE o_clerk = 'Clerk#3'", orders)
	a.Observe("bob", yesterday, "SELECT count(*) FROM sales.orders.orders o JOIN customers.crm.customer c ON o.o_custkey = c.c_custkey JOIN sales.orders.lineitem l ON true", join)
	a.Observe("carol", now.AddDate(0, 0, -40), "SELECT 1 FROM sales.orders.orders", orders) // outside the window
	a.Observe("dave", now, "SELECT 1", nil)                                                 // no product: not counted
	if err := a.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}

	s, err := a.Summary(ctx, "sales", "orders", 30, now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Consumers != 2 || s.TotalQueries != 4 || len(s.PerDay) != 30 {
		t.Errorf("Summary(sales.orders) = %d consumers, %d queries, %d days, want 2, 4, 30", s.Consumers, s.TotalQueries, len(s.PerDay))
	}
	wantLast := []usage.Day{{Day: "2026-12-04", Queries: 1, Consumers: 1}, {Day: "2026-12-05", Queries: 3, Consumers: 2}}
	if diff := cmp.Diff(wantLast, s.PerDay[28:]); diff != "" {
		t.Errorf("Summary(sales.orders) last days differ (-want +got):\n%s", diff)
	}
	if s.PerDay[0].Day != "2026-11-06" || s.PerDay[0].Queries != 0 {
		t.Errorf("Summary(sales.orders) first day = %+v, want 2026-11-06 with 0 queries", s.PerDay[0])
	}
	crm, err := a.Summary(ctx, "customers", "crm", 30, now)
	if err != nil {
		t.Fatal(err)
	}
	if crm.Consumers != 1 || crm.TotalQueries != 1 {
		t.Errorf("Summary(customers.crm) = %d consumers, %d queries, want 1, 1", crm.Consumers, crm.TotalQueries)
	}

	totals, err := a.Totals(ctx, 30, now)
	if err != nil {
		t.Fatal(err)
	}
	wantTotals := map[string]usage.Use{"sales.orders": {Queries: 4, Consumers: 2}, "customers.crm": {Queries: 1, Consumers: 1}}
	if diff := cmp.Diff(wantTotals, totals); diff != "" {
		t.Errorf("Totals(30 days) differ (-want +got):\n%s", diff)
	}
	if today, err := a.Totals(ctx, 1, now); err != nil || !cmp.Equal(today, map[string]usage.Use{"sales.orders": {Queries: 3, Consumers: 2}}) {
		t.Errorf("Totals(1 day) = %v, %v, want sales.orders 3 queries by 2", today, err)
	}

	top, err := a.Top(ctx, "sales", "orders", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 3 {
		t.Fatalf("Top(sales.orders) = %d fingerprints, want 3: %+v", len(top), top)
	}
	want := usage.Frequent{Fingerprint: "SELECT * FROM sales.orders.orders WHERE o_clerk = ?", Queries: 3, LastSeen: now, Products: []string{"sales.orders"}}
	if diff := cmp.Diff(want, top[0]); diff != "" {
		t.Errorf("Top(sales.orders)[0] differs (-want +got):\n%s", diff)
	}
	if got := top[1].Products; !cmp.Equal(got, []string{"customers.crm", "sales.orders"}) {
		t.Errorf("Top(sales.orders)[1].Products = %v, want [customers.crm sales.orders]", got)
	}

	// Principal names are kept for counting only: nothing read back names one.
	for _, f := range top {
		for _, who := range []string{"alice", "bob", "carol"} {
			if strings.Contains(fmt.Sprintf("%+v", f), who) {
				t.Errorf("Top(sales.orders) = %+v names principal %s", f, who)
			}
		}
	}
}

func TestPruneAndLimits(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	a := open(t, db, usage.Config{MaxFingerprints: 3})
	now := time.Now()
	tables := []query.TableRef{ref("sales", "orders", "orders")}
	// Shape i is used i+1 times: the three most used survive.
	for i := range 6 {
		for range i + 1 {
			a.Observe("p", now, fmt.Sprintf("SELECT c%d FROM sales.orders.orders", i), tables)
		}
	}
	long := "SELECT " + strings.Repeat("a_column, ", usage.MaxFingerprint/10) + "b FROM sales.orders.orders"
	for range 10 {
		a.Observe("p", now, long, tables)
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	top, err := a.Top(ctx, "sales", "orders", 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range top {
		got = append(got, fmt.Sprintf("%s %d", f.Fingerprint, f.Queries))
	}
	want := []string{"SELECT c5 FROM sales.orders.orders 6", "SELECT c4 FROM sales.orders.orders 5", "SELECT c3 FROM sales.orders.orders 4"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Top after pruning to 3 differs (-want +got):\n%s", diff)
	}
	s, err := a.Summary(ctx, "sales", "orders", 1, now)
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalQueries != 21+10 {
		t.Errorf("Summary.TotalQueries = %d, want 31 (a query whose fingerprint is dropped still counts)", s.TotalQueries)
	}
}

func TestFlushOnClose(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	a, err := usage.Open(ctx, usage.Config{DB: db, FlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a.Observe("alice", now, "SELECT 1 FROM sales.orders.orders", []query.TableRef{ref("sales", "orders", "orders")})
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	a.Observe("alice", now, "SELECT 2 FROM sales.orders.orders", []query.TableRef{ref("sales", "orders", "orders")})
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(queries), 0) FROM mesh_usage_consumers`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("queries written by Close = %d, want 1 (and none after it)", n)
	}
}

func TestPeriodicFlush(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	a := open(t, db, usage.Config{FlushEvery: 20 * time.Millisecond})
	a.Observe("alice", time.Now(), "SELECT 1 FROM sales.orders.orders", []query.TableRef{ref("sales", "orders", "orders")})
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := a.Summary(ctx, "sales", "orders", 1, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if s.TotalQueries == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Summary.TotalQueries = %d ten seconds after a query, want 1 (the flusher writes every 20ms)", s.TotalQueries)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFailedFlushKeepsCounts(t *testing.T) {
	db := openDB(t)
	a := open(t, db, usage.Config{})
	now := time.Now()
	a.Observe("alice", now, "SELECT 1 FROM sales.orders.orders", []query.TableRef{ref("sales", "orders", "orders")})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Flush(canceled); err == nil {
		t.Fatal("Flush(canceled context) = nil, want an error")
	}
	a.Observe("bob", now, "SELECT 2 FROM sales.orders.orders", []query.TableRef{ref("sales", "orders", "orders")})
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := a.Summary(context.Background(), "sales", "orders", 1, now)
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalQueries != 2 || s.Consumers != 2 {
		t.Errorf("Summary after a failed then a good flush = %d queries, %d consumers, want 2, 2", s.TotalQueries, s.Consumers)
	}
	top, err := a.Top(context.Background(), "sales", "orders", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 1 || top[0].Queries != 2 {
		t.Errorf("Top after a failed then a good flush = %+v, want one shape with 2 queries", top)
	}
}

func BenchmarkObserve(b *testing.B) {
	db, err := registry.OpenSQLite(filepath.Join(b.TempDir(), "mesh.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a, err := usage.Open(context.Background(), usage.Config{DB: db, FlushEvery: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	tables := []query.TableRef{ref("sales", "orders", "lineitem")}
	q := "SELECT l_shipmode, count(*) FROM sales.orders.lineitem WHERE l_shipdate >= DATE '1994-01-01' GROUP BY 1"
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		a.Observe("analyst", now, q, tables)
	}
}
