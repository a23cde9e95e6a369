package policy

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The inputs are built as AST values directly, never through JSON: the query
// decision runs for every (principal, table). Each builder yields exactly
// what encoding/json would make of the Go value (field names from the json
// tags, omitempty honoured, nil slices and maps as null), so a policy sees
// the same input here as in `opa eval -i input.json`; TestInputMatchesJSON
// holds them to it.

func (in ApplyInput) value() (ast.Value, error) {
	products, err := documents(in.Products)
	if err != nil {
		return nil, err
	}
	contracts, err := documents(in.Contracts)
	if err != nil {
		return nil, err
	}
	return ast.NewObject(
		item("principal", in.Principal.value()),
		item("products", products),
		item("contracts", contracts),
	), nil
}

func (in PublishInput) value() (ast.Value, error) {
	contract, err := document(in.Contract)
	if err != nil {
		return nil, err
	}
	var stats ast.Value = ast.Null{}
	if in.Stats != nil {
		kvs := make([][2]*ast.Term, 0, len(in.Stats))
		for _, k := range sortedKeys(in.Stats) {
			s := in.Stats[k]
			kvs = append(kvs, [2]*ast.Term{ast.StringTerm(k), ast.NewTerm(ast.NewObject(
				item("nulls", number(s.Nulls)),
				item("notHashed", number(s.NotHashed)),
			))})
		}
		stats = ast.NewObject(kvs...)
	}
	return ast.NewObject(
		item("principal", in.Principal.value()),
		item("table", in.Table.value()),
		item("mode", ast.String(in.Mode)),
		item("contract", contract),
		item("columns", columns(in.Columns)),
		item("rows", number(in.Rows)),
		item("stats", stats),
	), nil
}

func (in QueryInput) value() ast.Value {
	return ast.NewObject(
		item("principal", in.Principal.value()),
		item("table", in.Table.value()),
		item("columns", columns(in.Columns)),
	)
}

func (p Principal) value() ast.Value {
	var attrs ast.Value = ast.Null{}
	if p.Attrs != nil {
		kvs := make([][2]*ast.Term, 0, len(p.Attrs))
		for _, k := range sortedKeys(p.Attrs) {
			kvs = append(kvs, [2]*ast.Term{ast.StringTerm(k), ast.NewTerm(stringArray(p.Attrs[k]))})
		}
		attrs = ast.NewObject(kvs...)
	}
	return ast.NewObject(
		item("name", ast.String(p.Name)),
		item("groups", stringArray(p.Groups)),
		item("attrs", attrs),
		item("unmask", ast.Boolean(p.Unmask)),
		item("admin", ast.Boolean(p.Admin)),
	)
}

func (t TableRef) value() ast.Value {
	return ast.NewObject(
		item("domain", ast.String(t.Domain)),
		item("product", ast.String(t.Product)),
		item("name", ast.String(t.Name)),
	)
}

func columns(cols []Column) ast.Value {
	if cols == nil {
		return ast.Null{}
	}
	terms := make([]*ast.Term, len(cols))
	for i, c := range cols {
		kvs := make([][2]*ast.Term, 0, 4)
		kvs = append(kvs, item("name", ast.String(c.Name)), item("type", ast.String(c.Type)))
		if c.Classification != "" {
			kvs = append(kvs, item("classification", ast.String(c.Classification)))
		}
		if len(c.Custom) > 0 {
			custom := make([][2]*ast.Term, 0, len(c.Custom))
			for _, k := range sortedKeys(c.Custom) {
				custom = append(custom, item(k, ast.String(c.Custom[k])))
			}
			kvs = append(kvs, item("customProperties", ast.NewObject(custom...)))
		}
		terms[i] = ast.NewTerm(ast.NewObject(kvs...))
	}
	return ast.NewArray(terms...)
}

// documents converts ODPS/ODCS documents decoded from YAML or JSON
// (map[string]any, []any, string, numbers, bool, nil); anything else is
// converted through JSON by OPA, which is slower but still exact.
func documents(docs []map[string]any) (ast.Value, error) {
	if docs == nil {
		return ast.Null{}, nil
	}
	terms := make([]*ast.Term, len(docs))
	for i, d := range docs {
		v, err := document(d)
		if err != nil {
			return nil, err
		}
		terms[i] = ast.NewTerm(v)
	}
	return ast.NewArray(terms...), nil
}

func document(doc map[string]any) (ast.Value, error) {
	if doc == nil {
		return ast.Null{}, nil
	}
	return ast.InterfaceToValue(doc)
}

func stringArray(s []string) ast.Value {
	if s == nil {
		return ast.Null{}
	}
	terms := make([]*ast.Term, len(s))
	for i, x := range s {
		terms[i] = ast.StringTerm(x)
	}
	return ast.NewArray(terms...)
}

func item(k string, v ast.Value) [2]*ast.Term {
	return [2]*ast.Term{ast.InternedTerm(k), ast.NewTerm(v)}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func number(n int64) ast.Value { return ast.InternedValue(n) }
