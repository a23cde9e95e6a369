package freshness

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
)

//go:embed schema.sql
var schemaSQL string

// Registry is what the monitor reads of the registry.
type Registry interface {
	TableSet(ctx context.Context) (*registry.TableSet, error)
	Tables(ctx context.Context, domain, product string) ([]registry.Table, error)
	Contract(ctx context.Context, id, version string) (*registry.Contract, error)
	LastCommits(ctx context.Context) (map[registry.TableKey]time.Time, error)
	LastCommit(ctx context.Context, k registry.TableKey) (time.Time, bool, error)
}

// Breach is one episode of a table out of its freshness SLA: it starts when
// a check first finds the table late, stale or never published, and is
// resolved when a check finds it fresh again (or without an SLA, or no
// longer served).
type Breach struct {
	ID      int64  `json:"id"`
	Domain  string `json:"domain"`
	Product string `json:"product"`
	Major   int    `json:"major"`
	Table   string `json:"table"`
	Status  Status `json:"status"` // the worst seen while open: late, stale or never
	SLA     string `json:"sla"`
	// LastPublish is the commit the table was measured from; nil for never.
	LastPublish *time.Time `json:"lastPublish,omitempty"`
	StartedAt   time.Time  `json:"startedAt"`
	ResolvedAt  *time.Time `json:"resolvedAt,omitempty"`
}

// Config configures a Monitor.
type Config struct {
	DB       *sql.DB // the registry's database: breaches are kept in mesh_sla_breaches
	Registry Registry
	Now      func() time.Time // the clock; nil: time.Now
	// OnBreach is called once for every new breach, after it is recorded
	// (events, alerting). It runs on the checking goroutine: be quick.
	OnBreach func(context.Context, Breach)
	// OnCheck is called with the statuses of every table after each full
	// check (metrics).
	OnCheck func(context.Context, []TableStatus)
	Logger  *slog.Logger
}

// Monitor evaluates freshness and records breaches.
type Monitor struct {
	db       *sql.DB
	reg      Registry
	now      func() time.Time
	onBreach func(context.Context, Breach)
	onCheck  func(context.Context, []TableStatus)
	log      *slog.Logger

	// checkMu serializes the checks that record: two at once would both see
	// no open breach and both open one.
	checkMu sync.Mutex
	mu      sync.Mutex
	slas    map[string]*contractSLA // by contract id@version: a version's document never changes
}

// New creates the breach table if needed and returns a Monitor.
func New(ctx context.Context, c Config) (*Monitor, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := c.DB.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errs.Wrap(errs.Internal, "freshness.New", err, "create the breach table")
	}
	return &Monitor{db: c.DB, reg: c.Registry, now: c.Now, onBreach: c.OnBreach, onCheck: c.OnCheck,
		log: c.Logger.With("component", "freshness"), slas: map[string]*contractSLA{}}, nil
}

// tableSLA is the freshness SLA the table's contract version declares.
func (m *Monitor) tableSLA(ctx context.Context, t *registry.Table) (*SLA, []string, error) {
	key := t.ContractID + "@" + t.ContractVersion
	m.mu.Lock()
	c, ok := m.slas[key]
	m.mu.Unlock()
	if !ok {
		doc, err := m.reg.Contract(ctx, t.ContractID, t.ContractVersion)
		if err != nil {
			return nil, nil, err
		}
		var d slaDoc
		if err := json.Unmarshal(doc.Doc, &d); err != nil {
			return nil, nil, errs.Wrap(errs.Internal, "freshness.tableSLA", err, "read contract %s version %s", t.ContractID, t.ContractVersion)
		}
		c = readSLA(&d, t.Domain, t.Product)
		m.mu.Lock()
		m.slas[key] = c
		m.mu.Unlock()
	}
	return c.tables[t.Name], c.problems, nil
}

// status evaluates one table.
func (m *Monitor) status(ctx context.Context, t *registry.Table, last *time.Time, now time.Time) (TableStatus, error) {
	ts := TableStatus{Domain: t.Domain, Product: t.Product, Major: t.Major, Table: t.Name, Address: t.Address(), CheckedAt: now}
	sla, problems, err := m.tableSLA(ctx, t)
	if err != nil {
		return ts, err
	}
	ts.SLA, ts.Problems = sla, problems
	if last != nil {
		l := last.UTC()
		age := now.Sub(l).Seconds()
		ts.LastPublish, ts.AgeSeconds = &l, &age
	}
	ts.Status, ts.Due = evaluate(sla, t.CreatedAt, last, now)
	return ts, nil
}

// Filter selects tables.
type Filter struct {
	Domain, Product string // "": any
	Status          Status // "": any
}

func (f Filter) match(domain, product string) bool {
	return (f.Domain == "" || f.Domain == domain) && (f.Product == "" || f.Product == product)
}

// Statuses evaluates the served tables that f selects, without recording
// anything, ordered by domain, product, table and major.
func (m *Monitor) Statuses(ctx context.Context, f Filter) ([]TableStatus, error) {
	now := m.now()
	set, err := m.reg.TableSet(ctx)
	if err != nil {
		return nil, err
	}
	last, err := m.reg.LastCommits(ctx)
	if err != nil {
		return nil, err
	}
	var out []TableStatus
	for i := range set.Tables {
		t := &set.Tables[i]
		if !t.Served(now) || !f.match(t.Domain, t.Product) {
			continue
		}
		var lp *time.Time
		if at, ok := last[t.Key()]; ok {
			lp = &at
		}
		ts, err := m.status(ctx, t, lp, now)
		if err != nil {
			return nil, err
		}
		if f.Status == "" || ts.Status == f.Status {
			out = append(out, ts)
		}
	}
	return out, nil
}

// Product returns the freshness of a product's served tables (the product
// page shows it).
func (m *Monitor) Product(ctx context.Context, domain, product string) ([]TableStatus, error) {
	return m.Statuses(ctx, Filter{Domain: domain, Product: product})
}

// Check evaluates every served table, opens a breach for each table newly
// late, stale or never published (and calls OnBreach), escalates open
// breaches that got worse, and resolves those of tables fresh again.
func (m *Monitor) Check(ctx context.Context) ([]TableStatus, error) {
	m.checkMu.Lock()
	defer m.checkMu.Unlock()
	all, err := m.Statuses(ctx, Filter{})
	if err != nil {
		return nil, err
	}
	if err := m.record(ctx, all, true); err != nil {
		return all, err
	}
	if m.onCheck != nil {
		m.onCheck(ctx, all)
	}
	return all, nil
}

// CheckTable evaluates one table now, as after a publish to it: a commit
// resolves its breach at once rather than at the next check.
func (m *Monitor) CheckTable(ctx context.Context, t *registry.Table) (TableStatus, error) {
	m.checkMu.Lock()
	defer m.checkMu.Unlock()
	now := m.now()
	var lp *time.Time
	at, ok, err := m.reg.LastCommit(ctx, t.Key())
	if err != nil {
		return TableStatus{}, err
	}
	if ok {
		lp = &at
	}
	ts, err := m.status(ctx, t, lp, now)
	if err != nil {
		return ts, err
	}
	if !t.Served(now) {
		ts.Status = None
	}
	return ts, m.record(ctx, []TableStatus{ts}, false)
}
