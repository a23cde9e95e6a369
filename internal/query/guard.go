package query

// The SQL guard. User SQL never reaches DuckDB as typed: DuckDB's own parser
// turns it into a JSON tree (json_serialize_sql), the guard walks every node of
// that tree, refuses what it does not know, replaces each mesh table name with
// the relation that serves it, and DuckDB turns the checked tree back into SQL
// (json_deserialize_sql). Parsing with DuckDB itself, rather than with a Go SQL
// parser, means the guard sees exactly what the engine will bind: there is no
// dialect gap for an attacker to hide in.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meshwork/meshwork/internal/errs"
)

// guardMaxSQL bounds the user SQL the guard will parse; larger requests are
// refused before DuckDB sees them.
const guardMaxSQL = 1 << 20

const guardOp = "query.Guard.Rewrite"

// TableRef is a mesh table named in user SQL: domain.product.table, or
// domain.product@vN.table for a pinned major, with an optional time-travel clause.
type TableRef struct {
	Domain, Product, Table string
	Major                  *int       // @vN; nil: the latest active major
	Version                *int64     // AT (VERSION => n)
	Timestamp              *time.Time // AT (TIMESTAMP => expr), evaluated by DuckDB as TIMESTAMPTZ
}

// Name returns "domain.product.table", or "domain.product@vN.table" when pinned.
func (r TableRef) Name() string {
	if r.Major != nil {
		return r.Domain + "." + r.Product + "@v" + strconv.Itoa(*r.Major) + "." + r.Table
	}
	return r.Domain + "." + r.Product + "." + r.Table
}

// String returns the name, followed by the time-travel clause when set.
func (r TableRef) String() string {
	s := r.Name()
	switch {
	case r.Version != nil:
		s += " AT (VERSION => " + strconv.FormatInt(*r.Version, 10) + ")"
	case r.Timestamp != nil:
		s += " AT (TIMESTAMP => '" + r.Timestamp.UTC().Format(time.RFC3339Nano) + "')"
	}
	return s
}

// guardKey identifies a distinct reference: the same table at two versions is two references.
func (r TableRef) guardKey() string {
	k := r.Name()
	if r.Version != nil {
		k += "@v" + strconv.FormatInt(*r.Version, 10)
	}
	if r.Timestamp != nil {
		k += "@t" + strconv.FormatInt(r.Timestamp.UnixNano(), 10)
	}
	return k
}

// Binder resolves a mesh table reference to the DuckDB relation that serves it, creating it if needed.
// It returns the schema and name of that relation (e.g. "__mesh", "t17_s8837") in the default catalog.
// It returns an *errs.Error of kind NotFound for unknown tables.
type Binder interface {
	Bind(ctx context.Context, ref TableRef) (schema, name string, err error)
}

// Guard checks and rewrites user SQL. Safe for concurrent use: it is immutable after NewGuard.
type Guard struct {
	funcs map[string]bool // allowed scalar/aggregate/window functions and macros, lower-case
}

// Rewritten is the checked SQL.
type Rewritten struct {
	SQL    string     // the SQL to run: every mesh table reference replaced by the Binder's relation, AT clauses removed
	Tables []TableRef // distinct mesh tables the query reads, in first-appearance order
}

// guardParsed is the part of json_serialize_sql's answer the guard reads.
type guardParsed struct {
	Error        bool   `json:"error"`
	ErrorType    string `json:"error_type"`
	ErrorMessage string `json:"error_message"`
	Position     string `json:"position"`
	Statements   []any  `json:"statements"`
}

// Rewrite parses sql with DuckDB on conn, checks it and rewrites it. Errors are
// *errs.Error of kind Invalid (or TooLarge) with a client-safe message, or the
// Binder's error unchanged.
func (g *Guard) Rewrite(ctx context.Context, conn *sql.Conn, sqlText string, b Binder) (Rewritten, error) {
	if len(sqlText) > guardMaxSQL {
		return Rewritten{}, errs.E(errs.TooLarge, guardOp, "SQL is longer than %d bytes", guardMaxSQL)
	}
	if strings.TrimSpace(sqlText) == "" {
		return Rewritten{}, errs.E(errs.Invalid, guardOp, "SQL is empty")
	}
	// DuckDB's VARCHAR is UTF-8 and Go's JSON decoder would silently replace
	// invalid bytes, changing literals between check and run: refuse instead.
	if !utf8.ValidString(sqlText) || strings.IndexByte(sqlText, 0) >= 0 {
		return Rewritten{}, errs.E(errs.Invalid, guardOp, "SQL must be valid UTF-8 text without NUL bytes")
	}
	stmt, err := guardParse(ctx, conn, pinMajors(sqlText))
	if err != nil {
		return Rewritten{}, err
	}

	w := &guardWalker{g: g, mode: guardModeUser}
	if err := w.walkStatement(stmt, nil); err != nil {
		return Rewritten{}, err
	}

	// First appearance is textual order; the walk visits JSON objects in map
	// order, so sort by DuckDB's query_location.
	sort.SliceStable(w.tables, func(i, j int) bool { return w.tables[i].loc < w.tables[j].loc })
	var out Rewritten
	bound := map[string][2]string{}
	allowed := map[[2]string]bool{}
	for _, t := range w.tables {
		if t.atExpr != nil {
			if err := g.evalAt(ctx, conn, t); err != nil {
				return Rewritten{}, err
			}
		}
		k := t.ref.guardKey()
		rel, ok := bound[k]
		if !ok {
			schema, name, err := b.Bind(ctx, t.ref)
			if err != nil {
				return Rewritten{}, err
			}
			if schema == "" || name == "" {
				return Rewritten{}, errs.E(errs.Internal, guardOp, "binder returned an empty relation for %s", t.ref.Table)
			}
			rel = [2]string{schema, name}
			bound[k] = rel
			allowed[[2]string{strings.ToLower(schema), strings.ToLower(name)}] = true
			out.Tables = append(out.Tables, t.ref)
		}
		t.node["catalog_name"] = ""
		t.node["schema_name"] = rel[0]
		t.node["table_name"] = rel[1]
		t.node["at_clause"] = nil
	}
	w.aliasTables()

	tree, err := json.Marshal(map[string]any{"error": false, "statements": []any{stmt}})
	if err != nil {
		return Rewritten{}, errs.Wrap(errs.Internal, guardOp, err, "encode checked query")
	}
	// One round trip turns the tree back into SQL and parses that SQL again, so
	// the guard checks what will actually run, not only what it meant to write.
	var rewritten, again string
	err = conn.QueryRowContext(ctx,
		`SELECT s, json_serialize_sql(s)::VARCHAR FROM (SELECT json_deserialize_sql(?::JSON) AS s)`,
		string(tree)).Scan(&rewritten, &again)
	if err != nil {
		return Rewritten{}, guardDBError(ctx, err, "render checked query")
	}
	stmt2, err := guardDecodeParsed(again)
	if err != nil {
		// Flatten the cause: a refusal here is a guard bug, and must stay Internal.
		return Rewritten{}, errs.Wrap(errs.Internal, guardOp, errors.New(err.Error()), "rewritten query does not parse")
	}
	v := &guardWalker{g: g, mode: guardModeVerify, allowed: allowed}
	if err := v.walkStatement(stmt2, nil); err != nil {
		return Rewritten{}, errs.Wrap(errs.Internal, guardOp, errors.New(err.Error()), "rewritten query failed verification")
	}
	out.SQL = rewritten
	return out, nil
}

// guardParse returns the single SELECT statement of sqlText as a decoded JSON tree.
func guardParse(ctx context.Context, conn *sql.Conn, sqlText string) (map[string]any, error) {
	var js string
	if err := conn.QueryRowContext(ctx, `SELECT json_serialize_sql(?::VARCHAR)::VARCHAR`, sqlText).Scan(&js); err != nil {
		return nil, guardDBError(ctx, err, "parse SQL")
	}
	return guardDecodeParsed(js)
}

func guardDecodeParsed(js string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber() // query_location is a uint64 and constants must survive the round trip exactly
	var p guardParsed
	if err := dec.Decode(&p); err != nil {
		return nil, errs.Wrap(errs.Internal, guardOp, err, "decode parse tree")
	}
	if p.Error {
		return nil, guardParseError(p)
	}
	switch len(p.Statements) {
	case 0:
		return nil, errs.E(errs.Invalid, guardOp, "SQL is empty")
	case 1:
	default:
		return nil, errs.E(errs.Invalid, guardOp, "multiple statements are not allowed")
	}
	stmt, ok := p.Statements[0].(map[string]any)
	if !ok {
		return nil, errs.E(errs.Invalid, guardOp, "unsupported SQL")
	}
	return stmt, nil
}

// guardParseError maps json_serialize_sql's refusal to a client message. The
// parser's messages only echo the client's own text, so they are safe to show.
func guardParseError(p guardParsed) error {
	msg := p.ErrorMessage
	switch {
	case strings.Contains(msg, "Only SELECT statements"):
		return errs.E(errs.Invalid, guardOp, "only SELECT statements are allowed")
	case strings.Contains(strings.ToLower(msg), "parameter"):
		return errs.E(errs.Invalid, guardOp, "only positional query parameters ($1, $2, ...) are supported")
	case p.ErrorType == "parser":
		e := errs.E(errs.Invalid, guardOp, "%s", msg)
		if pos, err := strconv.Atoi(p.Position); err == nil {
			e = errs.WithDetails(e, map[string]any{"position": pos})
		}
		return e
	}
	if msg == "" {
		msg = "invalid SQL"
	}
	return errs.E(errs.Invalid, guardOp, "%s", msg)
}

// guardDBError classifies a failed DuckDB call: the context's errors keep their
// kind, everything else is internal (its text may name internal relations).
func guardDBError(ctx context.Context, err error, what string) error {
	if ctx.Err() != nil {
		return errs.Wrap(errs.KindOf(ctx.Err()), guardOp, err, "%s", what)
	}
	return errs.Wrap(errs.Internal, guardOp, err, "%s", what)
}

// evalAt evaluates a time-travel expression that the walker has already
// checked to be constant (no tables, columns of the query, subqueries or
// denied functions) by letting DuckDB run SELECT CAST(expr AS type) built as a tree.
func (g *Guard) evalAt(ctx context.Context, conn *sql.Conn, t *guardTable) error {
	if t.atUnit == "VERSION" {
		if v, ok := guardIntConstant(t.atExpr); ok {
			t.ref.Version = &v
			return nil
		}
	}
	target := "TIMESTAMP WITH TIME ZONE"
	if t.atUnit == "VERSION" {
		target = "BIGINT"
	}
	tree := map[string]any{
		"error": false,
		"statements": []any{map[string]any{
			"named_param_map": []any{},
			"node":            guardCastSelect(t.atExpr, target),
		}},
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return errs.Wrap(errs.Internal, guardOp, err, "encode AT expression")
	}
	var q string
	if err := conn.QueryRowContext(ctx, `SELECT json_deserialize_sql(?::JSON)`, string(b)).Scan(&q); err != nil {
		return guardDBError(ctx, err, "render AT expression")
	}
	bad := func(err error) error {
		if ctx.Err() != nil {
			return errs.Wrap(errs.KindOf(ctx.Err()), guardOp, err, "evaluate AT clause")
		}
		return errs.Wrap(errs.Invalid, guardOp, err, "AT (%s => ...) on %s must be a constant %s",
			t.atUnit, t.ref.Domain+"."+t.ref.Product+"."+t.ref.Table, strings.ToLower(t.atUnit))
	}
	if t.atUnit == "VERSION" {
		var v sql.NullInt64
		if err := conn.QueryRowContext(ctx, q).Scan(&v); err != nil || !v.Valid {
			return bad(err)
		}
		t.ref.Version = &v.Int64
		return nil
	}
	var ts sql.NullTime
	if err := conn.QueryRowContext(ctx, q).Scan(&ts); err != nil || !ts.Valid {
		return bad(err)
	}
	tv := ts.Time
	t.ref.Timestamp = &tv
	return nil
}

// guardIntConstant reports the value of an integer literal expression.
func guardIntConstant(e map[string]any) (int64, bool) {
	if e["class"] != "CONSTANT" {
		return 0, false
	}
	val, _ := e["value"].(map[string]any)
	if val == nil || val["is_null"] == true {
		return 0, false
	}
	typ, _ := val["type"].(map[string]any)
	switch typ["id"] {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT":
	default:
		return 0, false
	}
	n, ok := val["value"].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

// guardCastSelect builds the tree of SELECT CAST(expr AS target) with no FROM clause.
func guardCastSelect(expr map[string]any, target string) map[string]any {
	id := "TIMESTAMP WITH TIME ZONE"
	if target == "BIGINT" {
		id = "BIGINT"
	}
	return map[string]any{
		"type":      "SELECT_NODE",
		"modifiers": []any{},
		"cte_map":   map[string]any{"map": []any{}},
		"select_list": []any{map[string]any{
			"class": "CAST", "type": "OPERATOR_CAST", "alias": "", "query_location": json.Number("18446744073709551615"),
			"child": expr, "cast_type": map[string]any{"id": id, "type_info": nil}, "try_cast": false,
		}},
		"from_table":         map[string]any{"type": "EMPTY", "alias": "", "sample": nil, "query_location": json.Number("18446744073709551615")},
		"where_clause":       nil,
		"group_expressions":  []any{},
		"group_sets":         []any{},
		"aggregate_handling": "STANDARD_HANDLING",
		"having":             nil,
		"sample":             nil,
		"qualify":            nil,
	}
}

// guardErr builds the client-safe refusal the walker returns.
func guardErr(format string, args ...any) error {
	return errs.E(errs.Invalid, guardOp, format, args...)
}
