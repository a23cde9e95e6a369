package quality

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

// The test relation: five rows with a duplicate id, a NULL and an empty
// name, a status outside the valid values and a NULL amount.
const setupSQL = `CREATE TABLE t (id INTEGER, name VARCHAR, status VARCHAR, amount DECIMAL(10,2));
INSERT INTO t VALUES
	(1, 'a',  'open',   10),
	(2, 'b',  'closed', 20),
	(3, NULL, 'open',   30),
	(3, '',   'open',   NULL),
	(4, 'e',  'bogus',  50)`

var testTable = &schema.Table{Columns: []schema.Column{
	{Name: "id", Type: schema.Type{Kind: schema.Int}},
	{Name: "name", Type: schema.Type{Kind: schema.String}},
	{Name: "status", Type: schema.Type{Kind: schema.String}},
	{Name: "amount", Type: schema.Type{Kind: schema.Decimal, Precision: 10, Scale: 2}},
}}

// tableName is what ${table} stands for in sql rules.
const tableName = "d.p.t"

func openDuck(t *testing.T) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(ctx, setupSQL); err != nil {
		t.Fatal(err)
	}
	return conn
}

// binder maps the mesh table d.p.t to the test table main.t and refuses every other name.
type binder struct{}

func (binder) Bind(_ context.Context, ref query.TableRef) (string, string, error) {
	if ref.Domain == "d" && ref.Product == "p" && ref.Table == "t" && ref.Version == nil && ref.Timestamp == nil {
		return "main", "t", nil
	}
	return "", "", errs.E(errs.NotFound, "test.Bind", "table %s does not exist", ref)
}

func guardRewriter(t *testing.T, conn *sql.Conn) Rewriter {
	t.Helper()
	g, err := query.NewGuard(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, q string) (string, error) {
		rw, err := g.Rewrite(ctx, conn, q, binder{})
		if err != nil {
			return "", err
		}
		return rw.SQL, nil
	}
}

func f(v float64) *float64 { return &v }

// object is the test table as a schema object, with rules under column (or at table level when column is "").
func object(column string, rules ...spec.Rule) spec.Object {
	o := spec.Object{Name: "t"}
	for i := range rules {
		if rules[i].Path == "" {
			rules[i].Path = "/schema/0/quality/0"
		}
	}
	for _, c := range testTable.Columns {
		p := spec.Property{Name: c.Name}
		if c.Name == column {
			p.Quality = rules
		}
		o.Properties = append(o.Properties, p)
	}
	if column == "" {
		o.Quality = rules
	}
	return o
}

func runOne(t *testing.T, conn *sql.Conn, column string, r spec.Rule, rw Rewriter) Result {
	t.Helper()
	checks, err := Compile(object(column, r), testTable, tableName)
	if err != nil {
		t.Fatalf("Compile(%+v) error: %v", r, err)
	}
	if len(checks) != 1 {
		t.Fatalf("Compile(%+v) = %d checks, want 1", r, len(checks))
	}
	res, extra, err := Run(context.Background(), conn, "t", checks, nil, rw)
	if err != nil {
		t.Fatalf("Run(%+v) error: %v", r, err)
	}
	if len(res) != 1 || len(extra) != 0 {
		t.Fatalf("Run = %d results, %d extras, want 1, 0", len(res), len(extra))
	}
	return res[0]
}

func TestLibraryMetrics(t *testing.T) {
	conn := openDuck(t)
	args := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		column string
		rule   spec.Rule
		value  float64
	}{
		{"rowCount", "", spec.Rule{Metric: "rowCount", MustBe: int64(5)}, 5},
		{"nullValues name", "name", spec.Rule{Metric: "nullValues", MustBe: int64(0)}, 1},
		{"nullValues amount", "amount", spec.Rule{Metric: "nullValues", MustBe: int64(0)}, 1},
		{"nullValues id", "id", spec.Rule{Metric: "nullValues", MustBe: int64(0)}, 0},
		{"nullValues percent", "name", spec.Rule{Metric: "nullValues", Unit: "percent", MustBe: int64(0)}, 20},
		{"missingValues default: null and empty", "name", spec.Rule{Metric: "missingValues", MustBe: int64(0)}, 2},
		{"missingValues custom", "status", spec.Rule{Metric: "missingValues", MustBe: int64(0),
			Arguments: args("missingValues", []any{"bogus", "n/a"})}, 1},
		{"missingValues custom numbers and null", "id", spec.Rule{Metric: "missingValues", MustBe: int64(0),
			Arguments: args("missingValues", []any{nil, float64(3)})}, 2},
		{"missingValues number matches a decimal", "amount", spec.Rule{Metric: "missingValues", MustBe: int64(0),
			Arguments: args("missingValues", []any{int64(20), "30.00"})}, 2},
		{"invalidValues numbers against a decimal", "amount", spec.Rule{Metric: "invalidValues", MustBe: int64(0),
			Arguments: args("validValues", []any{float64(10), int64(20), "30"})}, 1},
		{"missingValues custom with null", "amount", spec.Rule{Metric: "missingValues", MustBe: int64(0),
			Arguments: args("missingValues", []any{nil})}, 1},
		{"missingValues percent", "name", spec.Rule{Metric: "missingValues", Unit: "percent", MustBe: int64(0)}, 40},
		{"duplicateValues column", "id", spec.Rule{Metric: "duplicateValues", MustBe: int64(0)}, 1},
		{"duplicateValues ignores nulls", "amount", spec.Rule{Metric: "duplicateValues", MustBe: int64(0)}, 0},
		{"duplicateValues column percent", "status", spec.Rule{Metric: "duplicateValues", Unit: "percent", MustBe: int64(0)}, 40},
		{"duplicateValues table one property", "", spec.Rule{Metric: "duplicateValues", MustBe: int64(0),
			Arguments: args("properties", []any{"id"})}, 1},
		{"duplicateValues table two properties", "", spec.Rule{Metric: "duplicateValues", MustBe: int64(0),
			Arguments: args("properties", []any{"id", "status"})}, 1},
		{"duplicateValues table distinct tuples", "", spec.Rule{Metric: "duplicateValues", MustBe: int64(0),
			Arguments: args("properties", []any{"id", "name"})}, 0},
		{"invalidValues validValues", "status", spec.Rule{Metric: "invalidValues", MustBe: int64(0),
			Arguments: args("validValues", []any{"open", "closed"})}, 1},
		{"invalidValues numeric validValues", "id", spec.Rule{Metric: "invalidValues", MustBe: int64(0),
			Arguments: args("validValues", []any{float64(1), int64(2), 3})}, 1},
		{"invalidValues pattern skips nulls", "name", spec.Rule{Metric: "invalidValues", MustBe: int64(0),
			Arguments: args("pattern", "^[a-z]+$")}, 1},
		{"invalidValues pattern and validValues", "status", spec.Rule{Metric: "invalidValues", MustBe: int64(0),
			Arguments: args("pattern", "^o.*", "validValues", []any{"open", "bogus"})}, 2},
		{"invalidValues percent", "status", spec.Rule{Metric: "invalidValues", Unit: "percent", MustBe: int64(0),
			Arguments: args("validValues", []any{"open", "closed"})}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rule.Type = "library"
			r := runOne(t, conn, tt.column, tt.rule, nil)
			if r.Value == nil || *r.Value != tt.value {
				t.Fatalf("%s value = %v, want %v", r.Name, val(r.Value), tt.value)
			}
			if r.Error != "" {
				t.Errorf("%s error = %q, want none", r.Name, r.Error)
			}
			wantName := tt.rule.Metric
			if tt.column != "" {
				wantName = tt.column + "." + tt.rule.Metric
			}
			wantUnit := "rows"
			if tt.rule.Unit == "percent" {
				wantUnit = "percent"
			}
			if r.Name != wantName || r.Column != tt.column || r.Metric != tt.rule.Metric || r.Unit != wantUnit {
				t.Errorf("result = name %q column %q metric %q unit %q, want %q %q %q %q", r.Name, r.Column, r.Metric, r.Unit,
					wantName, tt.column, tt.rule.Metric, wantUnit)
			}
		})
	}
}

func val(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// TestOperators measures rowCount (5) against every operator.
func TestOperators(t *testing.T) {
	conn := openDuck(t)
	tests := []struct {
		rule        spec.Rule
		expectation string
		pass        bool
	}{
		{spec.Rule{MustBe: int64(5)}, "mustBe 5", true},
		{spec.Rule{MustBe: float64(4)}, "mustBe 4", false},
		{spec.Rule{MustBe: "5"}, "mustBe 5", true},
		{spec.Rule{MustNotBe: int64(5)}, "mustNotBe 5", false},
		{spec.Rule{MustNotBe: int64(0)}, "mustNotBe 0", true},
		{spec.Rule{MustBeGreaterThan: f(4)}, "mustBeGreaterThan 4", true},
		{spec.Rule{MustBeGreaterThan: f(5)}, "mustBeGreaterThan 5", false},
		{spec.Rule{MustBeGreaterOrEqualTo: f(5)}, "mustBeGreaterOrEqualTo 5", true},
		{spec.Rule{MustBeGreaterOrEqualTo: f(5.5)}, "mustBeGreaterOrEqualTo 5.5", false},
		{spec.Rule{MustBeLessThan: f(6)}, "mustBeLessThan 6", true},
		{spec.Rule{MustBeLessThan: f(5)}, "mustBeLessThan 5", false},
		{spec.Rule{MustBeLessOrEqualTo: f(5)}, "mustBeLessOrEqualTo 5", true},
		{spec.Rule{MustBeLessOrEqualTo: f(4)}, "mustBeLessOrEqualTo 4", false},
		{spec.Rule{MustBeBetween: &[2]float64{5, 10}}, "mustBeBetween [5, 10]", true},
		{spec.Rule{MustBeBetween: &[2]float64{1, 5}}, "mustBeBetween [1, 5]", true},
		{spec.Rule{MustBeBetween: &[2]float64{6, 10}}, "mustBeBetween [6, 10]", false},
		{spec.Rule{MustNotBeBetween: &[2]float64{1, 4}}, "mustNotBeBetween [1, 4]", true},
		{spec.Rule{MustNotBeBetween: &[2]float64{5, 9}}, "mustNotBeBetween [5, 9]", false},
		{spec.Rule{MustNotBeBetween: &[2]float64{1, 5}}, "mustNotBeBetween [1, 5]", false},
	}
	for _, tt := range tests {
		t.Run(tt.expectation, func(t *testing.T) {
			tt.rule.Type, tt.rule.Metric = "library", "rowCount"
			r := runOne(t, conn, "", tt.rule, nil)
			if r.Expectation != tt.expectation {
				t.Errorf("Expectation = %q, want %q", r.Expectation, tt.expectation)
			}
			if r.Passed != tt.pass {
				t.Errorf("rowCount 5 %s: Passed = %v, want %v", tt.expectation, r.Passed, tt.pass)
			}
			if !r.Blocking || r.Severity != "error" {
				t.Errorf("default severity: Blocking = %v, Severity = %q, want true, error", r.Blocking, r.Severity)
			}
			if got := Failed([]Result{r}); got != !tt.pass {
				t.Errorf("Failed([%s]) = %v, want %v", tt.expectation, got, !tt.pass)
			}
		})
	}
}

func TestPercentOperator(t *testing.T) {
	conn := openDuck(t)
	// 20% of the names are NULL.
	for _, tt := range []struct {
		limit float64
		pass  bool
	}{{25, true}, {20, true}, {19.9, false}} {
		r := runOne(t, conn, "name", spec.Rule{Type: "library", Metric: "nullValues", Unit: "percent", MustBeLessOrEqualTo: f(tt.limit)}, nil)
		if r.Passed != tt.pass {
			t.Errorf("nullValues 20%% mustBeLessOrEqualTo %v: Passed = %v, want %v", tt.limit, r.Passed, tt.pass)
		}
	}
}

func TestPercentOfEmptyRelation(t *testing.T) {
	conn := openDuck(t)
	if _, err := conn.ExecContext(context.Background(), "CREATE TABLE empty AS SELECT * FROM t WHERE false"); err != nil {
		t.Fatal(err)
	}
	checks, err := Compile(object("name", spec.Rule{Type: "library", Metric: "nullValues", Unit: "percent", MustBe: int64(0)}), testTable, tableName)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := Run(context.Background(), conn, "empty", checks, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Value == nil || *res[0].Value != 0 || !res[0].Passed {
		t.Errorf("nullValues percent over no rows = %v passed %v, want 0 passed", val(res[0].Value), res[0].Passed)
	}
}

func TestSeverity(t *testing.T) {
	conn := openDuck(t)
	rules := []spec.Rule{
		{Type: "library", Metric: "rowCount", MustBe: int64(5), Name: "ok"},
		{Type: "library", Metric: "rowCount", MustBe: int64(1), Severity: "warning", Name: "warned"},
		{Type: "library", Metric: "rowCount", MustBe: int64(1), Severity: "info", Name: "informed"},
	}
	checks, err := Compile(object("", rules...), testTable, tableName)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := Run(context.Background(), conn, "t", checks, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	type v struct {
		Name, Severity   string
		Passed, Blocking bool
	}
	var got []v
	for _, r := range res {
		got = append(got, v{r.Name, r.Severity, r.Passed, r.Blocking})
	}
	want := []v{{"ok", "error", true, true}, {"warned", "warning", false, false}, {"informed", "info", false, false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if Failed(res) {
		t.Errorf("Failed = true, want false: failed warnings do not block")
	}
	res[0].Passed = false
	if !Failed(res) {
		t.Errorf("Failed = false with a failed error rule, want true")
	}
}

func TestSQLRules(t *testing.T) {
	conn := openDuck(t)
	rw := guardRewriter(t, conn)
	obj := spec.Object{Name: "t",
		Quality: []spec.Rule{
			{Type: "sql", Name: "big_amounts", Query: "SELECT count(*) FROM ${table} WHERE amount > 25", MustBe: int64(2), Path: "/q/0"},
			{Type: "sql", Name: "legacy_braces", Query: "SELECT count(*) FROM {table}", MustBeGreaterThan: f(4), Path: "/q/1"},
			{Type: "library", Metric: "rowCount", MustBe: int64(5), Path: "/q/2"},
		},
		Properties: []spec.Property{
			{Name: "id"}, {Name: "name"}, {Name: "status"},
			{Name: "amount", Quality: []spec.Rule{
				{Type: "sql", Query: "SELECT max(${column}) FROM ${table}", MustBe: int64(50), Path: "/q/3"},
			}},
		},
	}
	checks, err := Compile(obj, testTable, tableName)
	if err != nil {
		t.Fatal(err)
	}
	res, extra, err := Run(context.Background(), conn, "t", checks, []string{"count(*)", "sum(amount)"}, rw)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{5, 110}, extra); diff != "" {
		t.Errorf("extra values (-want +got):\n%s", diff)
	}
	type v struct {
		Name, Metric string
		Value        any
		Passed       bool
		Error        string
	}
	var got []v
	for _, r := range res {
		got = append(got, v{r.Name, r.Metric, val(r.Value), r.Passed, r.Error})
	}
	want := []v{
		{"big_amounts", "sql", 2.0, true, ""},
		{"legacy_braces", "sql", 5.0, true, ""},
		{"rowCount", "rowCount", 5.0, true, ""},
		{"amount.sql", "sql", 50.0, true, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if res[0].Unit != "" {
		t.Errorf("sql rule unit = %q, want none", res[0].Unit)
	}
}

func TestSQLRuleErrorsAreIsolated(t *testing.T) {
	conn := openDuck(t)
	rw := guardRewriter(t, conn)
	obj := object("",
		spec.Rule{Type: "library", Metric: "rowCount", MustBe: int64(5), Path: "/q/0"},
		// Passes the guard, fails while running: 'e' is not an integer.
		spec.Rule{Type: "sql", Name: "bad_cast", Query: "SELECT CAST(max(name) AS INTEGER) FROM ${table}", MustBe: int64(0), Path: "/q/1"},
		// Refused by the guard: it reads a table other than ${table}.
		spec.Rule{Type: "sql", Name: "other_table", Query: "SELECT count(*) FROM d.p.other", MustBe: int64(0), Path: "/q/2"},
		// Refused by the guard: not a plain SELECT over mesh tables.
		spec.Rule{Type: "sql", Name: "file_read", Query: "SELECT count(*) FROM read_csv('/etc/passwd')", MustBe: int64(0), Path: "/q/3"},
		spec.Rule{Type: "sql", Name: "good", Query: "SELECT count(*) FROM ${table} WHERE status = 'open'", MustBe: int64(3), Path: "/q/4"},
		spec.Rule{Type: "library", Metric: "duplicateValues", Arguments: map[string]any{"properties": []any{"id"}}, MustBe: int64(0), Path: "/q/5"},
	)
	checks, err := Compile(obj, testTable, tableName)
	if err != nil {
		t.Fatal(err)
	}
	res, extra, err := Run(context.Background(), conn, "t", checks, []string{"count(*)"}, rw)
	if err != nil {
		t.Fatalf("Run error: %v; want the failing rules reported on their own", err)
	}
	if diff := cmp.Diff([]float64{5}, extra); diff != "" {
		t.Errorf("extra values (-want +got):\n%s", diff)
	}
	byName := map[string]Result{}
	for _, r := range res {
		byName[r.Name] = r
	}
	for _, name := range []string{"bad_cast", "other_table", "file_read"} {
		r := byName[name]
		if r.Error == "" || r.Passed || r.Value != nil {
			t.Errorf("%s = value %v passed %v error %q, want an error, no value, not passed", name, val(r.Value), r.Passed, r.Error)
		}
	}
	if e := byName["bad_cast"].Error; !strings.Contains(e, "the rule's query failed") || !strings.Contains(e, "Conversion Error") {
		t.Errorf("bad_cast error = %q, want it to say the query failed with DuckDB's conversion error", e)
	}
	if e := byName["other_table"].Error; !strings.Contains(e, "d.p.other does not exist") {
		t.Errorf("other_table error = %q, want the binder's refusal", e)
	}
	for name, want := range map[string]float64{"rowCount": 5, "good": 3, "duplicateValues": 1} {
		r := byName[name]
		if r.Error != "" || r.Value == nil || *r.Value != want {
			t.Errorf("%s = value %v error %q, want %v and no error", name, val(r.Value), r.Error, want)
		}
	}
	if !byName["rowCount"].Passed || !byName["good"].Passed || byName["duplicateValues"].Passed {
		t.Errorf("verdicts rowCount %v good %v duplicateValues %v, want true true false",
			byName["rowCount"].Passed, byName["good"].Passed, byName["duplicateValues"].Passed)
	}
	if !Failed(res) {
		t.Error("Failed = false, want true: blocking rules could not run")
	}
}

func TestSQLRuleWithoutRewriter(t *testing.T) {
	conn := openDuck(t)
	r := runOne(t, conn, "", spec.Rule{Type: "sql", Query: "SELECT 1", MustBe: int64(1)}, nil)
	if r.Error != "sql rules cannot run here" || r.Passed {
		t.Errorf("sql rule without a rewriter = error %q passed %v, want %q, false", r.Error, r.Passed, "sql rules cannot run here")
	}
}

func TestCustomAndTextRulesAreSkipped(t *testing.T) {
	checks, err := Compile(object("",
		spec.Rule{Type: "custom", Engine: "soda", Path: "/q/0"},
		spec.Rule{Type: "text", Description: "be nice", Path: "/q/1"},
		spec.Rule{Type: "library", Metric: "rowCount", MustBe: int64(1), Path: "/q/2"},
	), testTable, tableName)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 1 || checks[0].Metric != "rowCount" {
		t.Errorf("Compile = %+v, want only the rowCount check", checks)
	}
}

func TestCompileNamesAreUnique(t *testing.T) {
	checks, err := Compile(object("id",
		spec.Rule{Metric: "nullValues", MustBe: int64(0)},
		spec.Rule{Metric: "nullValues", MustBeLessThan: f(2)},
		spec.Rule{Metric: "nullValues", MustNotBe: int64(3)},
	), testTable, tableName)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range checks {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"id.nullValues", "id.nullValues#2", "id.nullValues#3"}, names); diff != "" {
		t.Errorf("check names (-want +got):\n%s", diff)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		obj  spec.Object
		want []string
	}{
		{"unknown metric", object("", spec.Rule{Type: "library", Metric: "freshness", MustBe: int64(0), Path: "/schema/0/quality/0"}),
			[]string{`/schema/0/quality/0: table t: metric "freshness" is not supported`}},
		{"no metric", object("", spec.Rule{Type: "library", MustBe: int64(0)}),
			[]string{"a library rule needs a metric"}},
		{"missing operator", object("id", spec.Rule{Metric: "nullValues"}),
			[]string{"column id: a rule needs exactly one operator"}},
		{"two operators", object("id", spec.Rule{Metric: "nullValues", MustBe: int64(0), MustBeLessThan: f(1)}),
			[]string{"a rule needs exactly one operator"}},
		{"non-numeric operand", object("id", spec.Rule{Metric: "nullValues", MustBe: "zero"}),
			[]string{"mustBe needs a number, got zero"}},
		{"column metric at table level", object("", spec.Rule{Metric: "nullValues", MustBe: int64(0)}),
			[]string{"metric nullValues applies to a column: put the rule under the column's quality"}},
		{"missingValues at table level", object("", spec.Rule{Metric: "missingValues", MustBe: int64(0)}),
			[]string{"metric missingValues applies to a column"}},
		{"invalidValues at table level", object("", spec.Rule{Metric: "invalidValues", MustBe: int64(0), Arguments: map[string]any{"pattern": "x"}}),
			[]string{"metric invalidValues applies to a column"}},
		{"invalidValues without arguments", object("status", spec.Rule{Metric: "invalidValues", MustBe: int64(0)}),
			[]string{"invalidValues needs arguments.validValues or arguments.pattern"}},
		{"missingValues with an empty list", object("status", spec.Rule{Metric: "missingValues", MustBe: int64(0), Arguments: map[string]any{"missingValues": []any{}}}),
			[]string{"missingValues needs at least one missing value"}},
		{"table duplicateValues without properties", object("", spec.Rule{Metric: "duplicateValues", MustBe: int64(0)}),
			[]string{"duplicateValues at table level needs arguments.properties"}},
		{"table duplicateValues unknown property", object("", spec.Rule{Metric: "duplicateValues", MustBe: int64(0), Arguments: map[string]any{"properties": []any{"id", "nope"}}}),
			[]string{`duplicateValues: "nope" is not a column`}},
		{"unknown column", spec.Object{Name: "t", Properties: []spec.Property{{Name: "ghost", Quality: []spec.Rule{{Metric: "nullValues", MustBe: int64(0), Path: "/p"}}}}},
			[]string{`/p: column ghost: column "ghost" is not in the table`}},
		{"sql without query", object("", spec.Rule{Type: "sql", MustBe: int64(0)}),
			[]string{"an sql rule needs a query"}},
		{"unknown type", object("", spec.Rule{Type: "great_expectations", MustBe: int64(0)}),
			[]string{`rule type "great_expectations" is not supported`}},
		{"every problem is reported", object("id",
			spec.Rule{Metric: "bogus", MustBe: int64(0), Path: "/a"},
			spec.Rule{Metric: "nullValues", Path: "/b"}),
			[]string{`/a: column id: metric "bogus"`, "/b: column id: a rule needs exactly one operator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks, err := Compile(tt.obj, testTable, tableName)
			if err == nil {
				t.Fatalf("Compile = %d checks, want an error containing %q", len(checks), tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Compile error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestRunCanceled(t *testing.T) {
	conn := openDuck(t)
	checks, err := Compile(object("", spec.Rule{Metric: "rowCount", MustBe: int64(5)}), testTable, tableName)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Run(ctx, conn, "t", checks, nil, nil); err == nil {
		t.Error("Run with a canceled context: no error, want one")
	}
}
