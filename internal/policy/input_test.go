package policy

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// asJSON is the input OPA would see from the JSON encoding of v.
func asJSON(t *testing.T, v any) ast.Value {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	val, err := ast.ValueFromReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return val
}

// The hand-built inputs must be exactly the JSON encoding of the input types,
// so that a policy tested with `opa eval -i input.json` sees the same thing.
func TestInputMatchesJSON(t *testing.T) {
	full := Principal{Name: "bob", Groups: []string{"g"}, Attrs: map[string][]string{"region": {"EU", "AMER"}, "none": nil}, Unmask: true, Admin: true}
	cols := []Column{
		{Name: "a", Type: "VARCHAR"},
		{Name: "b", Type: "INTEGER", Classification: "pii", Custom: map[string]string{"maskingMethod": "hash", "x": ""}},
		{Name: "c", Custom: map[string]string{}},
	}
	table := TableRef{Domain: "d", Product: "p", Name: "t"}
	tests := []struct {
		name  string
		in    any
		value func() (ast.Value, error)
	}{
		{"empty query", QueryInput{}, func() (ast.Value, error) { return QueryInput{}.value(), nil }},
		{"query", QueryInput{Principal: full, Table: table, Columns: cols}, func() (ast.Value, error) {
			return QueryInput{Principal: full, Table: table, Columns: cols}.value(), nil
		}},
		{"empty publish", PublishInput{}, PublishInput{}.value},
		{"publish", PublishInput{Principal: full, Table: table, Mode: "append", Columns: cols, Rows: 1 << 40,
			Contract: goodContract(), Stats: map[string]ColumnStats{"b": {Nulls: 2, NotHashed: 9999}, "c": {}}},
			PublishInput{Principal: full, Table: table, Mode: "append", Columns: cols, Rows: 1 << 40,
				Contract: goodContract(), Stats: map[string]ColumnStats{"b": {Nulls: 2, NotHashed: 9999}, "c": {}}}.value},
		{"empty apply", ApplyInput{}, ApplyInput{}.value},
		{"apply", ApplyInput{Principal: full, Products: []map[string]any{goodProduct(), nil}, Contracts: []map[string]any{goodContract()}},
			ApplyInput{Principal: full, Products: []map[string]any{goodProduct(), nil}, Contracts: []map[string]any{goodContract()}}.value},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.value()
			if err != nil {
				t.Fatalf("value() = %v", err)
			}
			if want := asJSON(t, tt.in); ast.Compare(got, want) != 0 {
				t.Errorf("value() = %v, want %v", got, want)
			}
		})
	}
}
