package usage

import (
	"strings"
	"testing"
)

func TestFingerprint(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"string", "SELECT * FROM sales.orders.orders WHERE o_clerk = 'Clerk#000000951'", "SELECT * FROM sales.orders.orders WHERE o_clerk = ?"},
		{"doubled quote", "SELECT 'it''s' AS x", "SELECT ? AS x"},
		{"number", "SELECT * FROM t WHERE a > 42 AND b < 3.14 LIMIT 10", "SELECT * FROM t WHERE a > ? AND b < ? LIMIT ?"},
		{"exponent and leading dot", "SELECT 1.5e-10, .5, 1e+3, 0x1F, 1_000", "SELECT ?, ?, ?, ?, ?"},
		{"negative", "SELECT -5", "SELECT -?"},
		{"escape string", `SELECT E'a\'b' AS x`, "SELECT ? AS x"},
		{"escape string backslash end", `SELECT e'a\\' , 'b'`, "SELECT ? , ?"},
		{"prefixed strings", "SELECT X'1F', B'101', N'name', U&'d\\0061t'", "SELECT ?, ?, ?, ?"},
		{"dollar quoted", "SELECT $$it's $1 -- not a comment$$ AS x", "SELECT ? AS x"},
		{"tagged dollar quoted", "SELECT $tag$a $$ b$tag$", "SELECT ?"},
		{"unterminated dollar", "SELECT $a$ secret", "SELECT ?"},
		{"positional parameters", "SELECT * FROM t WHERE a = $1 AND b = $2", "SELECT * FROM t WHERE a = ? AND b = ?"},
		{"named parameter", "SELECT * FROM t WHERE a = $name", "SELECT * FROM t WHERE a = ?"},
		{"question mark", "SELECT * FROM t WHERE a = ?", "SELECT * FROM t WHERE a = ?"},
		{"in list", "SELECT * FROM t WHERE a IN (1, 2, 3)", "SELECT * FROM t WHERE a IN (?)"},
		{"in list of strings", "select * from t where a in ('x','y')", "select * from t where a in (?)"},
		{"in list signed", "SELECT 1 WHERE a NOT IN ( -1 , +2 )", "SELECT ? WHERE a NOT IN (?)"},
		{"in subquery kept", "SELECT 1 WHERE a IN (SELECT b FROM t)", "SELECT ? WHERE a IN (SELECT b FROM t)"},
		{"in single", "SELECT 1 WHERE a IN(7)", "SELECT ? WHERE a IN(?)"},
		{"whitespace", "SELECT\n\t*\r\n   FROM   t", "SELECT * FROM t"},
		{"line comment", "SELECT a -- the customer 'Bob'\nFROM t", "SELECT a FROM t"},
		{"block comment", "SELECT /* 'x' /* nested */ 42 */ a FROM t", "SELECT a FROM t"},
		{"comment between operators", "SELECT a-/**/-1", "SELECT a- -?"},
		{"leading and trailing comments", "-- hello\nSELECT 1 /* bye */", "SELECT ?"},
		{"quoted names kept", `SELECT "o_clerk", "we""ird" FROM sales."orders@v2".orders`, `SELECT "o_clerk", "we""ird" FROM sales."orders@v2".orders`},
		{"pinned major kept", "SELECT * FROM sales.orders@v2.orders", "SELECT * FROM sales.orders@v2.orders"},
		{"names with digits kept", "SELECT t1.c2 FROM t1", "SELECT t1.c2 FROM t1"},
		{"typed literal", "SELECT DATE '1994-01-01', INTERVAL 3 DAY, 1::BIGINT", "SELECT DATE ?, INTERVAL ? DAY, ?::BIGINT"},
		{"unterminated string", "SELECT 'secret", "SELECT ?"},
		{"empty", "", ""},
		{"only comment", "/* x */", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fingerprint(tt.in)
			if got != tt.want {
				t.Errorf("Fingerprint(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Fingerprint(got); again != got {
				t.Errorf("Fingerprint(%q) = %q, want it unchanged (idempotent)", got, again)
			}
		})
	}
}

// The markers of FuzzFingerprint: no other token of the generated queries
// contains them, so finding one in a fingerprint means a literal leaked.
const (
	markerText   = "ZQXJMARK"
	markerNumber = "73918462"
)

// fuzzQuery builds a query from plan: names, keywords and operators from a
// fixed vocabulary, and literals of every kind carrying a marker and the
// fuzzer's content, each written so that SQL reads it as one literal (or
// comment). Tokens are separated by white space, so none merges with its
// neighbour.
func fuzzQuery(plan []byte, content string) string {
	words := []string{"SELECT", "*", "FROM", "sales.orders.orders", "WHERE", "o_clerk", "=", "(", ")", ",", "IN",
		"AND", "OR", "-", "+", `"quoted name"`, "::", "LIMIT", "$1", "?", "t1", "<>", ".", "sales.orders@v2.orders", "NOT", "E", "x"}
	noNewline := strings.NewReplacer("\n", " ", "\r", " ").Replace(content)
	noComment := strings.ReplaceAll(content, "*", "") // no */ or /* can form
	noDollar := strings.ReplaceAll(content, "$", "_")
	body := content + markerText + content
	lits := []string{
		"'" + strings.ReplaceAll(body, "'", "''") + "'",
		"E'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(body) + "'",
		"e'" + strings.ReplaceAll(strings.ReplaceAll(body, `\`, `\\`), "'", "''") + "'",
		"N'" + strings.ReplaceAll(body, "'", "''") + "'",
		"U&'" + strings.ReplaceAll(body, "'", "''") + "'",
		"$$" + noDollar + markerText + noDollar + "$$",
		"$q$" + noDollar + markerText + "$$" + noDollar + "$q$",
		markerNumber,
		markerNumber + ".25",
		"." + markerNumber,
		markerNumber + "e-7",
		"1_" + markerNumber,
		"0x" + markerNumber,
		"-- " + noNewline + markerText + "\n",
		"/* " + noComment + markerText + " /* " + markerNumber + " */ */",
	}
	seps := []string{" ", "\n", "\t ", "  "}
	var b strings.Builder
	for i, c := range plan {
		if i > 0 {
			b.WriteString(seps[int(c>>6)%len(seps)])
		}
		k := int(c & 0x3f)
		if k < len(words) {
			b.WriteString(words[k])
		} else {
			b.WriteString(lits[(k-len(words))%len(lits)])
		}
	}
	return b.String()
}

func FuzzFingerprint(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 30}, "Bob")
	f.Add([]byte{4, 5, 6, 10, 7, 27, 11, 28, 11, 29, 8}, "it's")
	f.Add([]byte{0, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41}, `a\'b$$c*/d`)
	f.Add([]byte{0, 42, 43, 44, 45, 46, 47, 48}, "--\n/*")
	f.Add([]byte{}, "SELECT 'x' -- 1\n")
	f.Fuzz(func(t *testing.T, plan []byte, content string) {
		if len(plan) > 200 || len(content) > 200 {
			return
		}
		q := fuzzQuery(plan, content)
		got := Fingerprint(q)
		for _, m := range []string{markerText, markerNumber} {
			if strings.Contains(got, m) {
				t.Fatalf("Fingerprint(%q) = %q: the literal marker %s survives", q, got, m)
			}
		}
		if again := Fingerprint(got); again != got {
			t.Fatalf("Fingerprint(%q) = %q, not idempotent: %q", q, got, again)
		}
		// Any text at all: no panic, idempotent, never longer.
		raw := Fingerprint(content)
		if again := Fingerprint(raw); again != raw {
			t.Fatalf("Fingerprint(%q) = %q, not idempotent: %q", content, raw, again)
		}
		if len(raw) > len(content) {
			t.Fatalf("Fingerprint(%q) = %q, longer than its input", content, raw)
		}
	})
}

func BenchmarkFingerprint(b *testing.B) {
	q := `SELECT l_shipmode, sum(l_extendedprice * (1 - l_discount)) AS revenue
      FROM sales.orders.lineitem
      WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01' AND l_orderkey IN (1, 2, 3, 4, 5)
      GROUP BY l_shipmode ORDER BY revenue DESC -- yearly`
	b.ReportAllocs()
	b.SetBytes(int64(len(q)))
	for b.Loop() {
		Fingerprint(q)
	}
}
