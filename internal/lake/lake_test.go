package lake_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"
	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

type env struct {
	lake *lake.Lake
	duck *sql.DB
	dir  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := registry.OpenSQLite(filepath.Join(dir, "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := lake.Open(ctx, db, sqlcat.SQLite, filepath.Join(dir, "warehouse"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	duck, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	duck.SetMaxOpenConns(1)
	t.Cleanup(func() { duck.Close() })
	return &env{lake: l, duck: duck, dir: dir}
}

var people = lake.Ident{Domain: "hr", Product: "staff", Table: "people"}

func peopleTable() *schema.Table {
	return &schema.Table{Columns: []schema.Column{
		{Name: "id", Type: schema.Type{Kind: schema.Long}, Required: true},
		{Name: "name", Type: schema.Type{Kind: schema.String}},
		{Name: "salary", Type: schema.Type{Kind: schema.Decimal, Precision: 10, Scale: 2}},
	}}
}

// write writes the rows of selectSQL as a Parquet file with the given field
// ids (column name -> id) under the table's location, and returns its path.
func (e *env) write(t *testing.T, id lake.Ident, name, selectSQL string, fieldIDs map[string]int) string {
	t.Helper()
	path := filepath.Join(e.lake.Location(id), "data", name+".parquet")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for c, fid := range fieldIDs {
		ids = append(ids, fmt.Sprintf("%s: %d", lake.Quote(c), fid))
	}
	q := fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, FIELD_IDS {%s})", selectSQL, lake.Literal(path), strings.Join(ids, ", "))
	if _, err := e.duck.Exec(q); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	return path
}

// read returns the rows of a plan, ordered by the first column, as text.
func (e *env) read(t *testing.T, p *lake.Plan) (cols []string, rows [][]string) {
	t.Helper()
	r0, err := e.duck.Query("SELECT * FROM " + p.SQL() + " LIMIT 0")
	if err != nil {
		t.Fatalf("read plan %s: %v", p.SQL(), err)
	}
	cols, _ = r0.Columns()
	r0.Close()
	var casts []string
	for _, c := range cols {
		casts = append(casts, fmt.Sprintf("CAST(%s AS VARCHAR) AS %s", lake.Quote(c), lake.Quote(c)))
	}
	r, err := e.duck.Query("SELECT " + strings.Join(casts, ", ") + " FROM " + p.SQL() + " ORDER BY 1")
	if err != nil {
		t.Fatalf("read plan %s: %v", p.SQL(), err)
	}
	defer r.Close()
	for r.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		rows = append(rows, row)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, rows
}

// afterMs waits until the clock has passed ms, so that the next commit gets a later timestamp.
func afterMs(ms int64) {
	for time.Now().UnixMilli() <= ms {
		time.Sleep(time.Millisecond)
	}
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tb := peopleTable()
	tbl, err := e.lake.Create(ctx, people, tb)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	var ids []int
	for _, c := range tb.Columns {
		ids = append(ids, c.FieldID)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, ids); diff != "" {
		t.Errorf("Create assigned field ids (-want +got):\n%s", diff)
	}
	if got, want := tbl.Location(), "file://"+e.lake.Location(people); got != want {
		t.Errorf("table location = %q, want %q", got, want)
	}
	if got, want := e.lake.Location(people), filepath.Join(e.lake.Warehouse(), "hr", "staff", "people"); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if tbl.Metadata().Version() != 2 {
		t.Errorf("format version = %d, want 2", tbl.Metadata().Version())
	}
	if tbl.CurrentSnapshot() != nil {
		t.Errorf("a new table has a snapshot: %v", tbl.CurrentSnapshot())
	}
	if ps := tbl.Spec(); !ps.IsUnpartitioned() {
		t.Errorf("spec = %v, want unpartitioned", tbl.Spec())
	}

	loaded, err := e.lake.Load(ctx, people)
	if err != nil {
		t.Fatal(err)
	}
	back, err := schema.TableFromIceberg(loaded.Schema())
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range back.Columns {
		w := tb.Columns[i]
		if c.Name != w.Name || c.Type != w.Type || c.FieldID != w.FieldID {
			t.Errorf("loaded column %d = %s %v id %d, want %s %v id %d", i, c.Name, c.Type, c.FieldID, w.Name, w.Type, w.FieldID)
		}
	}

	if _, err := e.lake.Create(ctx, people, peopleTable()); !errs.Is(err, errs.Conflict) {
		t.Errorf("Create twice: error %v, want Conflict", err)
	}
	if _, err := e.lake.Load(ctx, lake.Ident{Domain: "hr", Product: "staff", Table: "nope"}); !errs.Is(err, errs.NotFound) {
		t.Errorf("Load of an unknown table: error %v, want NotFound", err)
	}
	if _, err := e.lake.Load(ctx, lake.Ident{Domain: "nope", Product: "nope", Table: "nope"}); !errs.Is(err, errs.NotFound) {
		t.Errorf("Load in an unknown namespace: error %v, want NotFound", err)
	}
	bad := peopleTable()
	bad.Partition = []schema.PartitionField{{Column: "name", Transform: "day"}}
	if _, err := e.lake.Create(ctx, lake.Ident{Domain: "hr", Product: "staff", Table: "bad"}, bad); !errs.Is(err, errs.Invalid) {
		t.Errorf("Create with day(string) partition: error %v, want Invalid", err)
	}

	// Drop forgets the table; dropping it again is not an error.
	if err := e.lake.Drop(ctx, people); err != nil {
		t.Fatal(err)
	}
	if _, err := e.lake.Load(ctx, people); !errs.Is(err, errs.NotFound) {
		t.Errorf("Load after Drop: error %v, want NotFound", err)
	}
	if err := e.lake.Drop(ctx, people); err != nil {
		t.Errorf("Drop twice: %v", err)
	}
}

func TestCommitAndTimeTravel(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.lake.Create(ctx, people, peopleTable()); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{"id": 1, "name": 2, "salary": 3}
	f1 := e.write(t, people, "f1", "SELECT 1::BIGINT AS id, 'ada' AS name, 100.50::DECIMAL(10,2) AS salary UNION ALL SELECT 2, 'bob', NULL", ids)
	s1, err := e.lake.Commit(ctx, people, []string{f1}, lake.Append, map[string]string{"meshwork.run-id": "r1"})
	if err != nil {
		t.Fatalf("Commit 1: %v", err)
	}
	afterMs(s1.TimestampMs)
	f2 := e.write(t, people, "f2", "SELECT 3::BIGINT AS id, 'cy' AS name, 7::DECIMAL(10,2) AS salary", ids)
	s2, err := e.lake.Commit(ctx, people, []string{f2}, lake.Append, map[string]string{"meshwork.run-id": "r2"})
	if err != nil {
		t.Fatalf("Commit 2: %v", err)
	}
	afterMs(s2.TimestampMs)
	f3 := e.write(t, people, "f3", "SELECT 10::BIGINT AS id, 'dee' AS name, 1::DECIMAL(10,2) AS salary", ids)
	s3, err := e.lake.Commit(ctx, people, []string{f3}, lake.Replace, map[string]string{"meshwork.run-id": "r3"})
	if err != nil {
		t.Fatalf("Commit 3 (replace): %v", err)
	}
	if s2.ParentSnapshotID == nil || *s2.ParentSnapshotID != s1.SnapshotID || s3.ParentSnapshotID == nil || *s3.ParentSnapshotID != s2.SnapshotID {
		t.Errorf("snapshot parents: s2 -> %v, s3 -> %v, want s1 %d, s2 %d", s2.ParentSnapshotID, s3.ParentSnapshotID, s1.SnapshotID, s2.SnapshotID)
	}

	tbl, err := e.lake.Load(ctx, people)
	if err != nil {
		t.Fatal(err)
	}
	cached, err := e.lake.Cached(ctx, people)
	if err != nil || cached.CurrentSnapshot().SnapshotID != s3.SnapshotID {
		t.Errorf("Cached current snapshot = %v, %v, want %d", cached.CurrentSnapshot(), err, s3.SnapshotID)
	}

	infos := lake.Snapshots(tbl)
	if len(infos) != 3 {
		t.Fatalf("Snapshots = %d, want 3", len(infos))
	}
	for i, want := range []struct {
		id  int64
		run string
	}{{s1.SnapshotID, "r1"}, {s2.SnapshotID, "r2"}, {s3.SnapshotID, "r3"}} {
		if infos[i].ID != want.id || infos[i].Summary["meshwork.run-id"] != want.run {
			t.Errorf("Snapshots[%d] = id %d run %q, want %d %q", i, infos[i].ID, infos[i].Summary["meshwork.run-id"], want.id, want.run)
		}
	}
	if infos[0].Operation != "append" || infos[1].Operation != "append" || infos[2].Operation == "append" {
		t.Errorf("operations = %s, %s, %s, want append, append, and not append for the replace", infos[0].Operation, infos[1].Operation, infos[2].Operation)
	}

	v := func(x int64) *int64 { return &x }
	tests := []struct {
		name      string
		version   *int64
		asOf      *int64
		wantSnap  int64
		wantFiles int
		wantRows  [][]string
	}{
		{"current", nil, nil, s3.SnapshotID, 1, [][]string{{"10", "dee", "1.00"}}},
		{"version 1", v(s1.SnapshotID), nil, s1.SnapshotID, 1, [][]string{{"1", "ada", "100.50"}, {"2", "bob", "NULL"}}},
		{"version 2", v(s2.SnapshotID), nil, s2.SnapshotID, 2, [][]string{{"1", "ada", "100.50"}, {"2", "bob", "NULL"}, {"3", "cy", "7.00"}}},
		{"as of s1", nil, v(s1.TimestampMs), s1.SnapshotID, 1, nil},
		{"between s1 and s2", nil, v(s2.TimestampMs - 1), s1.SnapshotID, 1, nil},
		{"as of s2", nil, v(s2.TimestampMs), s2.SnapshotID, 2, nil},
		{"long after", nil, v(s3.TimestampMs + 3_600_000), s3.SnapshotID, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := lake.Snapshot(tbl, people, tt.version, tt.asOf)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			if snap.SnapshotID != tt.wantSnap {
				t.Fatalf("Snapshot = %d, want %d", snap.SnapshotID, tt.wantSnap)
			}
			p, err := e.lake.PlanScan(ctx, people, tbl, snap)
			if err != nil {
				t.Fatal(err)
			}
			if p.SnapshotID != tt.wantSnap || len(p.Files) != tt.wantFiles || p.Table != people {
				t.Errorf("PlanScan = snapshot %d, %d files, table %v, want %d, %d, %v", p.SnapshotID, len(p.Files), p.Table, tt.wantSnap, tt.wantFiles, people)
			}
			for _, f := range p.Files {
				if !strings.HasPrefix(f, e.lake.Location(people)+string(filepath.Separator)) {
					t.Errorf("plan file %q is not a local path under the table", f)
				}
			}
			if tt.wantRows != nil {
				cols, rows := e.read(t, p)
				if diff := cmp.Diff([]string{"id", "name", "salary"}, cols); diff != "" {
					t.Errorf("columns (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantRows, rows); diff != "" {
					t.Errorf("rows (-want +got):\n%s", diff)
				}
			}
		})
	}

	for name, call := range map[string]func() (*table.Snapshot, error){
		"unknown version":   func() (*table.Snapshot, error) { return lake.Snapshot(tbl, people, v(42), nil) },
		"before the first":  func() (*table.Snapshot, error) { return lake.Snapshot(tbl, people, nil, v(s1.TimestampMs-1)) },
		"long before first": func() (*table.Snapshot, error) { return lake.Snapshot(tbl, people, nil, v(0)) },
	} {
		if s, err := call(); !errs.Is(err, errs.NotFound) {
			t.Errorf("Snapshot %s = %v, %v, want NotFound", name, s, err)
		}
	}
}

func TestReplaceEmptyTable(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.lake.Create(ctx, people, peopleTable()); err != nil {
		t.Fatal(err)
	}
	f := e.write(t, people, "f", "SELECT 1::BIGINT AS id, 'a' AS name, 1::DECIMAL(10,2) AS salary", map[string]int{"id": 1, "name": 2, "salary": 3})
	snap, err := e.lake.Commit(ctx, people, []string{f}, lake.Replace, nil)
	if err != nil {
		t.Fatalf("Replace into an empty table: %v", err)
	}
	tbl, _ := e.lake.Load(ctx, people)
	p, err := e.lake.PlanScan(ctx, people, tbl, snap)
	if err != nil || len(p.Files) != 1 {
		t.Errorf("PlanScan after replace into empty = %v, %v, want 1 file", p, err)
	}
}

func TestCommitUnknownTable(t *testing.T) {
	e := newEnv(t)
	if _, err := e.lake.Commit(context.Background(), people, nil, lake.Append, nil); !errs.Is(err, errs.NotFound) {
		t.Errorf("Commit to an unknown table: error %v, want NotFound", err)
	}
}

func TestEvolveAndFieldIDs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.lake.Create(ctx, people, peopleTable()); err != nil {
		t.Fatal(err)
	}
	// The file's column names differ from the table's: it is read by field id.
	old := e.write(t, people, "old", "SELECT 1::BIGINT AS x_id, 'ada' AS x_name, 5::DECIMAL(10,2) AS x_salary", map[string]int{"x_id": 1, "x_name": 2, "x_salary": 3})
	s1, err := e.lake.Commit(ctx, people, []string{old}, lake.Append, nil)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := e.lake.Evolve(ctx, people, schema.Evolution{Added: []schema.Column{
		{Name: "email", Type: schema.Type{Kind: schema.String}, Description: "work email"},
		{Name: "hired", Type: schema.Type{Kind: schema.Date}},
	}}, nil)
	if err != nil {
		t.Fatalf("Evolve: %v", err)
	}
	evolved, err := schema.TableFromIceberg(tbl.Schema())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range evolved.Columns {
		got = append(got, fmt.Sprintf("%d %s %s", c.FieldID, c.Name, c.Type))
	}
	want := []string{"1 id BIGINT", "2 name VARCHAR", "3 salary DECIMAL(10,2)", "4 email VARCHAR", "5 hired DATE"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema after Evolve (-want +got):\n%s", diff)
	}

	// The current read before any new publish: the new columns read as NULL.
	p, err := e.lake.PlanScan(ctx, people, tbl, tbl.CurrentSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	cols, rows := e.read(t, p)
	if diff := cmp.Diff([]string{"id", "name", "salary", "email", "hired"}, cols); diff != "" {
		t.Errorf("columns after Evolve (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"1", "ada", "5.00", "NULL", "NULL"}}, rows); diff != "" {
		t.Errorf("rows after Evolve (-want +got):\n%s", diff)
	}

	nu := e.write(t, people, "new", "SELECT 2::BIGINT AS id, 'bob' AS name, 6::DECIMAL(10,2) AS salary, 'bob@x' AS email, DATE '2026-01-02' AS hired",
		map[string]int{"id": 1, "name": 2, "salary": 3, "email": 4, "hired": 5})
	s2, err := e.lake.Commit(ctx, people, []string{nu}, lake.Append, nil)
	if err != nil {
		t.Fatal(err)
	}
	tbl, _ = e.lake.Load(ctx, people)
	p2, err := e.lake.PlanScan(ctx, people, tbl, s2)
	if err != nil {
		t.Fatal(err)
	}
	_, rows = e.read(t, p2)
	if diff := cmp.Diff([][]string{{"1", "ada", "5.00", "NULL", "NULL"}, {"2", "bob", "6.00", "bob@x", "2026-01-02"}}, rows); diff != "" {
		t.Errorf("rows after a publish with the new columns (-want +got):\n%s", diff)
	}

	// Time travel to the first snapshot reads with the schema it was written with.
	p1, err := e.lake.PlanScan(ctx, people, tbl, tbl.SnapshotByID(s1.SnapshotID))
	if err != nil {
		t.Fatal(err)
	}
	cols, rows = e.read(t, p1)
	if diff := cmp.Diff([]string{"id", "name", "salary"}, cols); diff != "" {
		t.Errorf("time-travel columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"1", "ada", "5.00"}}, rows); diff != "" {
		t.Errorf("time-travel rows (-want +got):\n%s", diff)
	}
	if p1.SchemaID == p2.SchemaID {
		t.Errorf("plans of snapshots before and after Evolve share schema id %d", p1.SchemaID)
	}

	// Adding a column that exists is refused.
	if _, err := e.lake.Evolve(ctx, people, schema.Evolution{Added: []schema.Column{{Name: "email", Type: schema.Type{Kind: schema.String}}}}, nil); !errs.Is(err, errs.Invalid) {
		t.Errorf("Evolve adding an existing column: error %v, want Invalid", err)
	}
}

func TestPlanScanCached(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tbl, err := e.lake.Create(ctx, people, peopleTable())
	if err != nil {
		t.Fatal(err)
	}
	empty1, err := e.lake.PlanScanCached(ctx, people, tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	empty2, _ := e.lake.PlanScanCached(ctx, people, tbl, nil)
	if empty1 != empty2 {
		t.Errorf("PlanScanCached of an empty table twice returned different plans")
	}
	f := e.write(t, people, "f", "SELECT 1::BIGINT AS id, 'a' AS name, 1::DECIMAL(10,2) AS salary", map[string]int{"id": 1, "name": 2, "salary": 3})
	snap, err := e.lake.Commit(ctx, people, []string{f}, lake.Append, nil)
	if err != nil {
		t.Fatal(err)
	}
	tbl, _ = e.lake.Load(ctx, people)
	a, err := e.lake.PlanScanCached(ctx, people, tbl, snap)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.lake.PlanScanCached(ctx, people, tbl, tbl.CurrentSnapshot())
	if a != b {
		t.Errorf("PlanScanCached of the same snapshot twice returned different plans")
	}
	if a == empty1 || a.SnapshotID != snap.SnapshotID || len(a.Files) != 1 {
		t.Errorf("PlanScanCached after a commit = %+v, want snapshot %d with 1 file", a, snap.SnapshotID)
	}
	// After a schema change the current snapshot is read with the new schema: a new plan.
	tbl, err = e.lake.Evolve(ctx, people, schema.Evolution{Added: []schema.Column{{Name: "extra", Type: schema.Type{Kind: schema.Int}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.lake.PlanScanCached(ctx, people, tbl, tbl.CurrentSnapshot())
	if c == a || len(c.Columns) != 4 {
		t.Errorf("PlanScanCached after Evolve = %d columns (same plan: %v), want a new plan with 4 columns", len(c.Columns), c == a)
	}
}

func TestEmptyPlanSQL(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tbl, err := e.lake.Create(ctx, people, peopleTable())
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.lake.PlanScan(ctx, people, tbl, tbl.CurrentSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	if p.SnapshotID != 0 || len(p.Files) != 0 {
		t.Errorf("plan of an empty table = snapshot %d, %d files, want 0, 0", p.SnapshotID, len(p.Files))
	}
	r, err := e.duck.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + p.SQL() + ")")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for r.Next() {
		var n, typ string
		r.Scan(&n, &typ)
		got = append(got, n+" "+typ)
	}
	if diff := cmp.Diff([]string{"id BIGINT", "name VARCHAR", "salary DECIMAL(10,2)"}, got); diff != "" {
		t.Errorf("empty relation columns (-want +got):\n%s", diff)
	}
	_, rows := e.read(t, p)
	if len(rows) != 0 {
		t.Errorf("empty relation has %d rows", len(rows))
	}
}

func TestPartitionedTable(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := lake.Ident{Domain: "sales", Product: "orders", Table: "events"}
	tb := &schema.Table{
		Columns: []schema.Column{
			{Name: "id", Type: schema.Type{Kind: schema.Long}},
			{Name: "region", Type: schema.Type{Kind: schema.String}},
			{Name: "at", Type: schema.Type{Kind: schema.Timestamp}},
		},
		Partition: []schema.PartitionField{{Column: "region", Transform: "identity"}, {Column: "at", Transform: "day"}},
	}
	tbl, err := e.lake.Create(ctx, id, tb)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	ps := tbl.Spec()
	for _, f := range ps.Fields() {
		fields = append(fields, fmt.Sprintf("%d %s %s %v", f.FieldID, f.Name, f.Transform, f.SourceIDs))
	}
	if diff := cmp.Diff([]string{"1000 region identity [2]", "1001 at_day day [3]"}, fields); diff != "" {
		t.Errorf("partition spec (-want +got):\n%s", diff)
	}
	ids := map[string]int{"id": 1, "region": 2, "at": 3}
	files := []string{
		e.write(t, id, "eu-1", "SELECT 1::BIGINT AS id, 'eu' AS region, TIMESTAMP '2026-01-01 10:00' AS at UNION ALL SELECT 2, 'eu', TIMESTAMP '2026-01-01 23:59'", ids),
		e.write(t, id, "eu-2", "SELECT 3::BIGINT AS id, 'eu' AS region, TIMESTAMP '2026-01-02 00:00' AS at", ids),
		e.write(t, id, "us-1", "SELECT 4::BIGINT AS id, 'us' AS region, TIMESTAMP '2026-01-01 12:00' AS at", ids),
	}
	snap, err := e.lake.Commit(ctx, id, files, lake.Append, nil)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	tbl, _ = e.lake.Load(ctx, id)
	p, err := e.lake.PlanScan(ctx, id, tbl, snap)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 3 {
		t.Errorf("PlanScan = %d files, want 3", len(p.Files))
	}
	_, rows := e.read(t, p)
	if len(rows) != 4 {
		t.Errorf("read %d rows, want 4", len(rows))
	}

	// The partition values Iceberg recorded prune scans.
	tasks, err := tbl.Scan(table.WithRowFilter(iceberg.EqualTo(iceberg.Reference("region"), "eu"))).PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 {
		t.Errorf("scan region = 'eu' plans %d files, want 2", len(tasks))
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tasks, err = tbl.Scan(table.WithRowFilter(iceberg.NewAnd(
		iceberg.GreaterThanEqual(iceberg.Reference("at"), iceberg.Timestamp(day.UnixMicro())),
		iceberg.LessThan(iceberg.Reference("at"), iceberg.Timestamp(day.Add(24*time.Hour).UnixMicro()))))).PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, task := range tasks {
		got = append(got, filepath.Base(task.File.FilePath()))
	}
	if diff := cmp.Diff([]string{"eu-1.parquet", "us-1.parquet"}, sorted(got)); diff != "" {
		t.Errorf("scan of 2026-01-01 (-want +got):\n%s", diff)
	}

	// A file whose rows span two partitions cannot be committed; the table stays as it was.
	mixed := e.write(t, id, "mixed", "SELECT 5::BIGINT AS id, 'eu' AS region, TIMESTAMP '2026-01-03 00:00' AS at UNION ALL SELECT 6, 'us', TIMESTAMP '2026-01-03 01:00'", ids)
	if s, err := e.lake.Commit(ctx, id, []string{mixed}, lake.Append, nil); err == nil {
		t.Errorf("Commit of a file spanning two partitions = snapshot %d, want an error", s.SnapshotID)
	}
	tbl, _ = e.lake.Load(ctx, id)
	if tbl.CurrentSnapshot().SnapshotID != snap.SnapshotID {
		t.Errorf("after a refused commit the current snapshot = %d, want %d", tbl.CurrentSnapshot().SnapshotID, snap.SnapshotID)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestPlanScanRefusesFilesOutsideTheWarehouse(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.lake.Create(ctx, people, peopleTable()); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(e.dir, "outside.parquet")
	if _, err := e.duck.Exec("COPY (SELECT 1::BIGINT AS id, 'a' AS name, 1::DECIMAL(10,2) AS salary) TO " + lake.Literal(outside) + " (FORMAT parquet, FIELD_IDS {id: 1, name: 2, salary: 3})"); err != nil {
		t.Fatal(err)
	}
	snap, err := e.lake.Commit(ctx, people, []string{outside}, lake.Append, nil)
	if err != nil {
		t.Skipf("Commit refused a file outside the warehouse (fine): %v", err)
	}
	tbl, _ := e.lake.Load(ctx, people)
	if p, err := e.lake.PlanScan(ctx, people, tbl, snap); err == nil {
		t.Errorf("PlanScan of a snapshot with a file outside the warehouse = %v, want an error", p.Files)
	}
}

func TestLocalPath(t *testing.T) {
	e := newEnv(t)
	wh := e.lake.Warehouse()
	tests := []struct {
		uri  string
		want string // "" for an error
	}{
		{"file://" + wh + "/hr/staff/people/data/a.parquet", wh + "/hr/staff/people/data/a.parquet"},
		{wh + "/hr/staff/people/data/a.parquet", wh + "/hr/staff/people/data/a.parquet"},
		{"file://" + wh + "/hr/./staff//people/data/a.parquet", wh + "/hr/staff/people/data/a.parquet"},
		{"file://" + wh + "/hr/../hr/x.parquet", wh + "/hr/x.parquet"},
		{"file:///etc/passwd", ""},
		{"/etc/passwd", ""},
		{"file://" + wh + "/../mesh.db", ""},
		{"file://" + wh + "/hr/../../mesh.db", ""},
		{"file://" + wh + "-evil/a.parquet", ""},
		{"file://" + wh + "evil/a.parquet", ""},
		{"file://" + wh, ""},
		{"file://" + wh + "/", ""},
		{"s3://bucket" + wh + "/a.parquet", ""},
		{"relative/a.parquet", ""},
	}
	for _, tt := range tests {
		got, err := e.lake.LocalPath(tt.uri)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("LocalPath(%q) = %q, want an error", tt.uri, got)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("LocalPath(%q) = %q, %v, want %q", tt.uri, got, err, tt.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]lake.Mode{"": lake.Append, "append": lake.Append, "replace": lake.Replace} {
		if got, err := lake.ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"overwrite", "APPEND", "merge"} {
		if got, err := lake.ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q) = %q, want an error", in, got)
		}
	}
}

func TestQuoteAndLiteral(t *testing.T) {
	if got, want := lake.Quote(`a"b`), `"a""b"`; got != want {
		t.Errorf("Quote = %s, want %s", got, want)
	}
	if got, want := lake.Literal(`it's`), `'it''s'`; got != want {
		t.Errorf("Literal = %s, want %s", got, want)
	}
}

// TestEvolvePromoteDropRepartition widens a type, drops a column and
// changes the partitioning in one commit: field ids stay, the old snapshot
// reads with its own schema, and new data gets the new spec.
func TestEvolvePromoteDropRepartition(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := lake.Ident{Domain: "hr", Product: "staff", Table: "counts"}
	def := &schema.Table{Columns: []schema.Column{
		{Name: "id", Type: schema.Type{Kind: schema.Long}},
		{Name: "n", Type: schema.Type{Kind: schema.Int}},
		{Name: "note", Type: schema.Type{Kind: schema.String}},
		{Name: "d", Type: schema.Type{Kind: schema.Date}},
	}}
	if _, err := e.lake.Create(ctx, id, def); err != nil {
		t.Fatal(err)
	}
	f := e.write(t, id, "old", "SELECT 1::BIGINT AS id, 7::INTEGER AS n, 'x' AS note, DATE '2026-01-01' AS d", map[string]int{"id": 1, "n": 2, "note": 3, "d": 4})
	s1, err := e.lake.Commit(ctx, id, []string{f}, lake.Append, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &schema.Table{Columns: []schema.Column{
		{Name: "id", Type: schema.Type{Kind: schema.Long}},
		{Name: "n", Type: schema.Type{Kind: schema.Long}},
		{Name: "d", Type: schema.Type{Kind: schema.Date}},
	}, Partition: []schema.PartitionField{{Column: "d", Transform: "month"}}}
	ev := schema.Evolution{Promoted: []schema.Column{{Name: "n", Type: schema.Type{Kind: schema.Long}, FieldID: 2}},
		Dropped: []schema.Column{{Name: "note", FieldID: 3}}, Partition: true}
	tbl, err := e.lake.Evolve(ctx, id, ev, want)
	if err != nil {
		t.Fatalf("Evolve: %v", err)
	}
	got, _ := schema.TableFromIceberg(tbl.Schema())
	var cols []string
	for _, c := range got.Columns {
		cols = append(cols, fmt.Sprintf("%d %s %s", c.FieldID, c.Name, c.Type))
	}
	if diff := cmp.Diff([]string{"1 id BIGINT", "2 n BIGINT", "4 d DATE"}, cols); diff != "" {
		t.Errorf("schema after Evolve (-want +got):\n%s", diff)
	}
	spec := tbl.Spec()
	var parts []string
	for _, pf := range spec.Fields() {
		parts = append(parts, fmt.Sprintf("%s %s", pf.Name, pf.Transform))
	}
	if diff := cmp.Diff([]string{"d_month month"}, parts); diff != "" {
		t.Errorf("partition spec after Evolve (-want +got):\n%s", diff)
	}
	// The current read casts the old file's int to bigint; the old snapshot keeps its schema.
	p, err := e.lake.PlanScan(ctx, id, tbl, tbl.CurrentSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	c, rows := e.read(t, p)
	if diff := cmp.Diff([]string{"id", "n", "d"}, c); diff != "" {
		t.Errorf("current columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"1", "7", "2026-01-01"}}, rows); diff != "" {
		t.Errorf("current rows (-want +got):\n%s", diff)
	}
	f2 := e.write(t, id, "new", "SELECT 2::BIGINT AS id, 5000000000::BIGINT AS n, DATE '2026-02-01' AS d", map[string]int{"id": 1, "n": 2, "d": 4})
	if _, err := e.lake.Commit(ctx, id, []string{f2}, lake.Append, nil); err != nil {
		t.Fatalf("Commit after the new partitioning: %v", err)
	}
	tbl, _ = e.lake.Load(ctx, id)
	p, _ = e.lake.PlanScan(ctx, id, tbl, tbl.CurrentSnapshot())
	if _, rows := e.read(t, p); !cmp.Equal(rows, [][]string{{"1", "7", "2026-01-01"}, {"2", "5000000000", "2026-02-01"}}) {
		t.Errorf("rows after a commit under the new schema = %v", rows)
	}
	p1, err := e.lake.PlanScan(ctx, id, tbl, tbl.SnapshotByID(s1.SnapshotID))
	if err != nil {
		t.Fatal(err)
	}
	if c, rows := e.read(t, p1); !cmp.Equal(c, []string{"id", "n", "note", "d"}) || !cmp.Equal(rows, [][]string{{"1", "7", "x", "2026-01-01"}}) {
		t.Errorf("time travel = %v %v, want the old schema and row", c, rows)
	}
}
