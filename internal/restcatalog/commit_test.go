// These tests write through the catalog as an engine would, with
// iceberg-go's REST client: write-audit-publish onto branches.

package restcatalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/restcatalog"
)

// newCommitEnv is newEnv with commits served: the catalog gets the
// platform's publisher.
func newCommitEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	h := restcatalog.Handler(restcatalog.Config{Registry: e.p.Registry, Lake: e.p.Lake, Access: e.p.Access, Gov: e.p.Gov,
		Audit: e.p.Audit, TokenTTL: 10 * time.Minute, Publisher: e.p.Publisher})
	v, err := loadSpec()
	if err != nil {
		t.Fatalf("OpenAPI spec: %v", err)
	}
	if v != nil {
		h = validating(t, v, h)
	}
	mux := http.NewServeMux()
	mux.Handle("/iceberg/", http.StripPrefix("/iceberg", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{p: e.p, srv: srv, base: srv.URL + "/iceberg"}
}

// demoSecrets are the demo principals' tokens by name.
func demoSecrets(t *testing.T, e *env) map[string]string {
	t.Helper()
	toks, err := demo.Tokens(context.Background(), e.p.Access)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tk := range toks {
		out[tk.Principal] = tk.Secret
	}
	return out
}

var region = table.Identifier{"customers", "crm", "region"}

// appendOn writes rows (a JSON array of objects) as a new snapshot of tbl
// on branch ("" for main) and commits it through the catalog.
func appendOn(ctx context.Context, tbl *table.Table, branch, rows string) (*table.Table, error) {
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, false, false)
	if err != nil {
		return nil, err
	}
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, sc, strings.NewReader(rows))
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	rdr, err := array.NewRecordReader(sc, []arrow.RecordBatch{rec})
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	tx := tbl.NewTransaction()
	if branch != "" {
		tx = tbl.NewTransactionOnBranch(branch)
	}
	if err := tx.Append(ctx, rdr, iceberg.Properties{"writer": "test"}); err != nil {
		return nil, err
	}
	return tx.Commit(ctx)
}

func (e *env) count(t *testing.T, name string) string {
	t.Helper()
	_, rows, err := e.p.Engine.Exec(platform.AsAdmin(context.Background()), "SELECT count(*) FROM "+name)
	if err != nil {
		t.Fatalf("count %s: %v", name, err)
	}
	return fmt.Sprint(rows[0][0])
}

func mainOf(t *testing.T, e *env, id table.Identifier) int64 {
	t.Helper()
	tbl, err := e.p.Lake.Load(context.Background(), lakeIdent(id))
	if err != nil {
		t.Fatal(err)
	}
	if s := tbl.CurrentSnapshot(); s != nil {
		return s.SnapshotID
	}
	return 0
}

func lastRun(t *testing.T, e *env, id table.Identifier) publish.Report {
	t.Helper()
	p, err := e.p.Registry.LastPublish(context.Background(), id[0], id[1], id[2])
	if err != nil || p == nil {
		t.Fatalf("LastPublish = %v, %v", p, err)
	}
	var rep publish.Report
	if err := json.Unmarshal(p.Report, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestCommitBranch(t *testing.T) {
	e := newCommitEnv(t)
	ctx := context.Background()
	secret := demoSecrets(t, e)
	cat := e.catalog(t, rest.WithOAuthToken(secret["customers-publisher"]))

	t.Run("config advertises commits", func(t *testing.T) {
		r := e.do(t, secret["customers-publisher"], http.MethodGet, "/v1/config", nil)
		for _, ep := range []string{"POST /v1/{prefix}/namespaces/{namespace}/tables/{table}", "POST /v1/{prefix}/transactions/commit"} {
			if !strings.Contains(string(r.body), `"`+ep+`"`) {
				t.Errorf("GET /v1/config does not advertise %s: %s", ep, r.body)
			}
		}
	})

	t.Run("good data is published", func(t *testing.T) {
		before := mainOf(t, e, region)
		tbl, err := cat.LoadTable(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		after, err := appendOn(ctx, tbl, "audit_good", `[{"r_regionkey": 10, "r_name": "ANTARCTICA", "r_comment": "cold"}]`)
		if err != nil {
			t.Fatalf("commit onto a branch: %v", err)
		}
		head := after.Metadata().SnapshotByName("audit_good")
		if head == nil {
			t.Fatal("the branch is not in the answered metadata")
		}
		if got := mainOf(t, e, region); got != head.SnapshotID || got == before {
			t.Errorf("main = %d, want the branch head %d (was %d)", got, head.SnapshotID, before)
		}
		if s := after.CurrentSnapshot(); s == nil || s.SnapshotID != head.SnapshotID {
			t.Errorf("the answered metadata's main is not the branch head")
		}
		if got := e.count(t, "customers.crm.region"); got != "6" {
			t.Errorf("Meshwork SQL counts %s regions, want 6", got)
		}
		_, rows, err := e.p.Engine.Exec(platform.AsAdmin(ctx), "SELECT r_name FROM customers.crm.region WHERE r_regionkey = 10")
		if err != nil || len(rows) != 1 || fmt.Sprint(rows[0][0]) != "ANTARCTICA" {
			t.Errorf("the new row through Meshwork SQL: %v, %v", rows, err)
		}
		rep := lastRun(t, e, region)
		if rep.Status != publish.StatusCommitted || rep.Branch != "audit_good" || rep.RowsRead != 1 || rep.SnapshotID != head.SnapshotID {
			t.Errorf("recorded run: %+v", rep)
		}
		// The catalog serves the new metadata at once.
		again, err := cat.LoadTable(ctx, region)
		if err != nil || again.CurrentSnapshot().SnapshotID != head.SnapshotID {
			t.Errorf("LoadTable after the publish: %v", err)
		}
	})

	t.Run("bad data stays on its branch", func(t *testing.T) {
		before := mainOf(t, e, region)
		tbl, err := cat.LoadTable(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		// Region 1 exists: the primary key would repeat.
		after, err := appendOn(ctx, tbl, "audit_bad", `[{"r_regionkey": 1, "r_name": "AMERICA", "r_comment": "again"}]`)
		if err != nil {
			t.Fatalf("commit onto a branch: %v", err)
		}
		head := after.Metadata().SnapshotByName("audit_bad")
		if head == nil {
			t.Fatal("the branch was not kept")
		}
		if got := mainOf(t, e, region); got != before {
			t.Errorf("main moved to %d, want it unchanged at %d", got, before)
		}
		if got := e.count(t, "customers.crm.region"); got != "6" {
			t.Errorf("Meshwork SQL counts %s regions, want 6", got)
		}
		rep := lastRun(t, e, region)
		if rep.Status != publish.StatusGateFailed || rep.Branch != "audit_bad" {
			t.Errorf("recorded run: %+v", rep)
		}
		failed := false
		for _, c := range rep.Contract {
			failed = failed || (c.Name == "primaryKey.existing" && !c.Passed)
		}
		if !failed {
			t.Errorf("the report does not fail primaryKey.existing: %+v", rep.Contract)
		}
	})

	t.Run("main is refused", func(t *testing.T) {
		before := mainOf(t, e, region)
		tbl, err := cat.LoadTable(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		_, err = appendOn(ctx, tbl, "", `[{"r_regionkey": 11, "r_name": "MOON", "r_comment": "far"}]`)
		if !errors.Is(err, rest.ErrForbidden) || !strings.Contains(err.Error(), "branch") {
			t.Errorf("commit to main: %v, want forbidden, telling to write to a branch", err)
		}
		if got := mainOf(t, e, region); got != before {
			t.Errorf("main moved")
		}
	})

	t.Run("non-publisher", func(t *testing.T) {
		consumer := e.catalog(t, rest.WithOAuthToken(secret["customers-consumer"]))
		tbl, err := consumer.LoadTable(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		_, err = appendOn(ctx, tbl, "audit_consumer", `[{"r_regionkey": 12, "r_name": "MARS", "r_comment": "red"}]`)
		if !errors.Is(err, rest.ErrForbidden) {
			t.Errorf("a consumer's commit: %v, want forbidden", err)
		}
	})

	t.Run("audited", func(t *testing.T) {
		if err := e.p.Audit.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		evs, err := e.p.Audit.Since(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, ev := range evs {
			if ev.Action != "iceberg.commit" {
				continue
			}
			var d struct{ Publish string }
			_ = json.Unmarshal(ev.Details, &d)
			got[ev.Principal+" "+ev.Outcome+" "+d.Publish]++
		}
		for _, k := range []string{"customers-publisher ok published", "customers-publisher ok rejected", "customers-consumer denied "} {
			if got[k] == 0 {
				t.Errorf("no audit record %q among %v", k, got)
			}
		}
	})
}

func TestCommitRefused(t *testing.T) {
	e := newCommitEnv(t)
	ctx := context.Background()
	secret := demoSecrets(t, e)
	pub := secret["customers-publisher"]
	cat := e.catalog(t, rest.WithOAuthToken(pub))
	tbl, err := cat.LoadTable(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	main := tbl.CurrentSnapshot().SnapshotID
	loc := tbl.MetadataLocation()
	unchanged := func(t *testing.T) {
		t.Helper()
		now, err := e.p.Lake.Load(ctx, lakeIdent(region))
		if err != nil {
			t.Fatal(err)
		}
		if now.MetadataLocation() != loc {
			t.Errorf("the table changed: %s, was %s", now.MetadataLocation(), loc)
		}
	}

	t.Run("failed requirement", func(t *testing.T) {
		wrong := main + 1
		_, _, err := cat.CommitTable(ctx, region, []table.Requirement{table.AssertRefSnapshotID("main", &wrong)},
			[]table.Update{table.NewSetSnapshotRefUpdate("b1", main, table.BranchRef, 0, 0, 0)})
		if !errors.Is(err, table.ErrCommitFailed) {
			t.Errorf("CommitTable with a failed requirement: %v, want CommitFailed (409)", err)
		}
		unchanged(t)
	})

	t.Run("schema change", func(t *testing.T) {
		sch := iceberg.NewSchema(5, append(tbl.Schema().Fields(), iceberg.NestedField{ID: 100, Name: "extra", Type: iceberg.PrimitiveTypes.String})...)
		_, _, err := cat.CommitTable(ctx, region, nil, []table.Update{table.NewAddSchemaUpdate(sch), table.NewSetCurrentSchemaUpdate(-1)})
		if !errors.Is(err, rest.ErrBadRequest) || !strings.Contains(err.Error(), "mesh apply") {
			t.Errorf("schema change: %v, want bad request naming mesh apply", err)
		}
		unchanged(t)
	})

	t.Run("main ref", func(t *testing.T) {
		_, _, err := cat.CommitTable(ctx, region, nil, []table.Update{table.NewSetSnapshotRefUpdate("main", main, table.BranchRef, 0, 0, 0)})
		if !errors.Is(err, rest.ErrForbidden) {
			t.Errorf("setting main: %v, want forbidden", err)
		}
		unchanged(t)
	})

	path := "/v1/namespaces/customers%1Fcrm/tables/region"
	for _, c := range []struct {
		name, path, body string
		status           int
		typ, msg         string
	}{
		{"unknown update", path, `{"requirements":[],"updates":[{"action":"frobnicate"}]}`, 400, "BadRequestException", "unknown update type"},
		{"unknown requirement", path, `{"requirements":[{"type":"assert-nothing"}],"updates":[]}`, 400, "BadRequestException", "unknown requirement type"},
		{"malformed JSON", path, `{"requirements":[`, 400, "BadRequestException", "JSON"},
		{"not an object", path, `[1,2]`, 400, "BadRequestException", "JSON"},
		{"no updates", path, `{"requirements":[]}`, 400, "BadRequestException", "updates"},
		{"properties", path, `{"requirements":[],"updates":[{"action":"set-properties","updates":{"a":"b"}}]}`, 400, "BadRequestException", "managed by Meshwork"},
		{"tag", path, fmt.Sprintf(`{"requirements":[],"updates":[{"action":"set-snapshot-ref","ref-name":"t","type":"tag","snapshot-id":%d}]}`, main), 400, "BadRequestException", "only branches"},
		{"wrong identifier", path, `{"identifier":{"namespace":["sales","orders"],"name":"orders"},"requirements":[],"updates":[]}`, 400, "BadRequestException", "identifier"},
		{"two tables", "/v1/transactions/commit", `{"table-changes":[{"identifier":{"namespace":["customers","crm"],"name":"region"},"requirements":[],"updates":[]},{"identifier":{"namespace":["customers","crm"],"name":"nation"},"requirements":[],"updates":[]}]}`, 400, "BadRequestException", "exactly one table"},
		{"transaction unknown update", "/v1/transactions/commit", `{"table-changes":[{"identifier":{"namespace":["customers","crm"],"name":"region"},"requirements":[],"updates":[{"action":"nope"}]}]}`, 400, "BadRequestException", "unknown update type"},
		{"unknown table", "/v1/namespaces/customers%1Fcrm/tables/nope", `{"requirements":[],"updates":[]}`, 404, "NoSuchTableException", "nope"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, pub, http.MethodPost, c.path, strings.NewReader(c.body), "Content-Type", "application/json")
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			ie := r.icebergError(t)
			if ie.Error.Type != c.typ || !strings.Contains(ie.Error.Message, c.msg) {
				t.Errorf("error %s %q, want %s containing %q", ie.Error.Type, ie.Error.Message, c.typ, c.msg)
			}
			unchanged(t)
		})
	}

	t.Run("files outside the table", func(t *testing.T) {
		seq := tbl.Metadata().LastSequenceNumber() + 1
		for _, ml := range []string{"file:///etc/passwd", strings.Replace(tbl.Location(), "/region", "/nation", 1) + "/metadata/snap.avro"} {
			body := fmt.Sprintf(`{"requirements":[],"updates":[{"action":"add-snapshot","snapshot":{"snapshot-id":77,"parent-snapshot-id":%d,"sequence-number":%d,"timestamp-ms":%d,"manifest-list":%q,"summary":{"operation":"append"},"schema-id":%d}},{"action":"set-snapshot-ref","ref-name":"sneaky","type":"branch","snapshot-id":77}]}`,
				main, seq, time.Now().UnixMilli(), ml, tbl.Schema().ID)
			r := e.do(t, pub, http.MethodPost, path, strings.NewReader(body), "Content-Type", "application/json")
			if ie := r.icebergError(t); r.status != http.StatusBadRequest || !strings.Contains(ie.Error.Message, "outside the table's location") {
				t.Errorf("manifest list %s: %d %s", ml, r.status, r.body)
			}
		}
		unchanged(t)
	})

	t.Run("stale schema", func(t *testing.T) {
		body := fmt.Sprintf(`{"requirements":[],"updates":[{"action":"add-snapshot","snapshot":{"snapshot-id":78,"sequence-number":%d,"timestamp-ms":%d,"manifest-list":"%s/metadata/x.avro","summary":{"operation":"append"},"schema-id":%d}},{"action":"set-snapshot-ref","ref-name":"old","type":"branch","snapshot-id":78}]}`,
			tbl.Metadata().LastSequenceNumber()+1, time.Now().UnixMilli(), tbl.Location(), tbl.Schema().ID+1)
		r := e.do(t, pub, http.MethodPost, path, strings.NewReader(body), "Content-Type", "application/json")
		if ie := r.icebergError(t); r.status != http.StatusConflict || ie.Error.Type != "CommitFailedException" || !strings.Contains(ie.Error.Message, "mesh apply") {
			t.Errorf("a snapshot of another schema: %d %s", r.status, r.body)
		}
		unchanged(t)
	})

	t.Run("oversized", func(t *testing.T) {
		big := `{"requirements":[],"updates":[],"x":"` + strings.Repeat("a", 9<<20) + `"}`
		r := e.do(t, pub, http.MethodPost, path, strings.NewReader(big), "Content-Type", "application/json")
		if r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413: %s", r.status, clipBody(r.body))
		}
		unchanged(t)
	})

	t.Run("create and drop stay refused", func(t *testing.T) {
		r := e.do(t, e.p.AdminSecret, http.MethodDelete, path, nil)
		if ie := r.icebergError(t); r.status < 400 || !strings.Contains(ie.Error.Message, "mesh apply") {
			t.Errorf("admin drop: %d %s", r.status, r.body)
		}
		r = e.do(t, pub, http.MethodDelete, path, nil)
		if r.status != http.StatusForbidden {
			t.Errorf("publisher drop: %d %s", r.status, r.body)
		}
		unchanged(t)
	})
}

func TestCommitConcurrent(t *testing.T) {
	e := newCommitEnv(t)
	ctx := context.Background()
	secret := demoSecrets(t, e)
	cat := e.catalog(t, rest.WithOAuthToken(secret["customers-publisher"]))
	tbl, err := cat.LoadTable(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	main := tbl.CurrentSnapshot().SnapshotID

	t.Run("one wins", func(t *testing.T) {
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each creates branch "race" only if it does not exist yet.
				_, _, errs[i] = cat.CommitTable(ctx, region, []table.Requirement{table.AssertRefSnapshotID("race", nil)},
					[]table.Update{table.NewSetSnapshotRefUpdate("race", main, table.BranchRef, 0, 0, 0)})
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, table.ErrCommitFailed):
				t.Errorf("commit %d: %v, want success or CommitFailed", i, err)
			}
		}
		if won != 1 {
			t.Errorf("%d commits won, want exactly 1", won)
		}
	})

	t.Run("no update is lost", func(t *testing.T) {
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("own%d", i)
				_, _, errs[i] = cat.CommitTable(ctx, region, []table.Requirement{table.AssertRefSnapshotID(name, nil)},
					[]table.Update{table.NewSetSnapshotRefUpdate(name, main, table.BranchRef, 0, 0, 0)})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("commit %d: %v", i, err)
			}
		}
		now, err := e.p.Lake.Load(ctx, lakeIdent(region))
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if now.Metadata().SnapshotByName(fmt.Sprintf("own%d", i)) == nil {
				t.Errorf("branch own%d was lost", i)
			}
		}
	})
}

// headerLog records the Meshwork-Publish header of every commit answer.
type headerLog struct {
	mu   sync.Mutex
	seen []string
}

func (h *headerLog) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost {
		if v := res.Header.Get(restcatalog.PublishHeader); v != "" {
			h.mu.Lock()
			h.seen = append(h.seen, v)
			h.mu.Unlock()
		}
	}
	return res, err
}

func (h *headerLog) last() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) == 0 {
		return ""
	}
	return h.seen[len(h.seen)-1]
}

func TestCommitOutcomes(t *testing.T) {
	e := newCommitEnv(t)
	ctx := context.Background()
	secret := demoSecrets(t, e)
	hl := &headerLog{}
	cat := e.catalog(t, rest.WithOAuthToken(secret["customers-publisher"]), rest.WithCustomTransport(hl))

	t.Run("published header", func(t *testing.T) {
		tbl, err := cat.LoadTable(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		after, err := appendOn(ctx, tbl, "audit_h", `[{"r_regionkey": 20, "r_name": "ATLANTIS", "r_comment": "wet"}]`)
		if err != nil {
			t.Fatal(err)
		}
		rep := lastRun(t, e, region)
		want := fmt.Sprintf("published; run=%s; snapshot=%d", rep.RunID, after.CurrentSnapshot().SnapshotID)
		if got := hl.last(); got != want {
			t.Errorf("%s = %q, want %q", restcatalog.PublishHeader, got, want)
		}
	})

	t.Run("rejected header and required column", func(t *testing.T) {
		before := mainOf(t, e, region)
		tbl, err := cat.LoadTable(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		// A writer whose Arrow schema lets r_name be null: the data file holds a null in a required column.
		sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, false, false)
		if err != nil {
			t.Fatal(err)
		}
		fields := sc.Fields()
		for i := range fields {
			fields[i].Nullable = true
		}
		loose := arrow.NewSchema(fields, nil)
		rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, loose, strings.NewReader(`[{"r_regionkey": 21, "r_name": null, "r_comment": "nameless"}]`))
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		rdr, err := array.NewRecordReader(loose, []arrow.RecordBatch{rec})
		if err != nil {
			t.Fatal(err)
		}
		defer rdr.Release()
		tx := tbl.NewTransactionOnBranch("audit_null")
		if err := tx.Append(ctx, rdr, nil); err != nil {
			t.Skipf("iceberg-go refuses to write a null into a required column itself: %v", err)
		}
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatalf("commit onto a branch: %v", err)
		}
		rep := lastRun(t, e, region)
		if rep.Status != publish.StatusGateFailed || rep.RowsFailed != 1 || len(rep.Rejects) != 1 || rep.Rejects[0].Column != "r_name" {
			t.Errorf("recorded run: %+v", rep)
		}
		if got, want := hl.last(), "rejected; run="+rep.RunID; got != want {
			t.Errorf("%s = %q, want %q", restcatalog.PublishHeader, got, want)
		}
		if got := mainOf(t, e, region); got != before {
			t.Errorf("main moved")
		}
	})

	t.Run("transaction", func(t *testing.T) {
		tbl, err := cat.LoadTable(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := table.SchemaToArrowSchema(tbl.Schema(), nil, false, false)
		rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, sc, strings.NewReader(`[{"r_regionkey": 22, "r_name": "LEMURIA", "r_comment": "sunk"}]`))
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		rdr, _ := array.NewRecordReader(sc, []arrow.RecordBatch{rec})
		defer rdr.Release()
		tx := tbl.NewTransactionOnBranch("audit_tx")
		if err := tx.Append(ctx, rdr, nil); err != nil {
			t.Fatal(err)
		}
		tc, err := tx.TableCommit()
		if err != nil {
			t.Fatal(err)
		}
		if err := cat.CommitTransaction(ctx, []table.TableCommit{tc}); err != nil {
			t.Fatalf("CommitTransaction: %v", err)
		}
		if rep := lastRun(t, e, region); rep.Status != publish.StatusCommitted || rep.Branch != "audit_tx" {
			t.Errorf("recorded run: %+v", rep)
		}
		if got := e.count(t, "customers.crm.region"); got != "7" {
			t.Errorf("Meshwork SQL counts %s regions, want 7", got)
		}
	})

	t.Run("overwrite is judged whole", func(t *testing.T) {
		tbl, err := cat.LoadTable(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := table.SchemaToArrowSchema(tbl.Schema(), nil, false, false)
		rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, sc, strings.NewReader(
			`[{"r_regionkey": 0, "r_name": "AFRICA", "r_comment": "a"}, {"r_regionkey": 1, "r_name": "AMERICA", "r_comment": "b"}]`))
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		rdr, _ := array.NewRecordReader(sc, []arrow.RecordBatch{rec})
		defer rdr.Release()
		tx := tbl.NewTransactionOnBranch("audit_overwrite")
		if err := tx.Overwrite(ctx, rdr, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatalf("commit onto a branch: %v", err)
		}
		rep := lastRun(t, e, region)
		if rep.Status != publish.StatusCommitted || rep.Mode != "replace" || rep.RowsRead != 2 {
			t.Errorf("recorded run: %+v", rep)
		}
		if got := e.count(t, "customers.crm.region"); got != "2" {
			t.Errorf("Meshwork SQL counts %s regions, want 2", got)
		}
	})

	t.Run("stale branch", func(t *testing.T) {
		// A branch made from main; then Meshwork publishes to main.
		main := mainOf(t, e, region)
		if _, _, err := cat.CommitTable(ctx, region, []table.Requirement{table.AssertRefSnapshotID("audit_stale", nil)},
			[]table.Update{table.NewSetSnapshotRefUpdate("audit_stale", main, table.BranchRef, 0, 0, 0)}); err != nil {
			t.Fatalf("create the branch: %v", err)
		}
		if got := hl.last(); got != "none" {
			t.Errorf("%s of a commit that adds no snapshot = %q, want none", restcatalog.PublishHeader, got)
		}
		csv := "r_regionkey,r_name,r_comment\n30,MU,lost\n"
		if _, err := e.p.Publisher.Publish(platform.AsAdmin(ctx), publish.Request{Table: lakeIdent(region), Mode: "append",
			Format: publish.CSV, Body: strings.NewReader(csv)}); err != nil {
			t.Fatalf("publish: %v", err)
		}
		moved := mainOf(t, e, region)
		tbl, err := cat.LoadTable(ctx, region)
		if err != nil {
			t.Fatal(err)
		}
		_, err = appendOn(ctx, tbl, "audit_stale", `[{"r_regionkey": 31, "r_name": "HYPERBOREA", "r_comment": "north"}]`)
		if err != nil {
			t.Fatalf("commit onto a branch: %v", err)
		}
		rep := lastRun(t, e, region)
		if rep.Status != publish.StatusStale {
			t.Errorf("recorded run: %+v", rep)
		}
		if got, want := hl.last(), "stale; run="+rep.RunID; got != want {
			t.Errorf("%s = %q, want %q", restcatalog.PublishHeader, got, want)
		}
		if got := mainOf(t, e, region); got != moved {
			t.Errorf("main moved from Meshwork's publish")
		}
		now, err := e.p.Lake.Load(ctx, lakeIdent(region))
		if err != nil || now.Metadata().SnapshotByName("audit_stale") == nil {
			t.Errorf("the stale branch was not kept: %v", err)
		}
	})
}
