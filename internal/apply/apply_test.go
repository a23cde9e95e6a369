package apply_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

type env struct {
	a    *apply.Applier
	reg  *registry.Registry
	lake *lake.Lake
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
	reg, err := registry.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	lk, err := lake.Open(ctx, db, sqlcat.SQLite, filepath.Join(dir, "warehouse"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lk.Close() })
	return &env{a: apply.New(reg, lk, slog.New(slog.DiscardHandler), nil), reg: reg, lake: lk}
}

// product is an ODPS product of domain hr whose output port publishes contractID.
func product(name, contractID, purpose string) string {
	return fmt.Sprintf(`apiVersion: v1.0.0
kind: DataProduct
id: hr-%s
name: %s
version: 1.0.0
status: active
domain: hr
description:
  purpose: %s
outputPorts:
  - name: %s
    version: 1.0.0
    contractId: %s
team:
  name: People Team
`, name, name, purpose, name, contractID)
}

// contract is an ODCS contract of product hr.staff; tables is the YAML of its schema list.
func contract(version, status, tables string) string {
	return `apiVersion: v3.1.0
kind: DataContract
id: hr-staff-contract
version: ` + version + `
status: ` + status + `
domain: hr
dataProduct: staff
schema:
` + tables
}

const peopleV1 = `  - name: people
    properties:
      - name: id
        logicalType: integer
        physicalType: bigint
        required: true
        primaryKey: true
      - name: name
        logicalType: string
        required: true
      - name: hired
        logicalType: date
`

const teamsV1 = `  - name: teams
    properties:
      - name: team
        logicalType: string
        required: true
`

func src(docs ...string) []apply.Source {
	return []apply.Source{{Name: "staff.yaml", Data: []byte(strings.Join(docs, "---\n"))}}
}

type step struct{ Kind, Name, Action, Changes string }

func steps(p *apply.Plan) []step {
	var out []step
	for _, s := range p.Steps {
		out = append(out, step{s.Kind, s.Name, string(s.Action), strings.Join(s.Changes, "; ")})
	}
	return out
}

func mustApply(t *testing.T, e *env, srcs []apply.Source, dry bool) *apply.Plan {
	t.Helper()
	p, err := e.a.Apply(context.Background(), srcs, dry)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return p
}

var v1 = src(product("staff", "hr-staff-contract", "Staff records"), contract("1.0.0", "active", peopleV1+teamsV1))

func TestApplyCreateThenUnchanged(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	p := mustApply(t, e, v1, false)
	want := []step{
		{"domain", "hr", "create", ""},
		{"product", "hr.staff", "create", ""},
		{"contract", "hr-staff-contract 1.0.0", "create", ""},
		{"table", "hr.staff@v1.people", "create", ""},
		{"table", "hr.staff@v1.teams", "create", ""},
	}
	if diff := cmp.Diff(want, steps(p)); diff != "" {
		t.Errorf("first apply (-want +got):\n%s", diff)
	}
	if p.DryRun || !p.Changed() {
		t.Errorf("plan DryRun %v Changed %v, want false true", p.DryRun, p.Changed())
	}

	prod, err := e.reg.Product(ctx, "hr", "staff")
	if err != nil {
		t.Fatal(err)
	}
	if prod.SpecID != "hr-staff" || prod.Status != "active" || prod.Description != "Staff records" || prod.Team != "People Team" || prod.Version != "1.0.0" {
		t.Errorf("registry product = %+v", prod)
	}
	c, err := e.reg.Contract(ctx, "hr-staff-contract", "1.0.0")
	if err != nil || c.Domain != "hr" || c.Product != "staff" || c.Status != "active" {
		t.Errorf("registry contract = %+v, %v", c, err)
	}
	tb, err := e.reg.Table(ctx, "hr", "staff", "people")
	if err != nil {
		t.Fatal(err)
	}
	wantSchema := schema.Table{
		Columns: []schema.Column{
			{Name: "id", Type: schema.Type{Kind: schema.Long}, Required: true, FieldID: 1},
			{Name: "name", Type: schema.Type{Kind: schema.String}, Required: true, FieldID: 2},
			{Name: "hired", Type: schema.Type{Kind: schema.Date}, FieldID: 3},
		},
		PrimaryKey: []string{"id"},
	}
	if diff := cmp.Diff(wantSchema, tb.Def.Schema); diff != "" {
		t.Errorf("registry table schema (-want +got):\n%s", diff)
	}
	if tb.ContractID != "hr-staff-contract" || tb.ContractVersion != "1.0.0" || tb.Def.Object.Name != "people" {
		t.Errorf("registry table = contract %s %s object %q", tb.ContractID, tb.ContractVersion, tb.Def.Object.Name)
	}
	for _, name := range []string{"people", "teams"} {
		if _, err := e.lake.Load(ctx, lake.Ident{Domain: "hr", Product: "staff", Table: name}); err != nil {
			t.Errorf("lake table hr.staff.%s: %v", name, err)
		}
	}

	// The same files again change nothing.
	before, _ := e.reg.Table(ctx, "hr", "staff", "people")
	p = mustApply(t, e, v1, false)
	want = []step{
		{"product", "hr.staff", "unchanged", ""},
		{"contract", "hr-staff-contract 1.0.0", "unchanged", ""},
		{"table", "hr.staff@v1.people", "unchanged", ""},
		{"table", "hr.staff@v1.teams", "unchanged", ""},
	}
	if diff := cmp.Diff(want, steps(p)); diff != "" {
		t.Errorf("second apply (-want +got):\n%s", diff)
	}
	if p.Changed() {
		t.Error("second apply: Changed() = true, want false")
	}
	after, _ := e.reg.Table(ctx, "hr", "staff", "people")
	if !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("an unchanged apply rewrote the table: updated %v -> %v", before.UpdatedAt, after.UpdatedAt)
	}
}

func TestDryRun(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	p := mustApply(t, e, v1, true)
	if !p.DryRun || len(p.Steps) != 5 || p.Steps[0].Action != apply.Create {
		t.Errorf("dry run plan = %+v, want 5 create steps", p)
	}
	if ps, _ := e.reg.Products(ctx); len(ps) != 0 {
		t.Errorf("a dry run wrote products: %v", ps)
	}
	if _, err := e.lake.Load(ctx, lake.Ident{Domain: "hr", Product: "staff", Table: "people"}); !errs.Is(err, errs.NotFound) {
		t.Errorf("a dry run created a lake table: %v", err)
	}

	// A dry run of an evolution reports it and leaves the lake and registry as they were.
	mustApply(t, e, v1, false)
	v2 := src(product("staff", "hr-staff-contract", "Staff records"), contract("1.1.0", "active", peopleV1+"      - name: email\n        logicalType: string\n"+teamsV1))
	p = mustApply(t, e, v2, true)
	if diff := cmp.Diff(step{"table", "hr.staff@v1.people", "update", "add optional column email VARCHAR"}, steps(p)[2]); diff != "" {
		t.Errorf("dry run of an evolution (-want +got):\n%s", diff)
	}
	tbl, _ := e.lake.Load(ctx, lake.Ident{Domain: "hr", Product: "staff", Table: "people"})
	if n := len(tbl.Schema().Fields()); n != 3 {
		t.Errorf("a dry run evolved the lake table to %d columns", n)
	}
	if _, err := e.reg.Contract(ctx, "hr-staff-contract", "1.1.0"); !errs.Is(err, errs.NotFound) {
		t.Errorf("a dry run stored contract 1.1.0: %v", err)
	}
}

func TestUpdateProduct(t *testing.T) {
	e := newEnv(t)
	mustApply(t, e, v1, false)
	p := mustApply(t, e, src(product("staff", "hr-staff-contract", "Staff records, now with more words"), contract("1.0.0", "active", peopleV1+teamsV1)), false)
	want := []step{
		{"product", "hr.staff", "update", ""},
		{"contract", "hr-staff-contract 1.0.0", "unchanged", ""},
		{"table", "hr.staff@v1.people", "unchanged", ""},
		{"table", "hr.staff@v1.teams", "unchanged", ""},
	}
	if diff := cmp.Diff(want, steps(p)); diff != "" {
		t.Errorf("apply with a new description (-want +got):\n%s", diff)
	}
	prod, _ := e.reg.Product(context.Background(), "hr", "staff")
	if prod.Description != "Staff records, now with more words" {
		t.Errorf("product description = %q", prod.Description)
	}
}

func TestAddOptionalColumnWithNewVersion(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mustApply(t, e, v1, false)
	v2 := src(product("staff", "hr-staff-contract", "Staff records"),
		contract("1.1.0", "active", peopleV1+"      - name: email\n        logicalType: string\n      - name: salary\n        logicalType: number\n        physicalType: decimal(12,2)\n"+teamsV1))
	p := mustApply(t, e, v2, false)
	want := []step{
		{"product", "hr.staff", "unchanged", ""},
		{"contract", "hr-staff-contract 1.1.0", "create", ""},
		{"table", "hr.staff@v1.people", "update", "add optional column email VARCHAR; add optional column salary DECIMAL(12,2)"},
		{"table", "hr.staff@v1.teams", "update", "contract version 1.1.0 (active)"},
	}
	if diff := cmp.Diff(want, steps(p)); diff != "" {
		t.Errorf("apply of 1.1.0 (-want +got):\n%s", diff)
	}
	tb, err := e.reg.Table(ctx, "hr", "staff", "people")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range tb.Def.Schema.Columns {
		got = append(got, fmt.Sprintf("%d %s", c.FieldID, c.Name))
	}
	if diff := cmp.Diff([]string{"1 id", "2 name", "3 hired", "4 email", "5 salary"}, got); diff != "" {
		t.Errorf("registry field ids after the evolution (-want +got):\n%s", diff)
	}
	if tb.ContractVersion != "1.1.0" {
		t.Errorf("table contract version = %s, want 1.1.0", tb.ContractVersion)
	}
	tbl, _ := e.lake.Load(ctx, lake.Ident{Domain: "hr", Product: "staff", Table: "people"})
	lt, _ := schema.TableFromIceberg(tbl.Schema())
	got = got[:0]
	for _, c := range lt.Columns {
		got = append(got, fmt.Sprintf("%d %s", c.FieldID, c.Name))
	}
	if diff := cmp.Diff([]string{"1 id", "2 name", "3 hired", "4 email", "5 salary"}, got); diff != "" {
		t.Errorf("lake field ids after the evolution (-want +got):\n%s", diff)
	}
	cs, _ := e.reg.ContractsOf(ctx, "hr", "staff")
	if len(cs) != 2 || cs[0].Version != "1.1.0" {
		t.Errorf("ContractsOf = %v, want 1.1.0 then 1.0.0", cs)
	}
	// Both versions applied again (one at a time) are unchanged.
	if p := mustApply(t, e, v2, false); p.Changed() {
		t.Errorf("re-apply of 1.1.0 changed: %v", steps(p))
	}
}

func TestContractVersionIsImmutable(t *testing.T) {
	e := newEnv(t)
	mustApply(t, e, v1, false)
	changed := src(product("staff", "hr-staff-contract", "Staff records"), contract("1.0.0", "active", peopleV1+"      - name: email\n        logicalType: string\n"+teamsV1))
	_, err := e.a.Apply(context.Background(), changed, false)
	if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), `contract "hr-staff-contract" version 1.0.0 is already applied with different content`) {
		t.Errorf("Apply of changed content under the same version: %v, want a Conflict naming the version", err)
	}
	// The dry run says the same.
	if _, err := e.a.Apply(context.Background(), changed, true); !errs.Is(err, errs.Conflict) {
		t.Errorf("dry run of changed content under the same version: %v, want Conflict", err)
	}
	tb, _ := e.reg.Table(context.Background(), "hr", "staff", "people")
	if len(tb.Def.Schema.Columns) != 3 {
		t.Errorf("a refused apply changed the table: %d columns", len(tb.Def.Schema.Columns))
	}
}

func TestDraftContractMayChange(t *testing.T) {
	e := newEnv(t)
	mustApply(t, e, src(product("staff", "hr-staff-contract", "Staff records"), contract("0.1.0", "draft", peopleV1)), false)
	p := mustApply(t, e, src(product("staff", "hr-staff-contract", "Staff records"), contract("0.1.0", "draft", peopleV1+"      - name: email\n        logicalType: string\n")), false)
	want := []step{
		{"product", "hr.staff", "unchanged", ""},
		{"contract", "hr-staff-contract 0.1.0", "update", ""},
		{"table", "hr.staff@v0.people", "update", "add optional column email VARCHAR"},
	}
	if diff := cmp.Diff(want, steps(p)); diff != "" {
		t.Errorf("apply of a changed draft (-want +got):\n%s", diff)
	}
}

func TestIncompatibleChanges(t *testing.T) {
	tests := []struct {
		name   string
		tables string
		want   []string
	}{
		{"drop a table", peopleV1, []string{`table hr.staff.teams would be dropped`, "needs a new major version", "rule drop-table, 1.0.0 -> 1.1.0"}},
		{"drop a column", strings.Replace(peopleV1, "      - name: hired\n        logicalType: date\n", "", 1) + teamsV1,
			[]string{`column hr.staff.people.hired would be dropped`, "rule drop-optional-column"}},
		{"change a type", strings.Replace(peopleV1, "logicalType: date", "logicalType: timestamp", 1) + teamsV1,
			[]string{`column hr.staff.people.hired would change type from DATE to TIMESTAMPTZ`, "rule change-type"}},
		{"add a required column", peopleV1 + "      - name: email\n        logicalType: string\n        required: true\n" + teamsV1,
			[]string{`required column hr.staff.people.email would be added without a default`, "rule add-required-column"}},
		{"make a column required", strings.Replace(peopleV1, "logicalType: date", "logicalType: date\n        required: true", 1) + teamsV1,
			[]string{`column hr.staff.people.hired would become required`, "rule optional-to-required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			mustApply(t, e, v1, false)
			_, err := e.a.Apply(ctx, src(product("staff", "hr-staff-contract", "Staff records"), contract("1.1.0", "active", tt.tables)), false)
			if !errs.Is(err, errs.Conflict) {
				t.Fatalf("Apply: %v (kind %v), want Conflict", err, errs.KindOf(err))
			}
			_, msg, _ := errs.Public(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Apply error message = %q, want it to contain %q", msg, w)
				}
			}
			if _, err := e.reg.Contract(ctx, "hr-staff-contract", "1.1.0"); !errs.Is(err, errs.NotFound) {
				t.Errorf("a refused apply stored contract 1.1.0: %v", err)
			}
		})
	}
}

func TestUnknownContractInOutputPort(t *testing.T) {
	e := newEnv(t)
	_, err := e.a.Apply(context.Background(), src(product("staff", "no-such-contract", "Staff")), false)
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), `output port "staff" references contract "no-such-contract", which is neither in these files nor applied before`) {
		t.Errorf("Apply of a product with an unknown contract: %v, want Invalid naming the port and contract", err)
	}
	if ps, _ := e.reg.Products(context.Background()); len(ps) != 0 {
		t.Errorf("a refused apply stored products: %v", ps)
	}
}

func TestProductAloneReferencingAppliedContract(t *testing.T) {
	e := newEnv(t)
	mustApply(t, e, v1, false)
	p := mustApply(t, e, src(product("staff", "hr-staff-contract", "Staff records, v2 wording")), false)
	if diff := cmp.Diff([]step{{"product", "hr.staff", "update", ""}}, steps(p)); diff != "" {
		t.Errorf("product alone (-want +got):\n%s", diff)
	}
}

func TestContractAlone(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mustApply(t, e, v1, false)
	p := mustApply(t, e, src(contract("1.1.0", "active", peopleV1+"      - name: email\n        logicalType: string\n"+teamsV1)), false)
	want := []step{
		{"product", "hr.staff", "unchanged", ""},
		{"contract", "hr-staff-contract 1.1.0", "create", ""},
		{"table", "hr.staff@v1.people", "update", "add optional column email VARCHAR"},
		{"table", "hr.staff@v1.teams", "update", "contract version 1.1.0 (active)"},
	}
	if diff := cmp.Diff(want, steps(p)); diff != "" {
		t.Errorf("contract applied alone (-want +got):\n%s", diff)
	}
	if c, err := e.reg.ContractByID(ctx, "hr-staff-contract"); err != nil || c.Version != "1.1.0" || c.Product != "staff" {
		t.Errorf("ContractByID = %+v, %v, want 1.1.0 of hr.staff", c, err)
	}

	// Without domain and dataProduct the contract cannot be placed.
	orphan := strings.Replace(strings.Replace(contract("1.2.0", "active", peopleV1+teamsV1), "domain: hr\n", "", 1), "dataProduct: staff\n", "", 1)
	if _, err := e.a.Apply(ctx, src(orphan), false); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "set its domain and dataProduct") {
		t.Errorf("Apply of a contract without domain/dataProduct: %v, want Invalid", err)
	}
	// A product that does not exist.
	ghost := strings.Replace(contract("1.0.0", "active", peopleV1), "dataProduct: staff", "dataProduct: ghost", 1)
	if _, err := e.a.Apply(ctx, src(ghost), false); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "hr.ghost, which does not exist") {
		t.Errorf("Apply of a contract of an unknown product: %v, want Invalid", err)
	}
}

func TestContractOfAnotherProduct(t *testing.T) {
	e := newEnv(t)
	c := strings.Replace(contract("1.0.0", "active", peopleV1), "dataProduct: staff", "dataProduct: payroll", 1)
	_, err := e.a.Apply(context.Background(), src(product("staff", "hr-staff-contract", "Staff"), c), false)
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), `says it belongs to hr.payroll but product hr.staff publishes it`) {
		t.Errorf("Apply: %v, want Invalid about the mismatch", err)
	}
}

func TestTableOfAnotherContract(t *testing.T) {
	e := newEnv(t)
	mustApply(t, e, v1, false)
	other := strings.Replace(contract("1.0.0", "active", peopleV1), "id: hr-staff-contract", "id: hr-staff-extra", 1)
	_, err := e.a.Apply(context.Background(), src(other), false)
	if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), `table hr.staff.people is declared by contract "hr-staff-contract", not "hr-staff-extra"`) {
		t.Errorf("Apply: %v, want Conflict naming both contracts", err)
	}
}

func TestInvalidSources(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		srcs []apply.Source
		want string
	}{
		{"nothing", nil, "no data products or contracts to apply"},
		{"bad yaml", []apply.Source{{Name: "bad.yaml", Data: []byte("kind: [")}}, "bad.yaml"},
		{"bad name", src(strings.Replace(product("staff", "c", "x"), "domain: hr", "domain: Human-Resources", 1)), "error(s) in the specs"},
		{"contract twice", src(product("staff", "hr-staff-contract", "x"), contract("1.0.0", "active", peopleV1), contract("1.0.1", "active", peopleV1)),
			`contract id "hr-staff-contract" appears twice`},
		{"product twice", src(product("staff", "hr-staff-contract", "x"), product("staff", "hr-staff-contract", "y"), contract("1.0.0", "active", peopleV1)),
			"product hr.staff is declared twice"},
		{"bad partition transform", src(product("staff", "hr-staff-contract", "x"), contract("1.0.0", "active",
			peopleV1+"      - name: d\n        logicalType: date\n        partitioned: true\n        customProperties:\n          - property: partitionTransform\n            value: week\n")),
			`partition transform "week" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.a.Apply(context.Background(), tt.srcs, false)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Apply: %v (kind %v), want Invalid containing %q", err, errs.KindOf(err), tt.want)
			}
		})
	}
	// Spec errors come with their diagnostics.
	_, err := e.a.Apply(context.Background(), src(strings.Replace(product("staff", "c", "x"), "domain: hr", "domain: Human-Resources", 1)), false)
	_, _, d := errs.Public(err)
	if ds, ok := d.([]spec.Diagnostic); !ok || len(ds) == 0 || ds[0].File != "staff.yaml" {
		t.Errorf("Apply error details = %#v, want diagnostics located in staff.yaml", d)
	}
	if ps, _ := e.reg.Products(context.Background()); len(ps) != 0 {
		t.Errorf("refused applies stored products: %v", ps)
	}
}

func TestSecondProductInDomain(t *testing.T) {
	e := newEnv(t)
	mustApply(t, e, v1, false)
	payroll := strings.NewReplacer("hr-staff-contract", "hr-payroll-contract", "dataProduct: staff", "dataProduct: payroll").Replace(contract("1.0.0", "active", teamsV1))
	p := mustApply(t, e, src(product("payroll", "hr-payroll-contract", "Pay"), payroll), false)
	want := []step{
		{"product", "hr.payroll", "create", ""},
		{"contract", "hr-payroll-contract 1.0.0", "create", ""},
		{"table", "hr.payroll@v1.teams", "create", ""},
	}
	if diff := cmp.Diff(want, steps(p)); diff != "" {
		t.Errorf("second product of an existing domain (-want +got):\n%s", diff)
	}
}

// An apply that fails after it added a column to one table (here: another
// table of the contract cannot be created) must not make the same apply fail
// forever once the cause is gone.
func TestRetryAfterFailedApplyThatAddedColumns(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mustApply(t, e, v1, false)
	const projects = `  - name: projects
    properties:
      - name: code
        logicalType: string
        required: true
`
	v2 := src(product("staff", "hr-staff-contract", "Staff records"),
		contract("1.1.0", "active", peopleV1+"      - name: email\n        logicalType: string\n"+teamsV1+projects))
	// A table left in the lake by a crash between the lake and the registry write.
	orphan := lake.Ident{Domain: "hr", Product: "staff", Table: "projects"}
	if _, err := e.lake.Create(ctx, orphan, &schema.Table{Columns: []schema.Column{{Name: "code", Type: schema.Type{Kind: schema.String}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Apply(ctx, v2, false); !errs.Is(err, errs.Conflict) {
		t.Fatalf("Apply with an orphan table = %v, want Conflict", err)
	}
	if err := e.lake.Drop(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	p, err := e.a.Apply(ctx, v2, false)
	if err != nil {
		t.Fatalf("Apply again after the cause is gone: %v", err)
	}
	if diff := cmp.Diff(step{"table", "hr.staff@v1.people", "update", "add optional column email VARCHAR"}, steps(p)[2]); diff != "" {
		t.Errorf("retried apply (-want +got):\n%s", diff)
	}
	tb, err := e.reg.Table(ctx, "hr", "staff", "people")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range tb.Def.Schema.Columns {
		got = append(got, fmt.Sprintf("%d %s", c.FieldID, c.Name))
	}
	if diff := cmp.Diff([]string{"1 id", "2 name", "3 hired", "4 email"}, got); diff != "" {
		t.Errorf("registry field ids after the retry (-want +got):\n%s", diff)
	}
}
