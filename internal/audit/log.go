package audit

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

//go:embed schema.sql
var schemaSQL string

// Outcomes.
const (
	OK     = "ok"
	Denied = "denied"
	Failed = "failed"
)

// Event is one audit record.
type Event struct {
	Seq       int64           `json:"seq"`
	Time      time.Time       `json:"time"`
	Principal string          `json:"principal"` // "" for unauthenticated
	Action    string          `json:"action"`    // e.g. "auth", "query", "publish", "apply", "grant.create", "token.create"
	Resource  string          `json:"resource"`  // e.g. "sales.orders", "sales.orders.lineitem", "token:tok_ab12"
	Outcome   string          `json:"outcome"`   // OK, Denied, Failed
	Details   json.RawMessage `json:"details,omitempty"`
	Prev      string          `json:"prev"` // hex sha256 of the previous record ("" for the first)
	Hash      string          `json:"hash"` // hex sha256 over Prev and this record's fields
}

const (
	// queueSize is how many records may wait for the writer before Append
	// blocks.
	queueSize = 4096
	// maxBatch is the most records the writer commits in one transaction.
	maxBatch = 512
)

// item is what goes through the queue: a record, or a Flush marker.
type item struct {
	rec  record
	done chan error // non-nil: a Flush marker, answered once everything before it is committed
}

// Log appends and verifies. Safe for concurrent use.
//
// Append queues records on a buffered channel; one writer goroutine drains it
// and commits records in batches, one transaction per batch, assigning seq and
// chaining hashes inside the transaction. The writer exits when Close has
// drained the queue.
type Log struct {
	db  *sql.DB
	log *slog.Logger

	mu     sync.RWMutex // held for reading while sending on queue, for writing by Close
	closed bool
	queue  chan item

	stopped  chan struct{} // closed when the writer exits
	closeErr error         // the writer's last report, returned by Close
}

// Open creates the audit table in db and starts the writer. Close flushes and stops it.
//
// ctx bounds only the table creation: the writer runs until Close.
func Open(ctx context.Context, db *sql.DB, log *slog.Logger) (*Log, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := db.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errs.Wrap(errs.Internal, "audit.Open", err, "create audit tables")
	}
	l := &Log{
		db:      db,
		log:     log.With("component", "audit"),
		queue:   make(chan item, queueSize),
		stopped: make(chan struct{}),
	}
	w := &writer{db: db, log: l.log}
	go func() {
		defer close(l.stopped)
		l.closeErr = w.run(l.queue)
	}()
	return l, nil
}

// Append records e (Seq, Time, Prev and Hash are set by the log). It queues the record and returns; the writer
// commits queued records in batches. Details is marshaled to JSON (nil: none).
//
// If details is nil, e.Details is used. Details that cannot be marshaled are
// stored as {"error":"unmarshalable details"} and details over 64 KiB as
// {"error":"details too large"}: the event is recorded either way. The time is
// taken when Append is called, so times follow seq only roughly.
//
// When the queue is full Append blocks until the writer catches up: an audit
// record is never dropped for speed. Two cases do drop the event, logging an
// error: an empty Action (a bug in the caller), and Append after Close.
func (l *Log) Append(e Event, details any) {
	if e.Action == "" {
		l.log.Error("audit event without an action dropped", "resource", e.Resource, "outcome", e.Outcome)
		return
	}
	if details == nil && len(e.Details) > 0 {
		details = e.Details
	}
	it := item{rec: record{
		time:      time.Now().UTC().Format(timeFormat),
		principal: e.Principal,
		action:    e.Action,
		resource:  e.Resource,
		outcome:   e.Outcome,
		details:   marshalDetails(details),
	}}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.log.Error("audit event after close dropped", "action", e.Action, "resource", e.Resource, "outcome", e.Outcome)
		return
	}
	l.queue <- it
}

// Flush waits until every record appended before the call is committed.
//
// It returns an error if ctx ends first, or if the writer failed to commit
// records since the previous Flush (the failure was logged when it happened).
// After Close it returns nil at once: Close committed everything.
func (l *Log) Flush(ctx context.Context) error {
	const op = "audit.Flush"
	if err := ctx.Err(); err != nil {
		return errs.Wrap(errs.KindOf(err), op, err, "flush of the audit log interrupted")
	}
	done := make(chan error, 1)
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil
	}
	select {
	case l.queue <- item{done: done}:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return errs.Wrap(errs.KindOf(ctx.Err()), op, ctx.Err(), "flush of the audit log interrupted")
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return errs.Wrap(errs.KindOf(ctx.Err()), op, ctx.Err(), "flush of the audit log interrupted")
	}
}

// Close flushes and stops the writer.
//
// It waits for every queued record to be committed, and returns an error if
// some could not be (since the last Flush). Appends after Close are dropped
// and logged. Closing twice is harmless. Close does not close the database.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.stopped
		return nil
	}
	l.closed = true
	close(l.queue)
	l.mu.Unlock()
	<-l.stopped
	return l.closeErr
}
