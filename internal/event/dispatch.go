package event

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// claimed is a delivery taken by the dispatcher.
type claimed struct {
	id       int64
	subID    string
	target   string
	ctype    string
	body     []byte
	attempts int // including this one
}

// dispatch posts due deliveries until ctx ends. It says when it exits by
// closing b.done, after every delivery in flight has ended.
func (b *Bus) dispatch(ctx context.Context) {
	defer close(b.done)
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, b.c.Workers)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		free := b.c.Workers - len(sem)
		if free > 0 {
			ds, err := b.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				b.log.Error("claim deliveries", "err", err)
			}
			for _, d := range ds {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem; b.poke() }()
					b.deliver(ctx, d)
				}()
			}
		}
		if time.Since(lastPrune) > time.Hour {
			lastPrune = time.Now()
			b.prune(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		case <-tick.C:
		}
	}
}

// claim takes up to n due deliveries, leasing each for longer than an
// attempt can last: one claimed by a process that dies is due again when
// its lease ends.
func (b *Bus) claim(ctx context.Context, n int) ([]claimed, error) {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := time.Now().UnixMilli()
	rows, err := tx.QueryContext(ctx, `SELECT d.id, d.subscription_id, d.target, d.content_type, COALESCE(d.body, e.payload), d.attempts
		FROM mesh_deliveries d LEFT JOIN mesh_events e ON e.id = d.event_id
		WHERE d.status = 'pending' AND d.next_at <= ?
		  AND (d.subscription_id IS NULL OR d.subscription_id IN (SELECT id FROM mesh_subscriptions))
		ORDER BY d.next_at, d.id LIMIT ?`, now, n)
	if err != nil {
		return nil, err
	}
	var out []claimed
	for rows.Next() {
		var c claimed
		var sub, body sql.NullString
		if err := rows.Scan(&c.id, &sub, &c.target, &c.ctype, &body, &c.attempts); err != nil {
			rows.Close()
			return nil, err
		}
		c.subID, c.body = nullString(sub), []byte(nullString(body))
		c.attempts++
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	lease := now + (2*b.c.Timeout + 5*time.Second).Milliseconds()
	for _, c := range out {
		if _, err := tx.ExecContext(ctx, `UPDATE mesh_deliveries SET attempts = ?, next_at = ?, updated_at = ? WHERE id = ?`,
			c.attempts, lease, nowText(), c.id); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}

// deliver makes one attempt and records its outcome.
func (b *Bus) deliver(ctx context.Context, d claimed) {
	code, err := b.post(ctx, d)
	if ctx.Err() != nil {
		// Stopping: the attempt does not count, and the delivery is due at
		// once on the next start.
		b.finish(context.WithoutCancel(ctx), d, "pending", d.attempts-1, time.Now(), 0, "interrupted by shutdown")
		return
	}
	switch {
	case err == nil && code >= 200 && code < 300:
		b.finish(ctx, d, "delivered", d.attempts, time.Now(), code, "")
	case code == http.StatusGone:
		b.finish(ctx, d, "failed", d.attempts, time.Now(), code, "the receiver answered 410 Gone")
	default:
		msg := fmt.Sprintf("HTTP %d", code)
		if err != nil {
			msg = trimError(err.Error())
		}
		if d.attempts >= b.c.MaxAttempts {
			b.finish(ctx, d, "failed", d.attempts, time.Now(), code, msg)
			return
		}
		b.finish(ctx, d, "pending", d.attempts, time.Now().Add(b.backoff(d.attempts)), code, msg)
	}
}

// backoff is the delay after the n-th failed attempt: the base doubled
// each time, capped, with up to a quarter of jitter either way.
func (b *Bus) backoff(n int) time.Duration {
	d := b.c.BackoffBase
	for i := 1; i < n && d < b.c.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, b.c.BackoffMax)
	j := time.Duration(rand.Int64N(int64(d)/2+1)) - d/4
	return max(d+j, time.Millisecond)
}

// post sends one delivery.
func (b *Bus) post(ctx context.Context, d claimed) (int, error) {
	actx, cancel := context.WithTimeout(ctx, b.c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, d.target, bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", d.ctype)
	req.Header.Set("User-Agent", "Meshwork-Webhooks/1")
	req.Header.Set("Meshwork-Delivery", fmt.Sprint(d.id))
	if d.subID != "" {
		req.Header.Set("Meshwork-Signature", Sign(b.Secret(d.subID), time.Now(), d.body))
	}
	resp, err := b.client.Do(req)
	if err != nil {
		if strings.Contains(err.Error(), "private, loopback") {
			return 0, errors.New("refused: the target resolves to a private, loopback or link-local address")
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// finish records the outcome of an attempt, unless the delivery was
// ended meanwhile (its subscription deleted).
func (b *Bus) finish(ctx context.Context, d claimed, status string, attempts int, next time.Time, code int, msg string) {
	if _, err := b.db.ExecContext(ctx, `UPDATE mesh_deliveries SET status = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, updated_at = ?
		WHERE id = ? AND status = 'pending'`, status, attempts, next.UnixMilli(), code, msg, nowText(), d.id); err != nil {
		b.log.Error("record delivery", "delivery", d.id, "err", err)
	}
	if status == "failed" {
		b.log.Warn("delivery failed", "delivery", d.id, "target", redact(d.target), "attempts", attempts, "status", code, "error", msg)
	}
}

// prune drops the log of deliveries ended more than 30 days ago, and the
// events none refers to any more.
func (b *Bus) prune(ctx context.Context) {
	cut := time.Now().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339Nano)
	if _, err := b.db.ExecContext(ctx, `DELETE FROM mesh_deliveries WHERE status <> 'pending' AND updated_at < ?`, cut); err != nil && ctx.Err() == nil {
		b.log.Error("prune deliveries", "err", err)
		return
	}
	if _, err := b.db.ExecContext(ctx, `DELETE FROM mesh_events WHERE time < ? AND id NOT IN (SELECT event_id FROM mesh_deliveries WHERE event_id IS NOT NULL)`, cut); err != nil && ctx.Err() == nil {
		b.log.Error("prune events", "err", err)
	}
}

// redact keeps a target's scheme and host for the logs: its path or query
// may carry a receiver's token.
func redact(target string) string {
	u, err := CheckURL(target)
	if err != nil {
		return "?"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
