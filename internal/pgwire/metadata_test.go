package pgwire_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/pgwire"
	"github.com/meshwork/meshwork/internal/query"
)

// fakeMetadata answers queries that mention pg_catalog, recording who asked.
type fakeMetadata struct {
	mu    sync.Mutex
	calls []string // principal: sql
	args  [][]any
}

func (f *fakeMetadata) Handles(sql string) bool { return strings.Contains(sql, "pg_catalog") }

func (f *fakeMetadata) Query(ctx context.Context, sql string, args []any) ([]query.Column, [][]any, error) {
	p, ok := access.FromContext(ctx)
	if !ok {
		return nil, nil, errs.E(errs.Unauthenticated, "fake", "no principal")
	}
	f.mu.Lock()
	f.calls = append(f.calls, p.Name+": "+sql)
	f.args = append(f.args, args)
	f.mu.Unlock()
	if strings.Contains(sql, "fail") {
		return nil, nil, errs.E(errs.Invalid, "fake", "bad catalog query")
	}
	name := "sales"
	if len(args) > 0 && args[0] != nil {
		name = args[0].(string)
	}
	return []query.Column{{Name: "nspname", Type: "VARCHAR"}, {Name: "oid", Type: "INTEGER"}},
		[][]any{{name, int32(2200)}, {"customers", int32(2201)}}, nil
}

// TestMetadataRouting checks catalog queries go to Metadata with the
// principal, in both protocols and with parameters, and other queries do not.
func TestMetadataRouting(t *testing.T) {
	md := &fakeMetadata{}
	s := startServer(t, func(c *pgwire.Config) { c.Metadata = md })
	c := s.connect(t, "analyst")
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		got := textRows(t, c, "SELECT nspname, oid FROM pg_catalog.pg_namespace", mode)
		if d := cmp.Diff([][]string{{"sales", "2200"}, {"customers", "2201"}}, got); d != "" {
			t.Errorf("%v: catalog rows (-want +got):\n%s", mode, d)
		}
	}
	got := textRows(t, c, "SELECT nspname, oid FROM pg_catalog.pg_namespace WHERE nspname = $1", "supply")
	if len(got) != 2 || got[0][0] != "supply" {
		t.Errorf("catalog query with a parameter = %v", got)
	}
	if _, err := c.Exec(ctx, "SELECT * FROM pg_catalog.fail"); sqlState(err) != "42601" {
		t.Errorf("failing catalog query = %v, want 42601", err)
	}
	textRows(t, c, "SELECT 1")
	md.mu.Lock()
	defer md.mu.Unlock()
	for _, call := range md.calls {
		if !strings.HasPrefix(call, "analyst: ") || !strings.Contains(call, "pg_catalog") {
			t.Errorf("Metadata call %q: want the analyst's catalog queries only", call)
		}
	}
}
