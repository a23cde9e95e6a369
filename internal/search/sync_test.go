package search_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/search"
)

func TestSync(t *testing.T) {
	ctx := context.Background()
	f := seeded(t)
	sync := func(t *testing.T) search.Stats {
		t.Helper()
		st, err := f.idx.Sync(ctx)
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		return st
	}
	find := func(t *testing.T, q string) []string {
		t.Helper()
		return addresses(f.search(t, root, search.Query{Text: q}))
	}
	t.Run("nothing changed", func(t *testing.T) {
		if st := sync(t); st != (search.Stats{Unchanged: 3}) {
			t.Errorf("Sync of an unchanged registry = %+v, want 3 unchanged", st)
		}
	})
	t.Run("column added, changed and removed", func(t *testing.T) {
		p := salesOrders
		p.tables = slices.Clone(p.tables)
		orders := p.tables[0]
		orders.cols = append(slices.Clone(orders.cols), tcol{name: "discount", business: "Discount", desc: "Rebate granted."})
		p.tables[0] = orders
		line := p.tables[1]
		line.cols = []tcol{{name: "l_comment", business: "Comment", desc: "Remarks of the clerk."}} // l_quantity removed
		p.tables[1] = line
		f.put(t, p)
		if st := sync(t); st != (search.Stats{Indexed: 1, Unchanged: 2, Docs: 8}) {
			t.Errorf("Sync after changing sales.orders = %+v, want it alone indexed (8 documents)", st)
		}
		if got := find(t, "discount"); !slices.Equal(got, []string{"sales.orders.orders.discount"}) {
			t.Errorf("Search(discount) = %v, want the added column", got)
		}
		if got := find(t, "remarks"); !slices.Equal(got, []string{"sales.orders.lineitem.l_comment"}) {
			t.Errorf("Search(remarks) = %v, want the changed column", got)
		}
		if got := find(t, "clerk free text"); len(got) != 0 {
			t.Errorf("Search(clerk free text) = %v, want nothing: that description was replaced", got)
		}
		if got := find(t, "quantity"); len(got) != 0 {
			t.Errorf("Search(quantity) = %v, want nothing: the column was removed", got)
		}
	})
	t.Run("rewritten but the same", func(t *testing.T) {
		// A new registry row with the same content: rebuilt, not rewritten.
		p := customersCRM
		p.purpose += " "
		f.put(t, p)
		if st := sync(t); st != (search.Stats{Unchanged: 3}) {
			t.Errorf("Sync after a blank-only change = %+v, want 3 unchanged (same documents)", st)
		}
	})
	t.Run("product removed", func(t *testing.T) {
		for _, q := range []string{
			`DELETE FROM mesh_tables WHERE domain = 'supply'`,
			`DELETE FROM mesh_contracts WHERE domain = 'supply'`,
			`DELETE FROM mesh_products WHERE domain = 'supply'`,
		} {
			if _, err := f.db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		f.reg.Invalidate()
		if st := sync(t); st != (search.Stats{Deleted: 1, Unchanged: 2}) {
			t.Errorf("Sync after removing supply.parts = %+v, want 1 deleted", st)
		}
		if got := find(t, "part"); len(got) != 0 {
			t.Errorf("Search(part) = %v, want nothing", got)
		}
		var n int
		if err := f.db.QueryRowContext(ctx, `SELECT count(*) FROM mesh_search_docs WHERE domain = 'supply'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("documents of supply left: %d (%v), want 0", n, err)
		}
	})
	t.Run("one product", func(t *testing.T) {
		p := customersCRM
		p.tables = []ttable{p.tables[1]} // only nation (the customer table stays in the registry: tables are not deleted)
		p.purpose = "Nations of the world."
		f.put(t, p)
		st, err := f.idx.SyncProducts(ctx, []search.Key{{Domain: "customers", Product: "crm"}, {Domain: "gone", Product: "never"}})
		if err != nil {
			t.Fatal(err)
		}
		if st.Indexed != 1 || st.Deleted != 0 {
			t.Errorf("SyncProducts = %+v, want 1 indexed, nothing deleted", st)
		}
		if got := find(t, "world"); !slices.Equal(got, []string{"customers.crm"}) {
			t.Errorf("Search(world) = %v, want the product with its new description", got)
		}
		if st := sync(t); st != (search.Stats{Unchanged: 2}) {
			t.Errorf("Sync after SyncProducts = %+v, want all unchanged", st)
		}
	})
}

func TestWriteReplaces(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	docs := []search.Document{
		{Kind: search.KindProduct, Domain: "d", Product: "p", Description: "alpha"},
		{Kind: search.KindTable, Domain: "d", Product: "p", Table: "t", Description: "beta", Tags: []string{"x"}},
	}
	for i, want := range []search.Stats{{Indexed: 1, Docs: 2}, {Unchanged: 1}} {
		st, err := f.idx.Write(ctx, []search.ProductDocs{{Domain: "d", Product: "p", Docs: docs}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st != want {
			t.Errorf("Write #%d = %+v, want %+v", i+1, st, want)
		}
	}
	f.grant(t, "root", "admin", "", "")
	docs[1].Description = "gamma"
	if _, err := f.idx.Write(ctx, []search.ProductDocs{{Domain: "d", Product: "p", Docs: docs}}, nil); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{"beta": {}, "gamma": {"d.p.t"}, "alpha": {"d.p"}} {
		if got := addresses(f.search(t, root, search.Query{Text: q})); !cmp.Equal(got, want) {
			t.Errorf("Search(%s) = %v, want %v", q, got, want)
		}
	}
	if _, err := f.idx.Write(ctx, []search.ProductDocs{{Domain: "d", Product: "p", Docs: []search.Document{{Kind: "view", Domain: "d", Product: "p"}}}}, nil); err == nil {
		t.Errorf("Write of a document of kind view = nil, want an error")
	}
	if got := addresses(f.search(t, root, search.Query{Text: "gamma"})); !cmp.Equal(got, []string{"d.p.t"}) {
		t.Errorf("after a failed Write, Search(gamma) = %v, want the documents as they were", got)
	}
}
