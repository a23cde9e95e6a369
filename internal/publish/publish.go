package publish

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/quality"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

// maxLineSize bounds one CSV line or JSON object (a huge single field is a
// rejected row, not an out-of-memory).
const maxLineSize = 8 << 20

// Registry is what the pipeline needs of the metadata store.
type Registry interface {
	Resolve(ctx context.Context, domain, product, name string, major *int, now time.Time) (*registry.Table, error)
	RecordPublish(ctx context.Context, p registry.Publish) error
	CommittedPublish(ctx context.Context, domain, product, table, key string) (*registry.Publish, error)
	Contract(ctx context.Context, id, version string) (*registry.Contract, error)
}

// Guard checks the SQL of sql quality rules.
type Guard interface {
	Rewrite(ctx context.Context, conn *sql.Conn, sql string, b query.Binder) (query.Rewritten, error)
}

// Publisher runs publishes. Safe for concurrent use; publishes to one table
// run one at a time.
type Publisher struct {
	duck     *sql.DB
	lake     *lake.Lake
	reg      Registry
	guard    Guard
	policy   PolicyGate
	spool    string
	maxBytes int64
	log      *slog.Logger
	onDone   func(context.Context, Outcome)

	mu    sync.Mutex
	locks map[lake.Ident]*sync.Mutex
}

// Config configures a Publisher.
type Config struct {
	DuckDB   *sql.DB // the sandboxed engine; Spool must be one of its allowed directories
	Lake     *lake.Lake
	Registry Registry
	Guard    Guard
	Policy   PolicyGate // the global publish policies; nil: no policy gate
	Spool    string     // where uploads are spooled
	MaxBytes int64      // largest upload accepted
	Logger   *slog.Logger
	// OnDone is told of every run once it is recorded, committed or not
	// (metrics, events, lineage). It runs on the publishing goroutine after
	// the table's lock is released, so it must be quick: queue, never block.
	OnDone func(context.Context, Outcome)
}

// Outcome is what OnDone is told of a recorded run.
type Outcome struct {
	Table    *registry.Table // the table published to, with the major it resolved to
	Report   *Report         // Status tells committed, gate_failed, stale, failed or unknown
	Started  time.Time
	Finished time.Time
}

// New returns a Publisher.
func New(c Config) *Publisher {
	return &Publisher{duck: c.DuckDB, lake: c.Lake, reg: c.Registry, guard: c.Guard, policy: c.Policy, spool: c.Spool,
		maxBytes: c.MaxBytes, log: c.Logger.With("component", "publish"), onDone: c.OnDone, locks: map[lake.Ident]*sync.Mutex{}}
}

// Request is one publish.
type Request struct {
	Table          lake.Ident // the mesh name: domain, product, table
	Major          *int       // the major version to publish to; nil: the one consumers read by default
	Mode           lake.Mode
	Format         Format
	Body           io.Reader
	IdempotencyKey string
	MaxRejects     int64 // rows that may be rejected (and left out) before the gate fails
}

func (p *Publisher) lock(id lake.Ident) func() {
	p.mu.Lock()
	m := p.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		p.locks[id] = m
	}
	p.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// Publish runs the pipeline. It returns the report and, when the gate
// failed, an error of kind GateFailed whose details are the report.
func (p *Publisher) Publish(ctx context.Context, req Request) (*Report, error) {
	const op = "publish.Publish"
	start := time.Now()
	id := req.Table
	if req.IdempotencyKey != "" && (len(req.IdempotencyKey) > 200 || strings.ContainsAny(req.IdempotencyKey, "\x00\r\n")) {
		return nil, errs.E(errs.Invalid, op, "the Idempotency-Key must be at most 200 characters on one line")
	}
	if req.MaxRejects < 0 {
		return nil, errs.E(errs.Invalid, op, "max rejected rows must be zero or more")
	}
	tbl, err := p.reg.Resolve(ctx, id.Domain, id.Product, id.Table, req.Major, time.Now())
	if err != nil {
		return nil, err
	}
	id = lake.Ident{Domain: tbl.Domain, Product: tbl.Namespace, Table: tbl.Name}
	run := newRunID()
	rep := &Report{RunID: run, Table: tbl.Address(), Mode: string(req.Mode), Format: string(req.Format), MaxRejects: req.MaxRejects}

	// Spool before taking the table's lock: a slow upload must not hold up other publishes.
	path, n, err := p.spoolBody(req.Body, run, req.Format)
	defer os.Remove(path)
	if err != nil {
		return nil, err
	}
	rep.BytesRead = n
	rep.stage("spool", start)

	unlock := p.lock(id)
	defer unlock()
	if req.IdempotencyKey != "" {
		prev, err := p.reg.CommittedPublish(ctx, id.Domain, id.Product, id.Table, req.IdempotencyKey)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			var old Report
			if err := json.Unmarshal(prev.Report, &old); err != nil {
				return nil, errs.Wrap(errs.Internal, op, err, "read earlier report")
			}
			old.Replayed = true
			return &old, nil
		}
	}
	current, err := p.lake.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if req.IdempotencyKey != "" {
		// The commit carries the key in its summary: a run that committed but
		// was never recorded (the process stopped in between) is found here.
		for _, s := range current.Metadata().Snapshots() {
			if s.Summary == nil || s.Summary.Properties["meshwork.idempotency-key"] != req.IdempotencyKey {
				continue
			}
			props := s.Summary.Properties
			old := &Report{RunID: props["meshwork.run-id"], Table: tbl.Address(), Mode: string(req.Mode), Format: props["meshwork.format"],
				Status: StatusCommitted, Replayed: true, SnapshotID: s.SnapshotID}
			old.RowsOK, _ = strconv.ParseInt(props["meshwork.rows-accepted"], 10, 64)
			old.RowsFailed, _ = strconv.ParseInt(props["meshwork.rows-rejected"], 10, 64)
			old.RowsRead = old.RowsOK + old.RowsFailed
			return old, nil
		}
	}
	if s := current.CurrentSnapshot(); s != nil {
		rep.PreviousSnapshotID = s.SnapshotID
	}
	dataDir := filepath.Join(p.lake.Location(id), "data", run)
	committed := false
	defer func() {
		// Unless a snapshot references them, remove whatever this run wrote:
		// on a failed gate, an error, a canceled request or a panic alike.
		if committed {
			return
		}
		if rmErr := os.RemoveAll(dataDir); rmErr != nil {
			p.log.ErrorContext(ctx, "remove staged files", "run", run, "err", rmErr)
		}
	}()
	files, err := p.run(ctx, req, tbl, path, dataDir, rep)
	rep.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		return nil, err
	}
	if !rep.Passed() {
		rep.Status = StatusGateFailed
		p.record(ctx, tbl, req, rep, start, nil)
		return rep, errs.WithDetails(errs.E(errs.GateFailed, op, "%s", gateMessage(id, rep)), rep)
	}
	props := map[string]string{
		"meshwork.run-id":        run,
		"meshwork.rows-accepted": strconv.FormatInt(rep.RowsOK, 10),
		"meshwork.rows-rejected": strconv.FormatInt(rep.RowsFailed, 10),
		"meshwork.quality":       qualitySummary(rep.Quality),
		"meshwork.format":        string(req.Format),
	}
	if req.IdempotencyKey != "" {
		props["meshwork.idempotency-key"] = req.IdempotencyKey
	}
	commitStart := time.Now()
	snap, err := p.lake.Commit(ctx, id, files, req.Mode, props)
	if err != nil {
		// An error does not always mean nothing was committed: if a snapshot
		// carries this run, its files are live and must stay.
		if s := p.committedRun(context.WithoutCancel(ctx), id, run); s != nil {
			committed = true
			p.log.WarnContext(ctx, "commit reported an error but the run is in the table", "run", run, "snapshot", s.SnapshotID, "err", err)
			snap = s
		} else {
			return nil, err
		}
	}
	committed = true
	rep.stage("commit", commitStart)
	rep.Status = StatusCommitted
	rep.SnapshotID = snap.SnapshotID
	rep.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	p.record(ctx, tbl, req, rep, start, &snap.SnapshotID)
	p.log.InfoContext(ctx, "published", "table", id.String(), "run", run, "snapshot", snap.SnapshotID, "rows", rep.RowsOK, "ms", rep.DurationMs)
	return rep, nil
}

// committedRun returns the snapshot that committed run, if the table has one.
func (p *Publisher) committedRun(ctx context.Context, id lake.Ident, run string) *table.Snapshot {
	tbl, err := p.lake.Load(ctx, id)
	if err != nil {
		return nil
	}
	snaps := tbl.Metadata().Snapshots()
	for i := range snaps {
		if s := &snaps[i]; s.Summary != nil && s.Summary.Properties["meshwork.run-id"] == run {
			return s
		}
	}
	return nil
}

// record stores the run in the registry under the table's lake identity
// (its namespace names the major), as CommittedPublish and LastPublish look
// it up, then tells OnDone. The run's outcome is already decided: a failure
// to record is logged, not returned.
func (p *Publisher) record(ctx context.Context, tbl *registry.Table, req Request, rep *Report, start time.Time, snap *int64) {
	body, _ := json.Marshal(rep)
	key := req.IdempotencyKey
	if rep.Status != StatusCommitted {
		key = ""
	}
	finished := time.Now()
	ctx = context.WithoutCancel(ctx)
	err := p.reg.RecordPublish(ctx, registry.Publish{
		RunID: rep.RunID, Domain: tbl.Domain, Product: tbl.Namespace, Table: tbl.Name,
		Mode: string(req.Mode), Status: rep.Status, SnapshotID: snap, IdempotencyKey: key, Report: body,
		StartedAt: start, FinishedAt: finished,
	})
	if err != nil {
		p.log.ErrorContext(ctx, "record publish", "run", rep.RunID, "err", err)
	}
	if p.onDone != nil {
		p.onDone(ctx, Outcome{Table: tbl, Report: rep, Started: start, Finished: finished})
	}
}

// spoolBody copies the upload to a file in the spool directory.
func (p *Publisher) spoolBody(body io.Reader, run string, f Format) (string, int64, error) {
	const op = "publish.spool"
	path := filepath.Join(p.spool, run+"."+string(f))
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return path, 0, errs.Wrap(errs.Internal, op, err, "spool upload")
	}
	defer out.Close()
	limit := p.maxBytes
	if limit <= 0 {
		limit = 1 << 62
	}
	n, err := io.Copy(out, io.LimitReader(body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return path, n, errs.E(errs.TooLarge, op, "the upload is larger than the limit of %d bytes", mbe.Limit)
		}
		return path, n, errs.Wrap(errs.Invalid, op, err, "the upload was interrupted")
	}
	if n > limit {
		return path, n, errs.E(errs.TooLarge, op, "the upload is larger than the limit of %d bytes", limit)
	}
	if n == 0 {
		return path, 0, errs.E(errs.Invalid, op, "the upload is empty")
	}
	return path, n, out.Close()
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102t150405") + "_" + hex.EncodeToString(b[:])
}

func qualitySummary(rs []quality.Result) string {
	passed := 0
	for _, r := range rs {
		if r.Passed {
			passed++
		}
	}
	return fmt.Sprintf("%d/%d passed", passed, len(rs))
}

// tableSchema returns the table's schema as the lake has it (with field ids).
func tableSchema(tbl *registry.Table) *schema.Table { return &tbl.Def.Schema }
