package platform

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/query"
)

// The query hook counts successful queries only, and Close writes what is
// pending before the database closes: a restart finds the counts.
func TestUsageHookAndCloseFlush(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p, err := Open(ctx, Defaults(dir))
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	who := access.WithPrincipal(ctx, access.Principal{Name: "alice"})
	orders := []query.TableRef{{Domain: "sales", Product: "orders", Table: "orders"}}
	p.onQuery(who, query.Record{SQL: "SELECT * FROM sales.orders.orders WHERE o_orderkey = 7", Tables: orders, Door: query.DoorHTTP})
	p.onQuery(who, query.Record{SQL: "SELECT nope FROM sales.orders.orders", Tables: orders, Err: errors.New("no column nope")})
	if err := p.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	p, err = Open(ctx, Defaults(dir))
	if err != nil {
		t.Fatalf("reopen = %v", err)
	}
	defer p.Close()
	s, err := p.Usage.Summary(ctx, "sales", "orders", 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalQueries != 1 || s.Consumers != 1 {
		t.Errorf("usage after a restart = %d queries by %d consumers, want 1 by 1 (the failed query not counted)", s.TotalQueries, s.Consumers)
	}
	top, err := p.Usage.Top(ctx, "sales", "orders", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 1 || top[0].Fingerprint != "SELECT * FROM sales.orders.orders WHERE o_orderkey = ?" {
		t.Errorf("shapes after a restart = %+v, want the successful query's", top)
	}
}
