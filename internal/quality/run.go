package quality

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Rewriter checks an sql rule's query (it must be a SELECT that reads only the
// table being published) and returns the SQL to run.
type Rewriter func(ctx context.Context, query string) (string, error)

// Run measures every check, plus the caller's extra aggregate expressions,
// in one aggregate query over relation, and returns each check's result and
// the extra values in order. sql rules become scalar subqueries of that query
// after rewrite has checked them. If the combined query fails (an sql rule
// that does not run), the checks run one by one so the failing rule is named
// and the others still get a verdict.
func Run(ctx context.Context, conn *sql.Conn, relation string, checks []Check, extra []string, rewrite Rewriter) ([]Result, []float64, error) {
	results := make([]Result, len(checks))
	exprs := make([]string, 0, len(extra)+len(checks))
	exprs = append(exprs, extra...)
	idx := make([]int, len(checks)) // position of each check's expression, -1 if it has none
	for i, c := range checks {
		results[i] = newResult(c)
		idx[i] = -1
		e, err := c.expression(ctx, rewrite)
		if err != nil {
			results[i].Error = err.Error()
			continue
		}
		idx[i] = len(exprs)
		exprs = append(exprs, e)
	}
	values, err := aggregate(ctx, conn, relation, exprs)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		// Find the culprits: the library metrics and extras are ours and run
		// together; each sql rule runs alone.
		return runApart(ctx, conn, relation, checks, results, exprs, idx, len(extra))
	}
	for i := range checks {
		if idx[i] >= 0 {
			results[i].set(values[idx[i]])
		}
	}
	return results, values[:len(extra)], nil
}

func runApart(ctx context.Context, conn *sql.Conn, relation string, checks []Check, results []Result, exprs []string, idx []int, nExtra int) ([]Result, []float64, error) {
	var own []string
	ownIdx := map[int]int{}
	own = append(own, exprs[:nExtra]...)
	for i, c := range checks {
		if idx[i] >= 0 && c.Metric != "sql" {
			ownIdx[i] = len(own)
			own = append(own, exprs[idx[i]])
		}
	}
	values, err := aggregate(ctx, conn, relation, own)
	if err != nil {
		return nil, nil, fmt.Errorf("quality: measure: %w", err)
	}
	for i, c := range checks {
		if j, ok := ownIdx[i]; ok {
			results[i].set(values[j])
			continue
		}
		if idx[i] < 0 || c.Metric != "sql" {
			continue
		}
		v, err := aggregate(ctx, conn, relation, []string{exprs[idx[i]]})
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			results[i].Error = "the rule's query failed: " + firstLine(err.Error())
			continue
		}
		results[i].set(v[0])
	}
	return results, values[:nExtra], nil
}

func (c Check) expression(ctx context.Context, rewrite Rewriter) (string, error) {
	if c.Metric != "sql" {
		return c.expr, nil
	}
	if rewrite == nil {
		return "", fmt.Errorf("sql rules cannot run here")
	}
	q, err := rewrite(ctx, c.sqlQuery)
	if err != nil {
		return "", err
	}
	return "(" + q + ")", nil
}

// aggregate evaluates the expressions in one pass over relation.
func aggregate(ctx context.Context, conn *sql.Conn, relation string, exprs []string) ([]float64, error) {
	if len(exprs) == 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, e := range exprs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "CAST((%s) AS DOUBLE)", e)
	}
	b.WriteString(" FROM ")
	b.WriteString(relation)
	vals := make([]sql.NullFloat64, len(exprs))
	ptrs := make([]any, len(exprs))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := conn.QueryRowContext(ctx, b.String()).Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make([]float64, len(exprs))
	for i, v := range vals {
		out[i] = v.Float64 // a NULL measure (e.g. an sql rule over no rows) counts as 0
	}
	return out, nil
}

func newResult(c Check) Result {
	exp, _ := expectation(c.Rule)
	sev := c.Rule.Severity
	if sev == "" {
		sev = "error"
	}
	unit := "rows"
	if c.percent {
		unit = "percent"
	}
	if c.Metric == "sql" {
		unit = ""
	}
	return Result{Name: c.Name, Column: c.Column, Metric: c.Metric, Dimension: c.Rule.Dimension, Severity: sev,
		Unit: unit, Expectation: exp, Blocking: blocking(c.Rule), rule: c}
}

func (r *Result) set(v float64) {
	r.Value = &v
	r.Passed = passes(r.rule.Rule, v)
}

// Failed reports whether any blocking rule failed or could not run.
func Failed(results []Result) bool {
	for _, r := range results {
		if r.Blocking && !r.Passed {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
