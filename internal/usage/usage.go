package usage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/query"
)

//go:embed schema.sql
var schemaSQL string

// Config configures an Aggregator.
type Config struct {
	DB              *sql.DB       // the platform's SQLite database (mesh.db)
	Logger          *slog.Logger  // nil: discard
	FlushEvery      time.Duration // how often counts are written; 0: 5s
	MaxFingerprints int           // kept per product, the least used pruned; 0: 200
	RetainDays      int           // daily counts kept; 0: 400
}

// Defaults.
const (
	defaultFlushEvery      = 5 * time.Second
	defaultMaxFingerprints = 200
	defaultRetainDays      = 400
	// maxPending bounds the distinct fingerprints held between two flushes,
	// so that a flood of distinct queries cannot grow memory: the queries
	// still count, their shapes are not kept.
	maxPending = 10_000
)

// Aggregator counts queries per product in memory and writes the counts
// every FlushEvery. Safe for concurrent use.
type Aggregator struct {
	db      *sql.DB
	log     *slog.Logger
	every   time.Duration
	maxFP   int
	retain  int
	flushMu sync.Mutex // one flush at a time

	mu       sync.Mutex
	closed   bool
	counts   map[countKey]int64
	prints   map[printKey]*printCount
	dropped  int64 // fingerprints not kept since the last flush: too long, or too many pending
	lastTrim string

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

type countKey struct{ domain, product, day, principal string }

type printKey struct{ domain, product, hash string }

type printCount struct {
	text     string
	products string
	queries  int64
	last     time.Time
}

// Open creates the usage tables if needed and starts the flusher; Close
// stops it after a last flush.
func Open(ctx context.Context, c Config) (*Aggregator, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = defaultFlushEvery
	}
	if c.MaxFingerprints <= 0 {
		c.MaxFingerprints = defaultMaxFingerprints
	}
	if c.RetainDays <= 0 {
		c.RetainDays = defaultRetainDays
	}
	if _, err := c.DB.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errs.Wrap(errs.Internal, "usage.Open", err, "create usage tables")
	}
	a := &Aggregator{db: c.DB, log: c.Logger.With("component", "usage"), every: c.FlushEvery, maxFP: c.MaxFingerprints,
		retain: c.RetainDays, counts: map[countKey]int64{}, prints: map[printKey]*printCount{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go a.run()
	return a, nil
}

// run flushes every a.every until Close.
func (a *Aggregator) run() {
	defer close(a.done)
	defer a.log.Debug("usage flusher stopped")
	t := time.NewTicker(a.every)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := a.Flush(ctx); err != nil {
				a.log.Warn("usage flush failed; the counts are kept for the next one", "err", err)
			}
			cancel()
		}
	}
}

// Close stops the flusher and writes what is pending. Later calls return
// the first call's result; queries observed after Close are not counted.
func (a *Aggregator) Close() error {
	a.closeOnce.Do(func() {
		close(a.stop)
		<-a.done
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a.closeErr = a.Flush(ctx)
		a.mu.Lock()
		a.closed = true
		a.mu.Unlock()
	})
	return a.closeErr
}

// Observe counts one successful query of principal at time at, which read
// tables: once per product read, with the query's fingerprint. It never
// touches the database.
func (a *Aggregator) Observe(principal string, at time.Time, sqlText string, tables []query.TableRef) {
	products := productsOf(tables)
	if len(products) == 0 {
		return
	}
	fp := Fingerprint(sqlText)
	keep := len(fp) <= MaxFingerprint && fp != ""
	var hash string
	if keep {
		h := sha256.Sum256([]byte(fp))
		hash = hex.EncodeToString(h[:16])
	}
	joined := strings.Join(products, ",")
	at = at.UTC()
	day := at.Format(time.DateOnly)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	for _, p := range products {
		d, pr, _ := strings.Cut(p, ".")
		a.counts[countKey{d, pr, day, principal}]++
		if !keep {
			a.dropped++
			continue
		}
		k := printKey{d, pr, hash}
		pc := a.prints[k]
		if pc == nil {
			if len(a.prints) >= maxPending {
				a.dropped++
				continue
			}
			pc = &printCount{text: fp, products: joined}
			a.prints[k] = pc
		}
		pc.queries++
		if at.After(pc.last) {
			pc.last = at
		}
	}
}

// productsOf returns the sorted, distinct "domain.product" of tables.
func productsOf(tables []query.TableRef) []string {
	var out []string
	for _, t := range tables {
		if t.Domain == "" || t.Product == "" {
			continue
		}
		p := t.Domain + "." + t.Product
		if !containsString(out, p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

const timeFormat = "2006-01-02T15:04:05.000000000Z"

// Flush writes the counts observed so far in one transaction and prunes
// each touched product's fingerprints to the most used. On failure the
// counts stay pending for the next flush.
func (a *Aggregator) Flush(ctx context.Context) error {
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	a.mu.Lock()
	counts, prints, dropped := a.counts, a.prints, a.dropped
	a.counts, a.prints, a.dropped = map[countKey]int64{}, map[printKey]*printCount{}, 0
	a.mu.Unlock()
	if len(counts) == 0 && len(prints) == 0 {
		return nil
	}
	if err := a.write(ctx, counts, prints); err != nil {
		a.restore(counts, prints, dropped)
		return errs.Wrap(errs.Internal, "usage.Flush", err, "write usage counts")
	}
	if dropped > 0 {
		a.log.Debug("usage: fingerprints not kept", "count", dropped)
	}
	return nil
}

// restore puts counts that could not be written back into the pending ones.
func (a *Aggregator) restore(counts map[countKey]int64, prints map[printKey]*printCount, dropped int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, n := range counts {
		a.counts[k] += n
	}
	for k, pc := range prints {
		cur := a.prints[k]
		if cur == nil {
			a.prints[k] = pc
			continue
		}
		cur.queries += pc.queries
		if pc.last.After(cur.last) {
			cur.last = pc.last
		}
	}
	a.dropped += dropped
}

func (a *Aggregator) write(ctx context.Context, counts map[countKey]int64, prints map[printKey]*printCount) error {
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for k, n := range counts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_usage_consumers (domain, product, day, principal, queries) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (domain, product, day, principal) DO UPDATE SET queries = queries + excluded.queries`,
			k.domain, k.product, k.day, k.principal, n); err != nil {
			return err
		}
	}
	touched := map[[2]string]bool{}
	for k, pc := range prints {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_usage_fingerprints (domain, product, hash, fingerprint, products, queries, last_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (domain, product, hash) DO UPDATE SET queries = queries + excluded.queries,
				products = excluded.products, last_seen = max(last_seen, excluded.last_seen)`,
			k.domain, k.product, k.hash, pc.text, pc.products, pc.queries, pc.last.Format(timeFormat)); err != nil {
			return err
		}
		touched[[2]string{k.domain, k.product}] = true
	}
	for p := range touched {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mesh_usage_fingerprints WHERE domain = ? AND product = ? AND hash NOT IN (
			SELECT hash FROM mesh_usage_fingerprints WHERE domain = ? AND product = ? ORDER BY queries DESC, last_seen DESC LIMIT ?)`,
			p[0], p[1], p[0], p[1], a.maxFP); err != nil {
			return err
		}
	}
	// Old days go once a day.
	today := time.Now().UTC().Format(time.DateOnly)
	if a.lastTrim != today {
		cutoff := time.Now().UTC().AddDate(0, 0, -a.retain).Format(time.DateOnly)
		if _, err := tx.ExecContext(ctx, `DELETE FROM mesh_usage_consumers WHERE day < ?`, cutoff); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	a.lastTrim = today
	return nil
}
