package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// retryDelays are the pauses between attempts to commit a batch; after the
// last attempt fails the batch is logged and given up.
var retryDelays = []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond}

// batchLinger is the longest the writer waits for more records to commit
// in the same transaction.
const batchLinger = 2 * time.Millisecond

// commitTimeout bounds one attempt to commit a batch.
const commitTimeout = 30 * time.Second

// writer is the single goroutine that commits queued records. Its fields are
// used by that goroutine only.
type writer struct {
	db  *sql.DB
	log *slog.Logger
	h   hasher

	lost    int   // records given up since the last Flush marker was answered
	lostErr error // the last commit error behind lost
	warned  bool  // the head/last-record disagreement was logged
}

// run commits what arrives on queue until it is closed and drained, and
// returns the failure report Close hands back.
func (w *writer) run(queue <-chan item) error {
	batch := make([]record, 0, maxBatch)
	var markers []chan error
	add := func(it item) {
		if it.done != nil {
			markers = append(markers, it.done)
		} else {
			batch = append(batch, it.rec)
		}
	}
	linger := time.NewTimer(0)
	defer linger.Stop()
	for it := range queue {
		add(it)
	drain:
		for len(batch) < maxBatch {
			select {
			case it, ok := <-queue:
				if !ok {
					break drain
				}
				add(it)
			default:
				break drain
			}
		}
		// Group commit: a transaction costs far more than a record, so
		// under a stream of records (a catalog audits every table load)
		// wait a moment for more to share it. Nobody waits for a commit
		// but Flush, whose marker ends the wait at once.
		linger.Reset(batchLinger)
	wait:
		for len(markers) == 0 && len(batch) < maxBatch {
			select {
			case it, ok := <-queue:
				if !ok {
					break wait
				}
				add(it)
			case <-linger.C:
				break wait
			}
		}
		if len(batch) > 0 {
			w.commit(batch)
		}
		// A marker is queued after every record appended before its Flush,
		// so those records were in this batch or an earlier one.
		if len(markers) > 0 {
			err := w.report()
			for _, m := range markers {
				m <- err
			}
		}
		clear(batch) // drop references to the strings
		batch, markers = batch[:0], markers[:0]
	}
	return w.report()
}

// report returns the error for records given up since the last report, and
// resets the count.
func (w *writer) report() error {
	if w.lost == 0 {
		return nil
	}
	err := errs.Wrap(errs.Unavailable, "audit.Flush", w.lostErr, "%d audit records could not be stored", w.lost)
	w.lost, w.lostErr = 0, nil
	return err
}

// commit commits batch, retrying a few times; if every attempt fails it logs
// the failure (counts and the cause, never record contents) and gives up.
func (w *writer) commit(batch []record) {
	for attempt := 0; ; attempt++ {
		err := w.commitOnce(batch)
		if err == nil {
			return
		}
		if attempt == len(retryDelays) {
			w.log.Error("audit records could not be stored", "records", len(batch), "attempts", attempt+1, "err", err)
			w.lost += len(batch)
			w.lostErr = err
			return
		}
		time.Sleep(retryDelays[attempt])
	}
}

// commitOnce writes batch in one transaction: it reads the chain head, gives
// each record the next seq and links it to the one before, and moves the head.
func (w *writer) commitOnce(batch []record) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var headSeq int64
	var headHash string
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM mesh_audit_head WHERE id = 1`).Scan(&headSeq, &headHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read head: %w", err)
	}
	var lastSeq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM mesh_audit`).Scan(&lastSeq); err != nil {
		return fmt.Errorf("read last seq: %w", err)
	}
	// The chain continues from the head, not from the last row: after a
	// truncation the next seq leaves a gap, and after rows were added past
	// the head the next prev does not match, so Verify still sees the
	// tampering instead of a chain the writer repaired.
	if lastSeq != headSeq && !w.warned {
		w.warned = true
		w.log.Error("audit chain head does not match the last record; run verify", "head_seq", headSeq, "last_seq", lastSeq)
	}
	seq, prev := max(headSeq, lastSeq), headHash
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO mesh_audit (seq, time, principal, action, resource, outcome, details, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	defer func() { _ = stmt.Close() }()
	for i := range batch {
		r := &batch[i]
		seq++
		r.seq, r.prev = seq, prev
		r.hash = w.h.sum(r)
		prev = r.hash
		if _, err := stmt.ExecContext(ctx, r.seq, r.time, r.principal, r.action, r.resource, r.outcome, r.details, r.prev, r.hash); err != nil {
			return fmt.Errorf("insert record %d: %w", r.seq, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_audit_head (id, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, seq, prev); err != nil {
		return fmt.Errorf("move head: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
