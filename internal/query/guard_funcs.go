package query

import (
	"context"
	"database/sql"
	"sort"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
)

// The function allow-list is every built-in scalar and aggregate function
// (window functions are aggregates in duckdb_functions()) and every built-in
// scalar macro whose body passes the guard, minus this deny-list. Table
// functions and table macros are never allowed. Functions created at run time
// (internal = false), e.g. by the engine, are not allowed either.
//
// Reviewed against DuckDB 1.5.5 (duckdb_functions(), has_side_effects and
// stability columns included). Each entry says why it is denied.
var guardDenied = map[string]string{
	// configuration and variables
	"current_setting": "reads configuration",
	"getvariable":     "reads session variables",
	"getenv":          "reads the process environment (CLI only today)",
	"setseed":         "changes session state",
	// the SQL machinery itself
	"json_serialize_sql":          "parser access",
	"json_deserialize_sql":        "parser access",
	"json_serialize_plan":         "planner access, reveals relation internals",
	"json_execute_serialized_sql": "executes arbitrary SQL",
	"query":                       "executes arbitrary SQL",
	"query_table":                 "reads any table by name",
	"current_query":               "reveals the rewritten SQL (internal relation names)",
	"current_query_id":            "session machinery",
	"current_connection_id":       "session machinery",
	"current_transaction_id":      "session machinery",
	"txid_current":                "session machinery",
	"stats":                       "reveals storage statistics beneath masks",
	"version":                     "fingerprints the engine",
	"write_log":                   "writes to the server log",
	"parse_duckdb_log_message":    "log machinery",
	// the catalog
	"current_database":        "reveals the catalog",
	"current_catalog":         "reveals the catalog",
	"current_schema":          "reveals the catalog",
	"current_schemas":         "reveals the search path",
	"in_search_path":          "probes the search path",
	"nextval":                 "mutates sequences",
	"currval":                 "reads sequences",
	"pg_get_viewdef":          "reads view definitions (governed views name data files)",
	"pg_get_constraintdef":    "reads the catalog",
	"format_type":             "reads the catalog",
	"get_block_size":          "reads database storage",
	"col_description":         "catalog stand-in",
	"obj_description":         "catalog stand-in",
	"shobj_description":       "catalog stand-in",
	"pg_my_temp_schema":       "catalog stand-in",
	"pg_is_other_temp_schema": "catalog stand-in",
	// resources
	"sleep_ms": "holds a connection without work",
	"pg_sleep": "holds a connection without work",
}

// Prefixes of function families that touch files, the catalog or internals.
var guardDeniedPrefixes = []string{
	"duckdb_", "pragma_", "read_", "glob", "sniff_", "parquet_", "iceberg_", "json_execute",
	"json_serialize", "json_deserialize", "__internal", "sql_", "icu_calendar", "enable_", "disable_",
}

// Functions the binder implements itself rather than through the catalog.
var guardSpecialFuncs = []string{"unnest", "unlist"}

func guardIsDenied(name string) bool {
	if _, ok := guardDenied[name]; ok {
		return true
	}
	for _, p := range guardDeniedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// NewGuard builds the function allow-list from the running DuckDB.
func NewGuard(ctx context.Context, conn *sql.Conn) (*Guard, error) {
	const op = "query.NewGuard"
	funcs := map[string]bool{}
	rows, err := conn.QueryContext(ctx, `SELECT DISTINCT lower(function_name) FROM duckdb_functions()
		WHERE internal AND database_name = 'system' AND function_type IN ('scalar', 'aggregate')`)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "list functions")
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, errs.Wrap(errs.Internal, op, err, "list functions")
		}
		if !guardIsDenied(name) {
			funcs[name] = true
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, errs.Wrap(errs.Internal, op, err, "list functions")
	}
	rows.Close()
	for _, f := range guardSpecialFuncs {
		funcs[f] = true
	}

	// A macro is allowed when every overload's body passes the guard with no
	// table at all, calling only allowed functions. Bodies call other macros,
	// so iterate to a fixpoint.
	rows, err = conn.QueryContext(ctx, `SELECT lower(function_name), json_serialize_sql('SELECT ' || macro_definition)::VARCHAR
		FROM duckdb_functions() WHERE internal AND database_name = 'system' AND function_type = 'macro'`)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "list macros")
	}
	bodies := map[string][]map[string]any{}
	broken := map[string]bool{}
	for rows.Next() {
		var name string
		var js sql.NullString
		if err := rows.Scan(&name, &js); err != nil {
			rows.Close()
			return nil, errs.Wrap(errs.Internal, op, err, "list macros")
		}
		stmt, err := guardDecodeParsed(js.String)
		if err != nil || guardIsDenied(name) {
			broken[name] = true
			continue
		}
		bodies[name] = append(bodies[name], stmt)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, errs.Wrap(errs.Internal, op, err, "list macros")
	}
	rows.Close()
	g := &Guard{funcs: funcs}
	for changed := true; changed; {
		changed = false
		for name, stmts := range bodies {
			if funcs[name] || broken[name] {
				continue
			}
			ok := true
			for _, s := range stmts {
				w := &guardWalker{g: g, mode: guardModeMacro, funcs: funcs}
				if w.walkStatement(s, nil) != nil {
					ok = false
					break
				}
			}
			if ok {
				funcs[name] = true
				changed = true
			}
		}
	}
	// A name that is both an allowed function and a macro whose body fails
	// (pg_catalog.x vs main.x) is denied: the user picks the overload by schema.
	for changed := true; changed; {
		changed = false
		for name, stmts := range bodies {
			if !funcs[name] {
				continue
			}
			for _, s := range stmts {
				w := &guardWalker{g: g, mode: guardModeMacro, funcs: funcs}
				if w.walkStatement(s, nil) != nil {
					delete(funcs, name)
					changed = true
					break
				}
			}
		}
	}
	for name := range broken {
		delete(funcs, name)
	}
	return g, nil
}

// guardDeniedMacros lists the built-in macros the fixpoint refused (for tests and review).
func (g *Guard) guardDeniedMacros(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT DISTINCT lower(function_name) FROM duckdb_functions()
		WHERE internal AND database_name = 'system' AND function_type = 'macro'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if !g.funcs[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, rows.Err()
}
