package query

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
)

// Engine runs governed queries. Safe for concurrent use.
type Engine struct {
	db      *sql.DB
	guard   *Guard
	views   *views
	timeout time.Duration
	hide    []string // paths never shown in error messages
	log     *slog.Logger

	rewrites *rewriteCache
	onDone   func(context.Context, Record)
}

// EngineConfig configures an Engine.
type EngineConfig struct {
	DuckDB   *sql.DB // from OpenDuckDB
	Lake     *lake.Lake
	Tables   Tables
	Governor Governor                      // required: decides what the caller (carried by ctx) reads
	HashKey  string                        // keys the hash mask
	Audit    AuditSource                   // serves platform.audit.events; nil: no such table
	OnDone   func(context.Context, Record) // called once per query, ok or not (the audit trail)
	Timeout  time.Duration                 // the longest a query may run
	Logger   *slog.Logger
}

// Record is what the engine tells OnDone of a finished query.
type Record struct {
	SQL      string
	Tables   []TableRef // tables the query read, with the major each resolved to (those bound before a failure)
	Rows     int64      // rows returned to the caller
	Duration time.Duration
	Err      error  // nil when the query ran to its end
	Door     string // how the query came in (DoorHTTP, DoorPGWire), from WithDoor
}

// NewEngine prepares the engine and its guard.
func NewEngine(ctx context.Context, c EngineConfig) (*Engine, error) {
	conn, err := c.DuckDB.Conn(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "query.NewEngine", err, "connect duckdb")
	}
	defer conn.Close()
	g, err := NewGuard(ctx, conn)
	if err != nil {
		return nil, err
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Minute
	}
	if c.Governor == nil {
		return nil, errs.E(errs.Internal, "query.NewEngine", "no governor: every query must be governed")
	}
	v := &views{db: c.DuckDB, lake: c.Lake, tables: c.Tables, gov: c.Governor, hashKey: c.HashKey, cache: map[string]bool{}}
	if c.Audit != nil {
		v.audit = &auditTable{src: c.Audit, db: c.DuckDB}
	}
	return &Engine{
		db: c.DuckDB, guard: g, timeout: c.Timeout, rewrites: newRewriteCache(1024), views: v,
		hide:   []string{c.Lake.Warehouse()},
		log:    c.Logger.With("component", "query"),
		onDone: c.OnDone,
	}, nil
}

// Guard returns the engine's SQL guard.
func (e *Engine) Guard() *Guard { return e.guard }

// Column is a result column.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Rows is a running query's result, read row by row. Close it.
type Rows struct {
	Columns   []Column
	Tables    []TableRef
	Snapshots map[string]int64 // table -> snapshot read
	resolved  []TableRef       // Tables, each with the major it resolved to
	rows      *sql.Rows
	conn      *sql.Conn
	cancel    context.CancelFunc
	ctx       context.Context
	values    []any
	ptrs      []any
	started   time.Time
	limit     time.Duration
	hide      []string
	primed    bool // Prime fetched a row that Next has not returned yet
	hasRow    bool
	sensitive bool // masked or filtered tables: error texts must not quote values
	count     int64
	sql       string
	outerCtx  context.Context
	onDone    func(context.Context, Record)
	lastErr   error
	closed    bool
}

// Query checks, rewrites and starts sqlText. timeout, if positive and
// shorter than the engine's, bounds this query. The query is canceled when
// ctx is done. args are the values of the query's positional parameters
// ($1, ...), bound by DuckDB as values (see Prepare).
func (e *Engine) Query(ctx context.Context, sqlText string, timeout time.Duration, args ...any) (*Rows, error) {
	const op = "query.Query"
	started := time.Now()
	if timeout <= 0 || timeout > e.timeout {
		timeout = e.timeout
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	conn, err := e.db.Conn(qctx)
	if err != nil {
		if qctx.Err() != nil {
			err = userError(qctx, err, timeout, e.hide, false)
		} else {
			err = errs.Wrap(errs.Unavailable, op, err, "the query engine is not available")
		}
		cancel()
		if e.onDone != nil {
			e.onDone(ctx, Record{SQL: sqlText, Duration: time.Since(started), Err: err, Door: DoorOf(ctx)})
		}
		return nil, err
	}
	b := &binder{v: e.views, snapshots: map[string]int64{}}
	var rw Rewritten
	fail := func(err error) (*Rows, error) {
		// Classify before cancel: afterwards qctx.Err() would call every error a cancellation.
		uerr := userError(qctx, err, timeout, e.hide, b.sensitive)
		conn.Close()
		cancel()
		if e.onDone != nil {
			tables := b.resolved
			if rw.Tables == nil {
				tables = b.seen
			}
			e.onDone(ctx, Record{SQL: sqlText, Tables: tables, Duration: time.Since(started), Err: uerr, Door: DoorOf(ctx)})
		}
		return nil, uerr
	}
	rw, err = e.rewrite(qctx, conn, sqlText, b)
	if err != nil {
		return fail(err)
	}
	rows, err := conn.QueryContext(qctx, rw.SQL, args...)
	if err != nil {
		return fail(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return fail(err)
	}
	r := &Rows{Tables: rw.Tables, resolved: b.resolved, Snapshots: b.snapshots, rows: rows, conn: conn, cancel: cancel, ctx: qctx,
		started: started, limit: timeout, hide: e.hide, sensitive: b.sensitive, sql: sqlText, outerCtx: ctx, onDone: e.onDone}
	for _, t := range types {
		r.Columns = append(r.Columns, Column{Name: t.Name(), Type: t.DatabaseTypeName()})
	}
	r.values = make([]any, len(types))
	r.ptrs = make([]any, len(types))
	for i := range r.values {
		r.ptrs[i] = &r.values[i]
	}
	return r, nil
}

// Next advances to the next row; it returns false at the end or on error (see Err).
func (r *Rows) Next() bool {
	if r.primed {
		r.primed = false
		if r.hasRow {
			r.count++
		}
		return r.hasRow
	}
	if r.rows.Next() {
		r.count++
		return true
	}
	return false
}

// Values returns the current row. The slice is reused by the next call to Next.
func (r *Rows) Values() ([]any, error) {
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.lastErr = r.userErr(err)
		return nil, r.lastErr
	}
	return r.values, nil
}

// Err returns the error that stopped iteration, if any, as a client-safe error.
func (r *Rows) Err() error {
	if err := r.rows.Err(); err != nil {
		r.lastErr = r.userErr(err)
		return r.lastErr
	}
	if r.ctx.Err() != nil {
		r.lastErr = r.userErr(r.ctx.Err())
		return r.lastErr
	}
	return nil
}

func (r *Rows) userErr(err error) error {
	return userError(r.ctx, err, r.limit, r.hide, r.sensitive)
}

// Fail records why the caller stopped reading (e.g. the row limit or a
// broken connection), for the query's record.
func (r *Rows) Fail(err error) {
	if r.lastErr == nil {
		r.lastErr = err
	}
}

// Elapsed is the time since the query was submitted (guard, planning and execution).
func (r *Rows) Elapsed() time.Duration { return time.Since(r.started) }

// Close ends the query and releases its connection.
func (r *Rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.rows.Close()
	r.conn.Close()
	r.cancel()
	if r.onDone != nil {
		r.onDone(r.outerCtx, Record{SQL: r.sql, Tables: r.resolved, Rows: r.count, Duration: time.Since(r.started), Err: r.lastErr, Door: DoorOf(r.outerCtx)})
	}
	return err
}

// structural reports whether a DuckDB error is about the query's text and
// types (which name functions and columns), not about a value in the data.
func structural(msg string) bool {
	for _, p := range []string{"Parser Error", "Binder Error", "Catalog Error", "Not implemented Error"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// quotedValue is a single-quoted SQL string in an error message.
var quotedValue = regexp.MustCompile(`'(?:[^']|'')*'`)

// userError turns an engine error into a client-safe one. Errors of the
// guard and the binder are already safe; DuckDB's own errors about the user's
// query are shown (without server paths); timeouts and cancellations get
// their own kinds.
func userError(ctx context.Context, err error, limit time.Duration, hide []string, sensitive bool) error {
	const op = "query"
	var me *errs.Error
	ours := errors.As(err, &me)
	if ours && errs.KindOf(err) != errs.Internal {
		return err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errs.Wrap(errs.Timeout, op, err, "the query ran past its timeout of %s and was canceled", limit)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return errs.Wrap(errs.Canceled, op, err, "the query was canceled")
	}
	if ours {
		// The platform already called it Internal (a broken data file, a
		// catalog failure): its text names internal paths and relations.
		return err
	}
	msg := err.Error()
	for _, h := range hide {
		msg = strings.ReplaceAll(msg, h, "<warehouse>")
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if sensitive && !structural(msg) {
		// DuckDB may evaluate the caller's predicates before a row filter
		// and quote the offending value ("Could not convert string 'x'"):
		// over masked or filtered tables, no value is quoted back.
		msg = quotedValue.ReplaceAllString(msg, "'…'")
	}
	switch {
	case strings.Contains(msg, "Out of Memory"):
		return errs.Wrap(errs.TooLarge, op, err, "the query needs more memory than the engine's limit: %s", msg)
	case strings.Contains(msg, "INTERNAL Error"), strings.Contains(msg, "IO Error"):
		return errs.Wrap(errs.Internal, op, err, "query failed")
	}
	return errs.Wrap(errs.Invalid, op, err, "%s", msg)
}

// Exec runs a query to completion and returns all its rows; for small results
// (tests, the CLI's table output goes through the API instead).
func (e *Engine) Exec(ctx context.Context, sqlText string) ([]Column, [][]any, error) {
	r, err := e.Query(ctx, sqlText, 0)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var out [][]any
	for r.Next() {
		v, err := r.Values()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, append([]any(nil), v...))
	}
	if err := r.Err(); err != nil {
		return nil, nil, err
	}
	return r.Columns, out, nil
}

// Prime fetches the first row, so that errors in running the query surface
// before any of the result is sent. Next then returns that row first.
func (r *Rows) Prime() error {
	r.primed = true
	r.hasRow = r.rows.Next()
	if !r.hasRow {
		return r.Err()
	}
	return nil
}
