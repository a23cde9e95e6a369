package schema

import (
	"fmt"
	"testing"

	"github.com/meshwork/meshwork/internal/spec"
)

// benchCompatContract is one table of n columns of mixed types; change edits the
// properties of a version before it is returned.
func benchCompatContract(version string, n int, change func([]spec.Property)) *spec.Contract {
	types := [][2]string{{"integer", "int"}, {"integer", "bigint"}, {"number", "float"}, {"number", "decimal(12,2)"},
		{"string", ""}, {"date", ""}, {"timestamp", ""}, {"boolean", ""}}
	ps := make([]spec.Property, n)
	for i := range ps {
		t := types[i%len(types)]
		ps[i] = spec.Property{ID: fmt.Sprintf("f%d", i), Name: fmt.Sprintf("col_%03d", i), LogicalType: t[0], PhysicalType: t[1], Required: i%3 == 0}
		if i%50 == 7 {
			ps[i].Classification = "pii"
		}
	}
	ps[0].PrimaryKey, ps[0].PrimaryKeyPosition = true, 1
	ps[5].Partitioned, ps[5].PartitionKeyPosition = true, 1
	if change != nil {
		change(ps)
	}
	return &spec.Contract{ID: "bench", Version: version, Domain: "bench", DataProduct: "wide",
		Schema: []spec.Object{{ID: "wide", Name: "wide", Properties: ps}}}
}

func BenchmarkCheck500Columns(b *testing.B) {
	const n = 500
	v1 := benchCompatContract("1.0.0", n, nil)
	v2 := benchCompatContract("1.1.0", n, func(ps []spec.Property) {
		ps[8].PhysicalType = "bigint" // promote int -> long
		ps[3].Required = false        // required -> optional
	})
	v3 := benchCompatContract("1.2.0", n, func(ps []spec.Property) {
		ps[8].PhysicalType = "bigint"
		ps[3].Required = false
		ps[10].PhysicalType = "double" // promote float -> double
	})
	next := benchCompatContract("1.3.0", n, func(ps []spec.Property) {
		ps[8].PhysicalType = "bigint"
		ps[3].Required = false
		ps[10].PhysicalType = "double"
		ps[11].PhysicalType = "decimal(18,2)" // promote decimal precision
		ps[16].PhysicalType = "bigint"
		ps[24].PhysicalType = "bigint"
		ps[4].Required = true  // optional -> required
		ps[6].Required = false // required -> optional
		ps[9].Required = false
		ps[57].Classification = "restricted" // a different mask
	})
	extra := []spec.Property{
		{ID: "x1", Name: "added_optional", LogicalType: "string"},
		{ID: "x2", Name: "added_required", LogicalType: "integer", Required: true},
		{ID: "x3", Name: "added_default", LogicalType: "string", Required: true,
			CustomProperties: []spec.CustomProperty{{Property: defaultProperty, Value: "none"}}},
	}
	next.Schema[0].Properties = append(next.Schema[0].Properties, extra...)
	history := []*spec.Contract{v1, v2, v3}
	opts := Options{Mode: ModeFullTransitive, Mask: compatMask}
	if vs := Check(history, next, opts); len(vs) == 0 {
		b.Fatal("Check(...) = no violations, want some")
	}
	b.ReportAllocs()
	for b.Loop() {
		Check(history, next, opts)
	}
}
