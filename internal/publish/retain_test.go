package publish_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/registry"
)

func regTable(t *testing.T, p *platform.Platform, id lake.Ident) *registry.Table {
	t.Helper()
	tbl, err := p.Registry.Table(context.Background(), id.Domain, id.Product, id.Table)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func publishTo(t *testing.T, pub *publish.Publisher, id lake.Ident, csv string) *publish.Report {
	t.Helper()
	rep, err := pub.Publish(context.Background(), publish.Request{Table: id, Mode: lake.Append, Format: publish.CSV, Body: strings.NewReader(csv)})
	if err != nil {
		t.Fatalf("Publish(%s): %v\nreport: %+v", id, err, details(err))
	}
	return rep
}

// currentFiles lists the data files of the table's current snapshot.
func currentFiles(t *testing.T, p *platform.Platform, id lake.Ident) []string {
	t.Helper()
	ctx := context.Background()
	tbl, err := p.Lake.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := p.Lake.PlanScan(ctx, id, tbl, tbl.CurrentSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	out := append([]string(nil), plan.Files...)
	sort.Strings(out)
	return out
}

func snapshotCount(t *testing.T, p *platform.Platform, id lake.Ident) int {
	t.Helper()
	tbl, err := p.Lake.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return len(tbl.Metadata().Snapshots())
}

// Rows whose date is before the cutoff's day go; files that hold only old
// rows are dropped, files that hold some are rewritten, the others stay.
func TestRetainByDate(t *testing.T) {
	p, pub := newCards(t, nil)
	ctx := context.Background()
	now := time.Now().UTC()
	cutoff := now.AddDate(0, 0, -30)
	day := func(n int) string { return now.AddDate(0, 0, n).Format("2006-01-02") }

	// A table without data: the period is read, nothing is done.
	rr, err := pub.Retain(ctx, regTable(t, p, ledger), now)
	if err != nil {
		t.Fatalf("Retain of an empty table: %v", err)
	}
	want := &publish.RetentionReport{Table: "bank.cards@v1.ledger", Retention: "30 days", Column: "booked_on", Cutoff: cutoff}
	if diff := cmp.Diff(want, rr); diff != "" {
		t.Errorf("Retain of an empty table (-want +got):\n%s", diff)
	}

	const header = "entry_id,booked_on,amount\n"
	publishTo(t, pub, ledger, header+fmt.Sprintf("1,%s,1\n2,%s,2\n", day(-100), day(-31)))                        // all old
	publishTo(t, pub, ledger, header+fmt.Sprintf("3,%s,3\n4,%s,4\n5,,5\n6,%s,6\n", day(-45), day(-30), day(-29))) // some old
	last := publishTo(t, pub, ledger, header+fmt.Sprintf("7,%s,7\n8,%s,8\n", day(-1), day(0)))                    // none old
	before := currentFiles(t, p, ledger)
	if len(before) != 3 {
		t.Fatalf("data files before retention = %v, want 3", before)
	}
	all := rows(t, p, "SELECT entry_id, booked_on FROM bank.cards.ledger ORDER BY 1")

	rr, err = pub.Retain(ctx, regTable(t, p, ledger), now)
	if err != nil {
		t.Fatalf("Retain: %v", err)
	}
	want = &publish.RetentionReport{Table: "bank.cards@v1.ledger", Retention: "30 days", Column: "booked_on", Cutoff: cutoff,
		RowsDeleted: 3, FilesRewritten: 1, FilesDropped: 1, SnapshotID: rr.SnapshotID}
	if diff := cmp.Diff(want, rr); diff != "" {
		t.Errorf("Retain (-want +got):\n%s", diff)
	}
	if rr.SnapshotID == 0 || currentSnapshot(t, p, ledger) != rr.SnapshotID {
		t.Errorf("Retain snapshot = %d, current %d, want the new current snapshot", rr.SnapshotID, currentSnapshot(t, p, ledger))
	}
	// The day of the cutoff and unknown dates stay.
	wantRows := [][]string{{"4", day(-30)}, {"5", "NULL"}, {"6", day(-29)}, {"7", day(-1)}, {"8", day(0)}}
	if diff := cmp.Diff(wantRows, rows(t, p, "SELECT entry_id, booked_on FROM bank.cards.ledger ORDER BY 1")); diff != "" {
		t.Errorf("rows after retention (-want +got):\n%s", diff)
	}
	// The file without old rows is kept as it was; the other two are gone from the snapshot.
	after := currentFiles(t, p, ledger)
	kept := 0
	for _, f := range after {
		for _, b := range before {
			if f == b {
				kept++
			}
		}
	}
	if len(after) != 2 || kept != 1 {
		t.Errorf("data files after retention = %v (%d of them from before), want the untouched one and a rewritten one", after, kept)
	}
	// Time travel to the snapshot before still reads every row.
	if diff := cmp.Diff(all, rows(t, p, fmt.Sprintf("SELECT entry_id, booked_on FROM bank.cards.ledger AT (VERSION => %d) ORDER BY 1", last.SnapshotID))); diff != "" {
		t.Errorf("rows of the snapshot before retention (-want +got):\n%s", diff)
	}
	tbl, err := p.Lake.Load(ctx, ledger)
	if err != nil {
		t.Fatal(err)
	}
	props := tbl.CurrentSnapshot().Summary.Properties
	if props["meshwork.operation"] != "retention" || props["meshwork.retention-cutoff"] != cutoff.Format(time.RFC3339Nano) || props["meshwork.rows-deleted"] != "3" {
		t.Errorf("retention snapshot summary = %v, want the operation, the cutoff and the rows deleted", props)
	}

	// Nothing left to delete: no new snapshot.
	rr, err = pub.Retain(ctx, regTable(t, p, ledger), now)
	if err != nil {
		t.Fatalf("second Retain: %v", err)
	}
	if rr.RowsDeleted != 0 || rr.SnapshotID != 0 || rr.FilesDropped+rr.FilesRewritten != 0 || rr.SnapshotsExpired != 0 {
		t.Errorf("second Retain = %+v, want nothing done", rr)
	}
	if s := currentSnapshot(t, p, ledger); s != tbl.CurrentSnapshot().SnapshotID {
		t.Errorf("current snapshot after a Retain with nothing to do = %d, want %d", s, tbl.CurrentSnapshot().SnapshotID)
	}
}

// A partitioned table aged by a time-zoned timestamp, in hours; snapshots
// older than the period expire, and with them the files only they read.
func TestRetainByTimestampAndExpire(t *testing.T) {
	p, pub := newCards(t, nil)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) string { return now.Add(d).Format("2006-01-02 15:04:05+00") }
	const header = "click_id,region,at\n"
	// eu holds only old rows, us some.
	publishTo(t, pub, clicks, header+fmt.Sprintf("1,eu,%s\n2,eu,%s\n3,us,%s\n4,us,%s\n", at(-5*time.Hour), at(-4*time.Hour), at(-3*time.Hour), at(0)))
	second := publishTo(t, pub, clicks, header+fmt.Sprintf("5,eu,%s\n", at(-time.Hour)))

	rr, err := pub.Retain(ctx, regTable(t, p, clicks), now)
	if err != nil {
		t.Fatalf("Retain: %v", err)
	}
	want := &publish.RetentionReport{Table: "bank.cards@v1.clicks", Retention: "2 hours", Column: "at", Cutoff: now.Add(-2 * time.Hour),
		RowsDeleted: 3, FilesRewritten: 1, FilesDropped: 1, SnapshotID: rr.SnapshotID}
	if diff := cmp.Diff(want, rr); diff != "" {
		t.Errorf("Retain (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"4", "us"}, {"5", "eu"}}, rows(t, p, "SELECT click_id, region FROM bank.cards.clicks ORDER BY 1")); diff != "" {
		t.Errorf("rows after retention (-want +got):\n%s", diff)
	}
	// The rewritten file keeps its partition.
	tbl, err := p.Lake.Load(ctx, clicks)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, task := range tasks {
		parts = append(parts, fmt.Sprintf("%v/%d", task.File.Partition()[1000], task.File.Count()))
	}
	sort.Strings(parts)
	if diff := cmp.Diff([]string{"eu/1", "us/1"}, parts); diff != "" {
		t.Errorf("partitions/rows of the current files (-want +got):\n%s", diff)
	}
	if got := rows(t, p, fmt.Sprintf("SELECT count(*) FROM bank.cards.clicks AT (VERSION => %d)", second.SnapshotID)); got[0][0] != "5" {
		t.Errorf("rows of the snapshot before retention = %s, want 5", got[0][0])
	}
	if n := snapshotCount(t, p, clicks); n != 3 {
		t.Errorf("snapshots = %d, want 3: none is two hours old yet", n)
	}

	// Three hours later every row and every earlier snapshot is past the
	// period; but the snapshot current when the run starts survives it (a
	// query may have planned it), until the next run.
	later := now.Add(3 * time.Hour)
	before := currentSnapshot(t, p, clicks)
	rr, err = pub.Retain(ctx, regTable(t, p, clicks), later)
	if err != nil {
		t.Fatalf("Retain three hours later: %v", err)
	}
	want = &publish.RetentionReport{Table: "bank.cards@v1.clicks", Retention: "2 hours", Column: "at", Cutoff: later.Add(-2 * time.Hour),
		RowsDeleted: 2, FilesDropped: 2, SnapshotID: rr.SnapshotID, SnapshotsExpired: 2}
	if diff := cmp.Diff(want, rr); diff != "" {
		t.Errorf("Retain three hours later (-want +got):\n%s", diff)
	}
	if got := rows(t, p, fmt.Sprintf("SELECT count(*) FROM bank.cards.clicks AT (VERSION => %d)", before)); got[0][0] != "2" {
		t.Errorf("rows of the snapshot current before the run = %s, want 2: it outlives the run", got[0][0])
	}
	rr, err = pub.Retain(ctx, regTable(t, p, clicks), later)
	if err != nil {
		t.Fatalf("second Retain three hours later: %v", err)
	}
	if rr.SnapshotsExpired != 1 || rr.RowsDeleted != 0 {
		t.Errorf("second run expired %d snapshots and deleted %d rows, want 1 and 0", rr.SnapshotsExpired, rr.RowsDeleted)
	}
	if n := snapshotCount(t, p, clicks); n != 1 || currentSnapshot(t, p, clicks) != want.SnapshotID {
		t.Errorf("snapshots = %d, current %d, want only the retention snapshot %d", n, currentSnapshot(t, p, clicks), want.SnapshotID)
	}
	if got := rows(t, p, "SELECT count(*) FROM bank.cards.clicks"); got[0][0] != "0" {
		t.Errorf("rows = %s, want 0", got[0][0])
	}
	if _, _, err := p.Engine.Exec(admin(), fmt.Sprintf("SELECT * FROM bank.cards.clicks AT (VERSION => %d)", second.SnapshotID)); !errs.Is(err, errs.NotFound) {
		t.Errorf("time travel to an expired snapshot: error %v, want NotFound", err)
	}
	// No snapshot reads any data file any more: iceberg-go deleted them all.
	if f := files(t, p, clicks); len(f) != 0 {
		t.Errorf("files left under the table: %v", f)
	}
}

// A contract without retention for a table leaves it alone; a period that
// cannot be honoured is an Invalid error and changes nothing.
func TestRetainRefused(t *testing.T) {
	p, pub := newCards(t, nil)
	ctx := context.Background()
	now := time.Now()
	old := now.AddDate(-10, 0, 0).UTC().Format("2006-01-02 15:04:05")
	publishTo(t, pub, payments, "payment_id,card_number\n1,x\n")
	publishTo(t, pub, lake.Ident{Domain: "bank", Product: "cards", Table: "badunit"}, "id,at\n1,"+old+"\n")
	publishTo(t, pub, lake.Ident{Domain: "bank", Product: "cards", Table: "badcol"}, "id,at\n1,"+old+"\n")
	tests := []struct {
		table   string
		wantErr string // part of the Invalid error's message; "" for none
	}{
		{"payments", ""},
		{"badunit", `unit "fortnights" is not known`},
		{"badcol", `element names column "nope", which table badcol does not have`},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			id := lake.Ident{Domain: "bank", Product: "cards", Table: tt.table}
			snap, before := currentSnapshot(t, p, id), files(t, p, id)
			rr, err := pub.Retain(ctx, regTable(t, p, id), now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Retain: %v", err)
				}
				if diff := cmp.Diff(&publish.RetentionReport{Table: "bank.cards@v1." + tt.table}, rr, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Retain without a retention period (-want +got):\n%s", diff)
				}
			} else {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("Retain = %+v, %v, want an Invalid error", rr, err)
				}
				if _, msg, _ := errs.Public(err); !strings.Contains(msg, tt.wantErr) {
					t.Errorf("Retain error = %q, want it to say %q", msg, tt.wantErr)
				}
			}
			if s := currentSnapshot(t, p, id); s != snap || snapshotCount(t, p, id) != 1 {
				t.Errorf("current snapshot = %d of %d, want %d, the only one", s, snapshotCount(t, p, id), snap)
			}
			if diff := cmp.Diff(before, files(t, p, id)); diff != "" {
				t.Errorf("files (-before +after):\n%s", diff)
			}
		})
	}
}

// An adopted Parquet upload has no field ids; its rows are aged by name.
func TestRetainAdoptedParquet(t *testing.T) {
	p, pub := newCards(t, nil)
	ctx := context.Background()
	now := time.Now().UTC()
	day := func(n int) string { return now.AddDate(0, 0, n).Format("2006-01-02") }
	duck, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	upload := writeParquet(t, duck, filepath.Join(t.TempDir(), "ledger.parquet"), fmt.Sprintf(
		"SELECT * FROM (VALUES (1::BIGINT, DATE '%s', 1.0::DOUBLE), (2, DATE '%s', 2.0)) AS v(entry_id, booked_on, amount)", day(-40), day(-2)), "")
	rep, err := pub.Publish(ctx, publish.Request{Table: ledger, Mode: lake.Append, Format: publish.Parquet, Body: bytes.NewReader(upload)})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	adopted := currentFiles(t, p, ledger)
	var ids int
	if err := duck.QueryRow("SELECT count(field_id) FROM parquet_schema(" + lake.Literal(adopted[0]) + ")").Scan(&ids); err != nil || len(adopted) != 1 || ids != 0 {
		t.Fatalf("published files %v have %d field ids (%v), want one adopted file without", adopted, ids, err)
	}
	rr, err := pub.Retain(ctx, regTable(t, p, ledger), now)
	if err != nil {
		t.Fatalf("Retain: %v", err)
	}
	if rr.RowsDeleted != 1 || rr.FilesRewritten != 1 || rr.FilesDropped != 0 || rr.SnapshotID == 0 {
		t.Errorf("Retain = %+v, want 1 row deleted by rewriting the file", rr)
	}
	if diff := cmp.Diff([][]string{{"2", day(-2), "2"}}, rows(t, p, "SELECT entry_id, booked_on, amount FROM bank.cards.ledger")); diff != "" {
		t.Errorf("rows after retention (-want +got):\n%s", diff)
	}
	if got := rows(t, p, fmt.Sprintf("SELECT count(*) FROM bank.cards.ledger AT (VERSION => %d)", rep.SnapshotID)); got[0][0] != "2" {
		t.Errorf("rows of the adopted snapshot = %s, want 2", got[0][0])
	}
}
