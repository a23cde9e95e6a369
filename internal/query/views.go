package query

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
)

// Tables is what the engine needs of the registry.
type Tables interface {
	Table(ctx context.Context, domain, product, name string) (*registry.Table, error)
}

// views creates and caches the governed views, one per (table, snapshot,
// schema). A snapshot never changes, so a view, once made, is good forever.
type views struct {
	db     *sql.DB
	lake   *lake.Lake
	tables Tables

	mu    sync.Mutex
	cache map[string]bool
}

// binder resolves the tables of one query; it remembers the snapshot each
// table was read at, for the query's report.
type binder struct {
	v         *views
	snapshots map[string]int64
}

func (b *binder) Bind(ctx context.Context, ref TableRef) (string, string, error) {
	const op = "query.Bind"
	if _, err := b.v.tables.Table(ctx, ref.Domain, ref.Product, ref.Table); err != nil {
		if errs.Is(err, errs.NotFound) {
			return "", "", errs.E(errs.NotFound, op, "table %s.%s.%s does not exist", ref.Domain, ref.Product, ref.Table)
		}
		return "", "", err
	}
	id := lake.Ident{Domain: ref.Domain, Product: ref.Product, Table: ref.Table}
	tbl, err := b.v.lake.Cached(ctx, id)
	if err != nil {
		return "", "", err
	}
	var asOf *int64
	if ref.Timestamp != nil {
		ms := ref.Timestamp.UnixMilli()
		asOf = &ms
	}
	snap, err := lake.Snapshot(tbl, id, ref.Version, asOf)
	if err != nil {
		return "", "", err
	}
	plan, err := b.v.lake.PlanScanCached(ctx, id, tbl, snap)
	if err != nil {
		return "", "", err
	}
	name, err := b.v.ensure(ctx, plan)
	if err != nil {
		return "", "", err
	}
	if b.snapshots != nil {
		b.snapshots[id.String()] = plan.SnapshotID
	}
	return viewSchema, name, nil
}

// ensure creates the plan's view if it does not exist yet and returns its name.
func (v *views) ensure(ctx context.Context, p *lake.Plan) (string, error) {
	h := sha256.Sum256([]byte(p.Table.String()))
	name := fmt.Sprintf("t_%s_s%d_v%d", hex.EncodeToString(h[:8]), p.SnapshotID, p.SchemaID)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cache[name] {
		return name, nil
	}
	rel, err := v.relation(ctx, p)
	if err != nil {
		return "", err
	}
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s.%s AS SELECT * FROM %s", viewSchema, name, rel)
	if _, err := v.db.ExecContext(context.WithoutCancel(ctx), q); err != nil {
		return "", errs.Wrap(errs.Internal, "query.ensureView", err, "prepare table %s", p.Table)
	}
	v.cache[name] = true
	return name, nil
}

// relation is the SQL that reads a plan. Reading by field id (Plan.SQL) is
// always right, but DuckDB binds its schema map on every query, which costs
// milliseconds per table. When every data file names each field id the way
// the table's schema does (no column was renamed since the files were
// written) and the types agree, a plain read by name returns the same rows,
// so that is what the view uses.
func (v *views) relation(ctx context.Context, p *lake.Plan) (string, error) {
	if len(p.Files) == 0 {
		return p.SQL(), nil
	}
	files := make([]string, len(p.Files))
	for i, f := range p.Files {
		files[i] = lake.Literal(f)
	}
	list := "[" + strings.Join(files, ", ") + "]"
	rows, err := v.db.QueryContext(ctx, "SELECT file_name, name, field_id FROM parquet_schema("+list+") WHERE field_id IS NOT NULL")
	if err != nil {
		return "", errs.Wrap(errs.Internal, "query.relation", err, "read data file schemas of %s", p.Table)
	}
	perFile := map[string]map[int]string{}
	for rows.Next() {
		var file, name string
		var id int
		if err := rows.Scan(&file, &name, &id); err != nil {
			rows.Close()
			return "", errs.Wrap(errs.Internal, "query.relation", err, "read data file schemas of %s", p.Table)
		}
		if perFile[file] == nil {
			perFile[file] = map[int]string{}
		}
		perFile[file][id] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", errs.Wrap(errs.Internal, "query.relation", err, "read data file schemas of %s", p.Table)
	}
	if len(perFile) != len(p.Files) {
		return p.SQL(), nil
	}
	idOf := map[string]int{}
	for _, c := range p.Columns {
		idOf[c.Name] = c.FieldID
	}
	for _, ids := range perFile {
		for id, name := range ids {
			if want, ok := idOf[name]; ok && want != id {
				return p.SQL(), nil // a name now used by another field: read by id
			}
		}
	}
	var sel []string
	for _, c := range p.Columns {
		in := 0
		for _, ids := range perFile {
			name, ok := ids[c.FieldID]
			if ok && name != c.Name {
				return p.SQL(), nil // renamed: only the field id says which column this is
			}
			if ok {
				in++
			}
		}
		switch in {
		case len(perFile):
			sel = append(sel, lake.Quote(c.Name))
		case 0:
			sel = append(sel, fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type.DuckDB(), lake.Quote(c.Name)))
		default:
			return p.SQL(), nil // added after some files were written
		}
	}
	plain := "read_parquet(" + list + ")"
	types, err := v.columnTypes(ctx, plain)
	if err != nil {
		return "", err
	}
	for _, c := range p.Columns {
		if t, ok := types[c.Name]; ok && !strings.EqualFold(t, c.Type.DuckDB()) {
			return p.SQL(), nil // a promoted type: let the field-id read cast it
		}
	}
	return "(SELECT " + strings.Join(sel, ", ") + " FROM " + plain + ")", nil
}

func (v *views) columnTypes(ctx context.Context, rel string) (map[string]string, error) {
	rows, err := v.db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+rel+")")
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "query.columnTypes", err, "describe data files")
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, errs.Wrap(errs.Internal, "query.columnTypes", err, "describe data files")
		}
		out[n] = t
	}
	return out, rows.Err()
}
