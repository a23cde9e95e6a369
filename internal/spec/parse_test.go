package spec

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// contractYAML is a valid contract; tests replace {{table}} and {{columns}}.
const contractYAML = `apiVersion: v3.1.0
kind: DataContract
id: orders-contract
version: 1.0.0
status: active
domain: sales
dataProduct: orders
schema:
  - name: {{table}}
    properties:
{{columns}}
`

const goodColumns = `      - name: order_id
        logicalType: integer
        physicalType: bigint
        required: true
      - name: amount
        logicalType: number
        physicalType: decimal(10,2)`

func contract(table, columns string) string {
	return strings.NewReplacer("{{table}}", table, "{{columns}}", columns).Replace(contractYAML)
}

const productYAML = `apiVersion: v1.0.0
kind: DataProduct
id: 1b8a
status: active
name: orders
domain: sales
outputPorts:
  - name: order_lines
    version: 1.0.0
    contractId: orders-contract
`

func TestParseValid(t *testing.T) {
	f, err := Parse("c.yaml", []byte(contract("order_lines", goodColumns)))
	if err != nil {
		t.Fatalf("Parse(valid contract) = %v; details %v", err, diagnostics(t, err))
	}
	if len(f.Contracts) != 1 || len(f.Products) != 0 || len(f.Warnings) != 0 {
		t.Fatalf("Parse(valid contract) = %d contracts, %d products, warnings %v; want 1, 0, none", len(f.Contracts), len(f.Products), f.Warnings)
	}
	c := f.Contracts[0]
	want := []Object{{
		Name: "order_lines", Path: "/schema/0",
		Properties: []Property{
			{Name: "order_id", LogicalType: "integer", PhysicalType: "bigint", Required: true, Path: "/schema/0/properties/0"},
			{Name: "amount", LogicalType: "number", PhysicalType: "decimal(10,2)", Path: "/schema/0/properties/1"},
		},
	}}
	if diff := cmp.Diff(want, c.Schema); diff != "" {
		t.Errorf("Parse(valid contract).Schema mismatch (-want +got):\n%s", diff)
	}
	if c.Domain != "sales" || c.DataProduct != "orders" || c.Version != "1.0.0" {
		t.Errorf("Parse(valid contract) = domain %q product %q version %q, want sales orders 1.0.0", c.Domain, c.DataProduct, c.Version)
	}
	j, err := c.Doc.JSON()
	if err != nil || !strings.Contains(string(j), `"kind":"DataContract"`) {
		t.Errorf("Doc.JSON() = %s, %v; want the document as JSON", j, err)
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name  string
		input string
		want  []want
	}{
		{"schema: wrong type for required", contract("t", `      - name: a
        logicalType: string
        required: "yes"`), []want{{13, `required: got string, want boolean`}}},
		{"schema: unknown top-level field in ODPS", productYAML + "colour: blue\n", []want{{11, `unknown field "colour" is not allowed here`}}},
		{"schema: missing required fields", "kind: DataContract\napiVersion: v3.1.0\nschema: []\n", []want{
			{1, `missing required field "id"`}, {1, `missing required field "status"`}, {1, `missing required field "version"`}}},
		{"schema: unknown property field", contract("t", "      - name: a\n        logicalType: string\n        colour: red"), []want{{13, `unknown field "colour"`}}},
		{"schema: bad logicalType enum", contract("t", "      - name: a\n        logicalType: varchar"), []want{{12, `logicalType`}}},
		{"name: path traversal", contract("../etc", goodColumns), []want{{9, `table name "../etc" is not a valid mesh name: use lower-case letters, digits and _ starting with a letter`}}},
		{"name: upper case", contract("Sales", goodColumns), []want{{9, `table name "Sales" is not a valid mesh name`}}},
		{"name: unicode", contract("ordérs", goodColumns), []want{{9, `table name "ord\u00e9rs" is not a valid mesh name`}}},
		{"name: quote", contract(`'a"b'`, goodColumns), []want{{9, `table name "a\"b" is not a valid mesh name`}}},
		{"name: empty", contract(`""`, goodColumns), []want{{9, `table name "" is not a valid mesh name`}}},
		{"name: 64 chars", contract(long, goodColumns), []want{{9, `table name "` + long + `" is not a valid mesh name: at most 63 characters`}}},
		{"name: column", contract("t", "      - name: Order ID\n        logicalType: string"), []want{{11, `column name "Order ID" is not a valid mesh name`}}},
		{"name: product", strings.Replace(productYAML, "name: orders", "name: Customer Data Product", 1), []want{{5, `name "Customer Data Product" is not a valid mesh name`}}},
		{"name: reserved domain", strings.Replace(productYAML, "domain: sales", "domain: system", 1), []want{{6, `domain "system" is reserved`}}},
		{"name: contract domain", strings.Replace(contract("t", goodColumns), "domain: sales", "domain: Sales Dept", 1), []want{{6, `domain "Sales Dept" is not a valid mesh name`}}},
		{"product: no name or domain", "apiVersion: v1.0.0\nkind: DataProduct\nid: x\nstatus: draft\n", []want{{1, `missing "name"`}, {1, `missing "domain"`}}},
		{"duplicate columns", contract("t", goodColumns+"\n      - name: amount\n        logicalType: number"), []want{{18, `duplicate column name "amount" (first at /schema/0/properties/1)`}}},
		{"duplicate tables", contract("t", goodColumns) + "  - name: t\n    properties:\n      - name: a\n        logicalType: string\n", []want{{18, `duplicate table name "t"`}}},
		{"no tables", strings.Split(contract("t", goodColumns), "schema:")[0], []want{{1, "a contract needs at least one schema object"}}},
		{"table without columns", strings.Split(contract("t", goodColumns), "    properties:")[0], []want{{9, `table "t" has no properties`}}},
		{"missing logicalType", contract("t", "      - name: a\n        physicalType: jsonb"), []want{{11, `column "a" has no logicalType`}}},
		{"type disagreement", contract("t", "      - name: a\n        logicalType: integer\n        physicalType: varchar(10)"), []want{{13, `physicalType "varchar(10)" stores a string, which does not agree with logicalType "integer"`}}},
		{"duplicate partition positions", contract("t", `      - name: a
        logicalType: date
        partitioned: true
        partitionKeyPosition: 1
      - name: b
        logicalType: string
        partitioned: true
        partitionKeyPosition: 1`), []want{{18, `partitionKeyPosition 1 of column "b" is already used by column "a"`}}},
		{"duplicate primary key positions", contract("t", `      - name: a
        logicalType: string
        primaryKey: true
        primaryKeyPosition: 1
      - name: b
        logicalType: string
        primaryKey: true
        primaryKeyPosition: 1`), []want{{18, `primaryKeyPosition 1 of column "b" is already used by column "a"`}}},
		{"library rule: two operators", contract("t", goodColumns+"\n        quality:\n          - metric: nullValues\n            mustBe: 0\n            mustBeLessThan: 3"), []want{{19, `set exactly one operator`}}},
		{"library rule: unknown metric", contract("t", goodColumns+"\n        quality:\n          - metric: freshness\n            mustBe: 0"), []want{{19, `metric: value must be one of`}}},
		{"library rule: pre-3.1 rule key alone", contract("t", goodColumns+"\n        quality:\n          - rule: nullValues\n            mustBe: 0"), []want{{19, `unknown field "rule"`}}},
		{"library rule: invalidValues without arguments", contract("t", goodColumns+"\n        quality:\n          - metric: invalidValues\n            mustBe: 0"), []want{{19, `invalidValues needs arguments.validValues`}}},
		{"sql rule: no operator", contract("t", goodColumns+"\n        quality:\n          - type: sql\n            query: select 1"), []want{{19, `set one of mustBe, mustNotBe`}}},
		{"missing kind", "apiVersion: v3.1.0\nid: x\n", []want{{1, `missing "kind": want "DataProduct" or "DataContract"`}}},
		{"unknown kind", "kind: DataMesh\n", []want{{1, `unknown kind "DataMesh": want "DataProduct" or "DataContract"`}}},
		{"duplicate YAML keys", "kind: DataContract\nid: a\nid: b\n", []want{{3, `duplicate key "id" (first at line 2)`}}},
		{"tab indentation", "kind: DataContract\nschema:\n\t- name: t\n", []want{{3, "YAML syntax error"}}},
		{"garbage", "kind: [DataContract\n", []want{{1, "YAML syntax error: did not find expected ',' or ']'"}}},
		{"not a mapping", "- a\n- b\n", []want{{1, "document 1 is a list, want a mapping"}}},
		{"empty file", "", []want{{1, "no documents"}}},
		{"only comments", "# nothing\n---\n", []want{{1, "no documents"}}},
		{"merge key", "x: &a {id: 1}\ny:\n  <<: *a\nkind: DataContract\n", []want{{3, "merge keys"}}},
		{"NaN", "kind: DataContract\nx: .nan\n", []want{{2, "cannot be represented in JSON"}}},
		{"self alias", "kind: DataContract\nx: &a [*a]\n", []want{{2, "refers to itself"}}},
		{"second document bad", contract("t", goodColumns) + "---\nkind: DataProduct\n", []want{{19, `missing required field "id"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("in.yaml", []byte(tt.input))
			if err == nil {
				t.Fatalf("Parse(%q) = ok, want errors %v", tt.input, tt.want)
			}
			ds := diagnostics(t, err)
			for _, w := range tt.want {
				if !hasDiag(ds, w) {
					t.Errorf("Parse(%q) diagnostics =\n%s\nwant one at line %d containing %q", tt.input, joinDiags(ds), w.line, w.msg)
				}
			}
			for _, d := range ds {
				if d.File != "in.yaml" || d.Severity != SeverityError || d.Line == 0 {
					t.Errorf("Parse(%q): diagnostic %+v is not a located error in in.yaml", tt.input, d)
				}
			}
		})
	}
}

func joinDiags(ds []Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	return b.String()
}

func TestParseWarnings(t *testing.T) {
	in := contract("t", `      - name: a
        logicalType: string
        physicalType: jsonb
        encryptedName: a_enc
        transformLogic: select 1
        logicalTypeOptions:
          maxLength: 3
          format: x
        quality:
          - type: text
            description: looks fine
          - metric: nullValues
            mustBe: 0
            schedule: 0 20 * * *
            scheduler: cron
          - type: custom
            engine: soda
            implementation: x`)
	f, err := Parse("w.yaml", []byte(in))
	if err != nil {
		t.Fatalf("Parse = %v; details %v", err, diagnostics(t, err))
	}
	want := []string{
		`13:9: /schema/0/properties/0/physicalType: warning: physicalType "jsonb" is not one Meshwork interprets`,
		`14:9: /schema/0/properties/0/encryptedName: warning: encryptedName is not honoured`,
		`15:9: /schema/0/properties/0/transformLogic: warning: transformLogic is documentation only`,
		`17:11: /schema/0/properties/0/logicalTypeOptions/maxLength: warning: logicalTypeOptions.maxLength is not enforced yet`,
		`20:13: /schema/0/properties/0/quality/0/type: warning: text quality rule is not enforced`,
		`24:13: /schema/0/properties/0/quality/1/schedule: warning: quality schedule is not honoured`,
		`25:13: /schema/0/properties/0/quality/1/scheduler: warning: quality scheduler is not honoured`,
		`26:13: /schema/0/properties/0/quality/2/type: warning: custom quality rule is not enforced`,
	}
	if len(f.Warnings) != len(want) {
		t.Errorf("Parse warnings =\n%s\nwant %d", joinDiags(f.Warnings), len(want))
	}
	for i, w := range want {
		if i < len(f.Warnings) && !strings.HasPrefix(f.Warnings[i].String(), "w.yaml:"+w) {
			t.Errorf("warning %d = %q, want prefix %q", i, f.Warnings[i].String(), "w.yaml:"+w)
		}
	}
	if diff := cmp.Diff(f.Warnings, f.Contracts[0].Warnings); diff != "" {
		t.Errorf("Contract.Warnings differ from File.Warnings (-file +contract):\n%s", diff)
	}
	r := f.Contracts[0].Schema[0].Properties[0].Quality[1]
	if r.Type != "library" || r.Metric != "nullValues" || r.MustBe != int64(0) || r.Operators() != 1 {
		t.Errorf("rule = %+v, want library nullValues mustBe 0 with one operator", r)
	}
}

func TestParseMultiDocument(t *testing.T) {
	in := productYAML + "---\n" + contract("order_lines", goodColumns) + "---\n"
	f, err := Parse("both.yaml", []byte(in))
	if err != nil {
		t.Fatalf("Parse = %v; details %v", err, diagnostics(t, err))
	}
	if len(f.Products) != 1 || len(f.Contracts) != 1 {
		t.Fatalf("Parse = %d products, %d contracts; want 1, 1", len(f.Products), len(f.Contracts))
	}
	if got := f.Products[0].OutputPorts; len(got) != 1 || got[0].ContractID != "orders-contract" {
		t.Errorf("product output ports = %+v, want one with contractId orders-contract", got)
	}
	if _, err := ParseContract("both.yaml", []byte(in)); err == nil {
		t.Errorf("ParseContract(product and contract) = ok, want an error")
	}
}

func TestParseUnquotedDatesStayStrings(t *testing.T) {
	in := contract("t", "      - name: d\n        logicalType: date\n        examples: [2022-10-03, 2025-01-28T10:00:00Z]")
	c, err := ParseContract("d.yaml", []byte(in))
	if err != nil {
		t.Fatalf("ParseContract = %v; details %v", err, diagnostics(t, err))
	}
	want := []any{"2022-10-03", "2025-01-28T10:00:00Z"}
	if diff := cmp.Diff(want, c.Schema[0].Properties[0].Examples); diff != "" {
		t.Errorf("examples (-want +got):\n%s", diff)
	}
}

func TestParseTooLarge(t *testing.T) {
	in := make([]byte, MaxInputSize+1)
	ds := diagnostics(t, mustFail(t, in))
	if !strings.Contains(ds[0].Message, "over the limit") {
		t.Errorf("Parse(huge) = %v, want an over-the-limit error", ds)
	}
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("kind: DataContract\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	start := time.Now()
	ds := diagnostics(t, mustFail(t, []byte(b.String())))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Parse(billion laughs) took %v, want it to fail fast", d)
	}
	if !hasDiagContaining(ds, "alias bomb") {
		t.Errorf("Parse(billion laughs) = %v, want an alias error", ds)
	}
}

func hasDiagContaining(ds []Diagnostic, s string) bool {
	for _, d := range ds {
		if strings.Contains(d.Message, s) {
			return true
		}
	}
	return false
}

func mustFail(t *testing.T, in []byte) error {
	t.Helper()
	_, err := Parse("in.yaml", in)
	if err == nil {
		t.Fatalf("Parse = ok, want an error")
	}
	return err
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "a.yaml", Line: 3, Column: 5, Path: "/x", Severity: SeverityError, Message: "bad"}, "a.yaml:3:5: /x: bad"},
		{Diagnostic{File: "a.yaml", Severity: SeverityError, Message: "bad"}, "a.yaml: bad"},
		{Diagnostic{Line: 2, Severity: SeverityWarning, Message: "meh"}, ":2: warning: meh"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"orders", true}, {"order_lines2", true}, {"a", true}, {strings.Repeat("a", 63), true},
		{"", false}, {"Sales", false}, {"../etc", false}, {"ordérs", false}, {`a"b`, false},
		{"1abc", false}, {"_a", false}, {"a-b", false}, {strings.Repeat("a", 64), false}, {"a\n", false},
	}
	for _, tt := range tests {
		if got := ValidName(tt.in); got != tt.want {
			t.Errorf("ValidName(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if err := CheckName("table", tt.in); (err == nil) != tt.want {
			t.Errorf("CheckName(%q) = %v, want ok %v", tt.in, err, tt.want)
		}
	}
	for _, d := range []string{"memory", "system", "temp", "main", "information_schema", "pg_catalog"} {
		if CheckDomain(d) == nil {
			t.Errorf("CheckDomain(%q) = nil, want reserved", d)
		}
	}
}

func TestParsePhysicalType(t *testing.T) {
	tests := []struct {
		in      string
		logical string
		args    []int
		ok      bool
	}{
		{"bigint", "integer", nil, true}, {"INT", "integer", nil, true}, {"double precision", "number", nil, true},
		{"Double  Precision", "number", nil, true}, {"decimal(10,2)", "number", []int{10, 2}, true},
		{"numeric(38)", "number", []int{38}, true}, {"varchar", "string", nil, true}, {"VARCHAR(40)", "string", []int{40}, true},
		{"char(2)", "string", []int{2}, true}, {"timestamp with time zone", "timestamp", nil, true},
		{"timestamptz", "timestamp", nil, true}, {"uuid", "string", nil, true}, {"bool", "boolean", nil, true},
		{"float(3,2)", "number", []int{3, 2}, true},
		{"decimal(2,3)", "", nil, false}, {"decimal(39,0)", "", nil, false}, {"varchar(x)", "", nil, false},
		{"char", "", nil, false}, {"jsonb", "", nil, false}, {"serial", "", nil, false}, {"int(", "", nil, false},
		{"varchar()", "", nil, false},
	}
	for _, tt := range tests {
		pt, ok := ParsePhysicalType(tt.in)
		if ok != tt.ok || pt.Logical != tt.logical || !cmp.Equal(pt.Args, tt.args) {
			t.Errorf("ParsePhysicalType(%q) = %+v, %v; want %s %v, %v", tt.in, pt, ok, tt.logical, tt.args, tt.ok)
		}
	}
}

func TestInferLogicalType(t *testing.T) {
	c, err := ParseContract("i.yaml", []byte(contract("t", "      - name: a\n        physicalType: bigint")))
	if err != nil {
		t.Fatalf("ParseContract = %v; details %v", err, diagnostics(t, err))
	}
	if got := c.Schema[0].Properties[0].LogicalType; got != "integer" {
		t.Errorf("inferred logicalType = %q, want integer", got)
	}
}

func TestExportBuiltInCode(t *testing.T) {
	c := &Contract{APIVersion: "v3.1.0", Kind: KindDataContract, ID: "x", Version: "1.0.0", Status: "draft",
		Domain: "sales", Schema: []Object{{Name: "t", Properties: []Property{{Name: "a", LogicalType: "string", Required: true}}}}}
	out, err := ExportContract(c)
	if err != nil {
		t.Fatalf("ExportContract = %v", err)
	}
	c2, err := ParseContract("built.yaml", out)
	if err != nil {
		t.Fatalf("ParseContract(export) = %v; details %v\n%s", err, diagnostics(t, err), out)
	}
	c2.Doc = Doc{}
	c2.Schema[0].Path, c2.Schema[0].Properties[0].Path = "", ""
	if diff := cmp.Diff(c, c2); diff != "" {
		t.Errorf("round trip of a contract built in code (-want +got):\n%s", diff)
	}
}

func TestExportKeepsComments(t *testing.T) {
	in := "# owned by sales\n" + contract("t", goodColumns+" # money")
	c, err := ParseContract("c.yaml", []byte(in))
	if err != nil {
		t.Fatalf("ParseContract = %v", err)
	}
	out, err := ExportContract(c)
	if err != nil {
		t.Fatalf("ExportContract = %v", err)
	}
	for _, s := range []string{"# owned by sales", "# money"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("ExportContract = %s, want it to keep the comment %q", out, s)
		}
	}
}
