package lake

import (
	"context"
	"errors"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/errs"
)

// expireAttempts bounds how often ExpireSnapshots re-stages when iceberg-go's
// clock lands past the cutoff (see below).
const expireAttempts = 3

// ExpireSnapshots removes the table's snapshots committed before olderThan,
// never the current one, and returns how many it removed. It uses
// iceberg-go's own expiry (Transaction.ExpireSnapshots), which also deletes
// the manifests, manifest lists and data files that no remaining snapshot
// references once the commit has landed; files a remaining snapshot still
// reads are kept. Time travel to an expired snapshot fails afterwards.
//
// If the snapshots were expired but deleting their files failed, it returns
// the count and an error: the table is consistent, the files are orphans.
func (l *Lake) ExpireSnapshots(ctx context.Context, id Ident, olderThan time.Time) (expired int, err error) {
	const op = "lake.ExpireSnapshots"
	tbl, err := l.Load(ctx, id)
	if err != nil {
		return 0, err
	}
	cur := tbl.CurrentSnapshot()
	old := func(s table.Snapshot) bool {
		return time.UnixMilli(s.TimestampMs).Before(olderThan) && (cur == nil || s.SnapshotID != cur.SnapshotID)
	}
	due := false
	for _, s := range tbl.Metadata().Snapshots() {
		due = due || old(s)
	}
	if !due {
		return 0, nil
	}
	// iceberg-go takes an age, not a time, and reads the clock itself: a
	// snapshot committed within a millisecond or two after the cutoff could
	// be taken too. The staged result is checked against the exact cutoff,
	// and staged again in the rare case the clock ticked in between.
	var tx *table.Transaction
	var removed []int64
	for attempt := 1; ; attempt++ {
		tx = tbl.NewTransaction()
		age := max(time.Since(olderThan), 0)
		if err := tx.ExpireSnapshots(table.WithOlderThan(age), table.WithRetainLast(1)); err != nil {
			return 0, errs.Wrap(errs.Internal, op, err, "expire snapshots of %s", id)
		}
		staged, err := tx.StagedTable()
		if err != nil {
			return 0, errs.Wrap(errs.Internal, op, err, "expire snapshots of %s", id)
		}
		kept := map[int64]bool{}
		for _, s := range staged.Metadata().Snapshots() {
			kept[s.SnapshotID] = true
		}
		removed = removed[:0]
		exact := true
		for _, s := range tbl.Metadata().Snapshots() {
			if kept[s.SnapshotID] {
				continue
			}
			removed = append(removed, s.SnapshotID)
			exact = exact && old(s)
		}
		if exact {
			break
		}
		if attempt == expireAttempts {
			return 0, errs.E(errs.Conflict, op, "the snapshots of %s could not be expired at the exact cutoff; try again", id)
		}
	}
	if len(removed) == 0 {
		return 0, nil
	}
	after, err := tx.Commit(ctx)
	if err != nil && after == nil {
		if errors.Is(err, table.ErrCommitFailed) || errors.Is(err, table.ErrCommitDiverged) {
			return 0, errs.Wrap(errs.Conflict, op, err, "a concurrent change to %s won; no snapshot was expired, try again", id)
		}
		return 0, errs.Wrap(errs.Internal, op, err, "commit expiry of %s", id)
	}
	l.remember(id, after)
	l.forgetPlans(id, removed)
	if err != nil {
		// Committed: only the deletion of the unreferenced files failed.
		return len(removed), errs.Wrap(errs.Internal, op, err, "expired %d snapshots of %s but could not delete all of their files", len(removed), id)
	}
	return len(removed), nil
}

// forgetPlans drops the cached scan plans of expired snapshots.
func (l *Lake) forgetPlans(id Ident, snapshots []int64) {
	gone := make(map[int64]bool, len(snapshots))
	for _, s := range snapshots {
		gone[s] = true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.plans {
		if k.id == id && gone[k.snapshot] {
			delete(l.plans, k)
		}
	}
}
