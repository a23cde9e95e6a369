package policy

import (
	"context"
	"testing"
)

func BenchmarkQuery(b *testing.B) {
	e := loadDefault(b)
	ctx := context.Background()
	in := QueryInput{
		Principal: Principal{Name: "bob", Groups: []string{"analysts"}, Attrs: map[string][]string{"nation": {"1", "7"}}},
		Table:     TableRef{Domain: "customers", Product: "crm", Name: "customer"},
		Columns: []Column{
			{Name: "c_custkey", Type: "INTEGER", Classification: "internal"},
			{Name: "c_name", Type: "VARCHAR", Classification: "pii"},
			{Name: "c_address", Type: "VARCHAR", Classification: "pii"},
			{Name: "c_nationkey", Type: "INTEGER", Classification: "internal", Custom: map[string]string{"rowFilterAttribute": "nation"}},
			{Name: "c_phone", Type: "VARCHAR", Classification: "pii"},
			{Name: "c_acctbal", Type: "DECIMAL(15,2)", Classification: "confidential"},
			{Name: "c_mktsegment", Type: "VARCHAR", Classification: "internal"},
			{Name: "c_comment", Type: "VARCHAR", Classification: "internal"},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		d, err := e.Query(ctx, in)
		if err != nil || len(d.Masks) != 3 || len(d.Filters) != 1 {
			b.Fatalf("Query() = %+v, %v", d, err)
		}
	}
}

func BenchmarkApply(b *testing.B) {
	e := loadDefault(b)
	ctx := context.Background()
	in := demoInput(b)
	b.ReportAllocs()
	for b.Loop() {
		d, err := e.Apply(ctx, in)
		if err != nil || len(d) != 0 {
			b.Fatalf("Apply() = %v, %v", d, err)
		}
	}
}

func BenchmarkPublish(b *testing.B) {
	e := loadDefault(b)
	ctx := context.Background()
	in := PublishInput{
		Table:   TableRef{Domain: "sales", Product: "orders", Name: "payments"},
		Columns: []Column{{Name: "id", Type: "BIGINT"}, {Name: "card_number", Type: "VARCHAR", Classification: "card_number"}},
		Rows:    1000,
		Stats:   map[string]ColumnStats{"card_number": {}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if d, err := e.Publish(ctx, in); err != nil || len(d) != 0 {
			b.Fatalf("Publish() = %v, %v", d, err)
		}
	}
}

func BenchmarkLoadDefault(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(ctx, Default()); err != nil {
			b.Fatal(err)
		}
	}
}
