package lake

import (
	"context"
	"errors"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/errs"
)

// Rewrite commits one snapshot that removes the data files at remove and
// adds the files at add (local paths under the table's location, written
// with Iceberg field ids), keeping every other file of the current snapshot:
// the commit of a row deletion that rewrote some files and dropped others.
// base is the snapshot the caller read the files of; if the table has moved
// on since, nothing is committed and the error is a Conflict. Readers of
// earlier snapshots are unaffected: the removed files stay until the
// snapshots that reference them are expired.
func (l *Lake) Rewrite(ctx context.Context, id Ident, base int64, remove, add []string, props map[string]string) (*table.Snapshot, error) {
	const op = "lake.Rewrite"
	tbl, err := l.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	cur := tbl.CurrentSnapshot()
	if cur == nil || cur.SnapshotID != base {
		return nil, errs.E(errs.Conflict, op, "table %s changed while it was being rewritten; the table is unchanged, try again", id)
	}
	if len(remove) == 0 && len(add) == 0 {
		return cur, nil
	}
	// The metadata names files by URI; map the caller's paths back to them.
	tasks, err := tbl.Scan(table.WithSnapshotID(base)).PlanFiles(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "plan current files of %s", id)
	}
	uriOf := map[string]string{}
	for _, uri := range uniqueFiles(tasks) {
		if p, err := l.LocalPath(uri); err == nil {
			uriOf[p] = uri
		}
	}
	removeURIs := make([]string, len(remove))
	for i, p := range remove {
		uri, ok := uriOf[p]
		if !ok {
			return nil, errs.E(errs.Internal, op, "rewrite of %s refused: %s is not a data file of snapshot %d", id, p, base)
		}
		removeURIs[i] = uri
	}
	addURIs := make([]string, len(add))
	for i, p := range add {
		addURIs[i] = fileURI(p)
		if _, err := l.LocalPath(addURIs[i]); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "rewrite of %s refused", id)
		}
	}
	tx := tbl.NewTransaction()
	// A rewrite decided on base must not be replayed on top of a newer
	// snapshot: the rows it keeps were chosen from base's files.
	if err := tx.AssertRefSnapshotID(table.MainBranch); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "stage rewrite of %s", id)
	}
	sp := iceberg.Properties(props)
	if len(removeURIs) == 0 {
		err = tx.AddFiles(ctx, addURIs, sp, false)
	} else {
		err = tx.ReplaceDataFiles(ctx, removeURIs, addURIs, sp)
	}
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "stage rewrite of %s", id)
	}
	tbl, err = tx.Commit(ctx)
	if err != nil {
		if errors.Is(err, table.ErrCommitFailed) || errors.Is(err, table.ErrCommitDiverged) {
			return nil, errs.Wrap(errs.Conflict, op, err, "a concurrent change to %s won; the table is unchanged, try again", id)
		}
		return nil, errs.Wrap(errs.Internal, op, err, "commit rewrite of %s", id)
	}
	l.remember(id, tbl)
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		return nil, errs.E(errs.Internal, op, "rewrite of %s left no current snapshot", id)
	}
	return snap, nil
}
