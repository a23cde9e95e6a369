package registry

import (
	"context"

	"github.com/meshwork/meshwork/internal/errs"
)

// MaxRuns is the most publish runs one call of Runs returns.
const MaxRuns = 1000

// Runs returns up to limit publish runs of a table (product is the table's
// namespace: the product's name, or product@vN for a later major), committed
// or not, newest first. The index on (domain, product, tbl, finished_at)
// makes it a short range scan whatever the table's history.
func (r *Registry) Runs(ctx context.Context, domain, product, table string, limit int) ([]Publish, error) {
	if limit < 1 || limit > MaxRuns {
		return nil, errs.E(errs.Invalid, "registry.Runs", "limit must be from 1 to %d, not %d", MaxRuns, limit)
	}
	return r.publishes(ctx, `WHERE domain = ? AND product = ? AND tbl = ? ORDER BY finished_at DESC LIMIT ?`,
		domain, product, table, limit)
}
