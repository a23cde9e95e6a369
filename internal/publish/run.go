package publish

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/quality"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

// targetFileBytes is the size at which the writer starts a new data file.
const targetFileBytes = "512MB"

// run decodes, conforms and gates the spooled upload and, if the gate
// passes, writes the data files under dataDir and returns their paths. A gate
// failure is recorded in rep and returns no files and no error; the caller
// removes dataDir whenever nothing is committed.
func (p *Publisher) run(ctx context.Context, req Request, tbl *registry.Table, path, dataDir string, rep *Report) ([]string, error) {
	const op = "publish.run"
	conn, err := p.duck.Conn(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, err, "the engine is not available")
	}
	defer conn.Close()
	t := tableSchema(tbl)
	stageTable := query.StageSchema + ".r_" + rep.RunID
	okView := "ok_" + rep.RunID
	st, err := stage(ctx, conn, req.Format, path, t, stageTable, rep.RunID)
	if err != nil {
		return nil, err
	}
	if len(st.problems) > 0 {
		rep.Problems = st.problems
		return nil, nil
	}
	defer func() {
		bg := context.WithoutCancel(ctx)
		_, _ = conn.ExecContext(bg, "DROP VIEW IF EXISTS "+query.StageSchema+"."+okView)
		_, _ = conn.ExecContext(bg, "DROP TABLE IF EXISTS "+stageTable)
		if st.rejects != "" {
			_, _ = conn.ExecContext(bg, "DROP TABLE IF EXISTS temp.main."+st.rejects)
			_, _ = conn.ExecContext(bg, "DROP TABLE IF EXISTS temp.main.scan_"+rep.RunID)
		}
	}()
	readErr := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errs.Wrap(errs.Invalid, op, err, "the file cannot be read as %s: %s", strings.ToUpper(string(req.Format)), cleanDuckErr(err, path))
	}
	if st.direct != "" {
		return p.runDirect(ctx, conn, req, tbl, st, path, dataDir, okView, rep, readErr)
	}
	decodeStart := time.Now()
	if _, err := conn.ExecContext(ctx, st.create); err != nil {
		return nil, readErr(err)
	}
	if err := p.countRows(ctx, conn, st, tbl, stageTable, rep); err != nil {
		return nil, err
	}
	rep.stage("decode", decodeStart)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE VIEW %s.%s AS SELECT %s FROM %s WHERE %s IS NULL",
		query.StageSchema, okView, columnList(t), stageTable, reasonCol)); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "stage view")
	}
	okRel := query.StageSchema + "." + okView
	gateStart := time.Now()
	if err := p.gate(ctx, conn, req, tbl, okRel, okView, rep); err != nil {
		return nil, err
	}
	rep.stage("gate", gateStart)
	if !rep.Passed() {
		return nil, nil
	}
	writeStart := time.Now()
	files, _, err := p.write(ctx, conn, t, okRel, dataDir, rep)
	rep.stage("write", writeStart)
	return files, err
}

// runDirect writes the reader's rows straight to data files in one
// pipelined pass, then gates the written files: they are this run's own and
// nobody sees them unless the gate passes and the commit names them. Rows
// that leave a required column empty are found from the files' null counts;
// if the gate tolerates them, the files are rewritten without them.
func (p *Publisher) runDirect(ctx context.Context, conn *sql.Conn, req Request, tbl *registry.Table, st *staging, path, dataDir, okView string, rep *Report, readErr func(error) error) ([]string, error) {
	const op = "publish.runDirect"
	t := tableSchema(tbl)
	copyStart := time.Now()
	var files []string
	var written int64
	var err error
	if st.adopt {
		files, written, err = adopt(ctx, conn, path, dataDir, rep)
	} else {
		files, written, err = p.write(ctx, conn, t, "("+st.direct+")", dataDir, rep)
	}
	if err != nil {
		// The engine's errors in this one pass are the reader's, unless they
		// name the data files being written (a full disk): those, and every
		// failure outside the engine, are the server's.
		var de *duckdb.Error
		if errors.As(err, &de) && de.Type != duckdb.ErrorTypeOutOfMemory && !strings.Contains(de.Msg, p.lake.Warehouse()) {
			return nil, readErr(err)
		}
		return nil, err
	}
	readerBad, err := readerRejects(ctx, conn, st, rep)
	if err != nil {
		return nil, err
	}
	rep.stage("copy", copyStart)
	writtenRel := fileRelation(files)
	if st.adopt {
		// The adopted file may lack optional columns: read them as NULL.
		if writtenRel, err = adoptedRelation(ctx, conn, t, files[0]); err != nil {
			return nil, err
		}
	}
	nullCond := requiredNull(t)
	var nullRows int64
	if nullCond != "" && written > 0 {
		if nullRows, err = p.requiredNulls(ctx, conn, t, files, writtenRel, nullCond, rep); err != nil {
			return nil, err
		}
	}
	rep.RowsRead = written + readerBad
	rep.RowsFailed = readerBad + nullRows
	rep.RowsOK = written - nullRows
	where := ""
	if nullRows > 0 {
		where = " WHERE NOT (" + nullCond + ")"
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE VIEW %s.%s AS SELECT %s FROM %s%s",
		query.StageSchema, okView, columnList(t), writtenRel, where)); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "stage view")
	}
	okRel := query.StageSchema + "." + okView
	gateStart := time.Now()
	if err := p.gate(ctx, conn, req, tbl, okRel, okView, rep); err != nil {
		return nil, err
	}
	rep.stage("gate", gateStart)
	if !rep.Passed() || nullRows == 0 {
		return files, nil
	}
	// Some rows were tolerated as rejects: write the accepted rows again
	// and drop the first files before anything is committed.
	clean, _, err := p.write(ctx, conn, t, okRel, filepath.Join(dataDir, "accepted"), rep)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "remove rewritten data file")
		}
	}
	return clean, nil
}

// adopt moves the uploaded Parquet file into the run's data directory as its
// only data file, without rewriting it, and returns its path and row count.
func adopt(ctx context.Context, conn *sql.Conn, path, dataDir string, rep *Report) ([]string, int64, error) {
	const op = "publish.adopt"
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, 0, errs.Wrap(errs.Internal, op, err, "create data directory")
	}
	target := filepath.Join(dataDir, "part-0.parquet")
	if err := os.Rename(path, target); err != nil {
		return nil, 0, errs.Wrap(errs.Internal, op, err, "move the upload into the table")
	}
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT COALESCE(sum(num_rows), 0) FROM parquet_file_metadata("+lake.Literal(target)+")").Scan(&n); err != nil {
		return nil, 0, errs.Wrap(errs.Internal, op, err, "count rows")
	}
	rep.DataFiles = 1
	return []string{target}, n, nil
}

// adoptedRelation reads an adopted file with the table's columns, NULL for
// the optional ones it does not have.
func adoptedRelation(ctx context.Context, conn *sql.Conn, t *schema.Table, file string) (string, error) {
	cols, err := describe(ctx, conn, "read_parquet("+lake.Literal(file)+")")
	if err != nil {
		return "", errs.Wrap(errs.Internal, "publish.adoptedRelation", err, "describe the adopted file")
	}
	has := map[string]bool{}
	for _, c := range cols {
		has[c.name] = true
	}
	sel := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		if has[c.Name] {
			sel[i] = lake.Quote(c.Name)
		} else {
			sel[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type.DuckDB(), lake.Quote(c.Name))
		}
	}
	return "(SELECT " + strings.Join(sel, ", ") + " FROM read_parquet(" + lake.Literal(file) + "))", nil
}

// requiredNulls counts the written rows that leave a required column empty,
// and adds up to ten of them to the examples. The files' own null counts
// answer the common case (none) without reading any data.
func (p *Publisher) requiredNulls(ctx context.Context, conn *sql.Conn, t *schema.Table, files []string, rel, cond string, rep *Report) (int64, error) {
	const op = "publish.requiredNulls"
	var req []string
	for _, c := range t.Columns {
		if c.Required {
			req = append(req, lake.Literal(c.Name))
		}
	}
	var nulls sql.NullInt64
	if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT sum(stats_null_count) FROM parquet_metadata(%s) WHERE path_in_schema IN (%s)",
		fileList(files), strings.Join(req, ", "))).Scan(&nulls); err != nil {
		return 0, errs.Wrap(errs.Internal, op, err, "read null counts")
	}
	if nulls.Valid && nulls.Int64 == 0 {
		return 0, nil
	}
	var n int64
	if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", rel, cond)).Scan(&n); err != nil {
		return 0, errs.Wrap(errs.Internal, op, err, "count required values")
	}
	if n == 0 || len(rep.Rejects) >= 10 {
		return n, nil
	}
	var reasons, cells []string
	for _, c := range t.Columns {
		cells = append(cells, "CAST("+lake.Quote(c.Name)+" AS VARCHAR)")
		if c.Required {
			reasons = append(reasons, fmt.Sprintf("CASE WHEN %s IS NULL THEN %s END", lake.Quote(c.Name), lake.Literal(c.Name+": a value is required")))
		}
	}
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT concat_ws('; ', %s), concat_ws(',', %s) FROM %s WHERE %s LIMIT %d",
		strings.Join(reasons, ", "), strings.Join(cells, ", "), rel, cond, 10-len(rep.Rejects)))
	if err != nil {
		return 0, errs.Wrap(errs.Internal, op, err, "read rejected rows")
	}
	defer rows.Close()
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Reason, &r.Row); err != nil {
			return 0, errs.Wrap(errs.Internal, op, err, "read rejected rows")
		}
		if col, _, ok := strings.Cut(r.Reason, ":"); ok {
			r.Column = col
		}
		r.Reason, r.Row = clip(r.Reason), clip(r.Row)
		rep.Rejects = append(rep.Rejects, r)
	}
	return n, rows.Err()
}

// requiredNull is the condition of a row that leaves a required column empty.
func requiredNull(t *schema.Table) string {
	var conds []string
	for _, c := range t.Columns {
		if c.Required {
			conds = append(conds, lake.Quote(c.Name)+" IS NULL")
		}
	}
	return strings.Join(conds, " OR ")
}

func columnList(t *schema.Table) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = lake.Quote(c.Name)
	}
	return strings.Join(cols, ", ")
}

func fileList(files []string) string {
	lits := make([]string, len(files))
	for i, f := range files {
		lits[i] = lake.Literal(f)
	}
	return "[" + strings.Join(lits, ", ") + "]"
}

// fileRelation reads this run's written files (never hive-partitioned
// columns from their directory names: the files hold every column).
func fileRelation(files []string) string {
	return "read_parquet(" + fileList(files) + ", hive_partitioning = false)"
}

// countRows fills in the row counts and up to ten rejected examples of a
// staged run.
func (p *Publisher) countRows(ctx context.Context, conn *sql.Conn, st *staging, tbl *registry.Table, stageTable string, rep *Report) error {
	const op = "publish.countRows"
	var staged, bad int64
	if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*), count(%s) FROM %s", reasonCol, stageTable)).Scan(&staged, &bad); err != nil {
		return errs.Wrap(errs.Internal, op, err, "count rows")
	}
	readerBad, err := readerRejects(ctx, conn, st, rep)
	if err != nil {
		return err
	}
	if bad > 0 && len(rep.Rejects) < 10 {
		var cells []string
		for _, c := range tableSchema(tbl).Columns {
			cells = append(cells, "CAST("+lake.Quote(c.Name)+" AS VARCHAR)")
		}
		rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT %s, %s, concat_ws(',', %s) FROM %s WHERE %s IS NOT NULL ORDER BY %s LIMIT %d",
			lineCol, reasonCol, strings.Join(cells, ", "), stageTable, reasonCol, lineCol, 10-len(rep.Rejects)))
		if err != nil {
			return errs.Wrap(errs.Internal, op, err, "read rejected rows")
		}
		defer rows.Close()
		for rows.Next() {
			var line sql.NullInt64
			var r Reject
			if err := rows.Scan(&line, &r.Reason, &r.Row); err != nil {
				return errs.Wrap(errs.Internal, op, err, "read rejected rows")
			}
			r.Line = line.Int64
			if col, _, ok := strings.Cut(r.Reason, ":"); ok {
				r.Column = col
			}
			r.Reason, r.Row = clip(r.Reason), clip(r.Row)
			rep.Rejects = append(rep.Rejects, r)
		}
		if err := rows.Err(); err != nil {
			return errs.Wrap(errs.Internal, op, err, "read rejected rows")
		}
		sort.SliceStable(rep.Rejects, func(i, j int) bool { return rep.Rejects[i].Line < rep.Rejects[j].Line })
	}
	rep.RowsRead = staged + readerBad
	rep.RowsFailed = bad + readerBad
	rep.RowsOK = staged - bad
	return nil
}

// readerRejects counts the rows the CSV reader itself rejected (they do
// not reach the staging table or the files) and adds up to ten examples.
func readerRejects(ctx context.Context, conn *sql.Conn, st *staging, rep *Report) (int64, error) {
	const op = "publish.readerRejects"
	if st.rejects == "" {
		return 0, nil
	}
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT count(DISTINCT line) FROM temp.main."+st.rejects).Scan(&n); err != nil {
		return 0, errs.Wrap(errs.Internal, op, err, "count rejected rows")
	}
	if n == 0 {
		return 0, nil
	}
	rows, err := conn.QueryContext(ctx, "SELECT line, COALESCE(column_name, ''), error_message, csv_line FROM temp.main."+st.rejects+" ORDER BY line LIMIT 10")
	if err != nil {
		return 0, errs.Wrap(errs.Internal, op, err, "read rejected rows")
	}
	defer rows.Close()
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Line, &r.Column, &r.Reason, &r.Row); err != nil {
			return 0, errs.Wrap(errs.Internal, op, err, "read rejected rows")
		}
		r.Reason, r.Row = clip(r.Reason), clip(r.Row)
		rep.Rejects = append(rep.Rejects, r)
	}
	return n, rows.Err()
}

// gate measures the contract's constraints and quality rules, and the
// stats of the classified columns the policy gate judges, in one pass; then
// asks the policy gate, if there is one.
func (p *Publisher) gate(ctx context.Context, conn *sql.Conn, req Request, tbl *registry.Table, okRel, okView string, rep *Report) error {
	const op = "publish.gate"
	t := tableSchema(tbl)
	id := req.Table
	checks, err := quality.Compile(tbl.Def.Object, t, id.String())
	if err != nil {
		return errs.Wrap(errs.Invalid, op, err, "the contract's quality rules cannot run: %v", err)
	}
	type constraint struct{ name, column, expr string }
	var cons []constraint
	if len(t.PrimaryKey) > 0 {
		var ks []string
		for _, k := range t.PrimaryKey {
			ks = append(ks, lake.Quote(k))
		}
		tuple := "(" + strings.Join(ks, ", ") + ")"
		if len(ks) == 1 {
			tuple = ks[0]
		}
		cons = append(cons, constraint{"primaryKey.duplicates", strings.Join(t.PrimaryKey, ","), fmt.Sprintf("count(*) - count(DISTINCT %s)", tuple)})
		if req.Mode == lake.Append && rep.PreviousSnapshotID != 0 {
			existing, err := p.currentRelation(ctx, conn, id)
			if err != nil {
				return err
			}
			cons = append(cons, constraint{"primaryKey.existing", strings.Join(t.PrimaryKey, ","),
				fmt.Sprintf("(SELECT count(*) FROM %s AS n SEMI JOIN %s AS e USING (%s))", okRel, existing, strings.Join(ks, ", "))})
		}
	}
	for _, c := range t.Columns {
		if c.Unique && !(len(t.PrimaryKey) == 1 && t.PrimaryKey[0] == c.Name) {
			q := lake.Quote(c.Name)
			cons = append(cons, constraint{"unique.duplicates", c.Name, fmt.Sprintf("count(%s) - count(DISTINCT %s)", q, q)})
		}
	}
	extra := make([]string, len(cons))
	for i, c := range cons {
		extra[i] = c.expr
	}
	var measured []classified
	if p.policy != nil {
		measured = policyColumns(tbl)
		if err := p.chooseMeasured(ctx, req, measured); err != nil {
			return err
		}
		extra = append(extra, policyStatsExprs(measured, len(extra))...)
	}
	rewrite := func(ctx context.Context, q string) (string, error) {
		if p.guard == nil {
			return "", fmt.Errorf("sql rules are disabled")
		}
		rw, err := p.guard.Rewrite(ctx, conn, q, stageBinder{tbl: tbl, view: okView})
		if err != nil {
			_, msg, _ := errs.Public(err)
			return "", fmt.Errorf("the rule's query is refused: %s", msg)
		}
		return rw.SQL, nil
	}
	results, values, err := quality.Run(ctx, conn, okRel, checks, extra, rewrite)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errs.Wrap(errs.Internal, op, err, "measure quality")
	}
	rep.Quality = results
	rep.Contract = append(rep.Contract, constraintResult("rejectedRows", "", float64(rep.RowsFailed),
		fmt.Sprintf("mustBeLessOrEqualTo %d", req.MaxRejects), rep.RowsFailed <= req.MaxRejects))
	rep.Contract = append(rep.Contract, constraintResult("acceptedRows", "", float64(rep.RowsOK), "mustBeGreaterThan 0", rep.RowsOK > 0))
	for i, c := range cons {
		rep.Contract = append(rep.Contract, constraintResult(c.name, c.column, values[i], "mustBe 0", values[i] == 0))
	}
	if p.policy != nil {
		return p.checkPolicy(ctx, req, tbl, measured, values, rep)
	}
	return nil
}

func constraintResult(name, column string, v float64, exp string, ok bool) quality.Result {
	return quality.Result{Name: name, Column: column, Metric: "constraint", Severity: "error", Value: &v,
		Unit: "rows", Expectation: exp, Passed: ok, Blocking: true}
}

// currentRelation is the table's current data, read as queries read it.
func (p *Publisher) currentRelation(ctx context.Context, conn *sql.Conn, id lake.Ident) (string, error) {
	tbl, err := p.lake.Load(ctx, id)
	if err != nil {
		return "", err
	}
	plan, err := p.lake.PlanScan(ctx, id, tbl, tbl.CurrentSnapshot())
	if err != nil {
		return "", err
	}
	return plan.Relation(ctx, conn)
}

// write writes the rows of rel as Parquet data files with Iceberg field ids
// under dir, one directory per partition, and returns their paths and the
// number of rows written.
func (p *Publisher) write(ctx context.Context, conn *sql.Conn, t *schema.Table, rel, dir string, rep *Report) ([]string, int64, error) {
	const op = "publish.write"
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, 0, errs.Wrap(errs.Internal, op, err, "create data directory")
	}
	var sel, ids []string
	for _, c := range t.Columns {
		sel = append(sel, lake.Quote(c.Name))
		ids = append(ids, fmt.Sprintf("%s: %d", lake.Quote(c.Name), c.FieldID))
	}
	opts := []string{"FORMAT parquet", "FIELD_IDS {" + strings.Join(ids, ", ") + "}", "FILENAME_PATTERN 'part-{i}'"}
	if len(t.Partition) > 0 {
		var parts []string
		for i, pf := range t.Partition {
			name := fmt.Sprintf("p%d_%s", i, pf.Column)
			c, _ := t.Column(pf.Column)
			expr := transformExpr(pf, c.Type)
			sel = append(sel, fmt.Sprintf("%s AS %s", expr, lake.Quote(name)))
			parts = append(parts, lake.Quote(name))
		}
		opts = append(opts, "PARTITION_BY ("+strings.Join(parts, ", ")+")", "WRITE_PARTITION_COLUMNS false")
	} else {
		opts = append(opts, "FILE_SIZE_BYTES '"+targetFileBytes+"'")
	}
	q := fmt.Sprintf("COPY (SELECT %s FROM %s) TO %s (%s)", strings.Join(sel, ", "), rel, lake.Literal(dir), strings.Join(opts, ", "))
	var n int64
	if err := conn.QueryRowContext(ctx, q).Scan(&n); err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, errs.Wrap(errs.Internal, op, err, "write data files")
	}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".parquet") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, 0, errs.Wrap(errs.Internal, op, err, "list data files")
	}
	sort.Strings(files)
	rep.DataFiles = len(files)
	return files, n, nil
}

func transformExpr(pf schema.PartitionField, typ schema.Type) string {
	c := lake.Quote(pf.Column)
	if typ.Kind == schema.TimestampTZ && pf.Transform != "identity" {
		// Iceberg's transforms of a timestamptz work in UTC; DuckDB's date
		// parts work in the session's time zone, the server's local one.
		c = "timezone('UTC', " + c + ")"
	}
	switch pf.Transform {
	case "year":
		return "year(" + c + ")"
	case "month":
		return "strftime(" + c + ", '%Y-%m')"
	case "day":
		return "CAST(" + c + " AS DATE)"
	case "hour":
		return "strftime(" + c + ", '%Y-%m-%d-%H')"
	}
	return c
}

// stageBinder lets an sql quality rule read the table being published, and
// nothing else: the name resolves to the rows about to be committed.
type stageBinder struct {
	tbl  *registry.Table
	view string
}

func (b stageBinder) Bind(_ context.Context, ref query.TableRef) (string, string, error) {
	t := b.tbl
	if ref.Domain == t.Domain && ref.Product == t.Product && ref.Table == t.Name && (ref.Major == nil || *ref.Major == t.Major) &&
		ref.Version == nil && ref.Timestamp == nil {
		return query.StageSchema, b.view, nil
	}
	return "", "", errs.E(errs.NotFound, "publish.stageBinder", "sql quality rules may only read ${table} (%s), not %s", t.Address(), ref)
}

func clip(s string) string {
	if len(s) > 240 {
		return s[:240] + "..."
	}
	return s
}
