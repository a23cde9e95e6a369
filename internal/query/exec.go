package query

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
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
}

// EngineConfig configures an Engine.
type EngineConfig struct {
	DuckDB  *sql.DB // from OpenDuckDB
	Lake    *lake.Lake
	Tables  Tables
	Timeout time.Duration // the longest a query may run
	Logger  *slog.Logger
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
	return &Engine{
		db: c.DuckDB, guard: g, timeout: c.Timeout, rewrites: newRewriteCache(1024),
		views: &views{db: c.DuckDB, lake: c.Lake, tables: c.Tables, cache: map[string]bool{}},
		hide:  []string{c.Lake.Warehouse()},
		log:   c.Logger.With("component", "query"),
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
}

// Query checks, rewrites and starts sqlText. timeout, if positive and
// shorter than the engine's, bounds this query. The query is canceled when
// ctx is done.
func (e *Engine) Query(ctx context.Context, sqlText string, timeout time.Duration) (*Rows, error) {
	const op = "query.Query"
	started := time.Now()
	if timeout <= 0 || timeout > e.timeout {
		timeout = e.timeout
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	conn, err := e.db.Conn(qctx)
	if err != nil {
		cancel()
		return nil, errs.Wrap(errs.Unavailable, op, err, "the query engine is not available")
	}
	fail := func(err error) (*Rows, error) {
		// Classify before cancel: afterwards qctx.Err() would call every error a cancellation.
		uerr := e.userError(qctx, err, timeout)
		conn.Close()
		cancel()
		return nil, uerr
	}
	b := &binder{v: e.views, snapshots: map[string]int64{}}
	rw, err := e.rewrite(qctx, conn, sqlText, b)
	if err != nil {
		return fail(err)
	}
	rows, err := conn.QueryContext(qctx, rw.SQL)
	if err != nil {
		return fail(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return fail(err)
	}
	r := &Rows{Tables: rw.Tables, Snapshots: b.snapshots, rows: rows, conn: conn, cancel: cancel, ctx: qctx,
		started: started, limit: timeout, hide: e.hide}
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
		return r.hasRow
	}
	return r.rows.Next()
}

// Values returns the current row. The slice is reused by the next call to Next.
func (r *Rows) Values() ([]any, error) {
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, r.userErr(err)
	}
	return r.values, nil
}

// Err returns the error that stopped iteration, if any, as a client-safe error.
func (r *Rows) Err() error {
	if err := r.rows.Err(); err != nil {
		return r.userErr(err)
	}
	if r.ctx.Err() != nil {
		return r.userErr(r.ctx.Err())
	}
	return nil
}

func (r *Rows) userErr(err error) error {
	return userError(r.ctx, err, r.limit, r.hide)
}

// Elapsed is the time since the query was submitted (guard, planning and execution).
func (r *Rows) Elapsed() time.Duration { return time.Since(r.started) }

// Close ends the query and releases its connection.
func (r *Rows) Close() error {
	err := r.rows.Close()
	r.conn.Close()
	r.cancel()
	return err
}

func (e *Engine) userError(ctx context.Context, err error, limit time.Duration) error {
	return userError(ctx, err, limit, e.hide)
}

// userError turns an engine error into a client-safe one. Errors of the
// guard and the binder are already safe; DuckDB's own errors about the user's
// query are shown (without server paths); timeouts and cancellations get
// their own kinds.
func userError(ctx context.Context, err error, limit time.Duration, hide []string) error {
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
