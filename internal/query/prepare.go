package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/meshwork/meshwork/internal/errs"
)

// Description is what a query takes and returns, known before it runs: the
// types of its positional parameters ($1 first) and its result columns. Type
// names are DuckDB's, as in Column.Type ("" for a parameter whose type
// DuckDB cannot infer, e.g. SELECT $1).
type Description struct {
	Params  []string
	Columns []Column
}

// Describe checks and rewrites sqlText for the caller in ctx exactly as Query
// does, then prepares it without running it. Wire protocols describe a
// statement before its parameters are known (PostgreSQL's Parse/Describe).
// The governed query the caller may run is what is described, so masked
// columns carry the masked type.
func (e *Engine) Describe(ctx context.Context, sqlText string) (Description, error) {
	const op = "query.Describe"
	qctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	conn, err := e.db.Conn(qctx)
	if err != nil {
		return Description{}, errs.Wrap(errs.Unavailable, op, err, "the query engine is not available")
	}
	defer conn.Close()
	b := &binder{v: e.views, snapshots: map[string]int64{}}
	rw, err := e.rewrite(qctx, conn, sqlText, b)
	if err != nil {
		return Description{}, userError(qctx, err, e.timeout, e.hide, b.sensitive)
	}
	var d Description
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errs.E(errs.Internal, op, "duckdb connection cannot prepare")
		}
		st, err := pc.PrepareContext(qctx, rw.SQL)
		if err != nil {
			return err
		}
		defer func() { _ = st.Close() }()
		s, ok := st.(*duckdb.Stmt)
		if !ok {
			return errs.E(errs.Internal, op, "unexpected statement type %T", st)
		}
		for i := 1; i <= s.NumInput(); i++ {
			t, err := s.ParamType(i)
			if err != nil {
				return err
			}
			d.Params = append(d.Params, paramTypeName(t))
		}
		n, err := s.ColumnCount()
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			name, err := s.ColumnName(i)
			if err != nil {
				return err
			}
			typ := ""
			// A parameter whose type DuckDB cannot infer leaves every
			// column's type open until values are bound.
			if ti, err := s.ColumnTypeInfo(i); err == nil {
				typ = TypeName(ti)
			}
			d.Columns = append(d.Columns, Column{Name: name, Type: typ})
		}
		return nil
	})
	if err != nil {
		return Description{}, userError(qctx, err, e.timeout, e.hide, b.sensitive)
	}
	if slices.ContainsFunc(d.Columns, func(c Column) bool { return c.Type == "" }) {
		if err := e.describeOpen(qctx, conn, rw.SQL, &d); err != nil {
			return Description{}, userError(qctx, err, e.timeout, e.hide, b.sensitive)
		}
	}
	e.describeAliases(qctx, conn, rw.SQL, &d)
	return d, nil
}

// describeOpen types the columns of a statement whose parameters are open
// by running it on no rows with every parameter NULL: the types a client is
// told then are those of that run (an untyped parameter is sent as its
// value's type when the statement runs for real).
func (e *Engine) describeOpen(ctx context.Context, conn *sql.Conn, rewritten string, d *Description) error {
	// Open parameters are text first, as in PostgreSQL ($1 || 'b' is a
	// string); where text does not bind ($1 + 1), NULL.
	args := make([]any, len(d.Params))
	for i, p := range d.Params {
		if p == "" {
			args[i] = ""
		}
	}
	q := "SELECT * FROM (" + rewritten + ") LIMIT 0"
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		rows, err = conn.QueryContext(ctx, q, make([]any, len(d.Params))...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	// The prepared statement's columns are placeholders then: take all.
	d.Columns = d.Columns[:0]
	for _, t := range types {
		d.Columns = append(d.Columns, Column{Name: t.Name(), Type: t.DatabaseTypeName()})
	}
	return rows.Err()
}

// describeAliases restores the type aliases a prepared statement does not
// report (JSON is a VARCHAR with an alias) with DuckDB's DESCRIBE, which
// names them. It needs no parameters, so it runs only without them; on any
// failure the plain types stand.
func (e *Engine) describeAliases(ctx context.Context, conn *sql.Conn, rewritten string, d *Description) {
	if len(d.Params) > 0 || !slices.ContainsFunc(d.Columns, func(c Column) bool { return c.Type == "VARCHAR" }) {
		return
	}
	rows, err := conn.QueryContext(ctx, "DESCRIBE "+rewritten)
	if err != nil {
		return
	}
	defer rows.Close()
	var types []string
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return
		}
		types = append(types, typ)
	}
	if rows.Err() != nil || len(types) != len(d.Columns) {
		return
	}
	for i, t := range types {
		if d.Columns[i].Type == "VARCHAR" && t == "JSON" {
			d.Columns[i].Type = t
		}
	}
}

// paramTypeName names a parameter's inferred type; "" when DuckDB left it open.
func paramTypeName(t duckdb.Type) string {
	switch t {
	case duckdb.TYPE_INVALID, duckdb.TYPE_ANY, duckdb.TYPE_SQLNULL:
		return ""
	}
	ti, err := duckdb.NewTypeInfo(t)
	if err != nil {
		return ""
	}
	return TypeName(ti)
}

// TypeName spells a DuckDB type the way the driver names result columns
// (Column.Type): "INTEGER", "DECIMAL(15,2)", "VARCHAR[]".
func TypeName(ti duckdb.TypeInfo) string {
	switch d := ti.Details().(type) {
	case *duckdb.DecimalDetails:
		return "DECIMAL(" + strconv.Itoa(int(d.Width)) + "," + strconv.Itoa(int(d.Scale)) + ")"
	case *duckdb.ListDetails:
		return TypeName(d.Child) + "[]"
	case *duckdb.ArrayDetails:
		return TypeName(d.Child) + "[" + strconv.FormatUint(d.Size, 10) + "]"
	case *duckdb.EnumDetails:
		return "ENUM"
	case *duckdb.MapDetails:
		return "MAP(" + TypeName(d.Key) + ", " + TypeName(d.Value) + ")"
	case *duckdb.StructDetails:
		var b strings.Builder
		b.WriteString("STRUCT(")
		for i, e := range d.Entries {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(e.Name() + " " + TypeName(e.Info()))
		}
		b.WriteString(")")
		return b.String()
	}
	return typeNames[ti.InternalType()]
}

// typeNames are the driver's names of the simple types.
var typeNames = map[duckdb.Type]string{
	duckdb.TYPE_BOOLEAN: "BOOLEAN", duckdb.TYPE_TINYINT: "TINYINT", duckdb.TYPE_SMALLINT: "SMALLINT",
	duckdb.TYPE_INTEGER: "INTEGER", duckdb.TYPE_BIGINT: "BIGINT", duckdb.TYPE_UTINYINT: "UTINYINT",
	duckdb.TYPE_USMALLINT: "USMALLINT", duckdb.TYPE_UINTEGER: "UINTEGER", duckdb.TYPE_UBIGINT: "UBIGINT",
	duckdb.TYPE_FLOAT: "FLOAT", duckdb.TYPE_DOUBLE: "DOUBLE", duckdb.TYPE_TIMESTAMP: "TIMESTAMP",
	duckdb.TYPE_DATE: "DATE", duckdb.TYPE_TIME: "TIME", duckdb.TYPE_INTERVAL: "INTERVAL",
	duckdb.TYPE_HUGEINT: "HUGEINT", duckdb.TYPE_UHUGEINT: "UHUGEINT", duckdb.TYPE_VARCHAR: "VARCHAR",
	duckdb.TYPE_BLOB: "BLOB", duckdb.TYPE_TIMESTAMP_S: "TIMESTAMP_S", duckdb.TYPE_TIMESTAMP_MS: "TIMESTAMP_MS",
	duckdb.TYPE_TIMESTAMP_NS: "TIMESTAMP_NS", duckdb.TYPE_UUID: "UUID", duckdb.TYPE_BIT: "BIT",
	duckdb.TYPE_TIME_TZ: "TIMETZ", duckdb.TYPE_TIMESTAMP_TZ: "TIMESTAMPTZ", duckdb.TYPE_BIGNUM: "BIGNUM",
}

// Timeout is the longest a query may run on this engine.
func (e *Engine) Timeout() time.Duration { return e.timeout }
