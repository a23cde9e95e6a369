package registry

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

func open(t *testing.T) *Registry {
	t.Helper()
	db, err := OpenSQLite(filepath.Join(t.TempDir(), "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r, err := Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var ignoreTimes = cmpopts.IgnoreFields(Product{}, "CreatedAt", "UpdatedAt")

func salesChange(contractVersion string) Change {
	def := TableDef{
		Schema: schema.Table{
			Columns: []schema.Column{
				{Name: "o_orderkey", Type: schema.Type{Kind: schema.Long}, Required: true, FieldID: 1},
				{Name: "o_total", Type: schema.Type{Kind: schema.Decimal, Precision: 15, Scale: 2}, FieldID: 2, Classification: "confidential"},
				{Name: "o_date", Type: schema.Type{Kind: schema.Date}, FieldID: 3},
			},
			PrimaryKey: []string{"o_orderkey"},
			Partition:  []schema.PartitionField{{Column: "o_date", Transform: "month"}},
		},
		Object: spec.Object{Name: "orders", Description: "Orders", Properties: []spec.Property{{Name: "o_orderkey", LogicalType: "integer"}}},
	}
	return Change{
		Domains: map[string]string{"sales": "Sales Analytics"},
		Products: []Product{{Domain: "sales", Name: "orders", SpecID: "sales-orders", Status: "active", Version: "1.0.0",
			Description: "Every order", Team: "Sales Analytics", Doc: json.RawMessage(`{"id":"sales-orders"}`), Hash: "h1"}},
		Contracts: []Contract{{ID: "sales-orders-contract", Version: contractVersion, Domain: "sales", Product: "orders", Status: "active",
			Doc: json.RawMessage(`{"id":"sales-orders-contract","version":"` + contractVersion + `"}`), Hash: "c" + contractVersion}},
		Tables: []Table{{Domain: "sales", Product: "orders", Name: "orders", ContractID: "sales-orders-contract", ContractVersion: contractVersion, Def: def}},
	}
}

func TestApplyAndRead(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	ch := salesChange("1.0.0")
	// A second product in another domain, to check ordering and filtering.
	ch.Domains["customers"] = "Customer Data"
	ch.Products = append(ch.Products, Product{Domain: "customers", Name: "crm", SpecID: "customers-crm", Status: "draft",
		Doc: json.RawMessage(`{"id":"customers-crm"}`), Hash: "h2"})
	ch.Tables = append(ch.Tables, Table{Domain: "customers", Product: "crm", Name: "customer", ContractID: "x", ContractVersion: "1",
		Def: TableDef{Schema: schema.Table{Columns: []schema.Column{{Name: "c", Type: schema.Type{Kind: schema.String}, FieldID: 1}}}}})
	before := time.Now().Add(-time.Second)
	if err := r.Apply(ctx, ch); err != nil {
		t.Fatalf("Apply: %v", err)
	}

	ps, err := r.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Product{ch.Products[1], ch.Products[0]} // customers before sales
	if diff := cmp.Diff(want, ps, ignoreTimes); diff != "" {
		t.Errorf("Products (-want +got):\n%s", diff)
	}
	for _, p := range ps {
		if p.CreatedAt.Before(before) || p.UpdatedAt.Before(before) {
			t.Errorf("product %s.%s times = %v, %v, want after %v", p.Domain, p.Name, p.CreatedAt, p.UpdatedAt, before)
		}
	}

	p, err := r.Product(ctx, "sales", "orders")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ch.Products[0], *p, ignoreTimes); diff != "" {
		t.Errorf("Product(sales, orders) (-want +got):\n%s", diff)
	}

	ts, err := r.Tables(ctx, "sales", "orders")
	if err != nil {
		t.Fatal(err)
	}
	ignoreTableTimes := cmpopts.IgnoreFields(Table{}, "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff([]Table{ch.Tables[0]}, ts, ignoreTableTimes); diff != "" {
		t.Errorf("Tables(sales, orders) (-want +got):\n%s", diff)
	}
	all, err := r.Tables(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Domain != "customers" || all[1].Domain != "sales" {
		t.Errorf("Tables(all) = %d tables %v, want customers.crm.customer then sales.orders.orders", len(all), all)
	}
	tb, err := r.Table(ctx, "sales", "orders", "orders")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ch.Tables[0], *tb, ignoreTableTimes); diff != "" {
		t.Errorf("Table(sales, orders, orders) (-want +got):\n%s", diff)
	}

	c, err := r.Contract(ctx, "sales-orders-contract", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	ignoreApplied := cmpopts.IgnoreFields(Contract{}, "AppliedAt")
	if diff := cmp.Diff(ch.Contracts[0], *c, ignoreApplied); diff != "" {
		t.Errorf("Contract (-want +got):\n%s", diff)
	}
	if c.AppliedAt.Before(before) {
		t.Errorf("Contract.AppliedAt = %v, want after %v", c.AppliedAt, before)
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	if err := r.Apply(ctx, salesChange("1.0.0")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"Product", func() error { _, err := r.Product(ctx, "sales", "nope"); return err }},
		{"Product other domain", func() error { _, err := r.Product(ctx, "nope", "orders"); return err }},
		{"Table", func() error { _, err := r.Table(ctx, "sales", "orders", "nope"); return err }},
		{"Contract version", func() error { _, err := r.Contract(ctx, "sales-orders-contract", "9.9.9"); return err }},
		{"Contract id", func() error { _, err := r.Contract(ctx, "nope", "1.0.0"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errs.Is(err, errs.NotFound) {
				t.Errorf("%s error = %v (kind %v), want kind NotFound", tt.name, err, errs.KindOf(err))
			}
		})
	}
	// The lookups that answer "none" do so without an error.
	if c, err := r.ContractByID(ctx, "nope"); c != nil || err != nil {
		t.Errorf("ContractByID(nope) = %v, %v, want nil, nil", c, err)
	}
	if cs, err := r.ContractsOf(ctx, "sales", "nope"); len(cs) != 0 || err != nil {
		t.Errorf("ContractsOf(sales, nope) = %v, %v, want none", cs, err)
	}
	if ts, err := r.Tables(ctx, "sales", "nope"); len(ts) != 0 || err != nil {
		t.Errorf("Tables(sales, nope) = %v, %v, want none", ts, err)
	}
	if p, err := r.LastPublish(ctx, "sales", "orders", "orders"); p != nil || err != nil {
		t.Errorf("LastPublish without publishes = %v, %v, want nil, nil", p, err)
	}
	if p, err := r.CommittedPublish(ctx, "sales", "orders", "orders", "k"); p != nil || err != nil {
		t.Errorf("CommittedPublish without publishes = %v, %v, want nil, nil", p, err)
	}
}

func TestContractVersions(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	if err := r.Apply(ctx, salesChange("1.0.0")); err != nil {
		t.Fatal(err)
	}
	v2 := salesChange("2.0.0")
	v2.Products = nil // the product is unchanged
	v2.Tables[0].Def.Schema.Columns = append(v2.Tables[0].Def.Schema.Columns, schema.Column{Name: "o_note", Type: schema.Type{Kind: schema.String}, FieldID: 4})
	if err := r.Apply(ctx, v2); err != nil {
		t.Fatal(err)
	}
	cs, err := r.ContractsOf(ctx, "sales", "orders")
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, c := range cs {
		versions = append(versions, c.Version)
	}
	if diff := cmp.Diff([]string{"2.0.0", "1.0.0"}, versions); diff != "" {
		t.Errorf("ContractsOf versions, newest first (-want +got):\n%s", diff)
	}
	latest, err := r.ContractByID(ctx, "sales-orders-contract")
	if err != nil || latest == nil || latest.Version != "2.0.0" {
		t.Errorf("ContractByID = %+v, %v, want version 2.0.0", latest, err)
	}
	old, err := r.Contract(ctx, "sales-orders-contract", "1.0.0")
	if err != nil || string(old.Doc) != `{"id":"sales-orders-contract","version":"1.0.0"}` {
		t.Errorf("Contract 1.0.0 = %+v, %v, want the first document kept", old, err)
	}
	tb, err := r.Table(ctx, "sales", "orders", "orders")
	if err != nil {
		t.Fatal(err)
	}
	if tb.ContractVersion != "2.0.0" || len(tb.Def.Schema.Columns) != 4 {
		t.Errorf("Table after v2 = version %s, %d columns, want 2.0.0, 4", tb.ContractVersion, len(tb.Def.Schema.Columns))
	}
	if !tb.UpdatedAt.After(tb.CreatedAt) && !tb.UpdatedAt.Equal(tb.CreatedAt) {
		t.Errorf("Table times: updated %v before created %v", tb.UpdatedAt, tb.CreatedAt)
	}
}

func TestApplyIsAtomic(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	ch := salesChange("1.0.0")
	// A table of a product that does not exist violates a foreign key: nothing of the change may stay.
	ch.Tables = append(ch.Tables, Table{Domain: "sales", Product: "ghost", Name: "t", ContractID: "x", ContractVersion: "1"})
	err := r.Apply(ctx, ch)
	if err == nil {
		t.Fatal("Apply with a table of an unknown product: no error")
	}
	if ps, _ := r.Products(ctx); len(ps) != 0 {
		t.Errorf("after a failed Apply, Products = %v, want none", ps)
	}
	if _, err := r.Contract(ctx, "sales-orders-contract", "1.0.0"); !errs.Is(err, errs.NotFound) {
		t.Errorf("after a failed Apply, Contract error = %v, want NotFound", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mesh.db")
	db, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Apply(ctx, salesChange("1.0.0")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err = Open(ctx, db) // the schema statements are idempotent
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Table(ctx, "sales", "orders", "orders"); err != nil {
		t.Errorf("Table after reopen: %v", err)
	}
}

func publish(run, status, key string, snap int64, finished time.Time) Publish {
	p := Publish{RunID: run, Domain: "sales", Product: "orders", Table: "orders", Mode: "append", Status: status,
		IdempotencyKey: key, Report: json.RawMessage(`{"runId":"` + run + `"}`), StartedAt: finished.Add(-time.Second), FinishedAt: finished}
	if snap != 0 {
		p.SnapshotID = &snap
	}
	return p
}

func TestPublishes(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	runs := []Publish{
		publish("r1", "committed", "k1", 101, t0),
		publish("r2", "gate_failed", "", 0, t0.Add(time.Minute)),
		publish("r3", "committed", "k2", 103, t0.Add(2*time.Minute)),
		publish("r4", "committed", "", 104, t0.Add(3*time.Minute)),
	}
	for _, p := range runs {
		if err := r.RecordPublish(ctx, p); err != nil {
			t.Fatalf("RecordPublish(%s): %v", p.RunID, err)
		}
	}
	got, err := r.CommittedPublish(ctx, "sales", "orders", "orders", "k1")
	if err != nil || got == nil {
		t.Fatalf("CommittedPublish(k1) = %v, %v", got, err)
	}
	if diff := cmp.Diff(runs[0], *got, cmpopts.EquateApproxTime(time.Microsecond)); diff != "" {
		t.Errorf("CommittedPublish(k1) (-want +got):\n%s", diff)
	}
	if got, _ := r.CommittedPublish(ctx, "sales", "orders", "other", "k1"); got != nil {
		t.Errorf("CommittedPublish of another table with k1 = %+v, want nil: keys are per table", got)
	}
	last, err := r.LastPublish(ctx, "sales", "orders", "orders")
	if err != nil || last == nil || last.RunID != "r4" || last.SnapshotID == nil || *last.SnapshotID != 104 || last.IdempotencyKey != "" {
		t.Errorf("LastPublish = %+v, %v, want r4 with snapshot 104 and no key", last, err)
	}

	// A key committed once cannot be committed again for the same table...
	err = r.RecordPublish(ctx, publish("r5", "committed", "k1", 105, t0.Add(4*time.Minute)))
	if !errs.Is(err, errs.Conflict) {
		t.Errorf("RecordPublish of a committed key again: error %v (kind %v), want Conflict", err, errs.KindOf(err))
	}
	// ...but runs that did not commit may reuse it, and so may another table.
	if err := r.RecordPublish(ctx, publish("r6", "gate_failed", "k1", 0, t0.Add(5*time.Minute))); err != nil {
		t.Errorf("RecordPublish of a failed run with a committed key: %v", err)
	}
	other := publish("r7", "committed", "k1", 107, t0.Add(6*time.Minute))
	other.Table = "lineitem"
	if err := r.RecordPublish(ctx, other); err != nil {
		t.Errorf("RecordPublish of key k1 for another table: %v", err)
	}
	if got, _ := r.CommittedPublish(ctx, "sales", "orders", "orders", "k1"); got == nil || got.RunID != "r1" {
		t.Errorf("CommittedPublish(k1) after the retries = %+v, want r1", got)
	}
	// A run id is unique.
	if err := r.RecordPublish(ctx, publish("r1", "committed", "", 0, t0)); err == nil {
		t.Error("RecordPublish of a run id twice: no error")
	}
}

// TestLastPublishOrdersByTime checks that LastPublish orders by time, not by
// the text of the time: RFC 3339 with trimmed fractions does not sort as text
// (".1Z" sorts after ".12Z", "00Z" after "00.5Z").
func TestLastPublishOrdersByTime(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name            string
		first, second   time.Time
		wantLatestRunID string
	}{
		{"whole second then fraction", t0, t0.Add(500 * time.Millisecond), "second"},
		{"short fraction then longer", t0.Add(100 * time.Millisecond), t0.Add(120 * time.Millisecond), "second"},
		{"later first", t0.Add(120 * time.Millisecond), t0.Add(100 * time.Millisecond), "first"},
		{"nanoseconds", t0.Add(10), t0.Add(9), "first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			r := open(t)
			for _, p := range []Publish{publish("first", "committed", "", 1, tt.first), publish("second", "committed", "", 2, tt.second)} {
				if err := r.RecordPublish(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			last, err := r.LastPublish(ctx, "sales", "orders", "orders")
			if err != nil || last == nil {
				t.Fatalf("LastPublish = %v, %v", last, err)
			}
			if last.RunID != tt.wantLatestRunID {
				t.Errorf("LastPublish = %s (finished %s), want %s", last.RunID, last.FinishedAt.Format(time.RFC3339Nano), tt.wantLatestRunID)
			}
			if !last.FinishedAt.Equal(map[string]time.Time{"first": tt.first, "second": tt.second}[last.RunID]) {
				t.Errorf("LastPublish.FinishedAt = %v, want the recorded time", last.FinishedAt)
			}
		})
	}
}

func TestDomainExists(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	for _, when := range []string{"before", "after"} {
		if when == "after" {
			if err := r.Apply(ctx, salesChange("1.0.0")); err != nil {
				t.Fatal(err)
			}
		}
		got, err := r.DomainExists(ctx, "sales")
		if err != nil || got != (when == "after") {
			t.Errorf("DomainExists(sales) %s apply = %v, %v, want %v", when, got, err, when == "after")
		}
	}
	if got, err := r.DomainExists(ctx, "supply"); err != nil || got {
		t.Errorf("DomainExists(supply) = %v, %v, want false", got, err)
	}
}
