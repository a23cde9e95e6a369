package publish_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/quality"
	"github.com/meshwork/meshwork/internal/query"
)

var (
	orders = lake.Ident{Domain: "retail", Product: "shop", Table: "orders"}
	events = lake.Ident{Domain: "retail", Product: "shop", Table: "events"}
	visits = lake.Ident{Domain: "retail", Product: "shop", Table: "visits"}
)

// admin is a context acting as the platform admin: applying, publishing
// and querying all need a principal.
func admin() context.Context { return platform.AsAdmin(context.Background()) }

// newPlatform opens a platform in a temporary directory and applies testdata/shop.yaml.
func newPlatform(t *testing.T) *platform.Platform {
	t.Helper()
	ctx := admin()
	c := platform.Defaults(t.TempDir())
	c.MemoryLimit, c.Threads = "1GB", 2
	p, err := platform.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	data, err := os.ReadFile("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := p.Applier.Apply(ctx, []apply.Source{{Name: "shop.yaml", Data: data}}, false)
	if err != nil {
		t.Fatalf("apply testdata/shop.yaml: %v", err)
	}
	if len(plan.Warnings) > 0 {
		t.Fatalf("apply testdata/shop.yaml warnings: %v", plan.Warnings)
	}
	return p
}

type req struct {
	table      lake.Ident
	format     publish.Format
	body       string
	mode       lake.Mode
	maxRejects int64
	key        string
}

func pub(t *testing.T, p *platform.Platform, r req) (*publish.Report, error) {
	t.Helper()
	if r.mode == "" {
		r.mode = lake.Append
	}
	return p.Publisher.Publish(admin(), publish.Request{Table: r.table, Mode: r.mode, Format: r.format,
		Body: strings.NewReader(r.body), MaxRejects: r.maxRejects, IdempotencyKey: r.key})
}

func mustPub(t *testing.T, p *platform.Platform, r req) *publish.Report {
	t.Helper()
	rep, err := pub(t, p, r)
	if err != nil {
		t.Fatalf("Publish(%s, %s): %v\nreport: %+v", r.table, r.format, err, details(err))
	}
	if rep.Status != publish.StatusCommitted || rep.SnapshotID == 0 {
		t.Fatalf("Publish(%s) = status %q snapshot %d, want committed", r.table, rep.Status, rep.SnapshotID)
	}
	return rep
}

// gateFailed checks that err is a GateFailed error carrying the report.
func gateFailed(t *testing.T, rep *publish.Report, err error) *publish.Report {
	t.Helper()
	if !errs.Is(err, errs.GateFailed) {
		t.Fatalf("Publish error = %v (kind %v), want GateFailed", err, errs.KindOf(err))
	}
	d := details(err)
	if d == nil || d != rep {
		t.Fatalf("GateFailed details = %v, want the returned report", d)
	}
	if rep.Status != publish.StatusGateFailed || rep.SnapshotID != 0 {
		t.Errorf("report status %q snapshot %d, want gate_failed and none", rep.Status, rep.SnapshotID)
	}
	return rep
}

func details(err error) *publish.Report {
	var e *errs.Error
	if errors.As(err, &e) {
		r, _ := e.Details.(*publish.Report)
		return r
	}
	return nil
}

// rows queries the mesh and returns the rows as text ("NULL" for NULL).
func rows(t *testing.T, p *platform.Platform, q string) [][]string {
	t.Helper()
	cols, rs, err := p.Engine.Exec(admin(), q)
	if err != nil {
		t.Fatalf("query %q: %v", q, err)
	}
	out := [][]string{}
	for _, r := range rs {
		row := make([]string, len(r))
		for i, v := range r {
			row[i] = "NULL"
			if v != nil {
				row[i] = query.Text(v, cols[i].Type)
			}
		}
		out = append(out, row)
	}
	return out
}

func check(rs []quality.Result, name string) *quality.Result {
	for i := range rs {
		if rs[i].Name == name {
			return &rs[i]
		}
	}
	return nil
}

func currentSnapshot(t *testing.T, p *platform.Platform, id lake.Ident) int64 {
	t.Helper()
	tbl, err := p.Lake.Load(admin(), id)
	if err != nil {
		t.Fatal(err)
	}
	if s := tbl.CurrentSnapshot(); s != nil {
		return s.SnapshotID
	}
	return 0
}

// files lists every file under the table's location except Iceberg metadata.
func files(t *testing.T, p *platform.Platform, id lake.Ident) []string {
	t.Helper()
	var out []string
	root := p.Lake.Location(id)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && rel == "metadata" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

const ordersSelect = `SELECT order_id, customer, amount, order_date, placed_at, paid, status, note FROM retail.shop.orders ORDER BY order_id`

func TestPublishCSV(t *testing.T) {
	p := newPlatform(t)
	// Columns in another order than the contract's, and the optional note left out.
	csv := "customer,order_id,amount,order_date,placed_at,paid,status\n" +
		"ada,1,12.50,2026-01-05,2026-01-05 10:30:00,true,open\n" +
		"\"bob, jr\",2,0.1,2026-02-28,2026-02-28T23:59:59.123456,false,shipped\n" +
		"cy,3,99999999.99,,,,\n"
	rep := mustPub(t, p, req{table: orders, format: publish.CSV, body: csv})
	if rep.RowsRead != 3 || rep.RowsOK != 3 || rep.RowsFailed != 0 || rep.DataFiles != 1 || rep.BytesRead != int64(len(csv)) {
		t.Errorf("report = read %d ok %d rejected %d files %d bytes %d, want 3 3 0 1 %d", rep.RowsRead, rep.RowsOK, rep.RowsFailed, rep.DataFiles, rep.BytesRead, len(csv))
	}
	if rep.Table != "retail.shop@v1.orders" || rep.Format != "csv" || rep.Mode != "append" || rep.PreviousSnapshotID != 0 {
		t.Errorf("report = table %q format %q mode %q previous %d", rep.Table, rep.Format, rep.Mode, rep.PreviousSnapshotID)
	}
	want := [][]string{
		{"1", "ada", "12.50", "2026-01-05", "2026-01-05T10:30:00", "true", "open", "NULL"},
		{"2", "bob, jr", "0.10", "2026-02-28", "2026-02-28T23:59:59.123456", "false", "shipped", "NULL"},
		{"3", "cy", "99999999.99", "NULL", "NULL", "NULL", "NULL", "NULL"},
	}
	if diff := cmp.Diff(want, rows(t, p, ordersSelect)); diff != "" {
		t.Errorf("published rows (-want +got):\n%s", diff)
	}
	// Every rule got a verdict: the contract's constraints and its quality rules.
	for _, name := range []string{"rejectedRows", "acceptedRows", "primaryKey.duplicates"} {
		if r := check(rep.Contract, name); r == nil || !r.Passed || r.Value == nil {
			t.Errorf("contract check %s = %+v, want passed with a value", name, r)
		}
	}
	for _, name := range []string{"rowCount", "no_negative_amounts", "status.invalidValues", "status.nullValues"} {
		if r := check(rep.Quality, name); r == nil || r.Value == nil || r.Error != "" {
			t.Errorf("quality check %s = %+v, want a value", name, r)
		}
	}
	// One status of three is NULL: 33% is under the warning's 50%.
	if r := check(rep.Quality, "status.nullValues"); r == nil || *r.Value < 33 || *r.Value > 34 || !r.Passed || r.Blocking {
		t.Errorf("status.nullValues = %+v, want about 33.3 percent, passed, not blocking", r)
	}
	tbl, _ := p.Lake.Load(admin(), orders)
	sum := tbl.CurrentSnapshot().Summary.Properties
	if sum["meshwork.run-id"] != rep.RunID || sum["meshwork.rows-accepted"] != "3" || sum["meshwork.rows-rejected"] != "0" || sum["meshwork.format"] != "csv" ||
		sum["meshwork.quality"] != "4/4 passed" {
		t.Errorf("snapshot summary = %v, want the run's report in it", sum)
	}
	last, err := p.Registry.LastPublish(admin(), "retail", "shop", "orders")
	if err != nil || last == nil || last.RunID != rep.RunID || last.Status != "committed" || last.SnapshotID == nil || *last.SnapshotID != rep.SnapshotID {
		t.Errorf("LastPublish = %+v, %v, want run %s committed at %d", last, err, rep.RunID, rep.SnapshotID)
	}
	// The spool is empty again.
	if left, _ := os.ReadDir(filepath.Join(filepath.Dir(p.Lake.Warehouse()), "spool")); len(left) != 0 {
		t.Errorf("spool holds %d files after the publish, want 0", len(left))
	}
}

func TestPublishNDJSON(t *testing.T) {
	p := newPlatform(t)
	nd := `{"order_id": 1, "customer": "ada", "amount": 12.5, "order_date": "2026-01-05", "placed_at": "2026-01-05T10:30:00", "paid": true, "status": "open", "note": "first"}
{"order_id": "2", "customer": "bob", "amount": "0.10", "paid": false, "status": null}

{"customer": "cy", "order_id": 3, "amount": 7, "note": 42}
`
	rep := mustPub(t, p, req{table: orders, format: publish.NDJSON, body: nd})
	if rep.RowsOK != 3 || rep.RowsFailed != 0 {
		t.Errorf("report = ok %d rejected %d, want 3 0 (rejects %v)", rep.RowsOK, rep.RowsFailed, rep.Rejects)
	}
	want := [][]string{
		{"1", "ada", "12.50", "2026-01-05", "2026-01-05T10:30:00", "true", "open", "first"},
		{"2", "bob", "0.10", "NULL", "NULL", "false", "NULL", "NULL"},
		{"3", "cy", "7.00", "NULL", "NULL", "NULL", "NULL", "42"},
	}
	if diff := cmp.Diff(want, rows(t, p, ordersSelect)); diff != "" {
		t.Errorf("published rows (-want +got):\n%s", diff)
	}
}

func TestPublishNDJSONWrongTypes(t *testing.T) {
	p := newPlatform(t)
	nd := `{"order_id": 1, "customer": "ada", "amount": 1}
{"order_id": 2, "customer": "bob", "amount": "abc"}
{"order_id": 3, "customer": "cy", "amount": 1, "paid": "maybe"}
{"order_id": 4, "customer": "dee", "amount": 1, "order_date": "yesterday"}
{"order_id": 5, "amount": 1}
{"order_id": 6, "customer": "eve", "amount": 1, "placed_at": true}
{"order_id": "seven", "customer": "fay", "amount": 1}
`
	rep, err := pub(t, p, req{table: orders, format: publish.NDJSON, body: nd})
	gateFailed(t, rep, err)
	if rep.RowsRead != 7 || rep.RowsOK != 1 || rep.RowsFailed != 6 {
		t.Errorf("report = read %d ok %d rejected %d, want 7 1 6", rep.RowsRead, rep.RowsOK, rep.RowsFailed)
	}
	type rj struct {
		Line   int64
		Column string
		Reason string
	}
	var got []rj
	for _, r := range rep.Rejects {
		got = append(got, rj{r.Line, r.Column, r.Reason})
	}
	want := []rj{
		{2, "amount", "amount: cannot convert \"abc\" to DECIMAL(10,2)"},
		{3, "paid", "paid: cannot convert \"maybe\" to BOOLEAN"},
		{4, "order_date", "order_date: cannot convert \"yesterday\" to DATE"},
		{5, "customer", "customer: a value is required"},
		{6, "placed_at", "placed_at: cannot convert true to TIMESTAMP"},
		{7, "order_id", "order_id: cannot convert \"seven\" to BIGINT"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rejected rows (-want +got):\n%s", diff)
	}
	if r := check(rep.Contract, "rejectedRows"); r == nil || r.Passed || *r.Value != 6 || r.Expectation != "mustBeLessOrEqualTo 0" {
		t.Errorf("rejectedRows = %+v, want 6, failed, mustBeLessOrEqualTo 0", r)
	}
	if s := currentSnapshot(t, p, orders); s != 0 {
		t.Errorf("a failed publish left snapshot %d", s)
	}
}

func TestMaxRejects(t *testing.T) {
	csv := "order_id,customer,amount\n1,ada,1.00\n2,bob,x\n3,cy,3.00\n"
	t.Run("tolerated", func(t *testing.T) {
		p := newPlatform(t)
		rep := mustPub(t, p, req{table: orders, format: publish.CSV, body: csv, maxRejects: 1})
		if rep.RowsRead != 3 || rep.RowsOK != 2 || rep.RowsFailed != 1 || rep.MaxRejects != 1 {
			t.Errorf("report = read %d ok %d rejected %d max %d, want 3 2 1 1", rep.RowsRead, rep.RowsOK, rep.RowsFailed, rep.MaxRejects)
		}
		if len(rep.Rejects) != 1 || rep.Rejects[0].Line != 3 || rep.Rejects[0].Column != "amount" || !strings.Contains(rep.Rejects[0].Row, "2,bob,x") {
			t.Errorf("rejects = %+v, want line 3 (the header is line 1), column amount, row 2,bob,x", rep.Rejects)
		}
		if diff := cmp.Diff([][]string{{"1", "1.00"}, {"3", "3.00"}}, rows(t, p, "SELECT order_id, amount FROM retail.shop.orders ORDER BY 1")); diff != "" {
			t.Errorf("published rows (-want +got):\n%s", diff)
		}
		if r := check(rep.Contract, "rejectedRows"); r == nil || !r.Passed || *r.Value != 1 {
			t.Errorf("rejectedRows = %+v, want 1 and passed", r)
		}
	})
	t.Run("missing required value tolerated", func(t *testing.T) {
		// The CSV reader accepts the row; the written files' null counts find
		// it, and the files are rewritten without it before the commit.
		p := newPlatform(t)
		rep := mustPub(t, p, req{table: orders, format: publish.CSV, maxRejects: 1,
			body: "order_id,customer,amount\n1,ada,1.00\n2,,2.00\n3,cy,3.00\n"})
		if rep.RowsRead != 3 || rep.RowsOK != 2 || rep.RowsFailed != 1 {
			t.Errorf("report = read %d ok %d rejected %d, want 3 2 1", rep.RowsRead, rep.RowsOK, rep.RowsFailed)
		}
		if len(rep.Rejects) != 1 || rep.Rejects[0].Column != "customer" || !strings.Contains(rep.Rejects[0].Reason, "a value is required") {
			t.Errorf("rejects = %+v, want the row without a customer", rep.Rejects)
		}
		if diff := cmp.Diff([][]string{{"1", "ada"}, {"3", "cy"}}, rows(t, p, "SELECT order_id, customer FROM retail.shop.orders ORDER BY 1")); diff != "" {
			t.Errorf("published rows (-want +got):\n%s", diff)
		}
		var onDisk []string
		_ = filepath.WalkDir(p.Lake.Location(orders), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".parquet") {
				onDisk = append(onDisk, path)
			}
			return nil
		})
		if len(onDisk) != rep.DataFiles {
			t.Errorf("data files on disk = %v, want only the %d committed", onDisk, rep.DataFiles)
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		p := newPlatform(t)
		rep, err := pub(t, p, req{table: orders, format: publish.CSV, body: csv})
		gateFailed(t, rep, err)
		if rep.RowsFailed != 1 || len(rep.Rejects) != 1 {
			t.Errorf("report = rejected %d %+v, want the one bad row", rep.RowsFailed, rep.Rejects)
		}
	})
	t.Run("every row rejected", func(t *testing.T) {
		p := newPlatform(t)
		rep, err := pub(t, p, req{table: orders, format: publish.CSV, body: "order_id,customer,amount\n1,,1\n", maxRejects: 10})
		gateFailed(t, rep, err)
		if r := check(rep.Contract, "acceptedRows"); r == nil || r.Passed {
			t.Errorf("acceptedRows = %+v, want failed: a publish of no rows is refused", r)
		}
	})
}

func TestPublishParquet(t *testing.T) {
	p := newPlatform(t)
	dir := t.TempDir()
	duck, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	path := filepath.Join(dir, "orders.parquet")
	// Exact types for some columns; a DOUBLE amount, a text date, an INTEGER id and a text bool that need casts.
	if _, err := duck.Exec(`COPY (
		SELECT 1::INTEGER AS order_id, 'ada' AS customer, 12.5::DOUBLE AS amount, '2026-01-05' AS order_date,
		       TIMESTAMP '2026-01-05 10:30:00' AS placed_at, 'true' AS paid, 'open' AS status
		UNION ALL
		SELECT 2, 'bob', 0.1, '2026-02-28', NULL, 'false', NULL
	) TO '` + path + `' (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustPub(t, p, req{table: orders, format: publish.Parquet, body: string(data)})
	if rep.RowsOK != 2 || rep.RowsFailed != 0 {
		t.Errorf("report = ok %d rejected %d (%v), want 2 0", rep.RowsOK, rep.RowsFailed, rep.Rejects)
	}
	want := [][]string{
		{"1", "ada", "12.50", "2026-01-05", "2026-01-05T10:30:00", "true", "open", "NULL"},
		{"2", "bob", "0.10", "2026-02-28", "NULL", "false", "NULL", "NULL"},
	}
	if diff := cmp.Diff(want, rows(t, p, ordersSelect)); diff != "" {
		t.Errorf("published rows (-want +got):\n%s", diff)
	}

	// A value that does not cast is a rejected row with its reason.
	bad := filepath.Join(dir, "bad.parquet")
	if _, err := duck.Exec(`COPY (SELECT 9 AS order_id, 'x' AS customer, 1.0 AS amount, 'soon' AS order_date) TO '` + bad + `' (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(bad)
	rep, err = pub(t, p, req{table: orders, format: publish.Parquet, body: string(data)})
	gateFailed(t, rep, err)
	if len(rep.Rejects) != 1 || rep.Rejects[0].Line != 1 || rep.Rejects[0].Reason != `order_date: cannot convert soon to DATE` {
		t.Errorf("rejects = %+v, want line 1: order_date: cannot convert soon to DATE", rep.Rejects)
	}

	// Not Parquet at all.
	if _, err := pub(t, p, req{table: orders, format: publish.Parquet, body: "order_id\n1\n"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("Publish of a CSV body as Parquet: error %v, want Invalid", err)
	}
}

func TestFileDoesNotFitContract(t *testing.T) {
	tests := []struct {
		name   string
		format publish.Format
		body   string
		want   []string
	}{
		{"csv extra column", publish.CSV, "order_id,customer,amount,colour\n1,a,1,red\n", []string{`column "colour" is not in the contract`}},
		{"csv missing required", publish.CSV, "order_id,amount\n1,1\n", []string{`required column "customer" is missing`}},
		{"csv duplicate column", publish.CSV, "order_id,customer,amount,amount\n1,a,1,1\n", []string{`column "amount" appears twice`}},
		{"ndjson extra field", publish.NDJSON, `{"order_id": 1, "customer": "a", "amount": 1, "colour": "red"}` + "\n", []string{`field "colour" is not in the contract`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlatform(t)
			rep, err := pub(t, p, req{table: orders, format: tt.format, body: tt.body})
			gateFailed(t, rep, err)
			if diff := cmp.Diff(tt.want, rep.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPublishErrors(t *testing.T) {
	p := newPlatform(t)
	tests := []struct {
		name string
		r    req
		kind errs.Kind
	}{
		{"unknown table", req{table: lake.Ident{Domain: "retail", Product: "shop", Table: "nope"}, format: publish.CSV, body: "a\n1\n"}, errs.NotFound},
		{"empty upload", req{table: orders, format: publish.CSV, body: ""}, errs.Invalid},
		{"negative max rejects", req{table: orders, format: publish.CSV, body: "a\n", maxRejects: -1}, errs.Invalid},
		{"multi-line idempotency key", req{table: orders, format: publish.CSV, body: "a\n", key: "a\nb"}, errs.Invalid},
		{"long idempotency key", req{table: orders, format: publish.CSV, body: "a\n", key: strings.Repeat("k", 201)}, errs.Invalid},
		{"ndjson not objects", req{table: orders, format: publish.NDJSON, body: "[1, 2]\n"}, errs.Invalid},
		{"unsupported format", req{table: orders, format: "xml", body: "<a/>"}, errs.Unsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := pub(t, p, tt.r)
			if !errs.Is(err, tt.kind) {
				t.Errorf("Publish = %+v, %v (kind %v), want kind %v", rep, err, errs.KindOf(err), tt.kind)
			}
		})
	}
	if s := currentSnapshot(t, p, orders); s != 0 {
		t.Errorf("failed publishes left snapshot %d", s)
	}
}

func TestGateFailureKeepsPreviousSnapshot(t *testing.T) {
	p := newPlatform(t)
	first := mustPub(t, p, req{table: orders, format: publish.CSV, body: "order_id,customer,amount,status\n1,ada,1,open\n"})
	before := files(t, p, orders)
	if len(before) != 1 {
		t.Fatalf("files after the first publish = %v, want 1", before)
	}
	tests := []struct {
		name     string
		body     string
		failing  string // the check that fails
		contract bool   // a contract check rather than a quality rule
	}{
		{"library rule", "order_id,customer,amount,status\n2,bob,1,bogus\n", "status.invalidValues", false},
		{"sql rule", "order_id,customer,amount,status\n2,bob,-5,open\n", "no_negative_amounts", false},
		{"duplicate key in the file", "order_id,customer,amount\n2,bob,1\n2,cy,2\n", "primaryKey.duplicates", true},
		{"key already published", "order_id,customer,amount\n1,bob,1\n3,cy,2\n", "primaryKey.existing", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := pub(t, p, req{table: orders, format: publish.CSV, body: tt.body})
			gateFailed(t, rep, err)
			list := rep.Quality
			if tt.contract {
				list = rep.Contract
			}
			r := check(list, tt.failing)
			if r == nil || r.Passed || !r.Blocking {
				t.Errorf("check %s = %+v, want a blocking failure", tt.failing, r)
			}
			if r != nil && r.Value != nil && *r.Value != 1 {
				t.Errorf("check %s measured %v, want 1", tt.failing, *r.Value)
			}
			if rep.PreviousSnapshotID != first.SnapshotID {
				t.Errorf("report previous snapshot = %d, want %d", rep.PreviousSnapshotID, first.SnapshotID)
			}
			if s := currentSnapshot(t, p, orders); s != first.SnapshotID {
				t.Errorf("current snapshot after a gate failure = %d, want %d", s, first.SnapshotID)
			}
			if diff := cmp.Diff(before, files(t, p, orders)); diff != "" {
				t.Errorf("files under the table after a gate failure (-before +after):\n%s", diff)
			}
			last, _ := p.Registry.LastPublish(admin(), "retail", "shop", "orders")
			if last == nil || last.RunID != rep.RunID || last.Status != "gate_failed" || last.SnapshotID != nil {
				t.Errorf("LastPublish = %+v, want the failed run recorded without a snapshot", last)
			}
		})
	}
	if diff := cmp.Diff([][]string{{"1", "ada"}}, rows(t, p, "SELECT order_id, customer FROM retail.shop.orders")); diff != "" {
		t.Errorf("rows after the failed publishes (-want +got):\n%s", diff)
	}
}

func TestPrimaryKeyAppendAndReplace(t *testing.T) {
	p := newPlatform(t)
	mustPub(t, p, req{table: orders, format: publish.CSV, body: "order_id,customer,amount\n1,ada,1\n2,bob,2\n"})
	rep, err := pub(t, p, req{table: orders, format: publish.CSV, body: "order_id,customer,amount\n2,bob,20\n3,cy,3\n"})
	gateFailed(t, rep, err)
	if r := check(rep.Contract, "primaryKey.existing"); r == nil || *r.Value != 1 || r.Column != "order_id" {
		t.Errorf("primaryKey.existing = %+v, want 1 on order_id", r)
	}
	// A key that only a rejected row repeats does not count.
	mustPub(t, p, req{table: orders, format: publish.CSV, body: "order_id,customer,amount\n2,bob,oops\n3,cy,3\n", maxRejects: 1})
	// Replace does not compare with the data it replaces.
	rep = mustPub(t, p, req{table: orders, format: publish.CSV, body: "order_id,customer,amount\n2,bob,20\n3,cy,30\n", mode: lake.Replace})
	if check(rep.Contract, "primaryKey.existing") != nil {
		t.Errorf("replace measured primaryKey.existing: %+v", rep.Contract)
	}
	if diff := cmp.Diff([][]string{{"2", "20.00"}, {"3", "30.00"}}, rows(t, p, "SELECT order_id, amount FROM retail.shop.orders ORDER BY 1")); diff != "" {
		t.Errorf("rows after replace (-want +got):\n%s", diff)
	}
	// Time travel still sees the first publish.
	tbl, _ := p.Lake.Load(admin(), orders)
	first := lake.Snapshots(tbl)[0].ID
	if diff := cmp.Diff([][]string{{"1"}, {"2"}}, rows(t, p, "SELECT order_id FROM retail.shop.orders AT (VERSION => "+itoa(first)+") ORDER BY 1")); diff != "" {
		t.Errorf("rows of the first snapshot (-want +got):\n%s", diff)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestIdempotencyKey(t *testing.T) {
	p := newPlatform(t)
	body := "order_id,customer,amount\n1,ada,1\n"
	first := mustPub(t, p, req{table: orders, format: publish.CSV, body: body, key: "batch-2026-01-05"})
	again, err := pub(t, p, req{table: orders, format: publish.CSV, body: body, key: "batch-2026-01-05"})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.SnapshotID != first.SnapshotID || again.RunID != first.RunID {
		t.Errorf("replay = replayed %v snapshot %d run %s, want true %d %s", again.Replayed, again.SnapshotID, again.RunID, first.SnapshotID, first.RunID)
	}
	if s := currentSnapshot(t, p, orders); s != first.SnapshotID {
		t.Errorf("a replay committed snapshot %d", s)
	}
	tbl, _ := p.Lake.Load(admin(), orders)
	if got := tbl.CurrentSnapshot().Summary.Properties["meshwork.idempotency-key"]; got != "batch-2026-01-05" {
		t.Errorf("snapshot idempotency key = %q", got)
	}
	// Another key publishes again (and the primary key then refuses the repeat).
	rep, err := pub(t, p, req{table: orders, format: publish.CSV, body: body, key: "batch-2"})
	gateFailed(t, rep, err)
	// A key of a failed run can be used again once the data is right.
	mustPub(t, p, req{table: orders, format: publish.CSV, body: "order_id,customer,amount\n2,bob,1\n", key: "batch-2"})
}

func TestPartitionedPublish(t *testing.T) {
	p := newPlatform(t)
	ctx := admin()
	csv := "event_id,region,at,value\n" +
		"1,eu,2026-01-01 00:00:00,1.5\n" +
		"2,eu,2026-01-01 23:59:59,2\n" +
		"3,eu,2026-01-02 08:00:00,\n" +
		"4,us,2026-01-01 12:00:00,4\n" +
		"5,us,2026-01-03 12:00:00,5\n"
	rep := mustPub(t, p, req{table: events, format: publish.CSV, body: csv})
	if rep.DataFiles != 4 {
		t.Errorf("DataFiles = %d, want 4 (eu/01-01, eu/01-02, us/01-01, us/01-03)", rep.DataFiles)
	}
	tbl, err := p.Lake.Load(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := p.Lake.PlanScan(ctx, events, tbl, tbl.CurrentSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Files) != 4 {
		t.Errorf("PlanScan = %d files, want 4", len(plan.Files))
	}
	// The partition values Iceberg recorded: region and days since the epoch.
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, task := range tasks {
		pv := task.File.Partition()
		parts = append(parts, toString(pv[1000])+"/"+toString(pv[1001])+"/"+itoa(task.File.Count()))
	}
	sort.Strings(parts)
	// 2026-01-01 is day 20454 since 1970-01-01.
	if diff := cmp.Diff([]string{"eu/20454/2", "eu/20455/1", "us/20454/1", "us/20456/1"}, parts); diff != "" {
		t.Errorf("partitions region/day/rows (-want +got):\n%s", diff)
	}
	pruned, err := tbl.Scan(table.WithRowFilter(iceberg.EqualTo(iceberg.Reference("region"), "us"))).PlanFiles(ctx)
	if err != nil || len(pruned) != 2 {
		t.Errorf("scan region = 'us' = %d files, %v, want 2", len(pruned), err)
	}
	want := [][]string{
		{"1", "eu", "2026-01-01T00:00:00", "1.5"},
		{"2", "eu", "2026-01-01T23:59:59", "2"},
		{"3", "eu", "2026-01-02T08:00:00", "NULL"},
		{"4", "us", "2026-01-01T12:00:00", "4"},
		{"5", "us", "2026-01-03T12:00:00", "5"},
	}
	if diff := cmp.Diff(want, rows(t, p, `SELECT event_id, region, "at", value FROM retail.shop.events ORDER BY event_id`)); diff != "" {
		t.Errorf("published rows (-want +got):\n%s", diff)
	}
	// The partition columns themselves are not written twice: files hold the contract's columns only.
	for _, f := range plan.Files {
		if !strings.HasPrefix(f, p.Lake.Location(events)+"/data/"+rep.RunID+"/") {
			t.Errorf("data file %s is not under the run's directory", f)
		}
	}

	// A second publish adds files for its partitions only.
	rep2 := mustPub(t, p, req{table: events, format: publish.NDJSON, body: `{"event_id": 6, "region": "eu", "at": "2026-01-02 09:00:00", "value": 6}` + "\n"})
	if rep2.DataFiles != 1 {
		t.Errorf("second publish DataFiles = %d, want 1", rep2.DataFiles)
	}
	tbl, _ = p.Lake.Load(ctx, events)
	plan, _ = p.Lake.PlanScan(ctx, events, tbl, tbl.CurrentSnapshot())
	if len(plan.Files) != 5 {
		t.Errorf("PlanScan after the second publish = %d files, want 5", len(plan.Files))
	}
	if got := rows(t, p, `SELECT count(*) FROM retail.shop.events WHERE region = 'eu' AND "at" >= TIMESTAMP '2026-01-02'`); got[0][0] != "2" {
		t.Errorf("eu rows on 2026-01-02 = %s, want 2", got[0][0])
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int32:
		return itoa(int64(x))
	case int64:
		return itoa(x)
	case iceberg.Date:
		return itoa(int64(x))
	}
	return "?"
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		in   string
		want publish.Format
	}{
		{"text/csv", publish.CSV},
		{"text/csv; charset=utf-8", publish.CSV},
		{"TEXT/CSV", publish.CSV},
		{"application/csv", publish.CSV},
		{"application/x-ndjson", publish.NDJSON},
		{"application/ndjson", publish.NDJSON},
		{"application/jsonl", publish.NDJSON},
		{"application/x-jsonlines", publish.NDJSON},
		{"application/jsonlines", publish.NDJSON},
		{"application/vnd.apache.parquet", publish.Parquet},
		{"application/x-parquet", publish.Parquet},
		{"application/parquet", publish.Parquet},
	}
	for _, tt := range tests {
		got, err := publish.FormatOf(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("FormatOf(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
		if back, err := publish.FormatOf(got.ContentType()); err != nil || back != got {
			t.Errorf("FormatOf(%q.ContentType()) = %q, %v, want %q", got, back, err, got)
		}
	}
	for _, in := range []string{"", "application/json", "text/plain", "application/octet-stream", "csv"} {
		if got, err := publish.FormatOf(in); !errs.Is(err, errs.Unsupported) {
			t.Errorf("FormatOf(%q) = %q, %v, want an Unsupported error", in, got, err)
		}
	}
}

func TestParseFormat(t *testing.T) {
	tests := map[string]publish.Format{
		"csv": publish.CSV, ".csv": publish.CSV, "CSV": publish.CSV,
		"ndjson": publish.NDJSON, ".jsonl": publish.NDJSON, "json": publish.NDJSON, ".JSON": publish.NDJSON,
		"parquet": publish.Parquet, ".parquet": publish.Parquet,
	}
	for in, want := range tests {
		if got, err := publish.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".", "xlsx", ".tsv", "arrow"} {
		if got, err := publish.ParseFormat(in); !errs.Is(err, errs.Unsupported) {
			t.Errorf("ParseFormat(%q) = %q, %v, want an Unsupported error", in, got, err)
		}
	}
}

// TestPartitionDayOfTimestampTZ checks that a time-zoned timestamp is
// partitioned by its UTC day, as Iceberg's day transform says, whatever the
// server's time zone. DuckDB reads the time zone once, from the environment,
// so the test runs itself again in a process with TZ set.
func TestPartitionDayOfTimestampTZ(t *testing.T) {
	if os.Getenv("MESH_TEST_TZ_CHILD") == "" {
		for _, tz := range []string{"America/New_York", "Asia/Kolkata"} {
			t.Run(tz, func(t *testing.T) {
				cmd := exec.Command(os.Args[0], "-test.run=^TestPartitionDayOfTimestampTZ$", "-test.v")
				cmd.Env = append(os.Environ(), "TZ="+tz, "MESH_TEST_TZ_CHILD=1")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("with TZ=%s: %v\n%s", tz, err, out)
				}
			})
		}
	}
	p := newPlatform(t)
	ctx := admin()
	// 23:30 UTC on the 1st and 01:00 UTC on the 2nd: the same local day in
	// New York, two local days in Kolkata, two UTC days everywhere.
	rep := mustPub(t, p, req{table: visits, format: publish.CSV, body: "visit_id,at\n1,2026-01-01T23:30:00Z\n2,2026-01-02T01:00:00Z\n3,2026-01-02T22:00:00Z\n"})
	tbl, err := p.Lake.Load(ctx, visits)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, task := range tasks {
		parts = append(parts, toString(task.File.Partition()[1000])+"/"+itoa(task.File.Count()))
	}
	sort.Strings(parts)
	if diff := cmp.Diff([]string{"20454/1", "20455/2"}, parts); diff != "" {
		t.Errorf("TZ=%q: partitions day/rows (-want +got):\n%s", os.Getenv("TZ"), diff)
	}
	if rep.DataFiles != 2 {
		t.Errorf("TZ=%q: DataFiles = %d, want 2", os.Getenv("TZ"), rep.DataFiles)
	}
	if got := rows(t, p, "SELECT count(*) FROM retail.shop.visits"); got[0][0] != "3" {
		t.Errorf("visits = %s rows, want 3", got[0][0])
	}
}

// The NDJSON key scan must not hold every distinct key of a large upload in
// memory (nor report each of them): a few lines with many made-up fields
// would otherwise grow the server's memory with the upload's size.
func TestNDJSONManyUnknownFields(t *testing.T) {
	p := newPlatform(t)
	var b strings.Builder
	for line := 0; line < 20; line++ {
		b.WriteString(`{"order_id": 1, "customer": "ada"`)
		for k := 0; k < 5000; k++ {
			b.WriteString(`, "f` + strconv.Itoa(line) + `_` + strconv.Itoa(k) + `": 0`)
		}
		b.WriteString("}\n")
	}
	rep, err := pub(t, p, req{table: orders, format: publish.NDJSON, body: b.String()})
	rep = gateFailed(t, rep, err)
	if len(rep.Problems) == 0 || len(rep.Problems) > 1000 {
		t.Errorf("Publish of 100000 unknown fields: %d problems, want some and at most 1000", len(rep.Problems))
	}
}

// A failure to write the data files is the server's, not the upload's: it
// must not be reported as an unreadable file, nor name the server's paths.
func TestWriteFailureIsInternal(t *testing.T) {
	p := newPlatform(t)
	// Something in the way of the table's data directory.
	if err := os.MkdirAll(p.Lake.Location(orders), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.Lake.Location(orders), "data"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	csv := "customer,order_id,amount,order_date,placed_at,paid,status\nada,1,12.50,2026-01-05,2026-01-05 10:30:00,true,open\n"
	for _, f := range []struct {
		format publish.Format
		body   string
	}{{publish.CSV, csv}, {publish.NDJSON, `{"order_id": 1, "customer": "ada", "amount": 1}` + "\n"}} {
		_, err := pub(t, p, req{table: orders, format: f.format, body: f.body})
		kind, msg, _ := errs.Public(err)
		if kind != errs.Internal || strings.Contains(msg, p.Lake.Warehouse()) {
			t.Errorf("Publish(%s) with an unwritable data directory = %v %q, want internal without server paths", f.format, kind, msg)
		}
	}
	if s := currentSnapshot(t, p, orders); s != 0 {
		t.Errorf("failed publish left snapshot %d", s)
	}
}

// A publish whose commit went through but whose record did not (the process
// stopped in between) is still found by its idempotency key: the key is in
// the snapshot's summary, and a retry must not commit the data again.
func TestIdempotencyKeyCommittedButNotRecorded(t *testing.T) {
	p := newPlatform(t)
	body := "order_id,customer,amount\n1,ada,1\n"
	first := mustPub(t, p, req{table: orders, format: publish.CSV, body: body, key: "batch-7"})
	db, err := sql.Open("sqlite", filepath.Join(filepath.Dir(p.Lake.Warehouse()), "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM mesh_publishes WHERE run_id = ?", first.RunID); err != nil {
		t.Fatal(err)
	}
	again, err := pub(t, p, req{table: orders, format: publish.CSV, body: body, key: "batch-7", maxRejects: 0})
	if err != nil {
		t.Fatalf("retry: %v (report %+v)", err, details(err))
	}
	if !again.Replayed || again.SnapshotID != first.SnapshotID || again.RunID != first.RunID || again.RowsOK != 1 {
		t.Errorf("retry = replayed %v snapshot %d run %s rows %d, want true %d %s 1", again.Replayed, again.SnapshotID, again.RunID, again.RowsOK, first.SnapshotID, first.RunID)
	}
	if s := currentSnapshot(t, p, orders); s != first.SnapshotID {
		t.Errorf("the retry committed snapshot %d", s)
	}
}
