package lake_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
)

var peopleIDs = map[string]int{"id": 1, "name": 2, "salary": 3}

// rowsAt reads a snapshot of people.
func (e *env) rowsAt(t *testing.T, snapshot int64) [][]string {
	t.Helper()
	ctx := context.Background()
	tbl, err := e.lake.Load(ctx, people)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := lake.Snapshot(tbl, people, &snapshot, nil)
	if err != nil {
		t.Fatalf("Snapshot(%d): %v", snapshot, err)
	}
	p, err := e.lake.PlanScan(ctx, people, tbl, snap)
	if err != nil {
		t.Fatal(err)
	}
	_, rows := e.read(t, p)
	return rows
}

func snapshotIDs(t *testing.T, e *env) []int64 {
	t.Helper()
	tbl, err := e.lake.Load(context.Background(), people)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, s := range lake.Snapshots(tbl) {
		ids = append(ids, s.ID)
	}
	return ids
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func TestExpireSnapshots(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.lake.Create(ctx, people, peopleTable()); err != nil {
		t.Fatal(err)
	}
	// Nothing to expire in a table without snapshots.
	if n, err := e.lake.ExpireSnapshots(ctx, people, time.Now().Add(time.Hour)); n != 0 || err != nil {
		t.Fatalf("ExpireSnapshots of an empty table = %d, %v, want 0, nil", n, err)
	}
	f1 := e.write(t, people, "f1", "SELECT 1::BIGINT AS id, 'ada' AS name, 1::DECIMAL(10,2) AS salary", peopleIDs)
	s1, err := e.lake.Commit(ctx, people, []string{f1}, lake.Append, nil)
	if err != nil {
		t.Fatal(err)
	}
	afterMs(s1.TimestampMs)
	f2 := e.write(t, people, "f2", "SELECT 2::BIGINT AS id, 'bob' AS name, 2::DECIMAL(10,2) AS salary", peopleIDs)
	s2, err := e.lake.Commit(ctx, people, []string{f2}, lake.Append, nil)
	if err != nil {
		t.Fatal(err)
	}
	afterMs(s2.TimestampMs)
	f3 := e.write(t, people, "f3", "SELECT 3::BIGINT AS id, 'cy' AS name, 3::DECIMAL(10,2) AS salary", peopleIDs)
	s3, err := e.lake.Commit(ctx, people, []string{f3}, lake.Replace, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The steps run in order, each on what the one before left.
	steps := []struct {
		name      string
		olderThan time.Time
		want      int
		wantSnaps []int64
		kept      []string // data files that must still exist
		gone      []string // data files iceberg-go deleted
	}{
		{"before every snapshot", time.UnixMilli(s1.TimestampMs), 0, []int64{s1.SnapshotID, s2.SnapshotID, s3.SnapshotID}, []string{f1, f2, f3}, nil},
		// s2 still reads f1: expiring s1 deletes no data file.
		{"the first", time.UnixMilli(s2.TimestampMs), 1, []int64{s2.SnapshotID, s3.SnapshotID}, []string{f1, f2, f3}, nil},
		// The current snapshot stays whatever its age; f1 and f2 were only read by s1 and s2.
		{"all but the current", time.Now().Add(time.Hour), 1, []int64{s3.SnapshotID}, []string{f3}, []string{f1, f2}},
		{"again", time.Now().Add(time.Hour), 0, []int64{s3.SnapshotID}, []string{f3}, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			n, err := e.lake.ExpireSnapshots(ctx, people, st.olderThan)
			if err != nil || n != st.want {
				t.Fatalf("ExpireSnapshots(%v) = %d, %v, want %d, nil", st.olderThan, n, err, st.want)
			}
			if diff := cmp.Diff(st.wantSnaps, snapshotIDs(t, e)); diff != "" {
				t.Errorf("snapshots (-want +got):\n%s", diff)
			}
			for _, f := range st.kept {
				if !exists(f) {
					t.Errorf("data file %s was deleted, but a remaining snapshot reads it", filepath.Base(f))
				}
			}
			for _, f := range st.gone {
				if exists(f) {
					t.Errorf("data file %s is still there, but no snapshot reads it", filepath.Base(f))
				}
			}
			if diff := cmp.Diff([][]string{{"3", "cy", "3.00"}}, e.rowsAt(t, s3.SnapshotID)); diff != "" {
				t.Errorf("current rows (-want +got):\n%s", diff)
			}
		})
	}
	tbl, err := e.lake.Load(ctx, people)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []int64{s1.SnapshotID, s2.SnapshotID} {
		if _, err := lake.Snapshot(tbl, people, &gone, nil); !errs.Is(err, errs.NotFound) {
			t.Errorf("time travel to expired snapshot %d: error %v, want NotFound", gone, err)
		}
	}
	if cur := tbl.CurrentSnapshot(); cur == nil || cur.SnapshotID != s3.SnapshotID {
		t.Errorf("current snapshot = %v, want %d", cur, s3.SnapshotID)
	}
	// Committing goes on as before.
	f4 := e.write(t, people, "f4", "SELECT 4::BIGINT AS id, 'dee' AS name, 4::DECIMAL(10,2) AS salary", peopleIDs)
	s4, err := e.lake.Commit(ctx, people, []string{f4}, lake.Append, nil)
	if err != nil {
		t.Fatalf("Commit after expiry: %v", err)
	}
	if diff := cmp.Diff([][]string{{"3", "cy", "3.00"}, {"4", "dee", "4.00"}}, e.rowsAt(t, s4.SnapshotID)); diff != "" {
		t.Errorf("rows after expiry and append (-want +got):\n%s", diff)
	}
}

func TestRewrite(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.lake.Create(ctx, people, peopleTable()); err != nil {
		t.Fatal(err)
	}
	f1 := e.write(t, people, "f1", "SELECT 1::BIGINT AS id, 'ada' AS name, 1::DECIMAL(10,2) AS salary UNION ALL SELECT 2, 'bob', 2::DECIMAL(10,2)", peopleIDs)
	f2 := e.write(t, people, "f2", "SELECT 3::BIGINT AS id, 'cy' AS name, 3::DECIMAL(10,2) AS salary", peopleIDs)
	f3 := e.write(t, people, "f3", "SELECT 4::BIGINT AS id, 'dee' AS name, 4::DECIMAL(10,2) AS salary", peopleIDs)
	s1, err := e.lake.Commit(ctx, people, []string{f1, f2, f3}, lake.Append, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := [][]string{{"1", "ada", "1.00"}, {"2", "bob", "2.00"}, {"3", "cy", "3.00"}, {"4", "dee", "4.00"}}

	// Refused rewrites leave the table as it was.
	refused := []struct {
		name   string
		base   int64
		remove []string
		kind   errs.Kind
	}{
		{"stale base", s1.SnapshotID + 1, []string{f2}, errs.Conflict},
		{"file of another table", s1.SnapshotID, []string{filepath.Join(e.lake.Warehouse(), "x.parquet")}, errs.Internal},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.lake.Rewrite(ctx, people, tt.base, tt.remove, nil, nil)
			if err == nil || errs.KindOf(err) != tt.kind {
				t.Errorf("Rewrite = %v (kind %v), want kind %v", err, errs.KindOf(err), tt.kind)
			}
			if diff := cmp.Diff([]int64{s1.SnapshotID}, snapshotIDs(t, e)); diff != "" {
				t.Errorf("snapshots after a refused rewrite (-want +got):\n%s", diff)
			}
		})
	}

	// f1 loses a row (rewritten as f1b), f2 goes, f3 stays as it is.
	f1b := e.write(t, people, "f1b", "SELECT 2::BIGINT AS id, 'bob' AS name, 2::DECIMAL(10,2) AS salary", peopleIDs)
	s2, err := e.lake.Rewrite(ctx, people, s1.SnapshotID, []string{f1, f2}, []string{f1b}, map[string]string{"meshwork.operation": "retention"})
	if err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	if s2.ParentSnapshotID == nil || *s2.ParentSnapshotID != s1.SnapshotID || s2.Summary.Properties["meshwork.operation"] != "retention" {
		t.Errorf("rewrite snapshot = parent %v summary %v, want parent %d and the operation", s2.ParentSnapshotID, s2.Summary, s1.SnapshotID)
	}
	if diff := cmp.Diff([][]string{{"2", "bob", "2.00"}, {"4", "dee", "4.00"}}, e.rowsAt(t, s2.SnapshotID)); diff != "" {
		t.Errorf("rows after the rewrite (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(all, e.rowsAt(t, s1.SnapshotID)); diff != "" {
		t.Errorf("rows of the snapshot before the rewrite (-want +got):\n%s", diff)
	}
	tbl, _ := e.lake.Load(ctx, people)
	plan, err := e.lake.PlanScan(ctx, people, tbl, tbl.CurrentSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	got := append([]string(nil), plan.Files...)
	sort.Strings(got)
	if diff := cmp.Diff([]string{f1b, f3}, got); diff != "" {
		t.Errorf("files of the rewrite snapshot (-want +got):\n%s", diff)
	}

	// Only removing files is a rewrite too; the table may end up empty.
	s3, err := e.lake.Rewrite(ctx, people, s2.SnapshotID, []string{f1b, f3}, nil, nil)
	if err != nil {
		t.Fatalf("Rewrite that drops every file: %v", err)
	}
	if rows := e.rowsAt(t, s3.SnapshotID); len(rows) != 0 {
		t.Errorf("rows after dropping every file = %v, want none", rows)
	}
	// Nothing to do commits nothing.
	s, err := e.lake.Rewrite(ctx, people, s3.SnapshotID, nil, nil, nil)
	if err != nil || s.SnapshotID != s3.SnapshotID {
		t.Errorf("empty Rewrite = %v, %v, want the current snapshot %d", s, err, s3.SnapshotID)
	}
}
