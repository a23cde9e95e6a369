package query

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshwork/meshwork/internal/errs"
)

// FuzzGuard checks the guard's invariants on arbitrary SQL: it never panics,
// its errors are structured, and whatever it accepts renders to SQL that
// parses again and reads nothing outside __mesh (or its own CTEs).
func FuzzGuard(f *testing.F) {
	for _, dir := range []string{"testdata/guard/attacks", "testdata/guard/accept"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err == nil {
				f.Add(string(b))
			}
		}
	}
	for _, s := range []string{
		guardQ5,
		"SELECT * FROM a.b.c AT (VERSION => 1) x JOIN d.e.f USING (k)",
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
		"SELECT list_transform([1], x -> x + 1), {'a': 1}, [1][1], CAST(1 AS DECIMAL(4, 2))",
		"SELECT * FROM a.b.c PIVOT (sum(v) FOR k IN (1, 2))",
	} {
		f.Add(s)
	}
	fx := newGuardFixture(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, q string) {
		rw, err := fx.guard.Rewrite(ctx, fx.conn, q, guardIdentityBinder{})
		if err != nil {
			if _, ok := err.(*errs.Error); !ok {
				t.Fatalf("Rewrite(%q) error %T %v, want *errs.Error", q, err, err)
			}
			if errs.KindOf(err) == errs.Internal {
				// Internal means the rewritten SQL failed verification or
				// DuckDB failed unexpectedly: either is a guard bug.
				t.Fatalf("Rewrite(%q) internal error: %v", q, err)
			}
			return
		}
		stmt, err := guardParse(ctx, fx.conn, rw.SQL)
		if err != nil {
			t.Fatalf("rewritten SQL %q of %q does not parse: %v", rw.SQL, q, err)
		}
		// Every table in the rewritten tree must be a CTE or live in __mesh.
		allowed := map[[2]string]bool{}
		for _, r := range rw.Tables {
			_, name, _ := guardIdentityBinder{}.Bind(ctx, r)
			allowed[[2]string{"__mesh", name}] = true
		}
		w := &guardWalker{g: fx.guard, mode: guardModeVerify, allowed: allowed}
		if err := w.walkStatement(stmt, nil); err != nil {
			t.Fatalf("rewritten SQL %q of %q fails verification: %v", rw.SQL, q, err)
		}
	})
}
