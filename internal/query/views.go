package query

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

// Tables is what the engine needs of the registry.
type Tables interface {
	Resolve(ctx context.Context, domain, product, name string, major *int, now time.Time) (*registry.Table, error)
}

// views creates and caches the governed views, one per (table, snapshot,
// schema). A snapshot never changes, so a view, once made, is good forever.
type views struct {
	db      *sql.DB
	lake    *lake.Lake
	tables  Tables
	gov     Governor
	hashKey string
	audit   *auditTable // platform.audit.events; nil: not served

	mu    sync.Mutex
	cache map[string]bool
}

// binder resolves the tables of one query; it remembers the snapshot each
// table was read at, for the query's report.
type binder struct {
	v         *views
	snapshots map[string]int64
	sensitive bool       // some table is masked or filtered: error texts must not quote values
	seen      []TableRef // every table the query asked for, bound or refused
	resolved  []TableRef // the tables bound, each with the major it resolved to
}

func (b *binder) Bind(ctx context.Context, ref TableRef) (string, string, error) {
	b.seen = append(b.seen, ref)
	if b.v.audit != nil && b.v.audit.serves(ref) {
		return b.bindAudit(ctx, ref)
	}
	if err := b.v.gov.Readable(ctx, ref.Domain, ref.Product); err != nil {
		return "", "", err
	}
	rt, err := b.v.tables.Resolve(ctx, ref.Domain, ref.Product, ref.Table, ref.Major, time.Now())
	if err != nil {
		return "", "", err
	}
	// Authorize before anything about the table's data is looked at.
	g, err := b.v.gov.Govern(ctx, rt)
	if err != nil {
		return "", "", err
	}
	major := rt.Major
	b.resolve(TableRef{Domain: ref.Domain, Product: ref.Product, Table: ref.Table, Major: &major, Version: ref.Version, Timestamp: ref.Timestamp})
	id := lake.Ident{Domain: rt.Domain, Product: rt.Namespace, Table: rt.Name}
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
	return b.governed(ctx, name, plan.Columns, withDefaults(g, rt, plan.Columns))
}

// resolve notes a bound table once (a cached rewrite binds its tables again
// to check that they still resolve the same way).
func (b *binder) resolve(ref TableRef) {
	for _, r := range b.resolved {
		if r.String() == ref.String() {
			return
		}
	}
	b.resolved = append(b.resolved, ref)
}

// governed returns the view that serves base through g, creating it if needed.
func (b *binder) governed(ctx context.Context, base string, cols []schema.Column, g Governance) (string, string, error) {
	if g.empty() {
		return viewSchema, base, nil
	}
	b.sensitive = true
	name := governedName(base, g.key())
	v := b.v
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cache[name] {
		return viewSchema, name, nil
	}
	body, err := governedSQL(viewSchema+"."+base, cols, g, v.hashKey)
	if err != nil {
		return "", "", err
	}
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s.%s AS %s", viewSchema, name, body)
	if _, err := v.db.ExecContext(context.WithoutCancel(ctx), q); err != nil {
		return "", "", errs.Wrap(errs.Internal, "query.governed", err, "prepare governed view")
	}
	v.cache[name] = true
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
	rel, err := p.Relation(ctx, v.db)
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

// withDefaults adds to g the defaults the contract gives columns the plan
// reads: rows written before such a column existed read its default.
func withDefaults(g Governance, rt *registry.Table, cols []schema.Column) Governance {
	var d map[string]string
	for _, c := range rt.Def.Schema.Columns {
		if c.Default == nil {
			continue
		}
		for _, pc := range cols {
			if pc.Name == c.Name && pc.Type == c.Type {
				if d == nil {
					d = map[string]string{}
				}
				d[c.Name] = c.DefaultSQL()
			}
		}
	}
	if d != nil {
		g.Defaults = d
	}
	return g
}
