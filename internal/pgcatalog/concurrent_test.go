package pgcatalog

import (
	"fmt"
	"sync"
	"testing"
)

// Principals with different table sets query at once while the cache, which
// holds fewer sets than there are, evicts: each still sees only its tables.
func TestQueryConcurrent(t *testing.T) {
	c := fakeCatalog(t)
	want := map[string]int64{"admin": 4, "sales": 2, "hr": 1, "nobody": 0}
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for p, n := range want {
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, rows, err := c.Query(who(p), `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
					WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')`, nil)
				switch {
				case err != nil:
					errc <- fmt.Errorf("Query as %s: %w", p, err)
				case len(rows) != 1 || rows[0][0] != n:
					errc <- fmt.Errorf("tables of %s = %v, want %d", p, rows, n)
				}
			}()
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func BenchmarkQueryDt(b *testing.B) {
	c := fakeCatalog(b)
	q := `SELECT n.nspname as "Schema", c.relname as "Name", pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
		FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' AND n.nspname !~ '^pg_toast'
		AND n.nspname <> 'information_schema' AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2`
	ctx := who("admin")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.Query(ctx, q, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHandles(b *testing.B) {
	q := `SELECT l_returnflag, sum(l_quantity) FROM "sales.orders".lineitem WHERE l_shipdate <= DATE '1998-09-02' GROUP BY 1 ORDER BY 1`
	b.ReportAllocs()
	for b.Loop() {
		if (&Catalog{}).Handles(q) {
			b.Fatal("a mesh query was claimed")
		}
	}
}
