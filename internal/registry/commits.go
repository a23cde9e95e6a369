package registry

import (
	"context"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// TableKey names a table as publish runs are recorded: the product's
// namespace (product, or product@vN for a later major) and the table.
type TableKey struct {
	Domain, Namespace, Table string
}

// Key is the table's TableKey.
func (t *Table) Key() TableKey { return TableKey{t.Domain, t.Namespace, t.Name} }

// LastCommits returns, per table, when its latest committed publish run
// finished: the commit time freshness is measured from. Tables never
// published are absent.
func (r *Registry) LastCommits(ctx context.Context) (map[TableKey]time.Time, error) {
	const op = "registry.LastCommits"
	rows, err := r.db.QueryContext(ctx, `SELECT domain, product, tbl, MAX(finished_at) FROM mesh_publishes
		WHERE status = 'committed' GROUP BY domain, product, tbl`)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read publishes")
	}
	defer rows.Close()
	out := map[TableKey]time.Time{}
	for rows.Next() {
		var k TableKey
		var at string
		if err := rows.Scan(&k.Domain, &k.Namespace, &k.Table, &at); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read publishes")
		}
		out[k] = parseTime(at)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read publishes")
	}
	return out, nil
}

// LastCommit returns when the table's latest committed publish run
// finished; ok is false if it never had one.
func (r *Registry) LastCommit(ctx context.Context, k TableKey) (at time.Time, ok bool, err error) {
	var s *string
	err = r.db.QueryRowContext(ctx, `SELECT MAX(finished_at) FROM mesh_publishes
		WHERE domain = ? AND product = ? AND tbl = ? AND status = 'committed'`, k.Domain, k.Namespace, k.Table).Scan(&s)
	if err != nil {
		return time.Time{}, false, errs.Wrap(errs.Internal, "registry.LastCommit", err, "read publishes")
	}
	if s == nil {
		return time.Time{}, false, nil
	}
	return parseTime(*s), true, nil
}
