package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/spec"
)

func TestResolve(t *testing.T) {
	dec := func(p, s int) Type { return Type{Kind: Decimal, Precision: p, Scale: s} }
	tests := []struct {
		logical, physical string
		want              Type
		understood        bool
	}{
		// Logical types alone.
		{"string", "", Type{Kind: String}, false},
		{"integer", "", Type{Kind: Long}, false},
		{"number", "", Type{Kind: Double}, false},
		{"boolean", "", Type{Kind: Boolean}, false},
		{"date", "", Type{Kind: Date}, false},
		{"timestamp", "", Type{Kind: TimestampTZ}, false},
		{"time", "", Type{Kind: Time}, false},
		{" Integer ", "", Type{Kind: Long}, false},

		// Integers.
		{"integer", "tinyint", Type{Kind: Int}, true},
		{"integer", "smallint", Type{Kind: Int}, true},
		{"integer", "int", Type{Kind: Int}, true},
		{"integer", "integer", Type{Kind: Int}, true},
		{"integer", "INTEGER", Type{Kind: Int}, true},
		{"integer", "int32", Type{Kind: Int}, true},
		{"integer", "int4", Type{Kind: Int}, true},
		{"integer", "bigint", Type{Kind: Long}, true},
		{"integer", "int64", Type{Kind: Long}, true},
		{"integer", "long", Type{Kind: Long}, true},
		{"integer", "int8", Type{Kind: Long}, true},

		// Numbers: floats, doubles, decimals; an integer physical type is a number too.
		{"number", "float", Type{Kind: Float}, true},
		{"number", "real", Type{Kind: Float}, true},
		{"number", "float32", Type{Kind: Float}, true},
		{"number", "float4", Type{Kind: Float}, true},
		{"number", "double", Type{Kind: Double}, true},
		{"number", "double precision", Type{Kind: Double}, true},
		{"number", "float64", Type{Kind: Double}, true},
		{"number", "float8", Type{Kind: Double}, true},
		{"number", "decimal(15,2)", dec(15, 2), true},
		{"number", "DECIMAL(15, 2)", dec(15, 2), true},
		{"number", "numeric(10)", dec(10, 0), true},
		{"number", "number(38,38)", dec(38, 38), true},
		{"number", "decimal", dec(38, 9), true},
		{"number", "numeric", dec(38, 9), true},
		{"number", "bigint", Type{Kind: Long}, true},
		{"number", "int", Type{Kind: Int}, true},
		// Out-of-range decimals are not understood: the logical type decides.
		{"number", "decimal(40,2)", Type{Kind: Double}, false},
		{"number", "decimal(5,6)", Type{Kind: Double}, false},
		{"number", "decimal(0)", Type{Kind: Double}, false},

		// Strings.
		{"string", "varchar", Type{Kind: String}, true},
		{"string", "varchar(25)", Type{Kind: String}, true},
		{"string", "char(10)", Type{Kind: String}, true},
		{"string", "text", Type{Kind: String}, true},
		{"string", "string", Type{Kind: String}, true},
		{"string", "nvarchar(40)", Type{Kind: String}, true},
		{"string", "uuid", Type{Kind: UUID}, true},
		{"string", "binary", Type{Kind: Binary}, true},
		{"string", "blob", Type{Kind: Binary}, true},
		{"string", "bytea", Type{Kind: Binary}, true},
		{"string", "varbinary", Type{Kind: Binary}, true},

		// Booleans, dates and times.
		{"boolean", "boolean", Type{Kind: Boolean}, true},
		{"boolean", "bool", Type{Kind: Boolean}, true},
		{"date", "date", Type{Kind: Date}, true},
		{"time", "time", Type{Kind: Time}, true},
		{"timestamp", "timestamp", Type{Kind: Timestamp}, true},
		{"timestamp", "timestamp(6)", Type{Kind: Timestamp}, true},
		{"timestamp", "datetime", Type{Kind: Timestamp}, true},
		{"timestamp", "timestamp without time zone", Type{Kind: Timestamp}, true},
		{"timestamp", "timestamptz", Type{Kind: TimestampTZ}, true},
		{"timestamp", "timestamp with time zone", Type{Kind: TimestampTZ}, true},

		// A physical type alone implies its logical type.
		{"", "bigint", Type{Kind: Long}, true},
		{"", "decimal(12,3)", dec(12, 3), true},
		{"", "date", Type{Kind: Date}, true},

		// Physical types we do not interpret fall back to the logical type.
		{"string", "geography", Type{Kind: String}, false},
		{"integer", "hugeint", Type{Kind: Long}, false},
		{"timestamp", "timestamp_ns", Type{Kind: TimestampTZ}, false},
	}
	for _, tt := range tests {
		t.Run(tt.logical+"/"+tt.physical, func(t *testing.T) {
			got, understood, err := Resolve(tt.logical, tt.physical)
			if err != nil {
				t.Fatalf("Resolve(%q, %q) error: %v", tt.logical, tt.physical, err)
			}
			if got != tt.want || understood != tt.understood {
				t.Errorf("Resolve(%q, %q) = %v, %v, want %v, %v", tt.logical, tt.physical, got, understood, tt.want, tt.understood)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		logical, physical string
		want              string // substring of the error
	}{
		{"integer", "date", `physicalType "date" does not match logicalType "integer"`},
		{"string", "int", `physicalType "int" does not match logicalType "string"`},
		{"date", "timestamp", `does not match logicalType "date"`},
		{"timestamp", "date", `does not match logicalType "timestamp"`},
		{"number", "varchar(10)", `does not match logicalType "number"`},
		{"integer", "decimal(10,2)", `does not match logicalType "integer"`},
		{"integer", "double", `does not match logicalType "integer"`},
		{"boolean", "integer", `does not match logicalType "boolean"`},
		{"time", "timestamp", `does not match logicalType "time"`},
		{"object", "", `logicalType "object" (nested data) is not supported yet`},
		{"array", "", `logicalType "array" (nested data) is not supported yet`},
		{"array", "list", `logicalType "array" (nested data) is not supported yet`},
		{"object", "varchar", `does not match logicalType "object"`},
		{"decimal", "", `logicalType "decimal" is not supported`},
		{"", "", "no logicalType"},
		{"", "geography", "no logicalType"},
	}
	for _, tt := range tests {
		t.Run(tt.logical+"/"+tt.physical, func(t *testing.T) {
			got, _, err := Resolve(tt.logical, tt.physical)
			if err == nil {
				t.Fatalf("Resolve(%q, %q) = %v, want an error containing %q", tt.logical, tt.physical, got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Resolve(%q, %q) error = %q, want it to contain %q", tt.logical, tt.physical, err, tt.want)
			}
		})
	}
}

var allTypes = []Type{
	{Kind: Boolean}, {Kind: Int}, {Kind: Long}, {Kind: Float}, {Kind: Double},
	{Kind: Decimal, Precision: 15, Scale: 2}, {Kind: Decimal, Precision: 38, Scale: 9}, {Kind: Decimal, Precision: 1, Scale: 0},
	{Kind: String}, {Kind: Date}, {Kind: Time}, {Kind: Timestamp}, {Kind: TimestampTZ}, {Kind: UUID}, {Kind: Binary},
}

func TestTypeTextRoundTrip(t *testing.T) {
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			b, err := typ.MarshalText()
			if err != nil {
				t.Fatalf("%v.MarshalText() error: %v", typ, err)
			}
			var got Type
			if err := got.UnmarshalText(b); err != nil {
				t.Fatalf("UnmarshalText(%q) error: %v", b, err)
			}
			if got != typ {
				t.Errorf("UnmarshalText(MarshalText(%v)) = %v, want %v", typ, got, typ)
			}
			// Lower case is accepted too.
			if err := got.UnmarshalText([]byte(strings.ToLower(string(b)))); err != nil || got != typ {
				t.Errorf("UnmarshalText(%q) = %v, %v, want %v", strings.ToLower(string(b)), got, err, typ)
			}
		})
	}
}

func TestTypeJSONInColumn(t *testing.T) {
	in := Column{Name: "amount", Type: Type{Kind: Decimal, Precision: 15, Scale: 2}, Required: true, FieldID: 3}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"amount","type":"DECIMAL(15,2)","required":true,"fieldId":3}`; string(b) != want {
		t.Errorf("json.Marshal(column) = %s, want %s", b, want)
	}
	var out Column
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("column JSON round trip (-want +got):\n%s", diff)
	}
}

func TestTypeUnmarshalTextUnknown(t *testing.T) {
	for _, s := range []string{"", "STRUCT(a INTEGER)", "INTEGER[]", "DECIMAL(40,2)", "HUGEINT", "MAP(VARCHAR, INTEGER)"} {
		var typ Type
		if err := typ.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) = %v, want an error", s, typ)
		}
	}
}

func TestTypeIcebergRoundTrip(t *testing.T) {
	for _, typ := range allTypes {
		got, err := TypeFromIceberg(typ.Iceberg())
		if err != nil {
			t.Errorf("TypeFromIceberg(%v) error: %v", typ.Iceberg(), err)
			continue
		}
		if got != typ {
			t.Errorf("TypeFromIceberg(%v.Iceberg()) = %v, want %v", typ, got, typ)
		}
	}
	if got, err := TypeFromIceberg(&iceberg.ListType{ElementID: 2, Element: iceberg.PrimitiveTypes.Int32}); err == nil {
		t.Errorf("TypeFromIceberg(list<int>) = %v, want an error", got)
	}
}

// prop builds a column of a schema object; mod sets its keys and partitioning.
func prop(name, logical, physical string, mod ...func(*spec.Property)) spec.Property {
	p := spec.Property{Name: name, LogicalType: logical, PhysicalType: physical, Path: "/schema/0/properties/" + name}
	for _, m := range mod {
		m(&p)
	}
	return p
}

func pk(pos int) func(*spec.Property) {
	return func(p *spec.Property) { p.PrimaryKey, p.PrimaryKeyPosition = true, pos }
}

func part(pos int, transform string) func(*spec.Property) {
	return func(p *spec.Property) {
		p.Partitioned, p.PartitionKeyPosition = true, pos
		if transform != "" {
			p.CustomProperties = append(p.CustomProperties, spec.CustomProperty{Property: "partitionTransform", Value: transform})
		}
	}
}

func required(p *spec.Property) { p.Required = true }

func TestFromObject(t *testing.T) {
	obj := spec.Object{Name: "order_lines", Path: "/schema/0", Properties: []spec.Property{
		prop("line", "integer", "int", pk(2)),
		prop("region", "string", "varchar", part(2, "")),
		prop("order_id", "integer", "bigint", pk(1)),
		prop("amount", "number", "decimal(15,2)", required, func(p *spec.Property) {
			p.Description, p.BusinessName, p.Classification, p.Unique = "Line amount", "Amount", "confidential", true
		}),
		prop("ordered_at", "timestamp", "", part(1, "Day")),
		prop("shipped", "date", "", part(3, "month")),
		prop("note", "string", ""),
	}}
	got, err := FromObject(obj)
	if err != nil {
		t.Fatalf("FromObject: %v", err)
	}
	want := &Table{
		Columns: []Column{
			{Name: "line", Type: Type{Kind: Int}, Required: true},
			{Name: "region", Type: Type{Kind: String}},
			{Name: "order_id", Type: Type{Kind: Long}, Required: true},
			{Name: "amount", Type: Type{Kind: Decimal, Precision: 15, Scale: 2}, Required: true, Unique: true,
				Description: "Line amount", BusinessName: "Amount", Classification: "confidential"},
			{Name: "ordered_at", Type: Type{Kind: TimestampTZ}},
			{Name: "shipped", Type: Type{Kind: Date}},
			{Name: "note", Type: Type{Kind: String}},
		},
		PrimaryKey: []string{"order_id", "line"},
		Partition: []PartitionField{
			{Column: "ordered_at", Transform: "day"},
			{Column: "region", Transform: "identity"},
			{Column: "shipped", Transform: "month"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromObject (-want +got):\n%s", diff)
	}
	// FromObject must not assign field ids: they belong to the lake.
	for _, c := range got.Columns {
		if c.FieldID != 0 {
			t.Errorf("FromObject: column %s has field id %d, want 0", c.Name, c.FieldID)
		}
	}

	sch := got.Iceberg(0)
	ps, err := got.PartitionSpec()
	if err != nil {
		t.Fatalf("PartitionSpec: %v", err)
	}
	var names []string
	for _, f := range ps.Fields() {
		src, _ := sch.FindFieldByID(f.SourceIDs[0])
		names = append(names, f.Name+"="+f.Transform.String()+"("+src.Name+")")
	}
	if diff := cmp.Diff([]string{"ordered_at_day=day(ordered_at)", "region=identity(region)", "shipped_month=month(shipped)"}, names); diff != "" {
		t.Errorf("partition spec fields (-want +got):\n%s", diff)
	}
}

func TestFromObjectErrors(t *testing.T) {
	tests := []struct {
		name  string
		props []spec.Property
		want  []string // substrings of the error
	}{
		{"bad transform", []spec.Property{prop("d", "date", "", part(1, "week"))},
			[]string{`/schema/0/properties/d: column "d": partition transform "week" is not supported`}},
		{"bucket is not offered", []spec.Property{prop("id", "integer", "", part(1, "bucket[4]"))},
			[]string{`column "id": partition transform "bucket[4]" is not supported`}},
		{"day of a string", []spec.Property{prop("s", "string", "", part(1, "day"))},
			[]string{`partition column "s": transform day does not apply to VARCHAR`}},
		{"hour of a date", []spec.Property{prop("d", "date", "", part(1, "hour"))},
			[]string{`partition column "d": transform hour does not apply to DATE`}},
		{"contradiction", []spec.Property{prop("n", "integer", "date")},
			[]string{`column "n": physicalType "date" does not match logicalType "integer"`}},
		{"nested", []spec.Property{prop("o", "object", ""), prop("a", "array", "")},
			[]string{`column "o": logicalType "object"`, `column "a": logicalType "array"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromObject(spec.Object{Name: "t", Path: "/schema/0", Properties: tt.props})
			if err == nil {
				t.Fatalf("FromObject = %+v, want an error", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("FromObject error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func cols(cs ...Column) *Table { return &Table{Columns: cs} }

func col(name string, k Kind, req bool) Column {
	return Column{Name: name, Type: Type{Kind: k}, Required: req}
}

func TestIcebergKeepsFieldIDs(t *testing.T) {
	tbl := cols(
		Column{Name: "a", Type: Type{Kind: Long}, FieldID: 1, Required: true},
		Column{Name: "c", Type: Type{Kind: String}, FieldID: 5},
		Column{Name: "new1", Type: Type{Kind: Double}},
		Column{Name: "b", Type: Type{Kind: Date}, FieldID: 2},
		Column{Name: "new2", Type: Type{Kind: Decimal, Precision: 9, Scale: 3}, Description: "doc"},
	)
	sch := tbl.Iceberg(7)
	if sch.ID != 7 {
		t.Errorf("Iceberg(7).ID = %d, want 7", sch.ID)
	}
	type f struct {
		ID       int
		Name     string
		Type     string
		Required bool
		Doc      string
	}
	var got []f
	for _, fl := range sch.Fields() {
		got = append(got, f{fl.ID, fl.Name, fl.Type.String(), fl.Required, fl.Doc})
	}
	want := []f{
		{1, "a", "long", false, ""}, // every Iceberg field is optional: the gate enforces required
		{5, "c", "string", false, ""},
		{6, "new1", "double", false, ""},
		{2, "b", "date", false, ""},
		{7, "new2", "decimal(9, 3)", false, "doc"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Iceberg fields (-want +got):\n%s", diff)
	}
	// The table's columns now carry the ids, and a second call changes nothing.
	var ids []int
	for _, c := range tbl.Columns {
		ids = append(ids, c.FieldID)
	}
	if diff := cmp.Diff([]int{1, 5, 6, 2, 7}, ids); diff != "" {
		t.Errorf("column field ids after Iceberg (-want +got):\n%s", diff)
	}
	again := tbl.Iceberg(8)
	if !sch.Equals(again) {
		t.Errorf("Iceberg called twice gives different fields: %v vs %v", sch, again)
	}

	back, err := TableFromIceberg(sch)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range back.Columns {
		if c.Name != tbl.Columns[i].Name || c.Type != tbl.Columns[i].Type || c.FieldID != tbl.Columns[i].FieldID {
			t.Errorf("TableFromIceberg column %d = %+v, want name/type/id of %+v", i, c, tbl.Columns[i])
		}
	}
}

func TestPartitionSpecErrors(t *testing.T) {
	tbl := &Table{Columns: []Column{{Name: "a", Type: Type{Kind: Long}, FieldID: 1}}, Partition: []PartitionField{{Column: "missing", Transform: "identity"}}}
	if _, err := tbl.PartitionSpec(); err == nil || !strings.Contains(err.Error(), `partition column "missing" is not a column`) {
		t.Errorf("PartitionSpec with an unknown column error = %v, want it to name the column", err)
	}
}
