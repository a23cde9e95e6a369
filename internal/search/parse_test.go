package search_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/search"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in    string
		terms []string
		match string
	}{
		{"customer", []string{"customer"}, `"customer"*`},
		{"Order_Date  total", []string{"order_date", "total"}, `"order_date"* "total"*`},
		{`"customer" OR "order"`, []string{"customer", "or", "order"}, `"customer"* "or"* "order"*`},
		{`NEAR(a b, 2)`, []string{"near", "a", "b", "2"}, `"near"* "a"* "b"* "2"*`},
		{`name:customer -x +y ^z *`, []string{"name", "customer", "x", "y", "z"}, `"name"* "customer"* "x"* "y"* "z"*`},
		{"a\x00b", []string{"a", "b"}, `"a"* "b"*`},
		{"sales.orders.order_date", []string{"sales", "orders", "order_date"}, `"sales"* "orders"* "order_date"*`},
		{"dup dup DUP", []string{"dup"}, `"dup"*`},
		{"___ _x_", []string{"_x_"}, `"_x_"*`},
		{"Ünïcödé naïve 東京", []string{"ünïcödé", "naïve", "東京"}, `"ünïcödé"* "naïve"* "東京"*`},
		{"\xff\xfeab", []string{"ab"}, `"ab"*`},
		{"", nil, ``},
		{`"()*:`, nil, ``},
		{strings.Repeat("a ", 16), []string{"a"}, `"a"*`},
	}
	for _, tt := range tests {
		terms, err := search.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) = %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.terms, terms); d != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, d)
		}
		if got := search.Match(terms); got != tt.match {
			t.Errorf("Match(Parse(%q)) = %s, want %s", tt.in, got, tt.match)
		}
	}
	for _, in := range []string{strings.Repeat("a", search.MaxQueryBytes+1), strings.Repeat("a ", search.MaxTerms+1)} {
		if _, err := search.Parse(in); !errs.Is(err, errs.Invalid) {
			t.Errorf("Parse(%d bytes) = %v, want an Invalid error", len(in), err)
		}
	}
}

// FuzzParse checks that no text yields a MATCH expression FTS5 rejects:
// whatever Parse accepts is run as an FTS5 MATCH and through Search (which
// builds its ranking tiers from the terms) against a real index with the
// search tokenizer; what Parse refuses is refused as Invalid.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"customer", `"`, `""`, `"a" OR b`, "NEAR(a b)", "a*", "*", "-x", "col:x", "(a)", "a\x00b",
		"\xff", "^a", "a + b", "order_date", "{a b}: c", "ü", "\u0301a", "a\u0301", "𞤀", "_", "AND", "a AND NOT b",
		"name : x", "{name}", strings.Repeat("x ", 16), strings.Repeat("é", 128)} {
		f.Add(s)
	}
	fx := newFixture(f)
	if _, err := fx.idx.Write(context.Background(), []search.ProductDocs{{Domain: "d", Product: "p", Docs: []search.Document{
		{Kind: search.KindProduct, Domain: "d", Product: "p", Description: "near and or not customer order_date ü 東京"},
		{Kind: search.KindTable, Domain: "d", Product: "p", Table: "name", Description: "customer"}}}}, nil); err != nil {
		f.Fatal(err)
	}
	fx.grant(f, "root", "admin", "", "")
	stmt, err := fx.db.Prepare(`SELECT count(*) FROM mesh_search_fts WHERE mesh_search_fts MATCH ?`)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		terms, err := search.Parse(text)
		_, serr := fx.idx.Search(context.Background(), root, search.Query{Text: text})
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Parse(%q) = %v, want an Invalid error", text, err)
			}
			if _, msg, _ := errs.Public(err); len(text) <= search.MaxQueryBytes && !strings.Contains(msg, "terms") {
				t.Fatalf("Parse(%q) refused a short text for another reason than its terms: %v", text, err)
			}
			if !errs.Is(serr, errs.Invalid) {
				t.Fatalf("Search(%q) = %v, want Invalid as Parse said", text, serr)
			}
			return
		}
		if len(terms) > search.MaxTerms {
			t.Fatalf("Parse(%q) = %d terms, over %d", text, len(terms), search.MaxTerms)
		}
		for _, term := range terms {
			if term == "" || strings.ContainsAny(term, "\"\x00*:(){}") || !utf8.ValidString(term) {
				t.Fatalf("Parse(%q) gave term %q", text, term)
			}
		}
		if len(terms) == 0 {
			if !errs.Is(serr, errs.Invalid) {
				t.Fatalf("Search(%q) without words = %v, want Invalid", text, serr)
			}
			return
		}
		if serr != nil {
			t.Fatalf("Search(%q) (terms %q) = %v", text, terms, serr)
		}
		var n int
		if err := stmt.QueryRow(search.Match(terms)).Scan(&n); err != nil && err != sql.ErrNoRows {
			t.Fatalf("MATCH %s (from %q): %v", search.Match(terms), text, err)
		}
	})
}
