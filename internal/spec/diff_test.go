package spec

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite golden files")

// diffDoc is a contract sales-orders at version with body (status, schema,
// ...) appended.
func diffDoc(version, body string) string {
	return "apiVersion: v3.1.0\nkind: DataContract\nid: sales-orders\nversion: " + version + "\n" + body
}

// ordersDoc is an active contract with one table orders holding cols.
func ordersDoc(cols string) string {
	return "status: active\nschema:\n  - name: orders\n    properties:\n" + cols
}

const (
	colKey = `      - name: o_orderkey
        logicalType: integer
        physicalType: bigint
        required: true
`
	colStatus = `      - name: o_status
        logicalType: string
`
	colPrice = `      - name: o_totalprice
        logicalType: number
        physicalType: decimal(12,2)
`
)

func mustContract(t testing.TB, version, body string) *Contract {
	t.Helper()
	c, err := ParseContract("c.yaml", []byte(diffDoc(version, body)))
	if err != nil {
		t.Fatalf("ParseContract(%s) = %v\n%s", version, err, diffDoc(version, body))
	}
	return c
}

// changed wraps column diffs of table orders in a ContractDiff.
func changed(cols ...ColumnDiff) *ContractDiff {
	return &ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0",
		Tables: []TableDiff{{Name: "orders", Op: OpChanged, Columns: cols}}}
}

func TestDiff(t *testing.T) {
	base := ordersDoc(colKey + colStatus + colPrice)
	tests := []struct {
		name     string
		from, to string
		want     *ContractDiff
	}{
		{"identical", base, base, &ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0"}},
		{"tags reordered is no difference",
			"tags: [a, b]\n" + base, "tags: [b, a]\n" + base,
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0"}},
		{"contract-level changes",
			"status: draft\nname: orders\ndomain: sales\ndescription:\n  purpose: Orders.\ntags: [finance]\nteam:\n  name: sales_eng\n" +
				"customProperties:\n  - property: sunset\n    value: 2026-01-01\n  - property: owner\n    value: ann\n" + strings.TrimPrefix(base, "status: active\n"),
			"status: active\nname: sales_orders\ndomain: sales\ndescription:\n  purpose: All orders.\n  usage: Reporting.\ntags: [finance, gold]\nteam:\n  name: order_eng\n" +
				"customProperties:\n  - property: sunset\n    value: 2027-01-01\n  - property: tier\n    value: 1\n" + strings.TrimPrefix(base, "status: active\n"),
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0", Changes: []Change{
				{Attribute: "name", Op: OpChanged, From: "orders", To: "sales_orders"},
				{Attribute: "status", Op: OpChanged, From: "draft", To: "active"},
				{Attribute: "description.purpose", Op: OpChanged, From: "Orders.", To: "All orders."},
				{Attribute: "description.usage", Op: OpAdded, To: "Reporting."},
				{Attribute: "tags", Op: OpChanged, From: "[finance]", To: "[finance, gold]"},
				{Attribute: "team", Op: OpChanged, From: "sales_eng", To: "order_eng"},
				{Attribute: "customProperties[sunset]", Op: OpChanged, From: "2026-01-01", To: "2027-01-01"},
				{Attribute: "customProperties[tier]", Op: OpAdded, To: "1"},
				{Attribute: "customProperties[owner]", Op: OpRemoved, From: "ann"},
			}}},
		{"table added", base, base + "  - name: returns\n    properties:\n" + colKey + colStatus,
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0", Tables: []TableDiff{{Name: "returns", Op: OpAdded, Columns: []ColumnDiff{
				{Name: "o_orderkey", Op: OpAdded, Type: "integer (bigint)", Required: true},
				{Name: "o_status", Op: OpAdded, Type: "string"},
			}}}}},
		{"table removed", base + "  - name: returns\n    properties:\n" + colStatus, base,
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0", Tables: []TableDiff{{Name: "returns", Op: OpRemoved, Columns: []ColumnDiff{
				{Name: "o_status", Op: OpRemoved, Type: "string"},
			}}}}},
		{"table renamed by id",
			strings.Replace(base, "  - name: orders\n", "  - id: tbl_orders\n    name: orders\n    description: Orders.\n", 1),
			strings.Replace(base, "  - name: orders\n", "  - id: tbl_orders\n    name: orders_v2\n    description: All orders.\n", 1),
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0", Tables: []TableDiff{{Name: "orders_v2", Op: OpRenamed, RenamedFrom: "orders",
				Changes: []Change{{Attribute: "description", Op: OpChanged, From: "Orders.", To: "All orders."}}}}}},
		{"same name, different ids: two tables",
			strings.Replace(base, "  - name: orders\n", "  - id: t1\n    name: orders\n", 1),
			strings.Replace(base, "  - name: orders\n", "  - id: t2\n    name: orders\n", 1),
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0", Tables: []TableDiff{
				{Name: "orders", Op: OpAdded, Columns: []ColumnDiff{
					{Name: "o_orderkey", Op: OpAdded, Type: "integer (bigint)", Required: true}, {Name: "o_status", Op: OpAdded, Type: "string"},
					{Name: "o_totalprice", Op: OpAdded, Type: "number (decimal(12,2))"}}},
				{Name: "orders", Op: OpRemoved, Columns: []ColumnDiff{
					{Name: "o_orderkey", Op: OpRemoved, Type: "integer (bigint)", Required: true}, {Name: "o_status", Op: OpRemoved, Type: "string"},
					{Name: "o_totalprice", Op: OpRemoved, Type: "number (decimal(12,2))"}}},
			}}},
		{"column added and removed", base, ordersDoc(colKey + colPrice + "      - name: o_channel\n        logicalType: string\n        required: true\n"),
			changed(ColumnDiff{Name: "o_channel", Op: OpAdded, Type: "string", Required: true},
				ColumnDiff{Name: "o_status", Op: OpRemoved, Type: "string"})},
		{"column renamed by id",
			ordersDoc(colKey + "      - id: c_status\n        name: o_status\n        logicalType: string\n"),
			ordersDoc(colKey + "      - id: c_status\n        name: o_orderstatus\n        logicalType: string\n        physicalType: varchar(1)\n"),
			changed(ColumnDiff{Name: "o_orderstatus", Op: OpRenamed, RenamedFrom: "o_status",
				Changes: []Change{{Attribute: "type", Op: OpChanged, From: "string", To: "string (varchar(1))"}}})},
		{"type change", base, strings.Replace(base, "decimal(12,2)", "decimal(15,2)", 1),
			changed(ColumnDiff{Name: "o_totalprice", Op: OpChanged,
				Changes: []Change{{Attribute: "type", Op: OpChanged, From: "number (decimal(12,2))", To: "number (decimal(15,2))"}}})},
		{"required and unique", base, strings.Replace(base, "        logicalType: string\n", "        logicalType: string\n        required: true\n        unique: true\n", 1),
			changed(ColumnDiff{Name: "o_status", Op: OpChanged, Changes: []Change{
				{Attribute: "required", Op: OpChanged, From: "false", To: "true"},
				{Attribute: "unique", Op: OpChanged, From: "false", To: "true"}}})},
		{"primary key order",
			ordersDoc(colKey + "        primaryKey: true\n        primaryKeyPosition: 1\n" + colStatus + "        primaryKey: true\n        primaryKeyPosition: 2\n"),
			ordersDoc(colKey + "        primaryKey: true\n        primaryKeyPosition: 2\n" + colStatus + "        primaryKey: true\n        primaryKeyPosition: 1\n"),
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0", Tables: []TableDiff{{Name: "orders", Op: OpChanged,
				Changes: []Change{{Attribute: "primaryKey", Op: OpChanged, From: "[o_orderkey, o_status]", To: "[o_status, o_orderkey]"}}}}}},
		{"partitioning", base, ordersDoc(colKey + colStatus + "        partitioned: true\n        customProperties:\n          - property: partitionTransform\n            value: month\n" + colPrice),
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0", Tables: []TableDiff{{Name: "orders", Op: OpChanged,
				Changes: []Change{{Attribute: "partitioning", Op: OpAdded, To: "[month(o_status)]"}},
				Columns: []ColumnDiff{{Name: "o_status", Op: OpChanged, Changes: []Change{
					{Attribute: "partitioned", Op: OpChanged, From: "false", To: "true"},
					{Attribute: "customProperties[partitionTransform]", Op: OpAdded, To: "month"}}}}}}}},
		{"classification, description, options, tags",
			ordersDoc(colKey + colStatus + "        description: Status.\n        tags: [x]\n        logicalTypeOptions:\n          maxLength: 1\n          format: upper\n"),
			ordersDoc(colKey + colStatus + "        classification: pii\n        tags: [x, y]\n        logicalTypeOptions:\n          maxLength: 2\n          pattern: '^[A-Z]$'\n"),
			changed(ColumnDiff{Name: "o_status", Op: OpChanged, Changes: []Change{
				{Attribute: "classification", Op: OpAdded, To: "pii"},
				{Attribute: "description", Op: OpRemoved, From: "Status."},
				{Attribute: "logicalTypeOptions.maxLength", Op: OpChanged, From: "1", To: "2"},
				{Attribute: "logicalTypeOptions.pattern", Op: OpAdded, To: "^[A-Z]$"},
				{Attribute: "logicalTypeOptions.format", Op: OpRemoved, From: "upper"},
				{Attribute: "tags", Op: OpChanged, From: "[x]", To: "[x, y]"}}})},
		{"default custom property",
			ordersDoc(colKey + colStatus + "        customProperties:\n          - property: default\n            value: O\n"),
			ordersDoc(colKey + colStatus + "        customProperties:\n          - property: default\n            value: ''\n"),
			changed(ColumnDiff{Name: "o_status", Op: OpChanged, Changes: []Change{{Attribute: "default", Op: OpChanged, From: "O", To: `""`}}})},
		{"nested fields",
			ordersDoc(colKey + nested("city", "string", "zip", "string")),
			ordersDoc(colKey + nested("city", "integer", "street", "string")),
			changed(ColumnDiff{Name: "address.street", Op: OpAdded, Type: "string"},
				ColumnDiff{Name: "address.zip", Op: OpRemoved, Type: "string"},
				ColumnDiff{Name: "address.city", Op: OpChanged, Changes: []Change{{Attribute: "type", Op: OpChanged, From: "string", To: "integer"}}})},
		{"array element type",
			ordersDoc(colKey + "      - name: tags\n        logicalType: array\n        items:\n          logicalType: string\n"),
			ordersDoc(colKey + "      - name: tags\n        logicalType: array\n        items:\n          logicalType: integer\n          physicalType: int\n"),
			changed(ColumnDiff{Name: "tags.element", Op: OpChanged, Changes: []Change{{Attribute: "type", Op: OpChanged, From: "string", To: "integer (int)"}}})},
		{"table quality",
			strings.Replace(base, "    properties:\n", "    quality:\n      - metric: rowCount\n        mustBeGreaterThan: 0\n      - type: sql\n        query: |\n          SELECT count(*)\n          FROM orders\n        mustBe: 0\n    properties:\n", 1),
			strings.Replace(base, "    properties:\n", "    quality:\n      - metric: rowCount\n        mustBeGreaterThan: 10\n        severity: warning\n      - name: few_nulls\n        metric: nullValues\n        mustBeLessThan: 5\n        unit: percent\n    properties:\n", 1),
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0", Tables: []TableDiff{{Name: "orders", Op: OpChanged, Quality: []Change{
				{Attribute: "quality[rowCount]", Op: OpChanged, From: "rowCount mustBeGreaterThan 0", To: "rowCount mustBeGreaterThan 10 (severity warning)"},
				{Attribute: "quality[few_nulls]", Op: OpAdded, To: "few_nulls: nullValues mustBeLessThan 5 percent"},
				{Attribute: "quality[sql: SELECT count(*) FROM orders]", Op: OpRemoved, From: "sql: SELECT count(*) FROM orders mustBe 0"},
			}}}}},
		{"column quality",
			ordersDoc(colKey + colStatus + "        quality:\n          - metric: invalidValues\n            arguments:\n              validValues: [O, F]\n            mustBe: 0\n"),
			ordersDoc(colKey + colStatus + "        quality:\n          - metric: invalidValues\n            arguments:\n              validValues: [O, F, P]\n            mustBe: 0\n          - metric: nullValues\n            mustBeBetween: [0, 2.5]\n"),
			changed(ColumnDiff{Name: "o_status", Op: OpChanged, Changes: []Change{
				{Attribute: "quality[invalidValues]", Op: OpChanged, From: `invalidValues validValues=["O","F"] mustBe 0`, To: `invalidValues validValues=["O","F","P"] mustBe 0`},
				{Attribute: "quality[nullValues]", Op: OpAdded, To: "nullValues mustBeBetween [0, 2.5]"}}})},
		{"sla",
			"slaProperties:\n  - property: latency\n    value: 1\n    unit: h\n  - property: retention\n    value: 3\n    unit: y\n  - property: frequency\n    value: 1\n    unit: d\n    element: orders.o_orderkey\n" + base,
			"slaProperties:\n  - property: latency\n    value: 30\n    unit: m\n  - property: frequency\n    value: 1\n    unit: d\n    element: orders.o_orderkey\n  - property: availability\n    value: 99.9\n    unit: percent\n" + base,
			&ContractDiff{ID: "sales-orders", From: "1.0.0", To: "1.1.0", SLA: []Change{
				{Attribute: "sla[latency]", Op: OpChanged, From: "1 h", To: "30 m"},
				{Attribute: "sla[availability]", Op: OpAdded, To: "99.9 percent"},
				{Attribute: "sla[retention]", Op: OpRemoved, From: "3 y"},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := mustContract(t, "1.0.0", tt.from), mustContract(t, "1.1.0", tt.to)
			got := Diff(from, to)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Diff(...) = got, want w; (-want +got):\n%s", d)
			}
			if gotEmpty, wantEmpty := got.Empty(), tt.want.Empty(); gotEmpty != wantEmpty {
				t.Errorf("Diff(...).Empty() = %v, want %v", gotEmpty, wantEmpty)
			}
		})
	}
}

// nested is an object column address with two string-ish fields.
func nested(a, aType, b, bType string) string {
	return "      - name: address\n        logicalType: object\n        properties:\n" +
		"          - name: " + a + "\n            logicalType: " + aType + "\n" +
		"          - name: " + b + "\n            logicalType: " + bType + "\n"
}

// richFrom and richTo are bodies exercising most of what the text shows.
const richFrom = `status: draft
description:
  purpose: Orders placed in the web shop.
schema:
  - name: orders
    quality:
      - metric: rowCount
        mustBeGreaterThan: 0
    properties:
      - name: o_orderkey
        logicalType: integer
        physicalType: bigint
        required: true
        primaryKey: true
      - id: col_status
        name: o_status
        logicalType: string
      - name: o_totalprice
        logicalType: number
        physicalType: decimal(12,2)
      - name: o_comment
        logicalType: string
        description: Free text.
      - name: c_phone
        logicalType: string
      - name: address
        logicalType: object
        properties:
          - name: city
            logicalType: string
          - name: zip
            logicalType: string
  - name: legacy
    properties:
      - name: l_id
        logicalType: integer
  - id: tbl_customers
    name: customers
    properties:
      - name: c_id
        logicalType: integer
      - name: c_tags
        logicalType: array
        items:
          logicalType: string
slaProperties:
  - property: latency
    value: 1
    unit: h
`

const richTo = `status: active
description:
  purpose: |
    Orders placed in the web shop and in the stores, including returns that were later cancelled by the customer.
schema:
  - name: orders
    quality:
      - metric: rowCount
        mustBeGreaterThan: 100
      - type: sql
        query: SELECT count(*) FROM orders WHERE o_totalprice < 0
        mustBe: 0
    properties:
      - name: o_orderkey
        logicalType: integer
        physicalType: bigint
        required: true
        primaryKey: true
        primaryKeyPosition: 1
      - name: o_linenumber
        logicalType: integer
        required: true
        primaryKey: true
        primaryKeyPosition: 2
      - id: col_status
        name: o_orderstatus
        logicalType: string
        required: true
      - name: o_totalprice
        logicalType: number
        physicalType: decimal(15,2)
        customProperties:
          - property: default
            value: 0
      - name: o_channel
        logicalType: string
      - name: c_phone
        logicalType: string
        classification: pii
        quality:
          - metric: nullValues
            mustBe: 0
      - name: address
        logicalType: object
        properties:
          - name: city
            logicalType: string
            required: true
          - name: street
            logicalType: string
  - name: returns
    properties:
      - name: r_id
        logicalType: integer
      - name: r_orderkey
        logicalType: integer
      - name: r_reason
        logicalType: string
      - name: r_date
        logicalType: date
  - id: tbl_customers
    name: clients
    description: Everyone who ordered.
    properties:
      - name: c_id
        logicalType: integer
      - name: c_tags
        logicalType: array
        items:
          logicalType: string
          logicalTypeOptions:
            maxLength: 20
slaProperties:
  - property: latency
    value: 30
    unit: m
  - property: retention
    value: 3
    unit: y
`

func richPair(t testing.TB) (from, to *Contract) {
	t.Helper()
	return mustContract(t, "1.0.0", richFrom), mustContract(t, "1.1.0", richTo)
}

func TestDiffText(t *testing.T) {
	from, to := richPair(t)
	var b bytes.Buffer
	if err := Diff(from, to).WriteText(&b); err != nil {
		t.Fatalf("WriteText = %v", err)
	}
	golden(t, "rich.golden", b.Bytes())
}

func TestDiffJSON(t *testing.T) {
	from := mustContract(t, "1.0.0", "status: draft\n"+strings.TrimPrefix(ordersDoc(colKey+
		"      - id: c_status\n        name: o_status\n        logicalType: string\n"+colPrice), "status: active\n"))
	to := mustContract(t, "1.1.0", "slaProperties:\n  - property: latency\n    value: 1\n    unit: h\n"+
		strings.Replace(ordersDoc(colKey+"      - id: c_status\n        name: o_orderstatus\n        logicalType: string\n        required: true\n"),
			"    properties:\n", "    quality:\n      - metric: rowCount\n        mustBeGreaterThan: 0\n    properties:\n", 1))
	got, err := json.MarshalIndent(Diff(from, to), "", "  ")
	if err != nil {
		t.Fatalf("json.Marshal(Diff(...)) = %v", err)
	}
	golden(t, "shape.json", append(got, '\n'))
}

// golden compares got with testdata/diff/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "diff", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("Diff(...) output = got, want %s (-want +got):\n%s", path, d)
	}
}

func TestDiffTextEmpty(t *testing.T) {
	c := mustContract(t, "1.0.0", ordersDoc(colKey))
	var b bytes.Buffer
	if err := Diff(c, c).WriteText(&b); err != nil {
		t.Fatalf("WriteText = %v", err)
	}
	if got, want := b.String(), "contract sales-orders: 1.0.0 -> 1.0.0\nno differences\n"; got != want {
		t.Errorf("Diff(c, c).WriteText = %q, want %q", got, want)
	}
}

func TestDiffNil(t *testing.T) {
	c := mustContract(t, "1.0.0", ordersDoc(colKey))
	if d := Diff(nil, nil); !d.Empty() {
		t.Errorf("Diff(nil, nil) = %+v, want empty", d)
	}
	if a, r, _ := Diff(nil, c).Summary(); a != 1 || r != 0 {
		t.Errorf("Diff(nil, c).Summary() = %d added, %d removed, want 1, 0", a, r)
	}
	if a, r, _ := Diff(c, nil).Summary(); a != 0 || r != 1 {
		t.Errorf("Diff(c, nil).Summary() = %d added, %d removed, want 0, 1", a, r)
	}
}

func TestDiffMirror(t *testing.T) {
	a, b := richPair(t)
	fwd, back := Diff(a, b), Diff(b, a)
	fa, fr, fc := fwd.Summary()
	ba, br, bc := back.Summary()
	if fa != br || fr != ba || fc != bc {
		t.Errorf("Diff(a,b).Summary() = %d/%d/%d, Diff(b,a).Summary() = %d/%d/%d; want added and removed swapped, changed equal", fa, fr, fc, ba, br, bc)
	}
	if fa == 0 || fr == 0 || fc == 0 {
		t.Errorf("Diff(a,b).Summary() = %d/%d/%d, want all non-zero for this pair", fa, fr, fc)
	}
}

func TestDiffSummary(t *testing.T) {
	from, to := richPair(t)
	// Added: o_linenumber, o_channel, address.street and the 4 columns of
	// returns. Removed: o_comment, address.zip and legacy's l_id. Changed:
	// o_orderstatus, o_totalprice, c_phone, address.city, c_tags.element;
	// o_orderkey's new key position is a table-level change only.
	a, r, c := Diff(from, to).Summary()
	if a != 7 || r != 3 || c != 5 {
		t.Errorf("Diff(...).Summary() = %d, %d, %d; want 7, 3, 5", a, r, c)
	}
}

func TestDiffDoesNotModifyInputs(t *testing.T) {
	from, to := richPair(t)
	from.Tags, to.Tags = []string{"z", "a"}, []string{"b", "a"}
	wantFrom, wantTo := richPair(t)
	wantFrom.Tags, wantTo.Tags = []string{"z", "a"}, []string{"b", "a"}
	Diff(from, to)
	Diff(to, from)
	ignoreDoc := cmpopts.IgnoreUnexported(Doc{})
	if d := cmp.Diff(wantFrom, from, ignoreDoc); d != "" {
		t.Errorf("Diff modified from (-before +after):\n%s", d)
	}
	if d := cmp.Diff(wantTo, to, ignoreDoc); d != "" {
		t.Errorf("Diff modified to (-before +after):\n%s", d)
	}
}

func FuzzDiff(f *testing.F) {
	f.Add([]byte(diffDoc("1.0.0", richFrom)), []byte(diffDoc("1.1.0", richTo)))
	for _, body := range []string{ordersDoc(colKey + colStatus + colPrice), ordersDoc(colKey + nested("city", "string", "zip", "string"))} {
		f.Add([]byte(diffDoc("1.0.0", body)), []byte(diffDoc("1.1.0", strings.Replace(body, "string", "integer", 1))))
	}
	f.Fuzz(func(t *testing.T, x, y []byte) {
		cx, err := ParseContract("x.yaml", x)
		if err != nil {
			t.Skip()
		}
		cy, err := ParseContract("y.yaml", y)
		if err != nil {
			t.Skip()
		}
		var buf bytes.Buffer
		fwd := Diff(cx, cy)
		if err := fwd.WriteText(&buf); err != nil {
			t.Fatalf("WriteText = %v", err)
		}
		fa, fr, _ := fwd.Summary()
		ba, br, _ := Diff(cy, cx).Summary()
		if fa != br || fr != ba {
			t.Errorf("Diff(x,y) added/removed = %d/%d, Diff(y,x) = %d/%d; want mirrored", fa, fr, ba, br)
		}
		if d := Diff(cx, cx); !d.Empty() {
			t.Errorf("Diff(x, x) = %+v, want empty", d)
		}
	})
}
