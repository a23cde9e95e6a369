package publish

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

// The statuses of a branch publish that did not commit, besides
// StatusGateFailed.
const (
	// StatusStale: main moved since the branch was made (or while it was
	// audited), so it cannot be fast-forwarded; the branch stays.
	StatusStale = "stale"
	// StatusFailed: the audit could not run; main is unchanged.
	StatusFailed = "failed"
	// StatusUnknown: the gates passed but the fast-forward of main failed
	// with an unknown outcome: main may or may not be the snapshot now.
	StatusUnknown = "unknown"
)

// BranchRequest asks to publish a snapshot that a writer committed onto a
// branch of a table (write-audit-publish): the gates judge it and, if it
// passes, main is fast-forwarded to it.
type BranchRequest struct {
	Domain, Product, Table string
	Major                  int
	Branch                 string
	Snapshot               int64
}

// PublishBranch audits the branch's snapshot as a publish of its data:
// the rows it adds over main (or, when it removes files of main, all of its
// rows) must keep the contract (types, required columns, primary key,
// unique columns), pass the quality rules and the publish policies. Rows
// cannot be left out (the files are the writer's), so any rejected row
// fails the gate. If everything passes, main is moved to the snapshot in
// one atomic commit that requires main to still be where the audit found
// it. The run is recorded like a publish; the snapshot's files are never
// deleted, whatever the outcome.
//
// The report says the outcome: committed (main is the snapshot now),
// gate_failed, stale (main moved: commit again on a branch of main's
// current snapshot), failed or unknown (the fast-forward's outcome). The
// error is set only with failed and unknown.
func (p *Publisher) PublishBranch(ctx context.Context, req BranchRequest) (*Report, error) {
	const op = "publish.PublishBranch"
	start := time.Now()
	major := req.Major
	tbl, err := p.reg.Resolve(ctx, req.Domain, req.Product, req.Table, &major, start)
	if err != nil {
		return nil, err
	}
	id := lake.Ident{Domain: tbl.Domain, Product: tbl.Namespace, Table: tbl.Name}
	rep := &Report{RunID: newRunID(), Table: tbl.Address(), Mode: string(lake.Append), Format: "iceberg",
		Branch: req.Branch, BranchSnapshotID: req.Snapshot}
	unlock := p.lock(id)
	defer unlock()
	done := func(status string, snap *int64, err error) (*Report, error) {
		rep.Status = status
		rep.DurationMs = float64(time.Since(start).Microseconds()) / 1000
		if err != nil {
			_, msg, _ := errs.Public(err)
			rep.Problems = append(rep.Problems, msg)
		}
		p.record(ctx, tbl, Request{Mode: lake.Mode(rep.Mode)}, rep, start, snap)
		p.log.InfoContext(ctx, "branch publish", "table", id.String(), "branch", req.Branch, "snapshot", req.Snapshot, "run", rep.RunID, "status", status)
		return rep, err
	}
	cur, err := p.lake.Load(ctx, id)
	if err != nil {
		return done(StatusFailed, nil, err)
	}
	snap := cur.SnapshotByID(req.Snapshot)
	if snap == nil {
		return done(StatusFailed, nil, errs.E(errs.NotFound, op, "table %s has no snapshot %d", id, req.Snapshot))
	}
	main := cur.CurrentSnapshot()
	var from *int64
	if main != nil {
		from = &main.SnapshotID
		rep.PreviousSnapshotID = main.SnapshotID
		if main.SnapshotID == snap.SnapshotID {
			rep.SnapshotID = snap.SnapshotID
			return done(StatusCommitted, &snap.SnapshotID, nil)
		}
		if !table.IsAncestorOf(snap.SnapshotID, main.SnapshotID, cur.SnapshotByID) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("branch %s (snapshot %d) does not descend from main's current snapshot %d: "+
				"main cannot be fast-forwarded; commit again on a branch made from main", req.Branch, snap.SnapshotID, main.SnapshotID))
			return done(StatusStale, nil, nil)
		}
	}
	ok, err := p.auditSnapshot(ctx, tbl, id, cur, snap, main, rep)
	if err != nil {
		return done(StatusFailed, nil, err)
	}
	if !ok {
		return done(StatusGateFailed, nil, nil)
	}
	if _, err := p.lake.FastForward(ctx, id, snap.SnapshotID, from); err != nil {
		if errors.Is(err, lake.ErrRequirement) {
			rep.Problems = append(rep.Problems, "main moved while the branch was audited: commit again on a branch made from main")
			return done(StatusStale, nil, nil)
		}
		if errors.Is(err, lake.ErrUnknownOutcome) {
			return done(StatusUnknown, nil, err)
		}
		return done(StatusFailed, nil, err)
	}
	rep.SnapshotID = snap.SnapshotID
	return done(StatusCommitted, &snap.SnapshotID, nil)
}

// auditSnapshot runs the gates over snap's data and reports whether it
// passed.
func (p *Publisher) auditSnapshot(ctx context.Context, tbl *registry.Table, id lake.Ident, cur *table.Table, snap, main *table.Snapshot, rep *Report) (bool, error) {
	const op = "publish.auditSnapshot"
	bplan, err := p.lake.PlanScanCached(ctx, id, cur, snap)
	if err != nil {
		return false, err
	}
	inMain := map[string]bool{}
	if main != nil {
		mplan, err := p.lake.PlanScanCached(ctx, id, cur, main)
		if err != nil {
			return false, err
		}
		for _, f := range mplan.Files {
			inMain[f] = true
		}
	}
	var added []string
	kept := 0
	for _, f := range bplan.Files {
		if inMain[f] {
			kept++
		} else {
			added = append(added, f)
		}
	}
	mode, batch := lake.Append, added
	if kept < len(inMain) {
		// Files of main are gone: judge the whole result, as a replace.
		mode, batch = lake.Replace, bplan.Files
	}
	rep.Mode = string(mode)
	rep.DataFiles = len(batch)

	conn, err := p.duck.Conn(ctx)
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, op, err, "the engine is not available")
	}
	defer conn.Close()
	t := tableSchema(tbl)
	// main's files passed when they were published (some were adopted
	// without field ids, read through the name mapping): check the new ones.
	probs, err := fileTypeProblems(ctx, conn, added, t, p.lake.Location(id))
	if err != nil {
		return false, err
	}
	if len(probs) > 0 {
		rep.Problems = append(rep.Problems, probs...)
		return false, nil
	}
	plan := &lake.Plan{Table: id, SnapshotID: snap.SnapshotID, Columns: bplan.Columns, Files: batch}
	rel, err := plan.Relation(ctx, conn)
	if err != nil {
		return false, err
	}
	gateStart := time.Now()
	var total, bad int64
	cond := requiredNull(t)
	count := "SELECT count(*), 0 FROM " + rel
	if cond != "" {
		count = fmt.Sprintf("SELECT count(*), count(*) FILTER (WHERE %s) FROM %s", cond, rel)
	}
	if err := conn.QueryRowContext(ctx, count).Scan(&total, &bad); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		rep.Problems = append(rep.Problems, "the data files cannot be read as the contract's columns: "+cleanDuckErr(err, p.lake.Location(id)))
		return false, nil
	}
	rep.RowsRead, rep.RowsFailed, rep.RowsOK = total, bad, total-bad
	if bad > 0 {
		if err := rejectExamples(ctx, conn, t, rel, cond, rep); err != nil {
			return false, err
		}
	}
	okView := "ok_" + rep.RunID
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE VIEW %s.%s AS SELECT %s FROM %s", query.StageSchema, okView, columnList(t), rel)); err != nil {
		return false, errs.Wrap(errs.Internal, op, err, "stage view")
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP VIEW IF EXISTS "+query.StageSchema+"."+okView)
	}()
	req := Request{Table: id, Mode: mode}
	if err := p.gate(ctx, conn, req, tbl, query.StageSchema+"."+okView, okView, rep); err != nil {
		return false, err
	}
	rep.stage("gate", gateStart)
	return rep.Passed(), nil
}

// rejectExamples adds up to ten rows that leave a required column empty.
func rejectExamples(ctx context.Context, conn *sql.Conn, t *schema.Table, rel, cond string, rep *Report) error {
	const op = "publish.rejectExamples"
	var reasons, cells []string
	for _, c := range t.Columns {
		cells = append(cells, "CAST("+lake.Quote(c.Name)+" AS VARCHAR)")
		if c.Required {
			reasons = append(reasons, fmt.Sprintf("CASE WHEN %s IS NULL THEN %s END", lake.Quote(c.Name), lake.Literal(c.Name+": a value is required")))
		}
	}
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT concat_ws('; ', %s), concat_ws(',', %s) FROM %s WHERE %s LIMIT 10",
		strings.Join(reasons, ", "), strings.Join(cells, ", "), rel, cond))
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "read rejected rows")
	}
	defer rows.Close()
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Reason, &r.Row); err != nil {
			return errs.Wrap(errs.Internal, op, err, "read rejected rows")
		}
		if col, _, ok := strings.Cut(r.Reason, ":"); ok {
			r.Column = col
		}
		r.Reason, r.Row = clip(r.Reason), clip(r.Row)
		rep.Rejects = append(rep.Rejects, r)
	}
	return rows.Err()
}

// fileTypeProblems checks that every data file names its columns by
// Iceberg field id and stores each contract column with the contract's type
// (or one Iceberg promotes to it): a file another engine could not read as
// the table's schema must not reach main.
func fileTypeProblems(ctx context.Context, conn *sql.Conn, files []string, t *schema.Table, location string) ([]string, error) {
	const op = "publish.fileTypes"
	var probs []string
	for _, f := range files {
		name := strings.TrimPrefix(f, location+"/")
		rows, err := conn.QueryContext(ctx, "SELECT name, field_id FROM parquet_schema("+lake.Literal(f)+") WHERE field_id IS NOT NULL")
		if err != nil {
			probs = append(probs, fmt.Sprintf("data file %s is not a readable Parquet file: %s", name, cleanDuckErr(err, location)))
			continue
		}
		byID := map[int]string{}
		for rows.Next() {
			var n string
			var fid int
			if err := rows.Scan(&n, &fid); err != nil {
				rows.Close()
				return nil, errs.Wrap(errs.Internal, op, err, "read data file schema")
			}
			byID[fid] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read data file schema")
		}
		if len(byID) == 0 {
			probs = append(probs, fmt.Sprintf("data file %s has no Iceberg field ids: write it with an Iceberg writer", name))
			continue
		}
		types := map[string]string{}
		rows, err = conn.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet("+lake.Literal(f)+"))")
		if err != nil {
			probs = append(probs, fmt.Sprintf("data file %s cannot be read: %s", name, cleanDuckErr(err, location)))
			continue
		}
		for rows.Next() {
			var n, typ string
			if err := rows.Scan(&n, &typ); err != nil {
				rows.Close()
				return nil, errs.Wrap(errs.Internal, op, err, "describe data file")
			}
			types[n] = typ
		}
		rows.Close()
		for _, c := range t.Columns {
			col, ok := byID[c.FieldID]
			if !ok {
				continue // absent: reads as NULL
			}
			got, ok := types[col]
			if ok && !promotes(got, c.Type.DuckDB()) {
				probs = append(probs, fmt.Sprintf("data file %s stores column %s (field id %d) as %s, the contract says %s", name, c.Name, c.FieldID, got, c.Type.DuckDB()))
			}
		}
		if len(probs) >= 10 {
			break
		}
	}
	return probs, nil
}

// promotes reports whether a file column of DuckDB type got reads as want
// under Iceberg's type promotion rules.
func promotes(got, want string) bool {
	got, want = strings.ToUpper(got), strings.ToUpper(want)
	switch {
	case got == want:
		return true
	case got == "INTEGER" && want == "BIGINT", got == "FLOAT" && want == "DOUBLE":
		return true
	case strings.HasPrefix(got, "DECIMAL(") && strings.HasPrefix(want, "DECIMAL("):
		var gp, gs, wp, ws int
		_, e1 := fmt.Sscanf(got, "DECIMAL(%d,%d)", &gp, &gs)
		_, e2 := fmt.Sscanf(want, "DECIMAL(%d,%d)", &wp, &ws)
		return e1 == nil && e2 == nil && gs == ws && gp <= wp
	}
	return false
}
