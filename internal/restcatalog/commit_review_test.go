package restcatalog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/restcatalog"
)

// TestCommitMeshworkSummary checks that a snapshot committed through the
// catalog cannot carry Meshwork's own summary properties: Meshwork reads
// them back (meshwork.idempotency-key, meshwork.run-id) to tell which
// publishes already committed, so a planted key would make a later
// `mesh publish` with that key answer "already published" without
// publishing anything.
func TestCommitMeshworkSummary(t *testing.T) {
	e := newCommitEnv(t)
	ctx := context.Background()
	secret := demoSecrets(t, e)
	cat := e.catalog(t, rest.WithOAuthToken(secret["customers-publisher"]))
	tbl, err := cat.LoadTable(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	// Region 1 exists: this branch fails the gates, but its snapshot stays.
	_, _ = appendOnWith(ctx, tbl, "planted", `[{"r_regionkey": 1, "r_name": "AMERICA", "r_comment": "again"}]`,
		map[string]string{"meshwork.idempotency-key": "nightly-1", "meshwork.run-id": "r_fake"})
	before := mainOf(t, e, region)
	csv := "r_regionkey,r_name,r_comment\n40,ATLANTIS,sunk\n"
	rep, err := e.p.Publisher.Publish(platform.AsAdmin(ctx), publish.Request{Table: lakeIdent(region), Mode: "append",
		Format: publish.CSV, Body: strings.NewReader(csv), IdempotencyKey: "nightly-1"})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if rep.Replayed || mainOf(t, e, region) == before {
		t.Errorf("publish with idempotency key nightly-1 = replayed %v (snapshot %d), main %d -> %d: a branch snapshot's summary stood for the publish",
			rep.Replayed, rep.SnapshotID, before, mainOf(t, e, region))
	}
}

// appendOnWith is appendOn with the snapshot's summary properties.
func appendOnWith(ctx context.Context, tbl *table.Table, branch, rows string, props map[string]string) (*table.Table, error) {
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
	tx := tbl.NewTransactionOnBranch(branch)
	if err := tx.Append(ctx, rdr, iceberg.Properties(props)); err != nil {
		return nil, err
	}
	return tx.Commit(ctx)
}

// TestBranchesHiddenFromReaders: a snapshot on a branch has not passed the
// gates (it may be one they rejected), so a principal who may read the
// table but not publish it is served main and its published history only;
// its publishers see the branches.
func TestBranchesHiddenFromReaders(t *testing.T) {
	e := newCommitEnv(t)
	ctx := context.Background()
	secret := demoSecrets(t, e)
	cat := e.catalog(t, rest.WithOAuthToken(secret["customers-publisher"]))
	tbl, err := cat.LoadTable(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	// Region 1 exists: the gates reject this branch.
	after, err := appendOn(ctx, tbl, "audit_bad", `[{"r_regionkey": 1, "r_name": "AMERICA", "r_comment": "again"}]`)
	if err != nil {
		t.Fatal(err)
	}
	rejected := after.Metadata().SnapshotByName("audit_bad").SnapshotID
	sees := func(who string) (branch, snapshot bool, etag string) {
		t.Helper()
		r := e.do(t, secret[who], http.MethodGet, "/v1/namespaces/customers%1Fcrm/tables/region", nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s loads the table: %d %s", who, r.status, r.body)
		}
		var res struct {
			Metadata struct {
				Refs      map[string]json.RawMessage `json:"refs"`
				Snapshots []struct {
					ID int64 `json:"snapshot-id"`
				} `json:"snapshots"`
				Current int64 `json:"current-snapshot-id"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatal(err)
		}
		if res.Metadata.Current != mainOf(t, e, region) || res.Metadata.Refs["main"] == nil {
			t.Errorf("%s is served main %d, want %d", who, res.Metadata.Current, mainOf(t, e, region))
		}
		for _, s := range res.Metadata.Snapshots {
			snapshot = snapshot || s.ID == rejected
		}
		return res.Metadata.Refs["audit_bad"] != nil, snapshot, r.header.Get("ETag")
	}
	if b, s, _ := sees("customers-consumer"); b || s {
		t.Errorf("a consumer is served the rejected branch (ref %v, snapshot %v)", b, s)
	}
	if b, s, _ := sees("customers-publisher"); !b || !s {
		t.Errorf("a publisher is not served the branch (ref %v, snapshot %v)", b, s)
	}
	_, _, cEtag := sees("customers-consumer")
	_, _, pEtag := sees("customers-publisher")
	if cEtag == pEtag {
		t.Errorf("the consumer's and the publisher's answers have the same ETag %s", cEtag)
	}
}

// TestCommitDuplicateFiles: a snapshot whose manifests list a data file
// twice reads every row of that file twice in an engine, while Meshwork
// reads each file once: the gates never see the duplicates. Such a snapshot
// must not be published.
func TestCommitDuplicateFiles(t *testing.T) {
	e := newCommitEnv(t)
	ctx := context.Background()
	secret := demoSecrets(t, e)
	tbl, err := e.p.Lake.Load(ctx, lakeIdent(region))
	if err != nil {
		t.Fatal(err)
	}
	main := tbl.CurrentSnapshot()
	fs, err := tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mains, err := main.Manifests(fs)
	if err != nil {
		t.Fatal(err)
	}
	// A good new row, staged (its data file and manifest written) but not
	// committed.
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, sc, strings.NewReader(`[{"r_regionkey": 50, "r_name": "LEMURIA", "r_comment": "gone"}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	rdr, err := array.NewRecordReader(sc, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	tx := tbl.NewTransactionOnBranch("seed")
	if err := tx.Append(ctx, rdr, nil); err != nil {
		t.Fatal(err)
	}
	staged, err := tx.StagedTable()
	if err != nil {
		t.Fatal(err)
	}
	withNew, err := staged.Metadata().SnapshotByName("seed").Manifests(fs)
	if err != nil {
		t.Fatal(err)
	}
	list := strings.TrimPrefix(tbl.Location(), "file://") + "/metadata/dup-list.avro"
	f, err := os.Create(list)
	if err != nil {
		t.Fatal(err)
	}
	seq := tbl.Metadata().LastSequenceNumber() + 1
	const snap = 4242
	if err := iceberg.WriteManifestList(2, f, snap, &main.SnapshotID, &seq, 0, append(append([]iceberg.ManifestFile{}, withNew...), mains...)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"requirements":[],"updates":[{"action":"add-snapshot","snapshot":{"snapshot-id":%d,"parent-snapshot-id":%d,"sequence-number":%d,"timestamp-ms":%d,"manifest-list":%q,"summary":{"operation":"append"},"schema-id":%d}},{"action":"set-snapshot-ref","ref-name":"twice","type":"branch","snapshot-id":%d}]}`,
		snap, main.SnapshotID, seq, time.Now().UnixMilli(), "file://"+list, tbl.Schema().ID, snap)
	r := e.do(t, secret["customers-publisher"], http.MethodPost, "/v1/namespaces/customers%1Fcrm/tables/region", strings.NewReader(body), "Content-Type", "application/json")
	if got := mainOf(t, e, region); got == snap {
		t.Errorf("main is the snapshot that lists main's files twice (commit answered %d, %s %q)", r.status, restcatalog.PublishHeader, r.header.Get(restcatalog.PublishHeader))
	}
}

// blockingPublisher holds each branch publish until release is closed.
type blockingPublisher struct {
	restcatalog.Publisher
	started chan struct{}
	release chan struct{}
}

func (b *blockingPublisher) PublishBranch(ctx context.Context, req publish.BranchRequest) (*publish.Report, error) {
	close(b.started)
	<-b.release
	return b.Publisher.PublishBranch(ctx, req)
}

// TestCommitAuditedWhenItLands: a branch commit is in the audit log as soon
// as it has landed, not only once its gates are done (which may take
// minutes, or never end if the server stops meanwhile).
func TestCommitAuditedWhenItLands(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bp := &blockingPublisher{Publisher: e.p.Publisher, started: make(chan struct{}), release: make(chan struct{})}
	h := restcatalog.Handler(restcatalog.Config{Registry: e.p.Registry, Lake: e.p.Lake, Access: e.p.Access, Gov: e.p.Gov,
		Audit: e.p.Audit, TokenTTL: 10 * time.Minute, Publisher: bp})
	mux := http.NewServeMux()
	mux.Handle("/iceberg/", http.StripPrefix("/iceberg", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e = &env{p: e.p, srv: srv, base: srv.URL + "/iceberg"}
	secret := demoSecrets(t, e)
	cat := e.catalog(t, rest.WithOAuthToken(secret["customers-publisher"]))
	tbl, err := cat.LoadTable(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := appendOn(ctx, tbl, "audit_slow", `[{"r_regionkey": 60, "r_name": "MU", "r_comment": "slow"}]`)
		done <- err
	}()
	select {
	case <-bp.started:
	case err := <-done:
		t.Fatalf("the commit ended before its publish started: %v", err)
	}
	defer func() {
		close(bp.release)
		if err := <-done; err != nil {
			t.Errorf("commit: %v", err)
		}
	}()
	if err := e.p.Audit.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := e.p.Audit.Since(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Action == "iceberg.commit" && ev.Principal == "customers-publisher" && strings.Contains(string(ev.Details), "audit_slow") {
			return
		}
	}
	t.Errorf("no audit record of the landed commit onto audit_slow while its publish runs")
}
