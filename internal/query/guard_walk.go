package query

import (
	"encoding/json"
	"regexp"
	"strings"
)

// The walker visits every object and array of DuckDB's JSON parse tree. It
// does not rely on knowing where expressions or table references may appear:
// an object with a "class" is an expression, an object with a string "type" is
// a query node, table reference, result modifier, order term or type info, and
// each of those must be on an allow-list. Anything DuckDB adds in a later
// version therefore fails closed until it is reviewed here.

type guardMode int

const (
	guardModeUser   guardMode = iota // user SQL: resolve mesh tables, record them
	guardModeMacro                   // a built-in macro body: no tables at all
	guardModeVerify                  // rewritten SQL: only bound relations and CTEs
)

// guardMaxDepth bounds the recursion; DuckDB's parser has its own limit well below it.
const guardMaxDepth = 5000

var guardNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// DuckDB's own catalog and schema names can never be mesh domains: refusing them
// here keeps "system.main.x" from even reaching the binder.
var guardReservedDomains = map[string]bool{
	"system": true, "temp": true, "memory": true, "main": true, "information_schema": true, "pg_catalog": true,
}

// guardTable is one mesh table reference found in the tree.
type guardTable struct {
	node      map[string]any
	ref       TableRef
	loc       uint64
	atUnit    string
	atExpr    map[string]any
	userAlias bool
}

// guardScope is the chain of CTE names visible at a point of the query.
type guardScope struct {
	parent *guardScope
	name   string
}

func (s *guardScope) has(name string) bool {
	for ; s != nil; s = s.parent {
		if s.name == name {
			return true
		}
	}
	return false
}

type guardWalker struct {
	g        *Guard
	mode     guardMode
	funcs    map[string]bool    // overrides g.funcs while vetting macros
	allowed  map[[2]string]bool // verify mode: the relations the binder returned
	tables   []*guardTable
	cols     []map[string]any // column references with three or more parts
	constant int              // > 0 inside an AT expression, which must be constant
	depth    int
}

// Node kinds whose children are walked generically; they have no meaning of their own to check.
var guardPlainTypes = map[string]bool{
	// table references
	"JOIN": true, "SUBQUERY": true, "EXPRESSION_LIST": true, "EMPTY": true, "PIVOT": true,
	// result modifiers
	"ORDER_MODIFIER": true, "LIMIT_MODIFIER": true, "LIMIT_PERCENT_MODIFIER": true, "DISTINCT_MODIFIER": true,
	// order terms
	"ORDER_DEFAULT": true, "ASCENDING": true, "DESCENDING": true,
}

// Type infos that may appear in casts and literals; UNBOUND is checked separately.
var guardTypeInfos = map[string]bool{
	"DECIMAL_TYPE_INFO": true, "STRING_TYPE_INFO": true, "LIST_TYPE_INFO": true, "STRUCT_TYPE_INFO": true,
	"ENUM_TYPE_INFO": true, "ARRAY_TYPE_INFO": true, "UNBOUND_TYPE_INFO": true, "INTEGER_LITERAL_TYPE_INFO": true,
	"GENERIC_TYPE_INFO": true, "ANY_TYPE_INFO": true,
}

// Expression classes with nothing to check beyond their children.
var guardPlainClasses = map[string]bool{
	"CASE": true, "CAST": true, "COMPARISON": true, "CONJUNCTION": true, "CONSTANT": true,
	"OPERATOR": true, "COLLATE": true, "LAMBDA": true, "POSITIONAL_REFERENCE": true, "BETWEEN": true,
}

// The keys DuckDB 1.5 writes for a BASE_TABLE. A new key could change what the
// reference means, so an unknown one is refused.
var guardBaseTableKeys = map[string]bool{
	"type": true, "alias": true, "sample": true, "query_location": true, "schema_name": true,
	"table_name": true, "column_name_alias": true, "catalog_name": true, "at_clause": true,
}

func guardStr(v any) string { s, _ := v.(string); return s }

func (w *guardWalker) walk(v any, sc *guardScope) error {
	switch x := v.(type) {
	case map[string]any:
		return w.walkMap(x, sc)
	case []any:
		for _, e := range x {
			if err := w.walk(e, sc); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkStatement walks a statement wrapper {"node": ..., "named_param_map": [...]}.
func (w *guardWalker) walkStatement(stmt map[string]any, sc *guardScope) error {
	if _, ok := stmt["node"].(map[string]any); !ok {
		return guardErr("unsupported SQL")
	}
	return w.walk(stmt, sc)
}

func (w *guardWalker) walkMap(x map[string]any, sc *guardScope) error {
	w.depth++
	defer func() { w.depth-- }()
	if w.depth > guardMaxDepth {
		return guardErr("the query is nested too deeply")
	}
	if c, ok := x["class"]; ok {
		return w.walkExpr(x, guardStr(c), sc)
	}
	if t, ok := x["type"].(string); ok {
		return w.walkTyped(x, t, sc)
	}
	if p, ok := x["named_param_map"]; ok {
		ps, _ := p.([]any)
		for _, e := range ps {
			m, _ := e.(map[string]any)
			if k := guardStr(m["key"]); k == "" || strings.TrimLeft(k, "0123456789") != "" {
				return guardErr("only positional query parameters ($1, $2, ...) are supported")
			}
		}
		return w.walkChildren(x, sc, "named_param_map")
	}
	return w.walkChildren(x, sc, "")
}

func (w *guardWalker) walkChildren(x map[string]any, sc *guardScope, skip string) error {
	for k, v := range x {
		if k == skip {
			continue
		}
		if err := w.walk(v, sc); err != nil {
			return err
		}
	}
	return nil
}

func (w *guardWalker) walkTyped(x map[string]any, t string, sc *guardScope) error {
	switch t {
	case "SELECT_NODE", "SET_OPERATION_NODE":
		if w.constant > 0 {
			return guardErr("AT clauses must be constant expressions")
		}
		inner, err := w.cteScope(x, sc)
		if err != nil {
			return err
		}
		return w.walkChildren(x, inner, "cte_map")
	case "RECURSIVE_CTE_NODE":
		inner, err := w.cteScope(x, sc)
		if err != nil {
			return err
		}
		// Only the recursive term sees the CTE itself; DuckDB binds a
		// self-reference anywhere else to whatever table has that name.
		self := &guardScope{parent: inner, name: strings.ToLower(guardStr(x["cte_name"]))}
		for k, v := range x {
			s := inner
			switch k {
			case "cte_map":
				continue
			case "right":
				s = self
			}
			if err := w.walk(v, s); err != nil {
				return err
			}
		}
		return nil
	case "BASE_TABLE":
		return w.walkBaseTable(x, sc)
	case "TABLE_FUNCTION":
		fn, _ := x["function"].(map[string]any)
		return guardErr("table function %q is not allowed: query mesh tables by name (domain.product.table)",
			strings.ToLower(guardStr(fn["function_name"])))
	case "SHOW_REF":
		return guardErr("DESCRIBE, SHOW and SUMMARIZE are not allowed")
	}
	if guardPlainTypes[t] {
		return w.walkChildren(x, sc, "")
	}
	if guardTypeInfos[t] {
		// A user-defined type is looked up in a schema: keep users out of the catalog.
		if t == "UNBOUND_TYPE_INFO" && (guardStr(x["schema"]) != "" || guardStr(x["catalog"]) != "") {
			return guardErr("qualified type names are not allowed")
		}
		return w.walkChildren(x, sc, "")
	}
	return guardErr("unsupported SQL construct %s", strings.ToLower(t))
}

// cteScope walks the WITH clause of a query node and returns the scope its body
// sees. Each CTE sees only the CTEs defined before it: DuckDB binds a forward
// or self reference to a real table of that name, which the guard must not
// mistake for a CTE.
func (w *guardWalker) cteScope(x map[string]any, sc *guardScope) (*guardScope, error) {
	cm, ok := x["cte_map"]
	if !ok || cm == nil {
		return sc, nil
	}
	m, ok := cm.(map[string]any)
	if !ok {
		return nil, guardErr("unsupported WITH clause")
	}
	for k := range m {
		if k != "map" {
			return nil, guardErr("unsupported WITH clause")
		}
	}
	entries, _ := m["map"].([]any)
	inner := sc
	for _, e := range entries {
		em, ok := e.(map[string]any)
		if !ok {
			return nil, guardErr("unsupported WITH clause")
		}
		if err := w.walk(em["value"], inner); err != nil {
			return nil, err
		}
		inner = &guardScope{parent: inner, name: strings.ToLower(guardStr(em["key"]))}
	}
	return inner, nil
}

func (w *guardWalker) walkBaseTable(x map[string]any, sc *guardScope) error {
	for k := range x {
		if !guardBaseTableKeys[k] {
			return guardErr("unsupported table reference")
		}
	}
	cat, sch, tbl := guardStr(x["catalog_name"]), guardStr(x["schema_name"]), guardStr(x["table_name"])
	lc, ls, lt := strings.ToLower(cat), strings.ToLower(sch), strings.ToLower(tbl)
	at := x["at_clause"]
	if w.constant > 0 {
		return guardErr("AT clauses must be constant expressions")
	}
	switch w.mode {
	case guardModeMacro:
		return guardErr("table reference in macro")
	case guardModeVerify:
		cte := lc == "" && ls == "" && sc.has(lt)
		if at != nil || !(cte || (lc == "" && w.allowed[[2]string{ls, lt}])) {
			return guardErr("unexpected table %q in rewritten query", strings.Join(guardParts(cat, sch, tbl), "."))
		}
		return w.walkChildren(x, sc, "")
	}
	if lc == "" && ls == "" && guardNameRE.MatchString(lt) && sc.has(lt) {
		if at != nil {
			return guardErr("AT (...) applies to mesh tables, not to the WITH query %q", lt)
		}
		return w.walkChildren(x, sc, "")
	}
	// "domain.product".table, as PostgreSQL clients and BI tools write a
	// table of the schema "domain.product" (the wire protocol's mapping).
	if lc == "" {
		if d, p, ok := splitSchema(ls); ok {
			lc, ls = d, p
		}
	}
	var major *int
	if p, n, ok := splitPinned(ls); ok {
		ls, major = p, &n
	}
	if lc == "" || ls == "" || guardReservedDomains[lc] || !guardNameRE.MatchString(lc) || !guardNameRE.MatchString(ls) || !guardNameRE.MatchString(lt) {
		return guardErr("unknown table %q: name mesh tables as domain.product.table", strings.Join(guardParts(cat, sch, tbl), "."))
	}
	t := &guardTable{node: x, ref: TableRef{Domain: lc, Product: ls, Table: lt, Major: major}, userAlias: guardStr(x["alias"]) != ""}
	if n, ok := x["query_location"].(json.Number); ok {
		if v, err := guardUint(n); err == nil {
			t.loc = v
		}
	}
	if at != nil {
		am, ok := at.(map[string]any)
		if !ok {
			return guardErr("unsupported AT clause")
		}
		for k := range am {
			if k != "unit" && k != "expr" {
				return guardErr("unsupported AT clause")
			}
		}
		t.atUnit = strings.ToUpper(guardStr(am["unit"]))
		if t.atUnit != "VERSION" && t.atUnit != "TIMESTAMP" {
			return guardErr("AT (%s => ...) is not supported: use VERSION or TIMESTAMP", guardStr(am["unit"]))
		}
		expr, ok := am["expr"].(map[string]any)
		if !ok {
			return guardErr("unsupported AT clause")
		}
		w.constant++
		err := w.walk(expr, nil)
		w.constant--
		if err != nil {
			return err
		}
		t.atExpr = expr
	}
	w.tables = append(w.tables, t)
	return w.walkChildren(x, sc, "at_clause")
}

// splitSchema reads a two-part schema name "domain.product" or
// "domain.product@vN" into its domain and product (with the pin).
func splitSchema(s string) (domain, product string, ok bool) {
	d, p, found := strings.Cut(s, ".")
	if !found || strings.Contains(p, ".") || !guardNameRE.MatchString(d) {
		return "", "", false
	}
	if !guardNameRE.MatchString(p) {
		if _, _, pinned := splitPinned(p); !pinned {
			return "", "", false
		}
	}
	return d, p, true
}

func guardParts(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func guardUint(n json.Number) (uint64, error) {
	var v uint64
	err := json.Unmarshal([]byte(n), &v)
	return v, err
}

// Column names DuckDB's binder turns into function calls when no column has
// that name (current_schema, current_catalog, ...). They bypass the function
// check, so the ones that reach a denied function are refused here.
var guardColumnFuncs = map[string]bool{"current_schema": true, "current_catalog": true}

func (w *guardWalker) walkExpr(x map[string]any, cls string, sc *guardScope) error {
	switch cls {
	case "FUNCTION", "WINDOW":
		if err := w.checkFunc(x); err != nil {
			return err
		}
	case "PARAMETER":
		// Positional parameters ($1, ?) are bound by DuckDB as values, never
		// spliced into the text, so they cannot change what the query reads.
		// AT clauses are evaluated before binding, so there they have no value.
		if w.constant > 0 {
			return guardErr("AT clauses must be constant expressions")
		}
		id := guardStr(x["identifier"])
		if id == "" || strings.TrimLeft(id, "0123456789") != "" {
			return guardErr("only positional query parameters ($1, $2, ...) are supported")
		}
		return nil
	case "SUBQUERY", "STAR":
		if w.constant > 0 {
			return guardErr("AT clauses must be constant expressions")
		}
	case "COLUMN_REF":
		names, _ := x["column_names"].([]any)
		if len(names) == 1 && guardColumnFuncs[strings.ToLower(guardStr(names[0]))] {
			return guardErr("function %q is not allowed", strings.ToLower(guardStr(names[0])))
		}
		if len(names) >= 3 && w.mode == guardModeUser && w.constant == 0 {
			w.cols = append(w.cols, x)
		}
	default:
		if !guardPlainClasses[cls] {
			return guardErr("unsupported SQL expression %s", strings.ToLower(cls))
		}
	}
	return w.walkChildren(x, sc, "")
}

func (w *guardWalker) checkFunc(x map[string]any) error {
	name := strings.ToLower(guardStr(x["function_name"]))
	schema := strings.ToLower(guardStr(x["schema"]))
	catalog := strings.ToLower(guardStr(x["catalog"]))
	// Built-in macros call "system".main.f(); users have no reason to name a catalog.
	if catalog != "" && !(w.mode == guardModeMacro && catalog == "system") {
		return guardErr("function %q is not allowed", strings.Join(guardParts(catalog, schema, name), "."))
	}
	switch schema {
	case "", "main", "pg_catalog":
	default:
		return guardErr("function %q is not allowed", strings.Join(guardParts(schema, name), "."))
	}
	funcs := w.funcs
	if funcs == nil {
		funcs = w.g.funcs
	}
	if !funcs[name] {
		return guardErr("function %q is not allowed", name)
	}
	return nil
}

// aliasTables keeps "lineitem.col" and "sales.orders.lineitem.col" working
// after the rewrite: an unaliased mesh table gets its own table name as alias
// (unless two different mesh tables share that name), and column references
// qualified with the mesh name are shortened to that alias.
func (w *guardWalker) aliasTables() {
	groups := map[string][]*guardTable{}
	for _, t := range w.tables {
		if !t.userAlias {
			groups[t.ref.Table] = append(groups[t.ref.Table], t)
		}
	}
	full := map[[3]string]bool{}
	short := map[[2]string]bool{}
	for name, ts := range groups {
		same := true
		for _, t := range ts {
			if t.ref.Domain != ts[0].ref.Domain || t.ref.Product != ts[0].ref.Product {
				same = false
			}
		}
		if !same {
			continue
		}
		for _, t := range ts {
			t.node["alias"] = name
		}
		full[[3]string{ts[0].ref.Domain, ts[0].ref.Product, name}] = true
		short[[2]string{ts[0].ref.Product, name}] = true
	}
	for _, c := range w.cols {
		names, _ := c["column_names"].([]any)
		l := make([]string, len(names))
		for i, n := range names {
			l[i] = strings.ToLower(guardStr(n))
		}
		if d, p, ok := splitSchema(l[0]); ok && len(l) >= 3 {
			if _, _, pinned := splitPinned(p); !pinned && full[[3]string{d, p, l[1]}] {
				c["column_names"] = append([]any{l[1]}, names[2:]...)
				continue
			}
		}
		switch {
		case len(l) >= 4 && full[[3]string{l[0], l[1], l[2]}]:
			c["column_names"] = append([]any{l[2]}, names[3:]...)
		case len(l) >= 3 && short[[2]string{l[0], l[1]}]:
			c["column_names"] = append([]any{l[1]}, names[2:]...)
		}
	}
}
