package lake

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/errs"
)

// Mode is how a commit treats the data already in the table.
type Mode string

// The commit modes.
const (
	Append  Mode = "append"  // add the files to the current data
	Replace Mode = "replace" // the files become the table's only data
)

// Commit adds the data files at paths (local files under the table's
// location, written with Iceberg field ids) to the table as one snapshot,
// carrying props in its summary. In Replace mode the snapshot also removes
// every data file of the current snapshot. Nothing is visible to readers until
// the catalog commit succeeds; if it fails the table is unchanged.
func (l *Lake) Commit(ctx context.Context, id Ident, paths []string, mode Mode, props map[string]string) (*table.Snapshot, error) {
	const op = "lake.Commit"
	tbl, err := l.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	uris := make([]string, len(paths))
	for i, p := range paths {
		uris[i] = fileURI(p)
		if _, err := l.LocalPath(uris[i]); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "commit to %s refused", id)
		}
	}
	tx := tbl.NewTransaction()
	var current []string
	if mode == Replace && tbl.CurrentSnapshot() != nil {
		tasks, err := tbl.Scan().PlanFiles(ctx)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "plan current files of %s", id)
		}
		current = uniqueFiles(tasks)
	}
	sp := iceberg.Properties(props)
	if len(current) > 0 {
		err = tx.ReplaceDataFiles(ctx, current, uris, sp)
	} else {
		err = tx.AddFiles(ctx, uris, sp, false)
	}
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "stage commit of %s", id)
	}
	tbl, err = tx.Commit(ctx)
	if err != nil {
		if errors.Is(err, table.ErrCommitFailed) || errors.Is(err, table.ErrCommitDiverged) {
			return nil, errs.Wrap(errs.Conflict, op, err, "a concurrent change to %s won; the table is unchanged, try again", id)
		}
		return nil, errs.Wrap(errs.Internal, op, err, "commit to %s", id)
	}
	l.remember(id, tbl)
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		return nil, errs.E(errs.Internal, op, "commit to %s left no current snapshot", id)
	}
	return snap, nil
}

// Snapshot picks the snapshot a read sees: the current one, the one with the
// given id, or the last one committed at or before asOfMs (milliseconds since
// the epoch). A nil snapshot with a nil error means the table has no data yet.
// Only published snapshots (ones main has been) are read: a snapshot on a
// branch that main was not fast-forwarded to has not passed the gates.
func Snapshot(tbl *table.Table, id Ident, version *int64, asOfMs *int64) (*table.Snapshot, error) {
	const op = "lake.Snapshot"
	switch {
	case version != nil:
		s := tbl.SnapshotByID(*version)
		if s != nil && !published(tbl, s.SnapshotID) {
			s = nil
		}
		if s == nil {
			return nil, errs.E(errs.NotFound, op, "table %s has no snapshot %d", id, *version)
		}
		return s, nil
	case asOfMs != nil:
		s := tbl.SnapshotAsOf(*asOfMs, true)
		if s == nil {
			return nil, errs.E(errs.NotFound, op, "table %s has no snapshot at or before that time", id)
		}
		return s, nil
	}
	return tbl.CurrentSnapshot(), nil
}

// published reports whether main is or was the snapshot (its snapshot log,
// which is also what time travel by time reads).
func published(tbl *table.Table, snapshot int64) bool {
	if cur := tbl.CurrentSnapshot(); cur != nil && cur.SnapshotID == snapshot {
		return true
	}
	for e := range tbl.Metadata().SnapshotLogs() {
		if e.SnapshotID == snapshot {
			return true
		}
	}
	return false
}

// SnapshotInfo is what the catalog shows of one snapshot.
type SnapshotInfo struct {
	ID          int64             `json:"id"`
	ParentID    *int64            `json:"parentId,omitempty"`
	TimestampMs int64             `json:"timestampMs"`
	Operation   string            `json:"operation"`
	Summary     map[string]string `json:"summary,omitempty"`
}

// Snapshots lists a table's snapshots, oldest first.
func Snapshots(tbl *table.Table) []SnapshotInfo {
	var out []SnapshotInfo
	for _, s := range tbl.Metadata().Snapshots() {
		info := SnapshotInfo{ID: s.SnapshotID, ParentID: s.ParentSnapshotID, TimestampMs: s.TimestampMs}
		if s.Summary != nil {
			info.Operation = string(s.Summary.Operation)
			info.Summary = map[string]string(s.Summary.Properties)
		}
		out = append(out, info)
	}
	return out
}

func (m Mode) valid() error {
	if m != Append && m != Replace {
		return fmt.Errorf("mode %q: use append or replace", m)
	}
	return nil
}

// ParseMode parses a publish mode; empty means append.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Append, nil
	}
	m := Mode(s)
	return m, m.valid()
}
