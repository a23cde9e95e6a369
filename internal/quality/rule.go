package quality

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

// Check is one compiled rule.
type Check struct {
	Name     string // stable name: table-level "rowCount", column-level "c_custkey.nullValues", or the rule's own name
	Column   string // empty for table-level rules
	Metric   string // rowCount, nullValues, ..., or "sql"
	Rule     spec.Rule
	expr     string // aggregate SQL over the relation, or empty for sql rules
	sqlQuery string // for sql rules: the query with ${table}/${column} substituted, checked by the guard before running
	percent  bool
}

// Result is one rule's outcome.
type Result struct {
	Name        string   `json:"name"`
	Column      string   `json:"column,omitempty"`
	Metric      string   `json:"metric"`
	Dimension   string   `json:"dimension,omitempty"`
	Severity    string   `json:"severity"`
	Value       *float64 `json:"value"`
	Unit        string   `json:"unit,omitempty"`
	Expectation string   `json:"expectation"`
	Passed      bool     `json:"passed"`
	Blocking    bool     `json:"blocking"` // a failure of this rule fails the gate
	Error       string   `json:"error,omitempty"`

	rule Check
}

// Compile turns the quality rules of a contract schema object into checks
// against the table t. tableName is the name sql rules use for ${table}.
// Rules of type custom and text are not enforced (the spec parser warns).
func Compile(obj spec.Object, t *schema.Table, tableName string) ([]Check, error) {
	var checks []Check
	var problems []string
	add := func(r spec.Rule, column string) {
		c, err := compile(r, column, t, tableName)
		if err != nil {
			where := "table " + obj.Name
			if column != "" {
				where = "column " + column
			}
			problems = append(problems, fmt.Sprintf("%s: %s: %v", r.Path, where, err))
			return
		}
		if c != nil {
			checks = append(checks, *c)
		}
	}
	for _, r := range obj.Quality {
		add(r, "")
	}
	for _, p := range obj.Properties {
		for _, r := range p.Quality {
			add(r, p.Name)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	seen := map[string]int{}
	for i := range checks {
		seen[checks[i].Name]++
		if n := seen[checks[i].Name]; n > 1 {
			checks[i].Name += "#" + strconv.Itoa(n)
		}
	}
	return checks, nil
}

func compile(r spec.Rule, column string, t *schema.Table, tableName string) (*Check, error) {
	typ := strings.ToLower(r.Type)
	if typ == "" {
		typ = "library"
	}
	if typ == "custom" || typ == "text" {
		return nil, nil
	}
	if r.Operators() != 1 {
		return nil, fmt.Errorf("a rule needs exactly one operator (mustBe, mustBeGreaterThan, ...)")
	}
	if _, err := expectation(r); err != nil {
		return nil, err
	}
	c := &Check{Column: column, Rule: r, percent: strings.EqualFold(r.Unit, "percent")}
	var col string
	if column != "" {
		if _, ok := t.Column(column); !ok {
			return nil, fmt.Errorf("column %q is not in the table", column)
		}
		col = lake.Quote(column)
	}
	switch typ {
	case "sql":
		if strings.TrimSpace(r.Query) == "" {
			return nil, fmt.Errorf("an sql rule needs a query")
		}
		c.Metric = "sql"
		q := strings.ReplaceAll(r.Query, "${table}", tableName)
		q = strings.ReplaceAll(q, "{table}", tableName)
		if column != "" {
			q = strings.ReplaceAll(q, "${column}", col)
			q = strings.ReplaceAll(q, "{column}", col)
		}
		c.sqlQuery = q
	case "library":
		c.Metric = r.Metric
		expr, err := libraryExpr(r, column, col, t)
		if err != nil {
			return nil, err
		}
		if c.percent && r.Metric != "rowCount" {
			expr = fmt.Sprintf("coalesce(100.0 * (%s) / NULLIF(count(*), 0), 0)", expr)
		}
		c.expr = expr
	default:
		return nil, fmt.Errorf("rule type %q is not supported", r.Type)
	}
	c.Name = r.Name
	if c.Name == "" {
		c.Name = c.Metric
		if column != "" {
			c.Name = column + "." + c.Metric
		}
	}
	return c, nil
}

// libraryExpr is the aggregate expression that measures a library metric.
func libraryExpr(r spec.Rule, column, col string, t *schema.Table) (string, error) {
	needColumn := func() error {
		if column == "" {
			return fmt.Errorf("metric %s applies to a column: put the rule under the column's quality", r.Metric)
		}
		return nil
	}
	switch r.Metric {
	case "rowCount":
		return "count(*)", nil
	case "nullValues":
		if err := needColumn(); err != nil {
			return "", err
		}
		return fmt.Sprintf("count(*) FILTER (WHERE %s IS NULL)", col), nil
	case "missingValues":
		if err := needColumn(); err != nil {
			return "", err
		}
		missing := []any{nil, ""}
		if v, ok := r.Arguments["missingValues"].([]any); ok {
			missing = v
		}
		var conds []string
		var values []any
		for _, m := range missing {
			if m == nil {
				conds = append(conds, col+" IS NULL")
				continue
			}
			values = append(values, m)
		}
		if len(values) > 0 {
			c, _ := t.Column(column)
			conds = append(conds, inList(col, c, values))
		}
		if len(conds) == 0 {
			return "", fmt.Errorf("missingValues needs at least one missing value")
		}
		return fmt.Sprintf("count(*) FILTER (WHERE %s)", strings.Join(conds, " OR ")), nil
	case "duplicateValues":
		cols := []string{col}
		if column == "" {
			props, _ := r.Arguments["properties"].([]any)
			if len(props) == 0 {
				return "", fmt.Errorf("duplicateValues at table level needs arguments.properties (the columns)")
			}
			cols = cols[:0]
			for _, p := range props {
				name, _ := p.(string)
				if _, ok := t.Column(name); !ok {
					return "", fmt.Errorf("duplicateValues: %q is not a column", p)
				}
				cols = append(cols, lake.Quote(name))
			}
		}
		if len(cols) == 1 {
			return fmt.Sprintf("count(%s) - count(DISTINCT %s)", cols[0], cols[0]), nil
		}
		tuple := "(" + strings.Join(cols, ", ") + ")"
		return fmt.Sprintf("count(*) - count(DISTINCT %s)", tuple), nil
	case "invalidValues":
		if err := needColumn(); err != nil {
			return "", err
		}
		var conds []string
		if vv, ok := r.Arguments["validValues"].([]any); ok && len(vv) > 0 {
			c, _ := t.Column(column)
			conds = append(conds, "NOT ("+inList(col, c, vv)+")")
		}
		if p, ok := r.Arguments["pattern"].(string); ok && p != "" {
			conds = append(conds, fmt.Sprintf("NOT regexp_full_match(CAST(%s AS VARCHAR), %s)", col, lake.Literal(p)))
		}
		if len(conds) == 0 {
			return "", fmt.Errorf("invalidValues needs arguments.validValues or arguments.pattern")
		}
		return fmt.Sprintf("count(*) FILTER (WHERE %s IS NOT NULL AND (%s))", col, strings.Join(conds, " OR ")), nil
	case "":
		return "", fmt.Errorf("a library rule needs a metric")
	}
	return "", fmt.Errorf("metric %q is not supported (use rowCount, nullValues, missingValues, duplicateValues or invalidValues)", r.Metric)
}

// inList is the condition that a column's value is one of values. Numbers
// are compared as numbers with a numeric column (so 0 matches 0.00 in a
// DECIMAL column); everything else is compared as the column's text.
func inList(col string, c schema.Column, values []any) string {
	var nums, texts []string
	numeric := false
	switch c.Type.Kind {
	case schema.Int, schema.Long, schema.Float, schema.Double, schema.Decimal:
		numeric = true
	}
	for _, v := range values {
		if f, ok := toFloat(v); ok && numeric {
			nums = append(nums, strconv.FormatFloat(f, 'f', -1, 64))
			continue
		}
		texts = append(texts, literal(v))
	}
	var conds []string
	if len(nums) > 0 {
		conds = append(conds, fmt.Sprintf("%s IN (%s)", col, strings.Join(nums, ", ")))
	}
	if len(texts) > 0 {
		conds = append(conds, fmt.Sprintf("CAST(%s AS VARCHAR) IN (%s)", col, strings.Join(texts, ", ")))
	}
	return strings.Join(conds, " OR ")
}

// literal renders a rule argument as a SQL string literal, for text comparison.
func literal(v any) string {
	switch x := v.(type) {
	case string:
		return lake.Literal(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return lake.Literal(strconv.FormatInt(int64(x), 10))
		}
		return lake.Literal(strconv.FormatFloat(x, 'f', -1, 64))
	case int:
		return lake.Literal(strconv.Itoa(x))
	case int64:
		return lake.Literal(strconv.FormatInt(x, 10))
	case bool:
		return lake.Literal(strconv.FormatBool(x))
	}
	return lake.Literal(fmt.Sprint(v))
}
