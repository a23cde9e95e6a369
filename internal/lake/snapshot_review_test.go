package lake_test

import (
	"context"
	"testing"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
)

// TestSnapshotVersionIsPublished: time travel by snapshot id reads only
// snapshots main has been (published ones), never a branch's snapshot that
// the gates have not passed (write-audit-publish): a reader naming its id
// would read the data the gates rejected.
func TestSnapshotVersionIsPublished(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.lake.Create(ctx, people, peopleTable()); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{"id": 1, "name": 2, "salary": 3}
	f1 := e.write(t, people, "f1", "SELECT 1::BIGINT AS id, 'ada' AS name, 1::DECIMAL(10,2) AS salary", ids)
	s1, err := e.lake.Commit(ctx, people, []string{f1}, lake.Append, nil)
	if err != nil {
		t.Fatal(err)
	}
	f2 := e.write(t, people, "f2", "SELECT 2::BIGINT AS id, 'bad' AS name, 2::DECIMAL(10,2) AS salary", ids)
	tbl, err := e.lake.Load(ctx, people)
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransactionOnBranch("audit")
	if err := tx.AddFiles(ctx, []string{"file://" + f2}, nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tbl, err = e.lake.Load(ctx, people)
	if err != nil {
		t.Fatal(err)
	}
	branch := tbl.Metadata().SnapshotByName("audit").SnapshotID
	if s, err := lake.Snapshot(tbl, people, &s1.SnapshotID, nil); err != nil || s.SnapshotID != s1.SnapshotID {
		t.Errorf("Snapshot(main's %d) = %v, %v", s1.SnapshotID, s, err)
	}
	if s, err := lake.Snapshot(tbl, people, &branch, nil); !errs.Is(err, errs.NotFound) {
		t.Errorf("Snapshot(branch head %d, not published) = %v, %v; want NotFound", branch, s, err)
	}
	// Once main is fast-forwarded to it, it is published.
	tbl, err = e.lake.FastForward(ctx, people, branch, &s1.SnapshotID)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := lake.Snapshot(tbl, people, &branch, nil); err != nil || s.SnapshotID != branch {
		t.Errorf("Snapshot(published %d) = %v, %v", branch, s, err)
	}
	if s, err := lake.Snapshot(tbl, people, &s1.SnapshotID, nil); err != nil || s.SnapshotID != s1.SnapshotID {
		t.Errorf("Snapshot(earlier %d) = %v, %v", s1.SnapshotID, s, err)
	}
}
