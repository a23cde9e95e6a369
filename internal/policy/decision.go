package policy

import (
	"cmp"
	"context"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/meshwork/meshwork/internal/errs"
)

// Apply evaluates data.meshwork.apply.deny.
func (e *Engine) Apply(ctx context.Context, in ApplyInput) ([]Denial, error) {
	const op = "policy.Apply"
	v, err := in.value()
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, err, "the specs cannot be given to the policy")
	}
	t, err := eval(ctx, op, e.apply, v)
	if err != nil || t == nil {
		return nil, err
	}
	return denials(op, applyQuery, t.Value)
}

// Publish evaluates data.meshwork.publish.deny.
func (e *Engine) Publish(ctx context.Context, in PublishInput) ([]Denial, error) {
	const op = "policy.Publish"
	v, err := in.value()
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, err, "the contract cannot be given to the policy")
	}
	t, err := eval(ctx, op, e.publish, v)
	if err != nil || t == nil {
		return nil, err
	}
	return denials(op, publishQuery, t.Value)
}

// Measure evaluates data.meshwork.publish.measure, the set of column names
// whose statistics the publish rules read; undefined means none.
func (e *Engine) Measure(ctx context.Context, in PublishInput) ([]string, error) {
	const op = "policy.Measure"
	v, err := in.value()
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, err, "the contract cannot be given to the policy")
	}
	t, err := eval(ctx, op, e.measure, v)
	if err != nil || t == nil {
		return nil, err
	}
	set, ok := t.Value.(ast.Set)
	if !ok {
		return nil, errs.E(errs.Internal, op, "policy %s is a %s, not a set of column names", measureQuery, ast.ValueName(t.Value))
	}
	var out []string
	for _, m := range set.Slice() {
		s, ok := m.Value.(ast.String)
		if !ok {
			return nil, errs.E(errs.Internal, op, "policy %s holds %s, not a column name", measureQuery, limit(m.String()))
		}
		out = append(out, string(s))
	}
	slices.Sort(out)
	return out, nil
}

// Query evaluates data.meshwork.query.decision, an object
// {"masks": {column: method}, "row_filters": [{column, values, rule}], "deny": [denial]}
// (see bundle/README.md). A mask method other than MaskNull, MaskHash,
// MaskPartial or MaskRedact is an Internal error, never ignored.
func (e *Engine) Query(ctx context.Context, in QueryInput) (QueryDecision, error) {
	const op = "policy.Query"
	t, err := eval(ctx, op, e.query, in.value())
	if err != nil || t == nil {
		return QueryDecision{}, err
	}
	return decision(op, t.Value)
}

// eval runs a prepared query; an undefined result (no such rule) is nil.
func eval(ctx context.Context, op string, pq rego.PreparedEvalQuery, input ast.Value) (*ast.Term, error) {
	if err := ctx.Err(); err != nil {
		return nil, errs.Wrap(errs.KindOf(err), op, err, "the policy evaluation was interrupted")
	}
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		if ctx.Err() != nil {
			return nil, errs.Wrap(errs.KindOf(ctx.Err()), op, ctx.Err(), "the policy evaluation was interrupted")
		}
		return nil, errs.Wrap(errs.Internal, op, err, "the policy cannot be evaluated")
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return nil, errs.E(errs.Internal, op, "the policy result is a %T, not an AST term", rs[0].Expressions[0].Value)
	}
	return t, nil
}

// denials decodes a deny document (a set, or an array) into sorted Denials.
// A malformed entry is a policy bug and an error: dropping it would let
// through what the policy meant to refuse.
func denials(op, where string, v ast.Value) ([]Denial, error) {
	var terms []*ast.Term
	switch v := v.(type) {
	case ast.Set:
		terms = v.Slice()
	case *ast.Array:
		terms = make([]*ast.Term, 0, v.Len())
		v.Foreach(func(t *ast.Term) { terms = append(terms, t) })
	default:
		return nil, errs.E(errs.Internal, op, "policy %s is a %s, not a set of denials", where, ast.ValueName(v))
	}
	if len(terms) == 0 {
		return nil, nil
	}
	out := make([]Denial, 0, len(terms))
	for _, t := range terms {
		d, err := denial(t.Value)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "policy %s returned a malformed denial %s", where, limit(t.String()))
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Denial) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Object, b.Object), cmp.Compare(a.Message, b.Message))
	})
	return slices.Compact(out), nil
}

func denial(v ast.Value) (Denial, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return Denial{}, errs.E(errs.Internal, "", "a denial is an object, not a %s", ast.ValueName(v))
	}
	var d Denial
	var err error
	if d.Rule, err = str(obj, "rule", true); err != nil {
		return Denial{}, err
	}
	if d.Message, err = str(obj, "message", true); err != nil {
		return Denial{}, errs.Wrap(errs.Internal, "", err, "rule %s", d.Rule)
	}
	if d.Object, err = str(obj, "object", false); err != nil {
		return Denial{}, errs.Wrap(errs.Internal, "", err, "rule %s", d.Rule)
	}
	return d, nil
}

// str reads a string field; a required one must be non-empty.
func str(obj ast.Object, key string, required bool) (string, error) {
	t := obj.Get(ast.InternedTerm(key))
	if t == nil {
		if required {
			return "", errs.E(errs.Internal, "", "no %q", key)
		}
		return "", nil
	}
	s, ok := t.Value.(ast.String)
	if !ok {
		return "", errs.E(errs.Internal, "", "%q is a %s, not a string", key, ast.ValueName(t.Value))
	}
	if required && s == "" {
		return "", errs.E(errs.Internal, "", "%q is empty", key)
	}
	return string(s), nil
}

func decision(op string, v ast.Value) (QueryDecision, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return QueryDecision{}, errs.E(errs.Internal, op, "policy %s is a %s, not an object", queryQuery, ast.ValueName(v))
	}
	var d QueryDecision
	if t := obj.Get(ast.InternedTerm("masks")); t != nil {
		masks, ok := t.Value.(ast.Object)
		if !ok {
			return QueryDecision{}, errs.E(errs.Internal, op, "policy %s.masks is a %s, not an object", queryQuery, ast.ValueName(t.Value))
		}
		if masks.Len() > 0 {
			d.Masks = make(map[string]string, masks.Len())
		}
		err := masks.Iter(func(k, m *ast.Term) error {
			col, ok1 := k.Value.(ast.String)
			method, ok2 := m.Value.(ast.String)
			if !ok1 || !ok2 || !knownMask(string(method)) {
				return errs.E(errs.Internal, op, "policy %s.masks has a bad entry %s: %s", queryQuery, limit(k.String()), limit(m.String()))
			}
			d.Masks[string(col)] = string(method)
			return nil
		})
		if err != nil {
			return QueryDecision{}, err
		}
	}
	if t := obj.Get(ast.InternedTerm("row_filters")); t != nil {
		var err error
		if d.Filters, err = rowFilters(op, t.Value); err != nil {
			return QueryDecision{}, err
		}
	}
	if t := obj.Get(ast.InternedTerm("deny")); t != nil {
		var err error
		if d.Deny, err = denials(op, queryQuery+".deny", t.Value); err != nil {
			return QueryDecision{}, err
		}
	}
	return d, nil
}

func knownMask(m string) bool {
	switch m {
	case MaskNull, MaskHash, MaskPartial, MaskRedact:
		return true
	}
	return false
}

func rowFilters(op string, v ast.Value) ([]RowFilter, error) {
	where := queryQuery + ".row_filters"
	var terms []*ast.Term
	switch v := v.(type) {
	case ast.Set:
		terms = v.Slice()
	case *ast.Array:
		v.Foreach(func(t *ast.Term) { terms = append(terms, t) })
	default:
		return nil, errs.E(errs.Internal, op, "policy %s is a %s, not a set", where, ast.ValueName(v))
	}
	var out []RowFilter
	for _, t := range terms {
		f, err := rowFilter(t.Value)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "policy %s has a malformed filter %s", where, limit(t.String()))
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b RowFilter) int {
		return cmp.Or(cmp.Compare(a.Column, b.Column), cmp.Compare(a.Rule, b.Rule), slices.Compare(a.Values, b.Values))
	})
	return out, nil
}

func rowFilter(v ast.Value) (RowFilter, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return RowFilter{}, errs.E(errs.Internal, "", "a row filter is an object, not a %s", ast.ValueName(v))
	}
	var f RowFilter
	var err error
	if f.Column, err = str(obj, "column", true); err != nil {
		return RowFilter{}, err
	}
	if f.Rule, err = str(obj, "rule", false); err != nil {
		return RowFilter{}, err
	}
	t := obj.Get(ast.InternedTerm("values"))
	if t == nil {
		return RowFilter{}, errs.E(errs.Internal, "", "no %q", "values")
	}
	var bad bool
	add := func(t *ast.Term) {
		s, ok := t.Value.(ast.String)
		bad = bad || !ok
		f.Values = append(f.Values, string(s))
	}
	switch vs := t.Value.(type) {
	case *ast.Array:
		vs.Foreach(add)
	case ast.Set:
		vs.Foreach(add)
	default:
		bad = true
	}
	if bad {
		return RowFilter{}, errs.E(errs.Internal, "", "%q is not a list of strings", "values")
	}
	// An empty list keeps no row: that is what the policy said, so it stays.
	if f.Values == nil {
		f.Values = []string{}
	}
	return f, nil
}

// limit keeps a policy value short enough for an error message.
func limit(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
