package restcatalog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
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
	rdr, err := array.NewRecordReader(sc, []arrow.Record{rec})
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
