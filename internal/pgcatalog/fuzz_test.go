package pgcatalog

import (
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/errs"
)

var fuzzSeeds = []string{
	"SELECT version()",
	`SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.~) '^(orders)$' COLLATE pg_catalog.default`,
	`SELECT x::pg_catalog.regtype::pg_catalog.text, E'a\\'b', $q$x$q$, "a""b".c FROM "sales.orders".orders`,
	"SELECT * FROM sales.orders@v2.orders /* pg_class */ -- x",
	"select 'unterminated",
	`select "unterminated`,
	"select /* nested /* comment */ still */ 1",
	"select $1::int, $tag$ body $tag$, OPERATOR(~) 'x'",
	"SELECT (information_schema._pg_expandarray(i.indkey)).n FROM pg_index i",
}

// FuzzLex checks that the lexer covers its input exactly and that the
// routing and the syntax rewrite never fail on any text.
func FuzzLex(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		for _, tok := range lex(s) {
			if tok.text == "" {
				t.Fatalf("lex(%q) made an empty token", s)
			}
			b.WriteString(tok.text)
		}
		if b.String() != s {
			t.Fatalf("lex(%q) covers %q", s, b.String())
		}
		_ = name(s)
		out := dropOperatorSyntax(s)
		if !strings.Contains(strings.ToLower(s), "operator") && !strings.Contains(strings.ToLower(s), "pg_catalog") && out != s {
			t.Fatalf("dropOperatorSyntax(%q) = %q, changed a text without OPERATOR", s, out)
		}
	})
}

// FuzzQuery runs any text as a metadata query: it either fails with a
// client error or answers, and what runs never reads beyond the stand-ins
// (rewrite verifies that; a failure of that check is Internal).
func FuzzQuery(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add("SELECT * FROM pg_class, read_parquet('x')")
	f.Add("WITH pg_class AS (SELECT 1) SELECT * FROM pg_class")
	f.Add("WITH x AS (SELECT * FROM duckdb_tables()) SELECT * FROM x")
	c := fakeCatalog(f)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		_, _, err := c.Query(who("sales"), s, nil)
		if err != nil && errs.KindOf(err) == errs.Internal && strings.Contains(err.Error(), "rendered query reads") {
			t.Fatalf("Query(%q): %v", s, err)
		}
	})
}
