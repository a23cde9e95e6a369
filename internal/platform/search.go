package platform

import (
	"context"
	"database/sql"
	"strings"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/search"
)

// openSearch opens the catalog's search index in mesh.db, brings it up to
// date with the registry once (an index written by another process, or
// none yet), and keeps it in step with every apply.
func (p *Platform) openSearch(ctx context.Context, db *sql.DB, path string) error {
	idx, err := search.Open(ctx, search.Config{DB: db, Path: path, Catalog: p.Registry, Access: p.Access, Logger: p.log})
	if err != nil {
		return err
	}
	p.closers = append(p.closers, idx.Close)
	if _, err := idx.Sync(ctx); err != nil {
		return err
	}
	p.Search = idx
	p.hooks.apply = append(p.hooks.apply, func(ctx context.Context, plan *apply.Plan) {
		// Only the products the apply named: a full Sync would read every
		// product of the registry on each apply.
		keys := appliedProducts(plan)
		if len(keys) == 0 {
			return
		}
		if _, err := idx.SyncProducts(ctx, keys); err != nil {
			p.log.ErrorContext(ctx, "search index not updated after an apply; it catches up at the next apply of the product or the next start",
				"err", err, "products", len(keys))
		}
	})
	return nil
}

// appliedProducts lists the products a plan names (every product of the
// apply is a step, changed or not).
func appliedProducts(plan *apply.Plan) []search.Key {
	var keys []search.Key
	for _, s := range plan.Steps {
		if s.Kind != "product" {
			continue
		}
		if d, p, ok := strings.Cut(s.Name, "."); ok {
			keys = append(keys, search.Key{Domain: d, Product: p})
		}
	}
	return keys
}
