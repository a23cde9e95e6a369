package query

import (
	"strings"
	"testing"
)

func TestPinMajors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT * FROM sales.orders@v1.orders", `SELECT * FROM sales."orders@v1".orders`},
		{"SELECT * FROM sales.orders@v12.orders o JOIN sales.orders@v2.lineitem l USING (k)",
			`SELECT * FROM sales."orders@v12".orders o JOIN sales."orders@v2".lineitem l USING (k)`},
		{"select * from Sales . Orders@V1 . x", `select * from Sales . "Orders@V1" . x`},
		{"SELECT * FROM a.b@v1.c,d.e@v2.f", `SELECT * FROM a."b@v1".c,d."e@v2".f`},
		// Left alone: literals, quoted names, comments, dollar quotes, other uses of @.
		{"SELECT 'sales.orders@v1.orders'", "SELECT 'sales.orders@v1.orders'"},
		{"SELECT E'it\\'s sales.orders@v1.x'", "SELECT E'it\\'s sales.orders@v1.x'"},
		{`SELECT "sales.orders@v1.orders" FROM t`, `SELECT "sales.orders@v1.orders" FROM t`},
		{"SELECT 1 -- sales.orders@v1.orders\n", "SELECT 1 -- sales.orders@v1.orders\n"},
		{"SELECT 1 /* a /* sales.orders@v1.o */ sales.orders@v1.o */", "SELECT 1 /* a /* sales.orders@v1.o */ sales.orders@v1.o */"},
		{"SELECT $$sales.orders@v1.o$$", "SELECT $$sales.orders@v1.o$$"},
		{"SELECT $tag$ sales.orders@v1.o $tag$", "SELECT $tag$ sales.orders@v1.o $tag$"},
		{"SELECT @ -5, x @> y", "SELECT @ -5, x @> y"},
		{"SELECT * FROM sales.orders@vx.orders", "SELECT * FROM sales.orders@vx.orders"},
		{"SELECT * FROM orders@v1.orders", "SELECT * FROM orders@v1.orders"}, // two parts: not a mesh name
		{`SELECT * FROM sales."orders@v1".orders`, `SELECT * FROM sales."orders@v1".orders`},
		{"SELECT 'unterminated sales.orders@v1.x", "SELECT 'unterminated sales.orders@v1.x"},
	}
	for _, tt := range tests {
		if got := pinMajors(tt.in); got != tt.want {
			t.Errorf("pinMajors(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitPinned(t *testing.T) {
	for _, tt := range []struct {
		in      string
		product string
		major   int
		ok      bool
	}{
		{"orders@v1", "orders", 1, true}, {"orders@v0", "orders", 0, true}, {"orders@v123", "orders", 123, true},
		{"orders", "", 0, false}, {"orders@v", "", 0, false}, {"orders@v01", "", 0, false}, {"orders@v-1", "", 0, false},
		{"Orders@v1", "", 0, false}, {"@v1", "", 0, false}, {"orders@v1x", "", 0, false}, {"orders@v1234567890", "", 0, false},
	} {
		p, n, ok := splitPinned(tt.in)
		if p != tt.product || n != tt.major || ok != tt.ok {
			t.Errorf("splitPinned(%q) = %q, %d, %v; want %q, %d, %v", tt.in, p, n, ok, tt.product, tt.major, tt.ok)
		}
	}
}

// FuzzPinMajors: the lexer's segments are the input, and pinning only adds
// double quotes around product@vN parts, so removing them gives the input back.
func FuzzPinMajors(f *testing.F) {
	for _, s := range []string{"SELECT * FROM a.b@v1.c", "SELECT 'a.b@v1.c'", "/* a.b@v1.c */ a.b@v2.c", "$x$a.b@v1.c$x$", "E'\\'' a.b@v1.c", `"a.b@v1.c"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		for _, seg := range lexSegments(s) {
			b.WriteString(seg.text)
		}
		if b.String() != s {
			t.Fatalf("segments of %q join to %q", s, b.String())
		}
		out := pinMajors(s)
		if len(out) < len(s) || (len(out)-len(s))%2 != 0 {
			t.Fatalf("pinMajors(%q) = %q: only quote pairs may be added", s, out)
		}
		if strings.ReplaceAll(out, `"`, "") != strings.ReplaceAll(s, `"`, "") {
			t.Fatalf("pinMajors(%q) = %q changed more than quotes", s, out)
		}
		if again := pinMajors(out); again != out {
			t.Fatalf("pinMajors is not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}
