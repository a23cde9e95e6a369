package publish

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/schema"
)

// staging is how one upload becomes a staging table.
type staging struct {
	create string // CREATE TABLE ... AS SELECT: typed contract columns, __reason (NULL for good rows) and __line
	// direct, when set, selects the typed contract columns straight from the
	// reader: every cast is the reader's own (its failures land in rejects),
	// so the rows can be written without staging them first.
	direct   string
	rejects  string   // the reader's own reject table (CSV), or ""
	problems []string // structural problems: the file's columns do not fit the contract
	// adopt, when set, means the uploaded Parquet file itself can become the
	// data file: its columns are the contract's, by name and type, it has no
	// field ids of its own, and the table is not partitioned. Iceberg reads
	// it through the table's name mapping, as add_files does.
	adopt bool
}

// reasonCol and lineCol are the staging table's bookkeeping columns.
const (
	reasonCol = "__reason"
	lineCol   = "__line"
)

// stage plans the decode of the spooled file at path into the staging table.
func stage(ctx context.Context, conn *sql.Conn, f Format, path string, t *schema.Table, table, run string) (*staging, error) {
	switch f {
	case CSV:
		header, err := csvHeader(path)
		if err != nil {
			return nil, err
		}
		return stageCSV(header, path, t, table, run), nil
	case NDJSON:
		keys, err := ndjsonKeys(path, 1000)
		if err != nil {
			return nil, err
		}
		return stageNDJSON(keys, path, t, table), nil
	case Parquet:
		cols, err := describe(ctx, conn, "read_parquet("+lake.Literal(path)+")")
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, "publish.stage", err, "the file cannot be read as Parquet: %s", cleanDuckErr(err, path))
		}
		var ids int
		if err := conn.QueryRowContext(ctx, "SELECT count(field_id) FROM parquet_schema("+lake.Literal(path)+")").Scan(&ids); err != nil {
			return nil, errs.Wrap(errs.Invalid, "publish.stage", err, "the file cannot be read as Parquet: %s", cleanDuckErr(err, path))
		}
		st := stageParquet(cols, path, t, table)
		st.adopt = st.direct != "" && ids == 0 && len(t.Partition) == 0
		return st, nil
	}
	return nil, errs.E(errs.Unsupported, "publish.stage", "format %q is not supported", f)
}

// fit matches the file's columns to the contract's: every file column must
// be a contract column, once; every required contract column must be there.
func fit(fileCols []string, t *schema.Table, what string) (present map[string]bool, problems []string) {
	present = map[string]bool{}
	var extra []string
	for _, c := range fileCols {
		if present[c] {
			problems = append(problems, fmt.Sprintf("%s %q appears twice", what, c))
			continue
		}
		present[c] = true
		if _, ok := t.Column(c); !ok {
			extra = append(extra, c)
		}
	}
	sort.Strings(extra)
	for _, c := range extra {
		problems = append(problems, fmt.Sprintf("%s %q is not in the contract", what, c))
	}
	for _, c := range t.Columns {
		if c.Required && !present[c.Name] {
			problems = append(problems, fmt.Sprintf("required column %q is missing", c.Name))
		}
	}
	return present, problems
}

func stageCSV(header []string, path string, t *schema.Table, table, run string) *staging {
	present, problems := fit(header, t, "column")
	st := &staging{problems: problems, rejects: "rejects_" + run}
	if len(problems) > 0 {
		return st
	}
	var cols []string
	for _, h := range header {
		c, _ := t.Column(h)
		cols = append(cols, fmt.Sprintf("%s: %s", lake.Literal(h), lake.Literal(c.Type.DuckDB())))
	}
	reader := fmt.Sprintf("read_csv(%s, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "+
		"columns = {%s}, store_rejects = true, rejects_table = %s, rejects_scan = %s, max_line_size = %d)",
		lake.Literal(path), strings.Join(cols, ", "), lake.Literal(st.rejects), lake.Literal("scan_"+run), maxLineSize)
	var sel []string
	var reasons []check
	for _, c := range t.Columns {
		if present[c.Name] {
			sel = append(sel, lake.Quote(c.Name))
		} else {
			sel = append(sel, fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type.DuckDB(), lake.Quote(c.Name)))
		}
		if c.Required {
			reasons = append(reasons, requiredCheck(c, lake.Quote(c.Name)))
		}
	}
	st.create = createStage(table, sel, reasons, "CAST(NULL AS BIGINT)", reader)
	st.direct = "SELECT " + strings.Join(sel, ", ") + " FROM " + reader
	return st
}

func stageNDJSON(keys []string, path string, t *schema.Table, table string) *staging {
	_, problems := fit(keys, t, "field")
	// A required field missing from the first lines may still come later:
	// rows without it are rejected one by one instead.
	problems = onlyExtra(problems)
	st := &staging{problems: problems}
	if len(problems) > 0 {
		return st
	}
	var cols, inner []string
	for i, c := range t.Columns {
		raw := fmt.Sprintf("__raw%d", i)
		cols = append(cols, fmt.Sprintf("%s: 'JSON'", lake.Literal(c.Name)))
		q := lake.Quote(c.Name)
		nonNull := fmt.Sprintf("CASE WHEN json_type(%s) = 'NULL' THEN NULL ELSE %s END", q, q)
		var conv string
		if c.Type.Kind == schema.String {
			conv = fmt.Sprintf("CASE WHEN json_type(%s) = 'VARCHAR' THEN %s->>'$' ELSE CAST(%s AS VARCHAR) END", q, q, q)
		} else {
			conv = fmt.Sprintf("TRY_CAST(%s AS %s)", q, c.Type.DuckDB())
		}
		inner = append(inner, fmt.Sprintf("%s AS %s", conv, q), fmt.Sprintf("CAST(%s AS VARCHAR) AS %s", nonNull, raw))
	}
	reader := fmt.Sprintf("(SELECT %s, row_number() OVER () AS %s FROM read_json(%s, format = 'newline_delimited', columns = {%s}, maximum_object_size = %d))",
		strings.Join(inner, ", "), lineCol, lake.Literal(path), strings.Join(cols, ", "), maxLineSize)
	st.create = castStage(t, table, reader, lineCol, func(i int) string { return fmt.Sprintf("__raw%d", i) })
	return st
}

func stageParquet(fileCols []column, path string, t *schema.Table, table string) *staging {
	names := make([]string, len(fileCols))
	types := map[string]string{}
	for i, c := range fileCols {
		names[i] = c.name
		types[c.name] = c.typ
	}
	present, problems := fit(names, t, "column")
	st := &staging{problems: problems}
	if len(problems) > 0 {
		return st
	}
	var inner []string
	rawOf := map[int]string{}
	for i, c := range t.Columns {
		q := lake.Quote(c.Name)
		switch {
		case !present[c.Name]:
			inner = append(inner, fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type.DuckDB(), q))
		case strings.EqualFold(types[c.Name], c.Type.DuckDB()):
			inner = append(inner, q)
		default:
			raw := fmt.Sprintf("__raw%d", i)
			rawOf[i] = raw
			inner = append(inner, fmt.Sprintf("TRY_CAST(%s AS %s) AS %s", q, c.Type.DuckDB(), q), fmt.Sprintf("CAST(%s AS VARCHAR) AS %s", q, raw))
		}
	}
	reader := fmt.Sprintf("(SELECT %s, file_row_number + 1 AS %s FROM read_parquet(%s, file_row_number = true))",
		strings.Join(inner, ", "), lineCol, lake.Literal(path))
	if len(rawOf) == 0 {
		st.direct = fmt.Sprintf("SELECT %s FROM read_parquet(%s)", strings.Join(inner, ", "), lake.Literal(path))
	}
	st.create = castStage(t, table, reader, lineCol, func(i int) string { return rawOf[i] })
	return st
}

// castStage builds the staging query over a relation holding each cast
// column and (when a cast can fail) its raw text.
func castStage(t *schema.Table, table, reader, line string, raw func(int) string) string {
	var sel []string
	var reasons []check
	for i, c := range t.Columns {
		q := lake.Quote(c.Name)
		sel = append(sel, q)
		nullTest := q
		if r := raw(i); r != "" {
			reasons = append(reasons, check{
				cond: fmt.Sprintf("(%s IS NOT NULL AND %s IS NULL)", r, q),
				msg:  fmt.Sprintf("%s || left(%s, 80) || %s", lake.Literal(c.Name+": cannot convert "), r, lake.Literal(" to "+c.Type.DuckDB())),
			})
			nullTest = r
		}
		if c.Required {
			reasons = append(reasons, requiredCheck(c, nullTest))
		}
	}
	return createStage(table, sel, reasons, line, reader)
}

// check is one way a row can be rejected: a condition and the reason's text.
type check struct{ cond, msg string }

func requiredCheck(c schema.Column, value string) check {
	return check{cond: value + " IS NULL", msg: lake.Literal(c.Name + ": a value is required")}
}

// createStage builds the staging query. A good row's reason is NULL and
// costs one boolean test; the text is only built for rejected rows.
func createStage(table string, sel []string, checks []check, line, from string) string {
	reason := "CAST(NULL AS VARCHAR)"
	if len(checks) > 0 {
		conds := make([]string, len(checks))
		msgs := make([]string, len(checks))
		for i, c := range checks {
			conds[i] = c.cond
			msgs[i] = fmt.Sprintf("CASE WHEN %s THEN %s END", c.cond, c.msg)
		}
		reason = fmt.Sprintf("CASE WHEN %s THEN concat_ws('; ', %s) END", strings.Join(conds, " OR "), strings.Join(msgs, ", "))
	}
	return fmt.Sprintf("CREATE TABLE %s AS SELECT %s, %s AS %s, %s AS %s FROM %s",
		table, strings.Join(sel, ", "), reason, reasonCol, line, lineCol, from)
}

func onlyExtra(problems []string) []string {
	var out []string
	for _, p := range problems {
		if !strings.HasPrefix(p, "required column") {
			out = append(out, p)
		}
	}
	return out
}

type column struct{ name, typ string }

// describe returns the columns of a relation.
func describe(ctx context.Context, conn *sql.Conn, relation string) ([]column, error) {
	rows, err := conn.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+relation+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// cleanDuckErr makes a DuckDB error safe to show a client: the server's
// paths are replaced and only the first line is kept.
func cleanDuckErr(err error, paths ...string) string {
	s := err.Error()
	for _, p := range paths {
		if p != "" {
			s = strings.ReplaceAll(s, p, "<upload>")
		}
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
