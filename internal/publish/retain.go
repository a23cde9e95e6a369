package publish

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

// RetentionReport is what one retention run did to a table.
type RetentionReport struct {
	Table string `json:"table"`
	// Retention is the contract's period, e.g. "7 years"; empty if the
	// contract declares none for the table, and then nothing was done.
	Retention string `json:"retention,omitempty"`
	// Column is the date or time column rows are aged by; empty when the
	// retention names no column, and then only snapshots are expired.
	Column           string    `json:"column,omitempty"`
	Cutoff           time.Time `json:"cutoff,omitzero"` // rows and snapshots older than this go
	RowsDeleted      int64     `json:"rowsDeleted"`
	FilesRewritten   int       `json:"filesRewritten"`
	FilesDropped     int       `json:"filesDropped"`
	SnapshotID       int64     `json:"snapshotId,omitempty"` // the snapshot without the old rows; 0 if none was needed
	SnapshotsExpired int       `json:"snapshotsExpired"`
}

// retention is a contract's retention period for one table.
type retention struct {
	n      int
	unit   string // hour, day, month, year
	column string // "" when the period names no column
}

func (r retention) String() string {
	s := strconv.Itoa(r.n) + " " + r.unit
	if r.n != 1 {
		s += "s"
	}
	return s
}

// cutoff is the instant before which data is older than the period.
func (r retention) cutoff(now time.Time) time.Time {
	now = now.UTC()
	switch r.unit {
	case "hour":
		return now.Add(-time.Duration(r.n) * time.Hour)
	case "day":
		return now.AddDate(0, 0, -r.n)
	case "month":
		return addMonths(now, -r.n)
	}
	return addMonths(now, -12*r.n)
}

// addMonths moves t by whole months, keeping the day of the month or, if the
// target month is shorter, taking its last day: one month before March 31
// is February 28, not March 3 as time.AddDate has it, so a period never
// comes out shorter than it says.
func addMonths(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// slaDoc is the part of an ODCS document retention reads.
type slaDoc struct {
	Schema []struct {
		Name string `json:"name"`
	} `json:"schema"`
	SLA []spec.SLAProperty `json:"slaProperties"`
}

// tableRetention finds the retention period the contract declares for tbl:
// an slaProperties entry `retention` whose element names one of tbl's
// columns (table.column, or just the column when the contract has one
// table), or that names no element and so covers every table. An entry that
// names a column wins over one that names none. It returns nil if there is
// none, and an Invalid error for a period it cannot honour.
func tableRetention(doc *slaDoc, tbl *registry.Table) (*retention, error) {
	const op = "publish.tableRetention"
	tables := map[string]bool{}
	for _, o := range doc.Schema {
		tables[o.Name] = true
	}
	full := tbl.Domain + "." + tbl.Product + "." + tbl.Name
	var general, specific []int // indexes into doc.SLA
	columns := map[int]string{}
	for i, sp := range doc.SLA {
		if !sp.IsProperty("retention") {
			continue
		}
		where := fmt.Sprintf("slaProperties[%d] (retention)", i)
		if strings.TrimSpace(sp.Element) == "" {
			general = append(general, i)
			continue
		}
		for el := range strings.SplitSeq(sp.Element, ",") {
			el = strings.TrimSpace(el)
			tname, col := "", el
			if dot := strings.LastIndexByte(el, '.'); dot >= 0 {
				tname, col = el[:dot], el[dot+1:]
			}
			switch {
			case tname == "" && len(tables) != 1:
				return nil, errs.E(errs.Invalid, op, "%s: element %q must name table.column: the contract has %d tables", where, el, len(tables))
			case tname == "":
				tname = doc.Schema[0].Name
			case tname == full:
				tname = tbl.Name
			case !tables[tname]:
				return nil, errs.E(errs.Invalid, op, "%s: element %q names table %q, which the contract does not declare", where, el, tname)
			}
			if tname != tbl.Name {
				continue
			}
			if prev, ok := columns[i]; ok && prev != col {
				return nil, errs.E(errs.Invalid, op, "%s: element %q names two columns of %s (%s and %s); declare one", where, sp.Element, tbl.Name, prev, col)
			}
			if _, ok := columns[i]; !ok {
				specific = append(specific, i)
			}
			columns[i] = col
		}
	}
	pick := specific
	if len(pick) == 0 {
		pick = general
	}
	switch len(pick) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, errs.E(errs.Invalid, op, "the contract declares %d retention periods for table %s (slaProperties %v); declare one", len(pick), tbl.Name, pick)
	}
	i := pick[0]
	sp := doc.SLA[i]
	where := fmt.Sprintf("slaProperties[%d] (retention)", i)
	r := &retention{column: columns[i]}
	var err error
	if r.n, r.unit, err = retentionPeriod(sp); err != nil {
		return nil, errs.E(errs.Invalid, op, "%s: %v", where, err)
	}
	if r.column == "" {
		return r, nil
	}
	c, found := tbl.Def.Schema.Column(r.column)
	if !found {
		return nil, errs.E(errs.Invalid, op, "%s: element names column %q, which table %s does not have", where, r.column, tbl.Name)
	}
	switch c.Type.Kind {
	case schema.Date, schema.Timestamp, schema.TimestampTZ:
	default:
		return nil, errs.E(errs.Invalid, op, "%s: column %s.%s is %s; rows can only be aged by a date or timestamp column", where, tbl.Name, r.column, c.Type.DuckDB())
	}
	return r, nil
}

// retentionPeriod reads a retention period (spec.SLAProperty.Period) as a
// whole number of hours, days, months or years up to spec.MaxPeriod; weeks
// count as seven days.
func retentionPeriod(sp spec.SLAProperty) (int, string, error) {
	p, err := sp.Period()
	if err != nil {
		return 0, "", err
	}
	n := p.N
	var unit string
	switch p.Unit {
	case spec.Hour, spec.Day, spec.Month, spec.Year:
		unit = string(p.Unit)
	case spec.Week:
		n, unit = 7*n, "day"
	default:
		return 0, "", fmt.Errorf("unit %q is too short for a retention period: use h, d, w, m or y", sp.Unit)
	}
	if n != math.Trunc(n) || n > spec.MaxPeriod {
		return 0, "", fmt.Errorf("value %v must be a whole number from 1 to %d", sp.Value, spec.MaxPeriod)
	}
	return int(n), unit, nil
}

// Retain enforces the retention period the table's contract declares
// (ODCS slaProperties `retention`): when the period names a date or time
// column, rows older than now minus the period are deleted in one new
// snapshot, rewriting only the data files that hold old rows (files that
// hold nothing else are dropped, files without old rows are kept as they
// are); then the snapshots older than the cutoff are expired. Rows whose
// column is NULL are kept: their age is unknown. The previous snapshot stays
// readable by time travel until it is itself older than the period. A table
// whose contract declares no retention is left alone. It runs under the
// table's publish lock. If the expiry fails after rows were deleted, the
// report comes with the error and says what was done.
func (p *Publisher) Retain(ctx context.Context, tbl *registry.Table, now time.Time) (*RetentionReport, error) {
	id := lake.Ident{Domain: tbl.Domain, Product: tbl.Namespace, Table: tbl.Name}
	rr := &RetentionReport{Table: tbl.Address()}
	var doc slaDoc
	if err := p.contract(ctx, tbl, &doc); err != nil {
		return nil, err
	}
	r, err := tableRetention(&doc, tbl)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return rr, nil
	}
	rr.Retention, rr.Column, rr.Cutoff = r.String(), r.column, r.cutoff(now)
	if rr.Cutoff.Year() < 1 {
		return rr, nil // nothing is that old
	}
	unlock := p.lock(id)
	defer unlock()
	// The snapshot current when the run starts outlives it, however old:
	// a query may have planned it already, and its files must stay until
	// the next run.
	expireBefore := rr.Cutoff
	if cur, err := p.lake.Load(ctx, id); err != nil {
		return nil, err
	} else if snap := cur.CurrentSnapshot(); snap != nil {
		if t := time.UnixMilli(snap.TimestampMs); t.Before(expireBefore) {
			expireBefore = t
		}
	}
	if r.column != "" {
		if err := p.deleteOld(ctx, id, tbl, rr); err != nil {
			return nil, err
		}
	}
	n, err := p.lake.ExpireSnapshots(ctx, id, expireBefore)
	rr.SnapshotsExpired = n
	if err != nil {
		if n == 0 {
			return rr, err // the report says which rows are gone already
		}
		// The snapshots are gone; only some of their files were left behind.
		p.log.Warn("retention left files of expired snapshots", "table", id.String(), "err", err)
	}
	p.log.Info("retention", "table", id.String(), "cutoff", rr.Cutoff, "rows_deleted", rr.RowsDeleted,
		"files_rewritten", rr.FilesRewritten, "files_dropped", rr.FilesDropped, "snapshot", rr.SnapshotID, "snapshots_expired", n)
	return rr, nil
}

// cutoffLiteral is the cutoff as a SQL value of the column's type. A date
// is old when the whole day is before the cutoff; naive timestamps are UTC,
// as everywhere in the lake.
func cutoffLiteral(k schema.Kind, cutoff time.Time) string {
	cutoff = cutoff.UTC()
	switch k {
	case schema.Date:
		return "CAST(" + lake.Literal(cutoff.Format("2006-01-02")) + " AS DATE)"
	case schema.TimestampTZ:
		return "CAST(" + lake.Literal(cutoff.Format("2006-01-02 15:04:05.999999")+"+00") + " AS TIMESTAMPTZ)"
	}
	return "CAST(" + lake.Literal(cutoff.Format("2006-01-02 15:04:05.999999")) + " AS TIMESTAMP)"
}

// fileAge is how many rows of one data file are old.
type fileAge struct {
	path       string
	old, total int64
}

// countBatch bounds the files measured by one query.
const countBatch = 64

// deleteOld commits a snapshot of the table without the rows older than the
// cutoff, if it has any.
func (p *Publisher) deleteOld(ctx context.Context, id lake.Ident, tbl *registry.Table, rr *RetentionReport) error {
	const op = "publish.deleteOld"
	cur, err := p.lake.Load(ctx, id)
	if err != nil {
		return err
	}
	snap := cur.CurrentSnapshot()
	if snap == nil {
		return nil
	}
	plan, err := p.lake.PlanScan(ctx, id, cur, snap)
	if err != nil {
		return err
	}
	t := tableSchema(tbl)
	if err := sameColumns(t, plan.Columns); err != nil {
		return errs.Wrap(errs.Internal, op, err, "the registry and the lake disagree on the columns of %s", id)
	}
	c, _ := t.Column(rr.Column)
	old := fmt.Sprintf("%s < %s", lake.Quote(c.Name), cutoffLiteral(c.Type.Kind, rr.Cutoff))
	conn, err := p.duck.Conn(ctx)
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, err, "the engine is not available")
	}
	defer conn.Close()
	ages, err := fileAges(ctx, conn, plan, old)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errs.Wrap(errs.Internal, op, err, "count old rows of %s", id)
	}
	var drop, partial []string
	var keep int64 // rows the rewritten files must hold
	for _, a := range ages {
		switch {
		case a.old == 0:
		case a.old == a.total:
			drop = append(drop, a.path)
		default:
			partial = append(partial, a.path)
			keep += a.total - a.old
		}
		rr.RowsDeleted += a.old
	}
	if rr.RowsDeleted == 0 {
		return nil
	}
	run := newRunID()
	dataDir := filepath.Join(p.lake.Location(id), "data", run)
	committed := false
	defer func() {
		if committed {
			return
		}
		if rmErr := os.RemoveAll(dataDir); rmErr != nil {
			p.log.Error("remove rewritten files", "run", run, "err", rmErr)
		}
	}()
	var written []string
	if len(partial) > 0 {
		src, err := (&lake.Plan{Table: id, SnapshotID: plan.SnapshotID, Columns: plan.Columns, Files: partial}).Relation(ctx, conn)
		if err != nil {
			return err
		}
		rel := fmt.Sprintf("(SELECT * FROM %s WHERE (%s) IS NOT TRUE)", src, old)
		var n int64
		if written, n, err = p.write(ctx, conn, t, rel, dataDir, &Report{}); err != nil {
			return err
		}
		if n != keep {
			return errs.E(errs.Internal, op, "rewriting %s kept %d rows, want %d; nothing was committed", id, n, keep)
		}
	}
	props := map[string]string{
		"meshwork.operation":        "retention",
		"meshwork.run-id":           run,
		"meshwork.retention":        rr.Retention,
		"meshwork.retention-column": rr.Column,
		"meshwork.retention-cutoff": rr.Cutoff.Format(time.RFC3339Nano),
		"meshwork.rows-deleted":     strconv.FormatInt(rr.RowsDeleted, 10),
	}
	s, err := p.lake.Rewrite(ctx, id, snap.SnapshotID, append(drop, partial...), written, props)
	if err != nil {
		// As in Publish: an error does not always mean nothing was committed.
		s = p.committedRun(context.WithoutCancel(ctx), id, run)
		if s == nil {
			return err
		}
		p.log.Warn("commit reported an error but the retention run is in the table", "run", run, "snapshot", s.SnapshotID, "err", err)
	}
	committed = true
	rr.SnapshotID = s.SnapshotID
	rr.FilesDropped, rr.FilesRewritten = len(drop), len(partial)
	return nil
}

// fileAges counts, per data file of the plan, the rows for which old holds
// and all rows. Files are read one by one as queries read them (by field
// id, or by name for an adopted file without ids), a batch per query.
func fileAges(ctx context.Context, conn *sql.Conn, plan *lake.Plan, old string) ([]fileAge, error) {
	ages := make([]fileAge, len(plan.Files))
	for start := 0; start < len(plan.Files); start += countBatch {
		end := min(start+countBatch, len(plan.Files))
		parts := make([]string, 0, end-start)
		for i := start; i < end; i++ {
			one, err := (&lake.Plan{Table: plan.Table, SnapshotID: plan.SnapshotID, Columns: plan.Columns, Files: plan.Files[i : i+1]}).Relation(ctx, conn)
			if err != nil {
				return nil, err
			}
			parts = append(parts, fmt.Sprintf("SELECT %d AS i, count(*) FILTER (WHERE %s) AS old, count(*) AS total FROM %s", i, old, one))
		}
		rows, err := conn.QueryContext(ctx, strings.Join(parts, " UNION ALL "))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var i int
			var a fileAge
			if err := rows.Scan(&i, &a.old, &a.total); err != nil {
				rows.Close()
				return nil, err
			}
			a.path = plan.Files[i]
			ages[i] = a
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return ages, nil
}

// sameColumns checks that the registry's schema of a table, which rewritten
// files are written with, is the lake's current one.
func sameColumns(t *schema.Table, lakeCols []schema.Column) error {
	if len(t.Columns) != len(lakeCols) {
		return fmt.Errorf("registry has %d columns, lake %d", len(t.Columns), len(lakeCols))
	}
	for i, c := range t.Columns {
		l := lakeCols[i]
		if c.Name != l.Name || c.FieldID != l.FieldID || c.Type != l.Type {
			return fmt.Errorf("column %d: registry %s (id %d, %s), lake %s (id %d, %s)", i, c.Name, c.FieldID, c.Type.DuckDB(), l.Name, l.FieldID, l.Type.DuckDB())
		}
	}
	return nil
}
