package search_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/search"
)

func TestRanking(t *testing.T) {
	f := seeded(t)
	tests := []struct {
		name    string
		q       string
		first   []string // the first results, in order
		include []string // also among the results
		total   int      // 0: not checked
	}{
		{name: "exact name first", q: "customer", first: []string{"customers.crm.customer"}},
		{name: "exact name with underscore", q: "order_date", first: []string{"sales.orders.orders.order_date"}, total: 1},
		{name: "exact names before partial ones", q: "orders", first: []string{"sales.orders.orders", "sales.orders"}},
		{name: "stem: orders finds order and ordered", q: "orders", include: []string{"sales.orders.orders.order_date", "sales.orders.lineitem.l_quantity"}},
		{name: "stem the other way: ordering finds orders", q: "ordering", include: []string{"sales.orders", "sales.orders.orders"}},
		{name: "prefix", q: "cust", include: []string{"customers.crm.customer", "customers.crm.customer.c_custkey", "customers.crm"}},
		{name: "prefix of a business name", q: "retail", first: []string{"supply.parts.part.p_retailprice"}, total: 1},
		{name: "every term required", q: "order date", first: []string{"sales.orders.orders.order_date"}, total: 1},
		{name: "name above description", q: "price", first: []string{"sales.orders.orders.total_price", "supply.parts.part.p_retailprice"}, total: 2},
		{name: "owner username", q: "ada", first: []string{"sales.orders"}, total: 1},
		{name: "owner team", q: "supply chain", first: []string{"supply.parts"}, total: 1},
		{name: "business name", q: "relationship management", first: []string{"customers.crm"}, total: 1},
		{name: "classification", q: "pii", include: []string{"customers.crm.customer.c_name", "customers.crm.customer.c_phone", "customers.crm"}, total: 3},
		{name: "case and diacritics", q: "CÜSTOMER", first: []string{"customers.crm.customer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.search(t, root, search.Query{Text: tt.q})
			got := addresses(res)
			if len(got) < len(tt.first) || !slices.Equal(got[:len(tt.first)], tt.first) {
				t.Errorf("Search(%q) = %v, want it to start with %v", tt.q, got, tt.first)
			}
			for _, a := range tt.include {
				if !slices.Contains(got, a) {
					t.Errorf("Search(%q) = %v, want it to include %s", tt.q, got, a)
				}
			}
			if tt.total != 0 && res.Total != tt.total {
				t.Errorf("Search(%q).Total = %d, want %d (%v)", tt.q, res.Total, tt.total, got)
			}
			if res.Total < len(res.Results) {
				t.Errorf("Search(%q).Total = %d, less than the %d results", tt.q, res.Total, len(res.Results))
			}
		})
	}
}

// TestNameAboveDescription checks, over several queries, that every hit
// matched in a name ranks above every hit matched only in a description.
func TestNameAboveDescription(t *testing.T) {
	f := seeded(t)
	for _, q := range []string{"customer", "orders", "price", "part", "name"} {
		res := f.search(t, root, search.Query{Text: q, Limit: search.MaxLimit})
		lastName, firstDesc := -1, len(res.Results)
		for i, h := range res.Results {
			if slices.Contains(h.Matched, "name") {
				lastName = i
			}
			if slices.Equal(h.Matched, []string{"description"}) && i < firstDesc {
				firstDesc = i
			}
		}
		if lastName > firstDesc {
			t.Errorf("Search(%q): a name match at %d ranks below a description-only match at %d: %v", q, lastName, firstDesc, addresses(res))
		}
	}
}

func TestHitFields(t *testing.T) {
	f := seeded(t)
	res := f.search(t, root, search.Query{Text: "order date"})
	want := search.Hit{Kind: "column", Address: "sales.orders.orders.order_date", Domain: "sales", Product: "orders", Table: "orders",
		Column: "order_date", Name: "order_date", BusinessName: "Order date", Description: "When the order was placed.",
		Matched: []string{"name", "path", "businessName", "description"}, Snippet: "When the **order** was placed.", Readable: true}
	if len(res.Results) != 1 {
		t.Fatalf("Search(order date) = %v, want one hit", addresses(res))
	}
	got := res.Results[0]
	if got.Score <= 0 {
		t.Errorf("Search(order date) score = %v, want > 0", got.Score)
	}
	got.Score = 0
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Search(order date) hit (-want +got):\n%s", d)
	}
}

func TestFilters(t *testing.T) {
	f := seeded(t)
	tests := []struct {
		name string
		q    search.Query
		want []string
	}{
		{"domain", search.Query{Text: "price", Domain: "sales"}, []string{"sales.orders.orders.total_price"}},
		{"kind", search.Query{Text: "customer", Kind: "table"}, []string{"customers.crm.customer", "customers.crm.nation"}},
		{"browse kind", search.Query{Kind: "product"}, []string{"customers.crm", "sales.orders", "supply.parts"}},
		{"tag inherited from the product", search.Query{Tag: "pii", Kind: "table"}, []string{"customers.crm.customer", "customers.crm.nation"}},
		{"tag of a table", search.Query{Tag: "gdpr"}, []string{"customers.crm.customer", "customers.crm.customer.c_custkey",
			"customers.crm.customer.c_name", "customers.crm.customer.c_phone"}},
		{"tag of a column", search.Query{Tag: "personal"}, []string{"customers.crm.customer.c_name"}},
		{"tag in another case", search.Query{Tag: "FINANCE", Kind: "product"}, []string{"sales.orders"}},
		{"tag with text", search.Query{Text: "name", Tag: "gdpr"}, []string{"customers.crm.customer.c_name"}},
		{"classification", search.Query{Classification: "pii"}, []string{"customers.crm", "customers.crm.customer",
			"customers.crm.customer.c_name", "customers.crm.customer.c_phone"}},
		{"classification with text", search.Query{Text: "number", Classification: "internal"}, []string{"customers.crm.customer.c_custkey"}},
		{"status", search.Query{Status: "draft"}, []string{"supply.parts", "supply.parts.part", "supply.parts.part.p_name",
			"supply.parts.part.p_retailprice"}},
		{"filters combine", search.Query{Text: "name", Domain: "customers", Classification: "pii", Kind: "column"}, []string{"customers.crm.customer.c_name"}},
		{"no match", search.Query{Text: "price", Domain: "customers"}, []string{}},
		{"unknown tag", search.Query{Tag: "nope"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.search(t, root, tt.q)
			got := addresses(res)
			if tt.q.Text == "" {
				slices.Sort(got)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Search(%+v) (-want +got):\n%s", tt.q, d)
			}
			if res.Total != len(tt.want) {
				t.Errorf("Search(%+v).Total = %d, want %d", tt.q, res.Total, len(tt.want))
			}
		})
	}
}

func TestPaging(t *testing.T) {
	f := seeded(t)
	all := f.search(t, root, search.Query{Text: "customer", Limit: search.MaxLimit})
	if all.Total != len(all.Results) || all.Total < 5 {
		t.Fatalf("Search(customer) total %d with %d results, want equal and at least 5", all.Total, len(all.Results))
	}
	var paged []string
	for off := 0; off < all.Total; off += 2 {
		res := f.search(t, root, search.Query{Text: "customer", Limit: 2, Offset: off})
		if res.Total != all.Total {
			t.Errorf("Search(customer, offset %d).Total = %d, want %d", off, res.Total, all.Total)
		}
		paged = append(paged, addresses(res)...)
	}
	if d := cmp.Diff(addresses(all), paged); d != "" {
		t.Errorf("pages of 2 differ from one page (-one +pages):\n%s", d)
	}
	past := f.search(t, root, search.Query{Text: "customer", Offset: 500})
	if len(past.Results) != 0 || past.Total != all.Total {
		t.Errorf("Search(customer, offset 500) = %d results, total %d; want 0 and %d", len(past.Results), past.Total, all.Total)
	}
	if res := f.search(t, root, search.Query{Kind: "column"}); len(res.Results) != 11 || res.Total != 11 {
		t.Errorf("browse columns: %d results, total %d; want the 11 columns", len(res.Results), res.Total)
	}

}

func TestVisibility(t *testing.T) {
	f := seeded(t)
	tests := []struct {
		who     string
		q       search.Query
		domains []string // the domains of the results
	}{
		{"root", search.Query{Text: "customer"}, []string{"customers", "sales", "supply"}},
		{"sally", search.Query{Text: "customer"}, []string{"sales"}},
		{"carl", search.Query{Text: "customer"}, []string{"customers"}},
		{"pat", search.Query{Text: "customer"}, []string{"supply"}},
		{"nobody", search.Query{Text: "customer"}, []string{}},
		{"sally", search.Query{Text: "customer", Domain: "customers"}, []string{}},
		{"carl", search.Query{Kind: "product"}, []string{"customers"}},
		{"sally", search.Query{Classification: "pii"}, []string{}},
	}
	principals := map[string]access.Principal{"root": root, "sally": sally, "carl": carl, "pat": pat, "nobody": nobody}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.q.Text+tt.q.Domain+tt.q.Kind+tt.q.Classification, func(t *testing.T) {
			res := f.search(t, principals[tt.who], tt.q)
			got := []string{}
			for _, h := range res.Results {
				if !slices.Contains(got, h.Domain) {
					got = append(got, h.Domain)
				}
			}
			slices.Sort(got)
			if d := cmp.Diff(tt.domains, got); d != "" {
				t.Errorf("Search as %s (%+v): domains (-want +got):\n%s", tt.who, tt.q, d)
			}
			if res.Total != len(res.Results) {
				t.Errorf("Search as %s (%+v): total %d counts what is not shown (%d results)", tt.who, tt.q, res.Total, len(res.Results))
			}
		})
	}
}

// TestVisibilityDiscover searches as a viewer: products it may only
// discover are found, marked not readable; those it may read are marked
// readable.
func TestVisibilityDiscover(t *testing.T) {
	f := seeded(t)
	f.grant(t, "group:staff", access.RoleViewer, "customers", "")
	f.grant(t, "vera", access.RoleConsumer, "sales", "")
	vera := access.Principal{Name: "vera", Groups: []string{"staff"}}
	tests := []struct {
		who      access.Principal
		readable map[string]bool // by domain of the results
	}{
		{vera, map[string]bool{"customers": false, "sales": true}},
		{access.Principal{Name: "sam", Groups: []string{"staff"}}, map[string]bool{"customers": false}},
		{sally, map[string]bool{"sales": true}},
		{root, map[string]bool{"customers": true, "sales": true, "supply": true}},
		{nobody, map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.who.Name, func(t *testing.T) {
			res := f.search(t, tt.who, search.Query{Text: "customer", Limit: 100})
			got := map[string]bool{}
			for _, h := range res.Results {
				if r, ok := got[h.Domain]; ok && r != h.Readable {
					t.Errorf("Search as %s: hits of %s disagree on readable", tt.who.Name, h.Domain)
				}
				got[h.Domain] = h.Readable
			}
			if d := cmp.Diff(tt.readable, got); d != "" {
				t.Errorf("Search as %s: readable by domain (-want +got):\n%s", tt.who.Name, d)
			}
		})
	}
}

// TestVisibilityManyProducts has a principal with more product grants
// than are bound as parameters, so the visible set goes in as JSON.
func TestVisibilityManyProducts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var put []search.ProductDocs
	for i := range 80 {
		name := "p" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		put = append(put, search.ProductDocs{Domain: "big", Product: name, Docs: []search.Document{
			{Kind: search.KindProduct, Domain: "big", Product: name, Description: "widget"}}})
		if i%2 == 0 {
			f.grant(t, "many", "consumer", "big", name)
		}
	}
	if _, err := f.idx.Write(ctx, put, nil); err != nil {
		t.Fatal(err)
	}
	res, err := f.idx.Search(ctx, access.Principal{Name: "many"}, search.Query{Text: "widget", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 40 || len(res.Results) != 40 {
		t.Errorf("Search(widget) as many: total %d, %d results; want 40 (its 40 products of 80)", res.Total, len(res.Results))
	}
	// Without a limit, a page is DefaultLimit long.
	if res, err = f.idx.Search(ctx, access.Principal{Name: "many"}, search.Query{Text: "widget"}); err != nil {
		t.Fatal(err)
	}
	if res.Total != 40 || len(res.Results) != search.DefaultLimit {
		t.Errorf("Search(widget) as many without a limit: total %d, %d results; want 40 and %d", res.Total, len(res.Results), search.DefaultLimit)
	}
}

func TestBadInput(t *testing.T) {
	f := seeded(t)
	tests := []struct {
		name string
		q    search.Query
		msg  string
	}{
		{"long q", search.Query{Text: strings.Repeat("a", 300)}, "q is 300 bytes long; at most 256"},
		{"many terms", search.Query{Text: strings.Repeat("ab ", 40)}, "q has 40 terms; at most 16"},
		{"empty", search.Query{}, "q is empty"},
		{"blank", search.Query{Text: "   "}, "q is empty"},
		{"punctuation only", search.Query{Text: `"*() -:`}, "no words to search for"},
		{"limit too high", search.Query{Text: "x", Limit: 101}, "limit 101 is out of range"},
		{"negative limit", search.Query{Text: "x", Limit: -1}, "limit -1 is out of range"},
		{"negative offset", search.Query{Text: "x", Offset: -1}, "offset -1 is out of range"},
		{"offset too high", search.Query{Text: "x", Offset: 10_001}, "offset 10001 is out of range"},
		{"kind", search.Query{Text: "x", Kind: "view"}, `kind "view" is not product, table or column`},
		{"domain", search.Query{Text: "x", Domain: "Sales; DROP"}, "is not a domain name"},
		{"tag with NUL", search.Query{Tag: "a\x00b"}, "tag must be at most 128 bytes of text"},
		{"long classification", search.Query{Classification: strings.Repeat("c", 129)}, "classification must be at most 128"},
		{"status with control", search.Query{Status: "act\nive"}, "status must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.idx.Search(context.Background(), root, tt.q)
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Search(%+v) = %v, want an Invalid error", tt.q, err)
			}
			if _, msg, _ := errs.Public(err); !strings.Contains(msg, tt.msg) {
				t.Errorf("Search(%+v) message = %q, want it to contain %q", tt.q, msg, tt.msg)
			}
		})
	}
}

// TestSyntaxIsText: what would be FTS5 syntax is searched for as words.
func TestSyntaxIsText(t *testing.T) {
	f := seeded(t)
	plain := addresses(f.search(t, root, search.Query{Text: "customer"}))
	for _, q := range []string{`"customer`, `customer"`, `"customer"`, `customer*`, `*customer`, `-customer`, `(customer)`,
		`customer)`, "customer\x00", `^customer`, `+customer`, `{customer}`, `customer:`, `customer AND`[:8] + " ",
		"customer\xff", "\u201ccustomer\u201d"} {
		if got := addresses(f.search(t, root, search.Query{Text: q})); !slices.Equal(got, plain) {
			t.Errorf("Search(%q) = %v, want the same as Search(customer) = %v", q, got, plain)
		}
	}
	// Operators are words: NOT excludes nothing, it is required as a word.
	for _, q := range []string{`customer NOT name`, `NEAR(customer name)`, `customer OR order`, `name:customer`, `c_name : customer`, `customer AND nation`} {
		res, err := f.idx.Search(context.Background(), root, search.Query{Text: q})
		if err != nil {
			t.Errorf("Search(%q) = %v, want no error", q, err)
			continue
		}
		for _, h := range res.Results {
			if len(h.Matched) == 0 {
				t.Errorf("Search(%q): hit %s matched no field", q, h.Address)
			}
		}
	}
	if res := f.search(t, root, search.Query{Text: "customer NOT name"}); res.Total != 0 {
		t.Errorf("Search(customer NOT name) = %v, want nothing (no document has the word not)", addresses(res))
	}
}

// TestRankingPaths: few hits are ranked in one MATCH, many in tiers; both
// find the same hits and keep name matches first.
func TestRankingPaths(t *testing.T) {
	f := seeded(t)
	for _, q := range []string{"order date", "customer name", "sales orders", "price part", "supply chain", "customer"} {
		one := f.search(t, root, search.Query{Text: q, Limit: search.MaxLimit})
		undo := search.SetSmallTotal(0)
		tiers := f.search(t, root, search.Query{Text: q, Limit: search.MaxLimit})
		undo()
		a, b := addresses(one), addresses(tiers)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) || one.Total != tiers.Total {
			t.Errorf("Search(%q): one MATCH found %v (%d), tiers %v (%d); want the same", q, a, one.Total, b, tiers.Total)
		}
		for _, res := range []*search.Results{one, tiers} {
			seenOther := false
			for _, h := range res.Results {
				if !slices.Contains(h.Matched, "name") {
					seenOther = true
				} else if seenOther {
					t.Errorf("Search(%q) = %v: name match %s after a hit without one", q, addresses(res), h.Address)
				}
			}
		}
	}
}
