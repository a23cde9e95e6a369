package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/policy"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/spec"
)

// PolicyGate decides whether data may be released. The platform fills the principal from ctx.
type PolicyGate interface {
	// MeasurePublish names the columns whose statistics the publish
	// policies read (in has no contract, rows or stats yet): only those are
	// measured, so a policy that needs nothing costs nothing.
	MeasurePublish(ctx context.Context, in policy.PublishInput) ([]string, error)
	CheckPublish(ctx context.Context, in policy.PublishInput) ([]policy.Denial, error)
}

// hashedPattern is what a value that looks like a hex digest (MD5, SHA-1,
// SHA-256, SHA-512) matches, case-insensitively.
const hashedPattern = `^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$`

// classified is a column the policy gate measures.
type classified struct {
	col     policy.Column
	measure bool // the policies read its statistics
	// The positions of its null and not-hashed counts among the gate's
	// aggregate expressions.
	nulls, notHashed int
}

// policyColumns returns the classified columns of the table, as the policy
// sees them: the gate measures and judges those.
func policyColumns(tbl *registry.Table) []classified {
	props := map[string]*spec.Property{}
	for i := range tbl.Def.Object.Properties {
		p := &tbl.Def.Object.Properties[i]
		props[p.Name] = p
	}
	var out []classified
	for _, c := range tbl.Def.Schema.Columns {
		pc := policy.Column{Name: c.Name, Type: c.Type.DuckDB(), Classification: c.Classification}
		if p := props[c.Name]; p != nil {
			pc.Classification = p.Classification
			pc.Custom = customProperties(p.CustomProperties)
		}
		if pc.Classification != "" {
			out = append(out, classified{col: pc})
		}
	}
	return out
}

// customProperties flattens ODCS customProperties to strings: scalars as
// written, lists and objects as JSON.
func customProperties(cps []spec.CustomProperty) map[string]string {
	if len(cps) == 0 {
		return nil
	}
	m := make(map[string]string, len(cps))
	for _, cp := range cps {
		switch v := cp.Value.(type) {
		case nil:
			m[cp.Property] = ""
		case string:
			m[cp.Property] = v
		case bool, int, int64, float64:
			m[cp.Property] = fmt.Sprint(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				b = []byte(fmt.Sprint(v))
			}
			m[cp.Property] = string(b)
		}
	}
	return m
}

// policyStatsExprs returns the aggregate expressions that measure the
// classified columns (two each: nulls, then non-null values that do not look
// hashed) and records their positions, counted from offset.
func policyStatsExprs(cols []classified, offset int) []string {
	var exprs []string
	for i := range cols {
		if !cols[i].measure {
			continue
		}
		q := lake.Quote(cols[i].col.Name)
		cols[i].nulls = offset + len(exprs)
		exprs = append(exprs, fmt.Sprintf("count(*) - count(%s)", q))
		cols[i].notHashed = offset + len(exprs)
		exprs = append(exprs, fmt.Sprintf("count(*) FILTER (WHERE %s IS NOT NULL AND NOT regexp_matches(CAST(%s AS VARCHAR), %s, 'i'))",
			q, q, lake.Literal(hashedPattern)))
	}
	return exprs
}

// chooseMeasured asks the policy gate which classified columns to measure.
func (p *Publisher) chooseMeasured(ctx context.Context, req Request, cols []classified) error {
	if len(cols) == 0 {
		return nil
	}
	in := policy.PublishInput{
		Table:   policy.TableRef{Domain: req.Table.Domain, Product: req.Table.Product, Name: req.Table.Table},
		Mode:    string(req.Mode),
		Columns: make([]policy.Column, len(cols)),
	}
	for i, c := range cols {
		in.Columns[i] = c.col
	}
	names, err := p.policy.MeasurePublish(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errs.Wrap(errs.KindOf(err), "publish.chooseMeasured", err, "the publish policies of %s cannot be evaluated", req.Table)
	}
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	for i := range cols {
		cols[i].measure = want[cols[i].col.Name]
	}
	return nil
}

// checkPolicy asks the policy gate whether the measured data may be
// released and records its denials in the report.
func (p *Publisher) checkPolicy(ctx context.Context, req Request, tbl *registry.Table, measured []classified, values []float64, rep *Report) error {
	const op = "publish.checkPolicy"
	doc, err := p.contractDoc(ctx, tbl)
	if err != nil {
		return err
	}
	cols := make([]policy.Column, len(measured))
	stats := make(map[string]policy.ColumnStats, len(measured))
	for i, c := range measured {
		cols[i] = c.col
		if c.measure {
			stats[c.col.Name] = policy.ColumnStats{Nulls: int64(values[c.nulls]), NotHashed: int64(values[c.notHashed])}
		}
	}
	in := policy.PublishInput{
		Table:    policy.TableRef{Domain: req.Table.Domain, Product: req.Table.Product, Name: req.Table.Table},
		Mode:     string(req.Mode),
		Contract: doc,
		Columns:  cols,
		Rows:     rep.RowsOK,
		Stats:    stats,
	}
	denials, err := p.policy.CheckPublish(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errs.Wrap(errs.Internal, op, err, "the publish policies of %s cannot be evaluated", req.Table)
	}
	rep.Policy = denials
	return nil
}

// contractDoc returns the ODCS document of the table's contract version as
// JSON values.
func (p *Publisher) contractDoc(ctx context.Context, tbl *registry.Table) (map[string]any, error) {
	var doc map[string]any
	if err := p.contract(ctx, tbl, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// contract decodes the table's contract version, as the registry keeps it
// (JSON), into v.
func (p *Publisher) contract(ctx context.Context, tbl *registry.Table, v any) error {
	c, err := p.reg.Contract(ctx, tbl.ContractID, tbl.ContractVersion)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(c.Doc, v); err != nil {
		return errs.Wrap(errs.Internal, "publish.contract", err, "read contract %s version %s", c.ID, c.Version)
	}
	return nil
}

// gateMessage is the client's message for a failed gate: it names the
// first policy denial if there is one.
func gateMessage(id lake.Ident, rep *Report) string {
	const tail = "nothing was published, the previous snapshot stays"
	if len(rep.Policy) == 0 {
		return fmt.Sprintf("the data does not keep the contract of %s: %s", id, tail)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "publishing %s is %s", id, rep.Policy[0].String())
	if n := len(rep.Policy) - 1; n > 0 {
		fmt.Fprintf(&b, " (and %d more denial%s)", n, plural(n))
	}
	if !rep.contractPassed() {
		b.WriteString("; the data does not keep the contract either")
	}
	return b.String() + "; " + tail
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
