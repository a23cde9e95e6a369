package pgcatalog

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
)

// Tables is what the catalog needs of the registry.
type Tables interface {
	// Tables lists every table of every product (domain "" and product "").
	Tables(ctx context.Context, domain, product string) ([]registry.Table, error)
}

// Governor says what the caller (carried by ctx) may read: products, and
// then each table, which a query policy may still deny.
type Governor interface {
	Readable(ctx context.Context, domain, product string) error
	Govern(ctx context.Context, tbl *registry.Table) (query.Governance, error)
}

// Config configures a Catalog.
type Config struct {
	Registry  Tables
	Gov       Governor
	Audit     bool          // list platform.audit.events to those who may read it
	Database  string        // the database name clients see; "" is "mesh"
	Timeout   time.Duration // the longest a metadata query runs; 0 is 10s
	MaxRows   int           // the most rows a metadata query returns; 0 is 100,000
	CacheSize int           // the most table sets whose catalogs are kept; 0 is 16
	Logger    *slog.Logger
	Now       func() time.Time // for tests; nil is time.Now
}

// Catalog answers metadata queries. Safe for concurrent use.
type Catalog struct {
	c   Config
	log *slog.Logger

	mu    sync.Mutex
	sets  map[string]*set
	clock uint64
}

// set is the stand-in catalog of one set of visible tables.
type set struct {
	ready chan struct{} // closed when db or err is set
	db    *sql.DB
	err   error
	refs  int
	used  uint64
	gone  bool // evicted: close when the last user leaves
}

// New returns a Catalog.
func New(c Config) *Catalog {
	if c.Database == "" {
		c.Database = "mesh"
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxRows <= 0 {
		c.MaxRows = 100_000
	}
	if c.CacheSize <= 0 {
		c.CacheSize = 16
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Catalog{c: c, log: c.Logger.With("component", "pgcatalog"), sets: map[string]*set{}}
}

// Close releases every cached catalog.
func (c *Catalog) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.sets {
		delete(c.sets, k)
		s.gone = true
		if s.refs == 0 {
			s.close()
		}
	}
	return nil
}

// Handles reports whether sqlText is a metadata query: it names a
// pg_catalog or information_schema relation, or calls a function that
// describes the server, the session or the catalog. A query that also names
// mesh tables is claimed too, so that Query can refuse it with a clear error.
func (c *Catalog) Handles(sqlText string) bool {
	return name(sqlText).catalog
}

// Query answers a metadata query with the tables the caller may read.
// args are the values of $1, $2, ... in order.
func (c *Catalog) Query(ctx context.Context, sqlText string, args []any) ([]query.Column, [][]any, error) {
	const op = "pgcatalog.Query"
	p, ok := access.FromContext(ctx)
	if !ok {
		return nil, nil, errs.E(errs.Unauthenticated, op, "no authenticated principal")
	}
	if n := name(sqlText); n.mesh != "" {
		return nil, nil, errs.E(errs.Invalid, op,
			"a query cannot read both mesh tables (%s) and the PostgreSQL catalog: send them separately", n.mesh)
	}
	ctx, cancel := context.WithTimeout(ctx, c.c.Timeout)
	defer cancel()
	ts, err := c.visible(ctx)
	if err != nil {
		return nil, nil, err
	}
	s, err := c.acquire(ctx, ts)
	if err != nil {
		return nil, nil, err
	}
	defer c.release(s)
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, nil, dbError(ctx, err, "connect to the catalog")
	}
	defer conn.Close()
	q, err := rewrite(ctx, conn, sqlText, sessionValues{user: p.Name, database: c.c.Database})
	if err != nil {
		return nil, nil, err
	}
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, runError(ctx, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, runError(ctx, err)
	}
	cols := make([]query.Column, len(types))
	for i, t := range types {
		cols[i] = query.Column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	var out [][]any
	for rows.Next() {
		if len(out) >= c.c.MaxRows {
			return nil, nil, errs.E(errs.TooLarge, op, "the catalog query returns more than %d rows", c.c.MaxRows)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, runError(ctx, err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, runError(ctx, err)
	}
	return cols, out, nil
}

// runError turns DuckDB's refusal of a rewritten query into the client's
// error: its text is about the client's own query over the stand-ins.
func runError(ctx context.Context, err error) error {
	const op = "pgcatalog.Query"
	switch ctx.Err() {
	case context.DeadlineExceeded:
		return errs.Wrap(errs.Timeout, op, err, "the catalog query ran past its timeout")
	case context.Canceled:
		return errs.Wrap(errs.Canceled, op, err, "the catalog query was canceled")
	}
	msg := err.Error()
	for i := 0; i < len(msg); i++ {
		if msg[i] == '\n' {
			msg = msg[:i]
			break
		}
	}
	return errs.Wrap(errs.Invalid, op, err, "%s", msg)
}

// visible returns the tables the caller may read, as the catalog names them.
func (c *Catalog) visible(ctx context.Context) ([]table, error) {
	all, err := c.c.Registry.Tables(ctx, "", "")
	if err != nil {
		return nil, err
	}
	now := c.c.Now()
	readable := map[[2]string]bool{}
	may := func(domain, product string) (bool, error) {
		k := [2]string{domain, product}
		if ok, seen := readable[k]; seen {
			return ok, nil
		}
		err := c.c.Gov.Readable(ctx, domain, product)
		switch {
		case err == nil:
			readable[k] = true
		case errs.Is(err, errs.Forbidden):
			readable[k] = false
		default:
			return false, err
		}
		return readable[k], nil
	}
	// The default major of each table is the one an unpinned name reads
	// (registry.Resolve): the latest active, else the latest served non-draft,
	// else any served.
	byName := map[[3]string][]*registry.Table{}
	for i := range all {
		t := &all[i]
		if !t.Served(now) {
			continue
		}
		k := [3]string{t.Domain, t.Product, t.Name}
		byName[k] = append(byName[k], t)
	}
	var out []table
	for k, group := range byName {
		ok, err := may(k[0], k[1])
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		def := defaultMajor(group)
		for _, t := range group {
			if ok, err := governed(ctx, c.c.Gov, t); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
			sch := t.Domain + "." + t.Product
			if t != def {
				sch += "@v" + strconv.Itoa(t.Major)
			}
			out = append(out, table{schema: sch, name: t.Name, comment: t.Def.Object.Description, def: t.Def.Schema,
				stamp: fmt.Sprintf("%d/%s/%s", t.Major, t.ContractVersion, t.UpdatedAt.UTC().Format(time.RFC3339Nano))})
		}
	}
	if c.c.Audit {
		ok, err := may(query.AuditDomain, query.AuditProduct)
		if err != nil {
			return nil, err
		}
		if ok {
			ok, err = governed(ctx, c.c.Gov, query.AuditTableDef())
			if err != nil {
				return nil, err
			}
		}
		if ok {
			a := query.AuditTableDef()
			out = append(out, table{schema: a.Domain + "." + a.Product, name: a.Name,
				comment: "The platform's audit log", def: a.Def.Schema, stamp: "audit"})
		}
	}
	return out, nil
}

// governed reports whether the query policy lets the caller read tbl.
func governed(ctx context.Context, g Governor, tbl *registry.Table) (bool, error) {
	_, err := g.Govern(ctx, tbl)
	switch {
	case err == nil:
		return true, nil
	case errs.Is(err, errs.Forbidden):
		return false, nil
	}
	return false, err
}

func defaultMajor(group []*registry.Table) *registry.Table {
	for _, ok := range []func(*registry.Table) bool{
		func(t *registry.Table) bool { return t.Status == "active" },
		func(t *registry.Table) bool { return t.Status != "draft" && t.Status != "proposed" },
		func(*registry.Table) bool { return true },
	} {
		var best *registry.Table
		for _, t := range group {
			if ok(t) && (best == nil || t.Major > best.Major) {
				best = t
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// acquire returns the catalog of ts, building it if needed; release it.
func (c *Catalog) acquire(ctx context.Context, ts []table) (*set, error) {
	sortTables(ts)
	key := setKey(ts)
	c.mu.Lock()
	c.clock++
	s, ok := c.sets[key]
	if !ok {
		s = &set{ready: make(chan struct{}), used: c.clock}
		c.sets[key] = s
		c.evict()
		go func() {
			// Built without the caller's deadline: others may wait for it.
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			start := time.Now()
			db, err := open(bctx, c.c.Database, ts)
			c.mu.Lock()
			s.db, s.err = db, err
			if err != nil && c.sets[key] == s {
				delete(c.sets, key) // the callers get the error; the next one tries again
			}
			c.mu.Unlock()
			if err == nil {
				c.log.Debug("built a catalog", "tables", len(ts), "took", time.Since(start))
			}
			close(s.ready)
		}()
	}
	s.refs++
	s.used = c.clock
	c.mu.Unlock()
	select {
	case <-s.ready:
	case <-ctx.Done():
		c.release(s)
		return nil, errs.Wrap(errs.KindOf(ctx.Err()), "pgcatalog.acquire", ctx.Err(), "waiting for the catalog")
	}
	if s.err != nil {
		c.release(s)
		return nil, s.err
	}
	return s, nil
}

func (c *Catalog) release(s *set) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.refs--
	if s.refs == 0 && s.gone {
		s.close()
	}
}

// evict drops the least recently used catalogs beyond the cache size; one
// in use is closed when its last user releases it. Called with c.mu held.
func (c *Catalog) evict() {
	for len(c.sets) > c.c.CacheSize {
		var oldKey string
		var old *set
		for k, s := range c.sets {
			if old == nil || s.used < old.used {
				oldKey, old = k, s
			}
		}
		delete(c.sets, oldKey)
		old.gone = true
		if old.refs == 0 {
			go func() {
				<-old.ready
				old.close()
			}()
		}
	}
}

func (s *set) close() {
	select {
	case <-s.ready:
		if s.db != nil {
			s.db.Close()
		}
	default:
		go func() {
			<-s.ready
			if s.db != nil {
				s.db.Close()
			}
		}()
	}
}
