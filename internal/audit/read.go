package audit

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// MaxSince is the most records one Since call returns.
const MaxSince = 10000

const selectRecords = `SELECT seq, time, principal, action, resource, outcome, details, prev, hash FROM mesh_audit`

// Since returns up to limit records with Seq > seq, in order.
//
// A limit below 1 or above MaxSince means MaxSince. Since reads what is
// committed: call Flush first to include records still queued.
func (l *Log) Since(ctx context.Context, seq int64, limit int) ([]Event, error) {
	if limit < 1 || limit > MaxSince {
		limit = MaxSince
	}
	return l.read(ctx, "audit.Since", ` WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
}

// read returns the records selectRecords+where finds.
func (l *Log) read(ctx context.Context, op, where string, args ...any) ([]Event, error) {
	rows, err := l.db.QueryContext(ctx, selectRecords+where, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read the audit log")
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		r, _, err := scanRecord(rows)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read the audit log")
		}
		out = append(out, r.event())
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read the audit log")
	}
	return out, nil
}

// Head returns the seq and hash of the newest committed record as the chain
// head records them: (0, "") for an empty log. It does not flush.
func (l *Log) Head(ctx context.Context) (seq int64, hash string, err error) {
	seq, hash, _, err = headRow(ctx, l.db)
	return seq, hash, err
}

// querier is what headRow needs of a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// headRow reads the chain head; found is false when the row is missing.
func headRow(ctx context.Context, q querier) (seq int64, hash string, found bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT seq, hash FROM mesh_audit_head WHERE id = 1`).Scan(&seq, &hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, "", false, nil
	case err != nil:
		return 0, "", false, errs.Wrap(errs.Internal, "audit.Head", err, "read the audit chain head")
	}
	return seq, hash, true, nil
}

// scanRecord reads one row of selectRecords. NULLs (which the schema forbids,
// so only tampering produces them) read as "" and set null.
func scanRecord(rows *sql.Rows) (r record, null bool, err error) {
	var f [8]sql.NullString
	if err := rows.Scan(&r.seq, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]); err != nil {
		return r, false, err
	}
	for _, s := range f {
		null = null || !s.Valid
	}
	r.time, r.principal, r.action, r.resource = f[0].String, f[1].String, f[2].String, f[3].String
	r.outcome, r.details, r.prev, r.hash = f[4].String, f[5].String, f[6].String, f[7].String
	return r, null, nil
}

// Reads returns the successful queries since a time that read a product
// (domain.product), newest first, at most MaxSince: who consumes the product
// now. Call Flush first to include records still queued.
func (l *Log) Reads(ctx context.Context, product string, since time.Time) ([]Event, error) {
	return l.read(ctx, "audit.Reads", ` WHERE action = 'query' AND outcome = ? AND time >= ?
		AND instr(',' || resource || ',', ',' || ? || ',') > 0 ORDER BY seq DESC LIMIT ?`,
		OK, since.UTC().Format(timeFormat), product, MaxSince)
}
