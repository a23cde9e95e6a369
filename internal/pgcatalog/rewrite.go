package pgcatalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
)

// The rewriter turns a client's metadata query into one DuckDB runs against
// the stand-in catalog. DuckDB parses the query (json_serialize_sql, which
// refuses everything but SELECT); the rewriter walks the tree, sends catalog
// relations and functions to the stand-ins, turns PostgreSQL casts and
// operators into DuckDB's, and refuses any other relation; DuckDB renders
// the tree back to SQL (json_deserialize_sql).

const rewriteOp = "pgcatalog.rewrite"

// maxSQL bounds the metadata queries accepted.
const maxSQL = 256 << 10

var (
	pgcRelations = map[string]bool{} // relations of pg_catalog, by name
	pgiRelations = map[string]bool{} // relations of information_schema, by name
)

func init() {
	for _, s := range catalogDDL {
		for _, p := range []string{"CREATE TABLE ", "CREATE VIEW "} {
			if !strings.HasPrefix(s, p) {
				continue
			}
			rest := s[len(p):]
			end := strings.IndexAny(rest, " (")
			sch, rel, _ := strings.Cut(rest[:end], ".")
			if strings.HasPrefix(rel, "mesh_") {
				continue
			}
			if sch == "pgc" {
				pgcRelations[rel] = true
			} else {
				pgiRelations[rel] = true
			}
		}
	}
}

// sessionValues are the answers of the functions that describe the session.
type sessionValues struct {
	user     string
	database string
}

// serverVersion is what version() and server_version say: clients parse the
// leading "PostgreSQL X.Y" to pick their dialect.
const (
	serverVersion    = "15.0"
	serverVersionNum = "150000"
	versionString    = "PostgreSQL 15.0 (Meshwork) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"
)

// denied are DuckDB functions that reach past the stand-in catalog.
var denied = map[string]bool{
	"query": true, "query_table": true, "json_execute_serialized_sql": true, "getvariable": true, "getenv": true,
	"write_log": true, "sleep_ms": true, "setseed": true, "current_query": true, "json_serialize_plan": true,
	"json_serialize_sql": true, "json_deserialize_sql": true,
}

// tableFuncs are the table functions a metadata query may use.
var tableFuncs = map[string]bool{"generate_series": true, "unnest": true, "range": true, "generate_subscripts": true}

// rewrite returns the DuckDB SQL that answers sqlText over the stand-in catalog.
func rewrite(ctx context.Context, conn *sql.Conn, sqlText string, sv sessionValues) (string, error) {
	if len(sqlText) > maxSQL {
		return "", errs.E(errs.TooLarge, rewriteOp, "the query is longer than %d bytes", maxSQL)
	}
	var js string
	if err := conn.QueryRowContext(ctx, `SELECT json_serialize_sql(?::VARCHAR)::VARCHAR`, dropOperatorSyntax(sqlText)).Scan(&js); err != nil {
		return "", dbError(ctx, err, "parse the query")
	}
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	var p struct {
		Error        bool   `json:"error"`
		ErrorMessage string `json:"error_message"`
		Statements   []any  `json:"statements"`
	}
	if err := dec.Decode(&p); err != nil {
		return "", errs.Wrap(errs.Internal, rewriteOp, err, "decode the parse tree")
	}
	if p.Error {
		if strings.Contains(p.ErrorMessage, "Only SELECT") {
			return "", errs.E(errs.Invalid, rewriteOp, "only SELECT statements are allowed on the catalog")
		}
		return "", errs.E(errs.Invalid, rewriteOp, "%s", p.ErrorMessage)
	}
	if len(p.Statements) != 1 {
		return "", errs.E(errs.Invalid, rewriteOp, "send one statement at a time")
	}
	w := &walker{sv: sv, ctes: map[string]bool{}}
	w.collectCTEs(p.Statements[0])
	stmt, err := w.node(p.Statements[0], 0)
	if err != nil {
		return "", err
	}
	if m, ok := stmt.(map[string]any); ok {
		if node, ok := m["node"].(map[string]any); ok {
			nameSelectList(node)
		}
	}
	tree, err := json.Marshal(map[string]any{"error": false, "statements": []any{stmt}})
	if err != nil {
		return "", errs.Wrap(errs.Internal, rewriteOp, err, "encode the query")
	}
	// Render, and parse what was rendered again: the query that runs is
	// checked to read nothing but the stand-ins and its own CTEs.
	var out, again string
	if err := conn.QueryRowContext(ctx, `SELECT s, json_serialize_sql(s)::VARCHAR FROM (SELECT json_deserialize_sql(?::JSON) AS s)`,
		string(tree)).Scan(&out, &again); err != nil {
		return "", dbError(ctx, err, "render the query")
	}
	if err := verify(again, w.ctes); err != nil {
		return "", err
	}
	return out, nil
}

// verify checks a rendered query's tree: every relation is a stand-in or a CTE.
func verify(js string, ctes map[string]bool) error {
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return errs.Wrap(errs.Internal, rewriteOp, err, "decode the rendered query")
	}
	var bad error
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["error"] == true {
				bad = errs.E(errs.Internal, rewriteOp, "the rendered query does not parse")
			}
			if x["type"] == "BASE_TABLE" {
				sch, cat := str(x["schema_name"]), str(x["catalog_name"])
				ok := cat == "" && (sch == "pgc" || sch == "pgi" || sch == "" && ctes[strings.ToLower(str(x["table_name"]))])
				if !ok && bad == nil {
					bad = errs.E(errs.Internal, rewriteOp, "the rendered query reads %s.%s", sch, str(x["table_name"]))
				}
			}
			if x["type"] == "TABLE_FUNCTION" {
				fn, _ := x["function"].(map[string]any)
				if !tableFuncs[strings.ToLower(str(fn["function_name"]))] && bad == nil {
					bad = errs.E(errs.Internal, rewriteOp, "the rendered query calls a table function")
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(tree)
	return bad
}

func dbError(ctx context.Context, err error, what string) error {
	if ctx.Err() != nil {
		return errs.Wrap(errs.KindOf(ctx.Err()), rewriteOp, err, "%s", what)
	}
	return errs.Wrap(errs.Internal, rewriteOp, err, "%s", what)
}

type walker struct {
	sv   sessionValues
	ctes map[string]bool
}

const maxDepth = 3000

// collectCTEs notes every WITH name of the query: an unqualified relation of
// that name is the CTE, not a catalog relation.
func (w *walker) collectCTEs(v any) {
	switch x := v.(type) {
	case map[string]any:
		if cm, ok := x["cte_map"].(map[string]any); ok {
			if entries, ok := cm["map"].([]any); ok {
				for _, e := range entries {
					if em, ok := e.(map[string]any); ok {
						if k, ok := em["key"].(string); ok {
							w.ctes[strings.ToLower(k)] = true
						}
					}
				}
			}
		}
		for _, c := range x {
			w.collectCTEs(c)
		}
	case []any:
		for _, c := range x {
			w.collectCTEs(c)
		}
	}
}

func str(v any) string { s, _ := v.(string); return s }

// node returns v rewritten.
func (w *walker) node(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errs.E(errs.Invalid, rewriteOp, "the query is nested too deeply")
	}
	switch x := v.(type) {
	case []any:
		for i := range x {
			r, err := w.node(x[i], depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
		return x, nil
	case map[string]any:
		if cls, ok := x["class"].(string); ok {
			if r, done, err := w.expr(x, cls, depth); done || err != nil {
				return r, err
			}
		} else if t, ok := x["type"].(string); ok {
			switch t {
			case "BASE_TABLE":
				if err := w.table(x); err != nil {
					return nil, err
				}
			case "TABLE_FUNCTION":
				if err := w.tableFunc(x); err != nil {
					return nil, err
				}
			case "UNBOUND_TYPE_INFO":
				w.typeInfo(x)
			}
		}
		for k, c := range x {
			r, err := w.node(c, depth+1)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
		return x, nil
	}
	return v, nil
}

// table sends a catalog relation to its stand-in and refuses every other.
func (w *walker) table(x map[string]any) error {
	cat, sch, rel := strings.ToLower(str(x["catalog_name"])), strings.ToLower(str(x["schema_name"])), str(x["table_name"])
	lrel := strings.ToLower(rel)
	switch {
	case cat == "" && sch == "" && w.ctes[lrel]:
		return nil
	case cat == "" && (sch == "" || sch == "pg_catalog") && pgcRelations[lrel]:
		x["schema_name"], x["table_name"] = "pgc", lrel
		return nil
	case cat == "" && sch == "information_schema" && pgiRelations[lrel]:
		x["schema_name"], x["table_name"] = "pgi", lrel
		return nil
	}
	full := strings.Join(nonEmpty(str(x["catalog_name"]), str(x["schema_name"]), rel), ".")
	if cat == "" && meshSchemaRE.MatchString(sch) || cat != "" && !reservedSchema(cat) && sch != "" {
		return errs.E(errs.Invalid, rewriteOp, "a query cannot read both mesh tables (%s) and the PostgreSQL catalog: send them separately", full)
	}
	return errs.E(errs.NotFound, rewriteOp, "relation %q does not exist in the catalog", full)
}

func (w *walker) tableFunc(x map[string]any) error {
	fn, _ := x["function"].(map[string]any)
	name := strings.ToLower(str(fn["function_name"]))
	sch := strings.ToLower(str(fn["schema"]))
	if str(fn["catalog"]) == "" && (sch == "" || sch == "pg_catalog") && tableFuncs[name] {
		fn["schema"] = ""
		// In PostgreSQL the alias of a one-column function names its value
		// too (FROM generate_series(1, 3) s ... WHERE x = s).
		if a := str(x["alias"]); a != "" {
			if cols, _ := x["column_name_alias"].([]any); len(cols) == 0 {
				x["column_name_alias"] = []any{a}
			}
		}
		return nil
	}
	return errs.E(errs.Invalid, rewriteOp, "function %q is not available in catalog queries", name)
}

// typeInfo maps PostgreSQL type names DuckDB does not know.
func (w *walker) typeInfo(x map[string]any) {
	if s := strings.ToLower(str(x["schema"])); s == "pg_catalog" {
		x["schema"] = ""
	}
	switch strings.ToLower(str(x["name"])) {
	case "name", "char", "bpchar", "regproc", "regprocedure", "regoper", "regoperator", "regrole", "regconfig", "regdictionary", "xid", "cid", "tid", "aclitem", "pg_node_tree":
		x["name"] = "varchar"
	case "oid", "regclass", "regtype", "regnamespace":
		x["name"] = "integer"
	case "int2vector":
		x["name"] = "smallint[]"
	case "oidvector":
		x["name"] = "integer[]"
	}
}

// expr rewrites an expression node; done reports that r replaces x whole.
func (w *walker) expr(x map[string]any, cls string, depth int) (r any, done bool, err error) {
	switch cls {
	case "COLLATE":
		r, err := w.node(x["child"], depth+1)
		return r, true, err
	case "COLUMN_REF":
		names, _ := x["column_names"].([]any)
		if len(names) == 1 {
			if c, ok := w.session(strings.ToLower(str(names[0]))); ok {
				return withAlias(c, x, strings.ToLower(str(names[0]))), true, nil
			}
		}
	case "CAST":
		ct, _ := x["cast_type"].(map[string]any)
		ti, _ := ct["type_info"].(map[string]any)
		if str(ct["id"]) == "UNBOUND" && ti != nil {
			fn := ""
			switch strings.ToLower(str(ti["name"])) {
			case "regclass":
				fn = "mesh_regclass"
			case "regtype":
				fn = "mesh_regtype"
			case "regnamespace":
				fn = "mesh_regnamespace"
			case "regproc", "regprocedure":
				fn = "mesh_regproc"
			}
			if fn != "" {
				child, err := w.node(x["child"], depth+1)
				if err != nil {
					return nil, true, err
				}
				call := function("pgc", fn, castTo(child, "VARCHAR"))
				call["alias"] = x["alias"]
				if c, ok := child.(map[string]any); ok && str(x["alias"]) == "" {
					call["alias"] = pgColumnName(c)
				}
				return call, true, nil
			}
		}
	case "FUNCTION":
		return w.function(x, depth)
	case "PARAMETER", "CASE", "COMPARISON", "CONJUNCTION", "CONSTANT", "OPERATOR", "SUBQUERY", "STAR", "LAMBDA",
		"BETWEEN", "WINDOW", "POSITIONAL_REFERENCE", "LAMBDA_REF":
	default:
		return nil, true, errs.E(errs.Invalid, rewriteOp, "unsupported expression %s in a catalog query", strings.ToLower(cls))
	}
	return nil, false, nil
}

func (w *walker) function(x map[string]any, depth int) (any, bool, error) {
	name := strings.ToLower(str(x["function_name"]))
	sch := strings.ToLower(str(x["schema"]))
	if str(x["catalog"]) != "" {
		return nil, true, errs.E(errs.Invalid, rewriteOp, "function %q does not exist", name)
	}
	if x["is_operator"] == true && name == "pg_catalog" {
		return nil, true, errs.E(errs.Invalid, rewriteOp, "unsupported OPERATOR() syntax")
	}
	switch sch {
	case "", "pg_catalog":
		if c, ok := w.session(name); ok {
			if args, _ := x["children"].([]any); len(args) == 0 {
				return withAlias(c, x, name), true, nil
			}
		}
		switch {
		case macroNames[name]:
			x["schema"] = "pgc"
		case name == "regexp_full_match":
			// PostgreSQL's ~ matches anywhere; DuckDB's parser makes it a full match.
			x["function_name"], x["schema"] = "regexp_matches", ""
		case name == "~*" || name == "!~*":
			args, _ := x["children"].([]any)
			if len(args) != 2 {
				return nil, true, errs.E(errs.Invalid, rewriteOp, "operator %s takes two operands", name)
			}
			x["function_name"], x["schema"], x["is_operator"] = "regexp_matches", "", false
			x["children"] = append(args, constant("VARCHAR", "i"))
			if name == "!~*" {
				inner, err := w.node(x, depth+1)
				if err != nil {
					return nil, true, err
				}
				return map[string]any{"class": "OPERATOR", "type": "OPERATOR_NOT", "alias": "", "query_location": noLocation,
					"children": []any{inner}}, true, nil
			}
		case denied[name]:
			return nil, true, errs.E(errs.Invalid, rewriteOp, "function %q is not available in catalog queries", name)
		default:
			x["schema"] = ""
		}
	case "information_schema":
		if name != "_pg_expandarray" {
			return nil, true, errs.E(errs.Invalid, rewriteOp, "function information_schema.%s does not exist", name)
		}
		x["schema"] = "pgi"
	default:
		return nil, true, errs.E(errs.Invalid, rewriteOp, "function %s.%s does not exist", sch, name)
	}
	return nil, false, nil
}

// session returns the constant that a session function or word stands for.
func (w *walker) session(name string) (map[string]any, bool) {
	switch name {
	case "current_user", "session_user", "current_role", "user", "getpgusername":
		return constant("VARCHAR", w.sv.user), true
	case "current_database", "current_catalog":
		return constant("VARCHAR", w.sv.database), true
	case "current_schema":
		return constant("VARCHAR", nil), true
	case "version":
		return constant("VARCHAR", versionString), true
	}
	return nil, false
}

// noLocation is DuckDB's "no query location".
var noLocation = json.Number("18446744073709551615")

func constant(typ string, v any) map[string]any {
	if v == nil {
		// DuckDB types a bare NULL as INTEGER.
		c := castTo(map[string]any{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation,
			"value": map[string]any{"type": map[string]any{"id": "NULL", "type_info": nil}, "is_null": true}}, typ)
		return c
	}
	val := map[string]any{"type": map[string]any{"id": typ, "type_info": nil}, "is_null": false, "value": v}
	return map[string]any{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation, "value": val}
}

func function(schema, name string, args ...any) map[string]any {
	return map[string]any{"class": "FUNCTION", "type": "FUNCTION", "alias": "", "query_location": noLocation,
		"function_name": name, "schema": schema, "catalog": "", "children": args, "filter": nil,
		"order_bys": map[string]any{"type": "ORDER_MODIFIER", "orders": []any{}}, "distinct": false,
		"is_operator": false, "export_state": false}
}

func castTo(child any, typ string) map[string]any {
	return map[string]any{"class": "CAST", "type": "OPERATOR_CAST", "alias": "", "query_location": noLocation,
		"child": child, "cast_type": map[string]any{"id": typ, "type_info": nil}, "try_cast": false}
}

// withAlias gives c the alias of x, or else the name PostgreSQL gives the column.
func withAlias(c, x map[string]any, name string) map[string]any {
	if a := str(x["alias"]); a != "" {
		c["alias"] = a
	} else {
		c["alias"] = name
	}
	return c
}

// nameSelectList names the unaliased columns of the top SELECT the way
// PostgreSQL does (a function call after the function, a cast after what it
// casts), since clients read columns by name.
func nameSelectList(node map[string]any) {
	items, _ := node["select_list"].([]any)
	for _, it := range items {
		e, ok := it.(map[string]any)
		if !ok || str(e["alias"]) != "" {
			continue
		}
		if n := pgColumnName(e); n != "" {
			e["alias"] = n
		}
	}
}

func pgColumnName(e map[string]any) string {
	switch str(e["class"]) {
	case "FUNCTION":
		n := str(e["function_name"])
		if e["is_operator"] == true {
			return "?column?"
		}
		return n
	case "CAST":
		if c, ok := e["child"].(map[string]any); ok {
			if n := pgColumnName(c); n != "" {
				return n
			}
		}
	case "COLUMN_REF":
		names, _ := e["column_names"].([]any)
		if len(names) > 0 {
			return str(names[len(names)-1])
		}
	case "CONSTANT", "COMPARISON", "CONJUNCTION", "OPERATOR":
		return "?column?"
	case "CASE":
		return "case"
	case "SUBQUERY":
		switch str(e["subquery_type"]) {
		case "EXISTS", "NOT_EXISTS":
			return "exists"
		case "SCALAR":
		default:
			return "?column?"
		}
		sub, _ := e["subquery"].(map[string]any)
		node, _ := sub["node"].(map[string]any)
		items, _ := node["select_list"].([]any)
		if len(items) == 1 {
			if it, ok := items[0].(map[string]any); ok {
				if a := str(it["alias"]); a != "" {
					return a
				}
				if n := pgColumnName(it); n != "" {
					return n
				}
			}
		}
		return "?column?"
	}
	return ""
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
