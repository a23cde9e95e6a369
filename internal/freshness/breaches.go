package freshness

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// timeFormat sorts as the time does (as the registry stores times).
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

type breachKey struct {
	domain, product string
	major           int
	table           string
}

// severity orders the breached statuses: an open breach takes the worst.
func severity(s Status) int {
	switch s {
	case Late:
		return 1
	case Stale:
		return 2
	case Never:
		return 3
	}
	return 0
}

// record opens, escalates and resolves breaches after the statuses. When
// full is set, the statuses are of every served table, and open breaches
// of tables not among them (retired, dropped) are resolved too.
func (m *Monitor) record(ctx context.Context, statuses []TableStatus, full bool) error {
	const op = "freshness.record"
	where, args := "", []any(nil)
	if !full {
		if len(statuses) == 0 {
			return nil
		}
		s := statuses[0]
		where, args = " AND domain = ? AND product = ? AND major = ? AND tbl = ?", []any{s.Domain, s.Product, s.Major, s.Table}
	}
	open, err := m.breaches(ctx, "WHERE resolved_at IS NULL"+where, args...)
	if err != nil {
		return err
	}
	byKey := make(map[breachKey]*Breach, len(open))
	for i := range open {
		b := &open[i]
		byKey[breachKey{b.Domain, b.Product, b.Major, b.Table}] = b
	}
	now := m.now().UTC()
	var opened []Breach
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "record breaches")
	}
	defer tx.Rollback()
	for i := range statuses {
		s := &statuses[i]
		k := breachKey{s.Domain, s.Product, s.Major, s.Table}
		b, isOpen := byKey[k]
		delete(byKey, k)
		switch {
		case s.Status.Breached() && !isOpen:
			nb := Breach{Domain: s.Domain, Product: s.Product, Major: s.Major, Table: s.Table, Status: s.Status,
				SLA: s.SLA.Text, LastPublish: s.LastPublish, StartedAt: now}
			last := ""
			if s.LastPublish != nil {
				last = s.LastPublish.UTC().Format(timeFormat)
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO mesh_sla_breaches (domain, product, major, tbl, status, sla, last_publish, started_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, nb.Domain, nb.Product, nb.Major, nb.Table, string(nb.Status), nb.SLA, last, now.Format(timeFormat))
			if err != nil {
				return errs.Wrap(errs.Internal, op, err, "record a breach")
			}
			nb.ID, _ = res.LastInsertId()
			opened = append(opened, nb)
		case s.Status.Breached() && severity(s.Status) > severity(b.Status):
			if _, err := tx.ExecContext(ctx, `UPDATE mesh_sla_breaches SET status = ? WHERE id = ?`, string(s.Status), b.ID); err != nil {
				return errs.Wrap(errs.Internal, op, err, "escalate a breach")
			}
		case !s.Status.Breached() && isOpen:
			if err := resolve(ctx, tx, b.ID, now); err != nil {
				return err
			}
		}
	}
	if full {
		for _, b := range byKey {
			if err := resolve(ctx, tx, b.ID, now); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return errs.Wrap(errs.Internal, op, err, "record breaches")
	}
	for _, b := range opened {
		m.log.WarnContext(ctx, "sla breached", "table", b.Domain+"."+b.Product+"."+b.Table, "major", b.Major, "status", b.Status, "sla", b.SLA)
		if m.onBreach != nil {
			m.onBreach(ctx, b)
		}
	}
	return nil
}

func resolve(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE mesh_sla_breaches SET resolved_at = ? WHERE id = ?`, now.Format(timeFormat), id); err != nil {
		return errs.Wrap(errs.Internal, "freshness.resolve", err, "resolve a breach")
	}
	return nil
}

// BreachFilter selects breaches.
type BreachFilter struct {
	Domain, Product string // "": any
	Open            bool   // only those not resolved
	Limit           int    // most recent first; 0: 1000
}

// Breaches lists breaches, most recent first.
func (m *Monitor) Breaches(ctx context.Context, f BreachFilter) ([]Breach, error) {
	var conds []string
	var args []any
	if f.Domain != "" {
		conds, args = append(conds, "domain = ?"), append(args, f.Domain)
	}
	if f.Product != "" {
		conds, args = append(conds, "product = ?"), append(args, f.Product)
	}
	if f.Open {
		conds = append(conds, "resolved_at IS NULL")
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	args = append(args, f.Limit)
	return m.breaches(ctx, where+" ORDER BY started_at DESC, id DESC LIMIT ?", args...)
}

func (m *Monitor) breaches(ctx context.Context, where string, args ...any) ([]Breach, error) {
	const op = "freshness.breaches"
	rows, err := m.db.QueryContext(ctx, `SELECT id, domain, product, major, tbl, status, sla, last_publish, started_at, resolved_at
		FROM mesh_sla_breaches `+where, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read breaches")
	}
	defer rows.Close()
	var out []Breach
	for rows.Next() {
		var b Breach
		var last, started string
		var resolved sql.NullString
		if err := rows.Scan(&b.ID, &b.Domain, &b.Product, &b.Major, &b.Table, &b.Status, &b.SLA, &last, &started, &resolved); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read breaches")
		}
		b.StartedAt = parseTime(started)
		if last != "" {
			t := parseTime(last)
			b.LastPublish = &t
		}
		if resolved.Valid {
			t := parseTime(resolved.String)
			b.ResolvedAt = &t
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read breaches")
	}
	return out, nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Run checks every interval until ctx ends; it returns then. A failed check
// is logged and retried at the next tick.
func (m *Monitor) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := m.Check(ctx); err != nil && ctx.Err() == nil {
			m.log.ErrorContext(ctx, "freshness check", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
