package query

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

// The audit log as a mesh table. It is not an Iceberg table: the log lives
// in the platform's store, and the engine copies the records it has not seen
// yet into a DuckDB table each time a query reads it, so a query sees every
// record committed before it started.
const (
	AuditDomain  = "platform"
	AuditProduct = "audit"
	AuditTable   = "events"
	auditRel     = "audit_events"
)

// AuditSource is what the engine needs of the audit log.
type AuditSource interface {
	Since(ctx context.Context, seq int64, limit int) ([]audit.Event, error)
	Flush(ctx context.Context) error
}

// auditColumns is the table's schema, as the governance and the catalog see it.
var auditColumns = []schema.Column{
	{Name: "seq", Type: schema.Type{Kind: schema.Long}, Required: true},
	{Name: "time", Type: schema.Type{Kind: schema.TimestampTZ}, Required: true},
	{Name: "principal", Type: schema.Type{Kind: schema.String}},
	{Name: "action", Type: schema.Type{Kind: schema.String}, Required: true},
	{Name: "resource", Type: schema.Type{Kind: schema.String}},
	{Name: "outcome", Type: schema.Type{Kind: schema.String}, Required: true},
	{Name: "details", Type: schema.Type{Kind: schema.String}},
	{Name: "prev", Type: schema.Type{Kind: schema.String}},
	{Name: "hash", Type: schema.Type{Kind: schema.String}, Required: true},
}

// AuditTableDef is platform.audit.events as a registry table, so that it is
// governed like any other.
func AuditTableDef() *registry.Table {
	return &registry.Table{Domain: AuditDomain, Product: AuditProduct, Name: AuditTable,
		Def: registry.TableDef{Schema: schema.Table{Columns: auditColumns, PrimaryKey: []string{"seq"}}}}
}

type auditTable struct {
	src  AuditSource
	db   *sql.DB
	mu   sync.Mutex
	made bool
	seq  int64 // last record copied
}

func (a *auditTable) serves(ref TableRef) bool {
	if ref.Major != nil {
		return false
	}
	return ref.Domain == AuditDomain && ref.Product == AuditProduct && ref.Table == AuditTable
}

// sync copies the records not copied yet.
func (a *auditTable) sync(ctx context.Context) error {
	const op = "query.auditSync"
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.made {
		var cols []string
		for _, c := range auditColumns {
			cols = append(cols, fmt.Sprintf("%q %s", c.Name, c.Type))
		}
		q := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (%s)", viewSchema, auditRel, strings.Join(cols, ", "))
		if _, err := a.db.ExecContext(ctx, q); err != nil {
			return errs.Wrap(errs.Internal, op, err, "create the audit table")
		}
		a.made = true
	}
	if err := a.src.Flush(ctx); err != nil {
		return errs.Wrap(errs.Internal, op, err, "flush the audit log")
	}
	for {
		evs, err := a.src.Since(ctx, a.seq, 5000)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		if err := a.insert(ctx, evs); err != nil {
			return err
		}
		a.seq = evs[len(evs)-1].Seq
	}
}

func (a *auditTable) insert(ctx context.Context, evs []audit.Event) error {
	const per = 9
	for start := 0; start < len(evs); start += 500 {
		batch := evs[start:min(start+500, len(evs))]
		args := make([]any, 0, len(batch)*per)
		rows := make([]string, len(batch))
		for i, e := range batch {
			rows[i] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
			var details any
			if len(e.Details) > 0 {
				details = string(e.Details)
			}
			args = append(args, e.Seq, e.Time, e.Principal, e.Action, e.Resource, e.Outcome, details, e.Prev, e.Hash)
		}
		q := fmt.Sprintf("INSERT INTO %s.%s VALUES %s", viewSchema, auditRel, strings.Join(rows, ", "))
		if _, err := a.db.ExecContext(ctx, q, args...); err != nil {
			return errs.Wrap(errs.Internal, "query.auditSync", err, "copy audit records")
		}
	}
	return nil
}

// bindAudit serves platform.audit.events, governed like any table.
func (b *binder) bindAudit(ctx context.Context, ref TableRef) (string, string, error) {
	if ref.Version != nil || ref.Timestamp != nil {
		return "", "", errs.E(errs.Invalid, "query.Bind", "platform.audit.events has no versions: it is append-only; filter on its time column instead")
	}
	g, err := b.v.gov.Govern(ctx, AuditTableDef())
	if err != nil {
		return "", "", err
	}
	if err := b.v.audit.sync(ctx); err != nil {
		return "", "", err
	}
	b.resolve(ref)
	return b.governed(ctx, auditRel, auditColumns, g)
}
