package policy

import (
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var defaultEngine = sync.OnceValues(func() (*Engine, error) {
	return Load(context.Background(), Default())
})

func loadDefault(t testing.TB) *Engine {
	t.Helper()
	e, err := defaultEngine()
	if err != nil {
		t.Fatalf("Load(Default()) = %v", err)
	}
	return e
}

func mesh(domain, product string) map[string]any {
	return map[string]any{"domain": domain, "product": product}
}

func goodProduct() map[string]any {
	return map[string]any{
		"apiVersion":  "v1.0.0",
		"kind":        "DataProduct",
		"id":          "customers-crm",
		"name":        "crm",
		"domain":      "customers",
		"status":      "active",
		"team":        map[string]any{"name": "Customer Data"},
		"description": map[string]any{"purpose": "Customer master data."},
		"_mesh":       mesh("customers", "crm"),
	}
}

func goodContract() map[string]any {
	return map[string]any{
		"apiVersion":  "v3.1.0",
		"kind":        "DataContract",
		"domain":      "customers",
		"dataProduct": "crm",
		"schema": []any{map[string]any{
			"name": "customer",
			"properties": []any{
				map[string]any{"name": "c_custkey", "logicalType": "integer", "classification": "internal"},
				map[string]any{"name": "c_phone", "logicalType": "string", "classification": "pii"},
				map[string]any{"name": "c_comment", "logicalType": "string"},
			},
		}},
		"slaProperties": []any{
			map[string]any{"property": "latency", "value": 1, "unit": "d"},
			map[string]any{"property": "retention", "value": 7, "unit": "y"},
		},
		"_mesh": mesh("customers", "crm"),
	}
}

// with returns a shallow copy of doc with key set to v, or removed when v is nil.
func with(doc map[string]any, key string, v any) map[string]any {
	out := maps.Clone(doc)
	if v == nil {
		delete(out, key)
	} else {
		out[key] = v
	}
	return out
}

func columnsContract(cols ...map[string]any) map[string]any {
	props := make([]any, len(cols))
	for i, c := range cols {
		props[i] = c
	}
	return with(goodContract(), "schema", []any{map[string]any{"name": "customer", "properties": props}})
}

func TestApplyRules(t *testing.T) {
	e := loadDefault(t)
	tests := []struct {
		name string
		in   ApplyInput
		want []Denial
	}{
		{
			name: "good specs pass",
			in:   ApplyInput{Products: []map[string]any{goodProduct()}, Contracts: []map[string]any{goodContract()}},
		},
		{name: "nothing to check", in: ApplyInput{}},
		{
			name: "product.owner_required",
			in:   ApplyInput{Products: []map[string]any{with(goodProduct(), "team", map[string]any{"members": []any{}})}, Contracts: []map[string]any{goodContract()}},
			want: []Denial{{Rule: "product.owner_required", Object: "customers.crm", Message: "customers.crm has no owner: set team.name"}},
		},
		{
			name: "product.description_required",
			in:   ApplyInput{Products: []map[string]any{with(goodProduct(), "description", map[string]any{"purpose": ""})}, Contracts: []map[string]any{goodContract()}},
			want: []Denial{{Rule: "product.description_required", Object: "customers.crm", Message: "customers.crm has no description: set description.purpose"}},
		},
		{
			name: "pii.classification_required",
			in: ApplyInput{Products: []map[string]any{goodProduct()}, Contracts: []map[string]any{columnsContract(
				map[string]any{"name": "c_phone"},
				map[string]any{"name": "Email_Address", "classification": " "},
				map[string]any{"name": "c_comment"},
				map[string]any{"name": "card_number", "classification": "pci"},
			)}},
			want: []Denial{
				{Rule: "pii.classification_required", Object: "customers.crm.customer.Email_Address", Message: "customers.crm.customer.Email_Address has no classification"},
				{Rule: "pii.classification_required", Object: "customers.crm.customer.c_phone", Message: "customers.crm.customer.c_phone has no classification"},
			},
		},
		{
			name: "pii names from _mesh, not the document",
			in: ApplyInput{Contracts: []map[string]any{with(with(columnsContract(map[string]any{"name": "ssn"}),
				"_mesh", mesh("hr", "people")), "dataProduct", "ignored")}},
			want: []Denial{{Rule: "pii.classification_required", Object: "hr.people.customer.ssn", Message: "hr.people.customer.ssn has no classification"}},
		},
		{
			name: "sla.active_requires_sla: no retention",
			in: ApplyInput{Products: []map[string]any{goodProduct()}, Contracts: []map[string]any{with(goodContract(), "slaProperties",
				[]any{map[string]any{"property": "frequency", "value": 1, "unit": "d"}})}},
			want: []Denial{{Rule: "sla.active_requires_sla", Object: "customers.crm", Message: "customers.crm is active but its contracts declare no retention slaProperty"}},
		},
		{
			name: "sla.active_requires_sla: nothing declared",
			in:   ApplyInput{Products: []map[string]any{goodProduct()}, Contracts: []map[string]any{with(goodContract(), "slaProperties", nil)}},
			want: []Denial{
				{Rule: "sla.active_requires_sla", Object: "customers.crm", Message: "customers.crm is active but its contracts declare no latency or frequency slaProperty"},
				{Rule: "sla.active_requires_sla", Object: "customers.crm", Message: "customers.crm is active but its contracts declare no retention slaProperty"},
			},
		},
		{
			name: "sla not required of a draft",
			in:   ApplyInput{Products: []map[string]any{with(goodProduct(), "status", "draft")}, Contracts: []map[string]any{with(goodContract(), "slaProperties", nil)}},
		},
		{
			name: "sorted by rule, object, message",
			in: ApplyInput{
				Products: []map[string]any{
					with(with(with(goodProduct(), "team", nil), "description", nil), "_mesh", mesh("b", "p")),
					with(with(goodProduct(), "team", nil), "_mesh", mesh("a", "p")),
				},
				Contracts: []map[string]any{with(goodContract(), "_mesh", mesh("a", "p")), with(goodContract(), "_mesh", mesh("b", "p"))},
			},
			want: []Denial{
				{Rule: "product.description_required", Object: "b.p", Message: "b.p has no description: set description.purpose"},
				{Rule: "product.owner_required", Object: "a.p", Message: "a.p has no owner: set team.name"},
				{Rule: "product.owner_required", Object: "b.p", Message: "b.p has no owner: set team.name"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Apply(context.Background(), tt.in)
			if err != nil {
				t.Fatalf("Apply() = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Apply() denials (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenialString(t *testing.T) {
	e := loadDefault(t)
	got, err := e.Apply(context.Background(), ApplyInput{Contracts: []map[string]any{columnsContract(map[string]any{"name": "c_phone"})}})
	if err != nil || len(got) != 1 {
		t.Fatalf("Apply() = %v, %v, want one denial", got, err)
	}
	const want = "denied by policy pii.classification_required: customers.crm.customer.c_phone has no classification"
	if s := got[0].String(); s != want {
		t.Errorf("Denial.String() = %q, want %q", s, want)
	}
}

func TestPublishRules(t *testing.T) {
	e := loadDefault(t)
	payments := TableRef{Domain: "sales", Product: "orders", Name: "payments"}
	cols := []Column{
		{Name: "id", Type: "BIGINT"},
		{Name: "card_number", Type: "VARCHAR", Classification: "card_number"},
		{Name: "email", Type: "VARCHAR", Classification: "pii"},
	}
	tests := []struct {
		name string
		in   PublishInput
		want []Denial
	}{
		{
			name: "hashed",
			in:   PublishInput{Table: payments, Columns: cols, Rows: 100, Stats: map[string]ColumnStats{"card_number": {}, "email": {NotHashed: 100}}},
		},
		{
			name: "not hashed",
			in:   PublishInput{Table: payments, Columns: cols, Rows: 100, Stats: map[string]ColumnStats{"card_number": {Nulls: 3, NotHashed: 12}}},
			want: []Denial{{Rule: "pii.card_number_hashed", Object: "sales.orders.payments.card_number", Message: "sales.orders.payments.card_number: 12 values are not hashed"}},
		},
		{
			name: "pci classification",
			in: PublishInput{Table: payments, Rows: 1, Columns: []Column{{Name: "pan", Type: "VARCHAR", Classification: "pci"}},
				Stats: map[string]ColumnStats{"pan": {NotHashed: 1}}},
			want: []Denial{{Rule: "pii.card_number_hashed", Object: "sales.orders.payments.pan", Message: "sales.orders.payments.pan: 1 value is not hashed"}},
		},
		{
			name: "not measured",
			in:   PublishInput{Table: payments, Columns: cols, Rows: 5},
			want: []Denial{{Rule: "pii.card_number_hashed", Object: "sales.orders.payments.card_number",
				Message: "sales.orders.payments.card_number: the values were not measured, so they cannot be shown to be hashed"}},
		},
		{
			name: "nothing published, nothing measured",
			in:   PublishInput{Table: payments, Columns: cols},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Publish(context.Background(), tt.in)
			if err != nil {
				t.Fatalf("Publish() = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Publish() denials (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryDecision(t *testing.T) {
	e := loadDefault(t)
	cols := []Column{
		{Name: "c_custkey", Type: "INTEGER", Classification: "internal"},
		{Name: "c_name", Type: "VARCHAR", Classification: "pii"},
		{Name: "c_acctbal", Type: "DECIMAL(15,2)", Classification: "confidential"}, // not in the mask table
		{Name: "c_phone", Type: "VARCHAR", Classification: "pii", Custom: map[string]string{"maskingMethod": "partial"}},
		{Name: "c_nationkey", Type: "INTEGER", Classification: "internal", Custom: map[string]string{"rowFilterAttribute": "nation"}},
		{Name: "c_note", Type: "VARCHAR", Custom: map[string]string{"maskingMethod": "redact"}},
		{Name: "c_card", Type: "VARCHAR", Classification: "card_number"},
		{Name: "c_key", Type: "VARCHAR", Classification: "secret"},
		{Name: "c_ssn", Type: "VARCHAR", Classification: "Restricted"},
	}
	allMasks := map[string]string{
		"c_name": MaskHash, "c_phone": MaskPartial, "c_note": MaskRedact,
		"c_card": MaskPartial, "c_key": MaskNull, "c_ssn": MaskRedact,
	}
	nationFilter := []RowFilter{{Column: "c_nationkey", Values: []string{"1", "7"}, Rule: "rows.attribute_filter"}}
	table := TableRef{Domain: "customers", Product: "crm", Name: "customer"}
	tests := []struct {
		name string
		p    Principal
		want QueryDecision
	}{
		{name: "reader", p: Principal{Name: "bob"}, want: QueryDecision{Masks: allMasks}},
		{
			name: "reader with attribute",
			p:    Principal{Name: "bob", Attrs: map[string][]string{"nation": {"7", "1"}, "other": {"x"}}},
			want: QueryDecision{Masks: allMasks, Filters: nationFilter},
		},
		{name: "reader with empty attribute", p: Principal{Name: "bob", Attrs: map[string][]string{"nation": {}}}, want: QueryDecision{Masks: allMasks}},
		{
			name: "unmask right: clear values, rows still filtered",
			p:    Principal{Name: "ann", Unmask: true, Attrs: map[string][]string{"nation": {"1", "7"}}},
			want: QueryDecision{Filters: nationFilter},
		},
		{name: "admin", p: Principal{Name: "root", Admin: true, Attrs: map[string][]string{"nation": {"1"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Query(context.Background(), QueryInput{Principal: tt.p, Table: table, Columns: cols})
			if err != nil {
				t.Fatalf("Query() = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Query() (-want +got):\n%s", diff)
			}
		})
	}
}

// The engine is shared by every request: run it from many goroutines (under -race).
func TestConcurrentDecisions(t *testing.T) {
	e := loadDefault(t)
	in := QueryInput{Principal: Principal{Name: "bob"}, Columns: []Column{{Name: "c_phone", Classification: "pii"}}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				d, err := e.Query(context.Background(), in)
				if err != nil || d.Masks["c_phone"] != MaskHash {
					t.Errorf("Query() = %+v, %v, want c_phone hashed", d, err)
					return
				}
				if _, err := e.Apply(context.Background(), ApplyInput{Products: []map[string]any{goodProduct()}}); err != nil {
					t.Errorf("Apply() = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
