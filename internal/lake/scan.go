package lake

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/schema"
)

// Plan is what a reader needs to read one snapshot: its data files and the
// columns (with field ids) of the schema the snapshot was written with.
// Snapshots are immutable, so a Plan can be cached by snapshot id forever.
type Plan struct {
	Table      Ident
	SnapshotID int64 // 0 for a table without data
	SchemaID   int
	Columns    []schema.Column
	Files      []string // local paths
}

// PlanScan plans a scan of snap (nil: the table has no data). As in Iceberg,
// a read of the current data uses the table's current schema (columns added
// since the last publish read as NULL) and time travel uses the schema the
// snapshot was written with.
func (l *Lake) PlanScan(ctx context.Context, id Ident, tbl *table.Table, snap *table.Snapshot) (*Plan, error) {
	const op = "lake.PlanScan"
	sch := tbl.Schema()
	current := tbl.CurrentSnapshot()
	if snap != nil && snap.SchemaID != nil && (current == nil || current.SnapshotID != snap.SnapshotID) {
		if s, ok := tbl.Schemas()[*snap.SchemaID]; ok {
			sch = s
		}
	}
	t, err := schema.TableFromIceberg(sch)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "table %s has a schema we cannot read", id)
	}
	p := &Plan{Table: id, Columns: t.Columns, SchemaID: sch.ID}
	if snap == nil {
		return p, nil
	}
	p.SnapshotID = snap.SnapshotID
	tasks, err := tbl.Scan(table.WithSnapshotID(snap.SnapshotID)).PlanFiles(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "plan scan of %s", id)
	}
	for _, task := range tasks {
		if len(task.DeleteFiles)+len(task.EqualityDeleteFiles)+len(task.DeletionVectorFiles) > 0 {
			return nil, errs.E(errs.Unsupported, op, "table %s has row-level deletes, which Meshwork cannot read yet", id)
		}
	}
	for _, uri := range uniqueFiles(tasks) {
		path, err := l.LocalPath(uri)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "table %s", id)
		}
		p.Files = append(p.Files, path)
	}
	return p, nil
}

// uniqueFiles lists the data files of scan tasks once each, in order: the
// planner splits a large file into several tasks (byte ranges), and DuckDB
// reading a file twice would return its rows twice.
func uniqueFiles(tasks []table.FileScanTask) []string {
	seen := make(map[string]bool, len(tasks))
	var out []string
	for _, t := range tasks {
		if p := t.File.FilePath(); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// SQL returns a DuckDB relation expression (usable after FROM) that reads the
// plan's files by Iceberg field id, so renamed and added columns read right,
// with columns in schema order. A plan without files reads as an empty
// relation of the right shape.
func (p *Plan) SQL() string {
	var b strings.Builder
	if len(p.Files) == 0 {
		b.WriteString("(SELECT ")
		for i, c := range p.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "CAST(NULL AS %s) AS %s", c.Type.DuckDB(), Quote(c.Name))
		}
		b.WriteString(" WHERE false)")
		return b.String()
	}
	b.WriteString("read_parquet([")
	for i, f := range p.Files {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Literal(f))
	}
	b.WriteString("], schema=MAP{")
	for i, c := range p.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d: {name: %s, type: %s, default_value: NULL}", c.FieldID, Literal(c.Name), Literal(c.Type.DuckDB()))
	}
	b.WriteString("})")
	return b.String()
}

// Quote quotes a SQL identifier.
func Quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Literal quotes a SQL string literal.
func Literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// maxCachedPlans bounds the plan cache: each plan holds its snapshot's file
// list, and a long-lived server sees many snapshots.
const maxCachedPlans = 4096

type planKey struct {
	id       Ident
	snapshot int64
	schema   int
}

// PlanScanCached is PlanScan with the plans of snapshots kept in memory:
// a snapshot is immutable, so its plan never changes.
func (l *Lake) PlanScanCached(ctx context.Context, id Ident, tbl *table.Table, snap *table.Snapshot) (*Plan, error) {
	var key planKey
	key.id, key.schema = id, tbl.Schema().ID
	if snap != nil {
		key.snapshot = snap.SnapshotID
		if cur := tbl.CurrentSnapshot(); (cur == nil || cur.SnapshotID != snap.SnapshotID) && snap.SchemaID != nil {
			key.schema = *snap.SchemaID
		}
	}
	l.mu.Lock()
	p, ok := l.plans[key]
	l.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := l.PlanScan(ctx, id, tbl, snap)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if len(l.plans) >= maxCachedPlans {
		for k := range l.plans { // evict an arbitrary plan: it is only a cache
			delete(l.plans, k)
			break
		}
	}
	l.plans[key] = p
	l.mu.Unlock()
	return p, nil
}
