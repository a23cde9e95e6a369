package event

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
)

// cloudEvent is a CloudEvents 1.0 event in structured JSON mode.
type cloudEvent struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject,omitempty"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            any       `json:"data"`
}

// ContentType is the media type of a structured-mode CloudEvent.
const ContentType = "application/cloudevents+json"

// subject names what an event is about: domain.product[.table].
func (e Event) subject() string {
	s := e.Domain + "." + e.Product
	if e.Table != "" {
		s += "." + e.Table
	}
	return s
}

// matches reports whether s wants e: its type, its product filter, and
// its owner may see the product (for access requests: may decide them).
func (b *Bus) matches(ctx context.Context, s *Subscription, e Event) bool {
	if !slices.Contains(s.Types, e.Type) {
		return false
	}
	if len(s.Products) > 0 && !slices.ContainsFunc(s.Products, func(f string) bool {
		return f == e.Domain || f == e.Domain+"."+e.Product
	}) {
		return false
	}
	if b.c.Access == nil {
		return false // deny by default
	}
	action := access.ActionRead
	switch e.Type {
	case AccessRequested, AccessDecided:
		// Requests are shown to those who may decide them (and a decision
		// to its requester), as the access-request API shows them.
		if e.Type == AccessDecided && e.Requester != "" && e.Requester == s.Owner {
			return true
		}
		action = access.ActionGrant
	}
	return b.c.Access.Can(ctx, access.Principal{Name: s.Owner, Groups: s.groups}, action,
		access.Resource{Domain: e.Domain, Product: e.Product})
}

// Emit records e and a delivery for every subscription that wants it, in
// one transaction, then wakes the dispatcher. It never calls out: what is
// recorded is delivered even if the process stops right after.
func (b *Bus) Emit(ctx context.Context, e Event) error {
	const op = "event.Emit"
	if !slices.Contains(Types, e.Type) {
		return errs.E(errs.Invalid, op, "unknown event type %q", e.Type)
	}
	b.mu.Lock()
	var targets []*Subscription
	for i := range b.subs {
		if b.matches(ctx, &b.subs[i], e) {
			s := b.subs[i]
			targets = append(targets, &s)
		}
	}
	b.mu.Unlock()
	if len(targets) == 0 {
		return nil // nobody listens: nothing to keep
	}
	return b.record(ctx, e, targets)
}

// record writes the event and its deliveries.
func (b *Bus) record(ctx context.Context, e Event, targets []*Subscription) error {
	const op = "event.Emit"
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	ce := cloudEvent{SpecVersion: "1.0", ID: newID(), Source: b.c.Instance + "/" + e.Domain + "/" + e.Product,
		Type: "io.meshwork." + e.Type, Subject: e.subject(), Time: e.Time.UTC(), DataContentType: "application/json", Data: e.Data}
	if ce.Data == nil {
		ce.Data = map[string]any{}
	}
	payload, err := json.Marshal(ce)
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "encode event")
	}
	ctx = context.WithoutCancel(ctx)
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "begin")
	}
	defer tx.Rollback()
	now := nowText()
	if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_events (id, type, subject, time, payload) VALUES (?, ?, ?, ?, ?)`,
		ce.ID, e.Type, ce.Subject, ce.Time.Format(time.RFC3339Nano), string(payload)); err != nil {
		return errs.Wrap(errs.Internal, op, err, "store event")
	}
	due := time.Now().UnixMilli()
	for _, s := range targets {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_deliveries (event_id, subscription_id, target, content_type, status, next_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`, ce.ID, s.ID, s.URL, ContentType, due, now, now); err != nil {
			return errs.Wrap(errs.Internal, op, err, "store delivery")
		}
	}
	if err := tx.Commit(); err != nil {
		return errs.Wrap(errs.Internal, op, err, "commit")
	}
	b.poke()
	return nil
}

// Ping sends a test event to one subscription.
func (b *Bus) Ping(ctx context.Context, id string) error {
	s, err := b.Get(id)
	if err != nil {
		return err
	}
	return b.record(ctx, Event{Type: Ping, Domain: "meshwork", Product: "ping",
		Data: map[string]any{"subscription": id, "message": "a test event from Meshwork"}}, []*Subscription{s})
}

// Send records a durable delivery of body to url (a fixed endpoint, e.g. an
// OpenLineage collector): retried like webhooks, not signed.
func (b *Bus) Send(ctx context.Context, url, contentType string, body []byte) error {
	const op = "event.Send"
	if _, err := CheckURL(url); err != nil {
		return err
	}
	now := nowText()
	if _, err := b.db.ExecContext(context.WithoutCancel(ctx), `INSERT INTO mesh_deliveries (target, content_type, body, status, next_at, created_at, updated_at)
		VALUES (?, ?, ?, 'pending', ?, ?, ?)`, url, contentType, string(body), time.Now().UnixMilli(), now, now); err != nil {
		return errs.Wrap(errs.Internal, op, err, "store delivery")
	}
	b.poke()
	return nil
}

func (b *Bus) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// nullString reads a nullable text column.
func nullString(s sql.NullString) string {
	if s.Valid {
		return s.String
	}
	return ""
}

// trimError keeps a receiver's error short enough for the log.
func trimError(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
