package search

import (
	"context"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
)

// Sync brings the whole index up to date with the registry: the documents
// of every product whose registry rows changed since they were indexed are
// rebuilt (and written if their content hash differs), products no longer
// in the registry are removed; all in one transaction.
func (x *Index) Sync(ctx context.Context) (Stats, error) {
	const op = "search.Sync"
	if x.cat == nil {
		return Stats{}, errs.E(errs.Internal, op, "the index has no catalog to sync from")
	}
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	start := time.Now()
	products, err := x.cat.Products(ctx)
	if err != nil {
		return Stats{}, err
	}
	set, err := x.cat.TableSet(ctx)
	if err != nil {
		return Stats{}, err
	}
	byProduct := map[Key][]registry.Table{}
	for _, t := range set.Tables {
		k := Key{t.Domain, t.Product}
		byProduct[k] = append(byProduct[k], t)
	}
	stored, err := x.sources(ctx)
	if err != nil {
		return Stats{}, errs.Wrap(errs.Internal, op, err, "read the index's products")
	}
	var put []ProductDocs
	for i := range products {
		p := &products[i]
		k := Key{p.Domain, p.Name}
		ts := byProduct[k]
		src, ok := stored[k]
		delete(stored, k)
		if ok && src == fingerprint(p, ts, start) {
			continue
		}
		pd, err := x.build(ctx, p, ts, start)
		if err != nil {
			return Stats{}, err
		}
		put = append(put, pd)
	}
	var del []Key
	for k := range stored {
		del = append(del, k)
	}
	st, err := x.Write(ctx, put, del)
	if err != nil {
		return st, err
	}
	st.Unchanged += len(products) - len(put)
	x.log.InfoContext(ctx, "search index synced", "indexed", st.Indexed, "unchanged", st.Unchanged, "deleted", st.Deleted,
		"docs", st.Docs, "ms", time.Since(start).Milliseconds())
	return st, nil
}

// SyncProducts brings the documents of the named products up to date (an
// apply names the products it touched): each is rebuilt from the registry
// and written if its content hash differs; one that no longer exists is
// removed. One transaction.
func (x *Index) SyncProducts(ctx context.Context, keys []Key) (Stats, error) {
	if x.cat == nil {
		return Stats{}, errs.E(errs.Internal, "search.SyncProducts", "the index has no catalog to sync from")
	}
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	now := time.Now()
	var put []ProductDocs
	var del []Key
	for _, k := range keys {
		p, err := x.cat.Product(ctx, k.Domain, k.Product)
		if errs.Is(err, errs.NotFound) {
			del = append(del, k)
			continue
		}
		if err != nil {
			return Stats{}, err
		}
		ts, err := x.cat.Tables(ctx, k.Domain, k.Product)
		if err != nil {
			return Stats{}, err
		}
		pd, err := x.build(ctx, p, ts, now)
		if err != nil {
			return Stats{}, err
		}
		put = append(put, pd)
	}
	st, err := x.Write(ctx, put, del)
	if err == nil {
		x.log.InfoContext(ctx, "search index updated", "products", len(keys), "indexed", st.Indexed, "unchanged", st.Unchanged,
			"deleted", st.Deleted, "docs", st.Docs, "ms", time.Since(now).Milliseconds())
	}
	return st, err
}
