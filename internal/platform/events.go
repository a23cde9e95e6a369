package platform

import (
	"context"
	"database/sql"
	"path/filepath"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/event"
	"github.com/meshwork/meshwork/internal/freshness"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/quality"
)

// openEvents opens the webhook outbox and makes publishes and applies emit
// their events (SLA breaches and access requests emit theirs where they
// happen: onBreach, and the API through its Events field).
func (p *Platform) openEvents(ctx context.Context, db *sql.DB, c Config) error {
	b, err := event.Open(ctx, event.Config{DB: db, Access: p.Access, KeyPath: filepath.Join(c.Data, "event.key"),
		Instance: c.EventSource, AllowPrivateTargets: c.WebhookAllowPrivate, Logger: p.log})
	if err != nil {
		return err
	}
	p.Events = b
	p.closers = append(p.closers, b.Close)
	p.hooks.publish = append(p.hooks.publish, p.emitPublish)
	p.hooks.apply = append(p.hooks.apply, p.emitApply)
	return nil
}

// emit records an event; a failure is logged, never returned: the flow
// that caused it has already happened.
func (p *Platform) emit(ctx context.Context, e event.Event) {
	if p.Events == nil {
		return
	}
	if err := p.Events.Emit(ctx, e); err != nil {
		p.log.ErrorContext(ctx, "emit event", "type", e.Type, "err", err)
	}
}

// emitPublish tells subscribers how a publish run ended.
func (p *Platform) emitPublish(ctx context.Context, o publish.Outcome) {
	r, t := o.Report, o.Table
	if r == nil || t == nil || r.Replayed {
		return
	}
	typ := event.PublishFailed
	switch r.Status {
	case publish.StatusCommitted:
		typ = event.Published
	case publish.StatusGateFailed:
		typ = event.GateFailed
	}
	data := map[string]any{"runId": r.RunID, "table": t.Address(), "status": r.Status, "mode": r.Mode,
		"rowsAccepted": r.RowsOK, "rowsRejected": r.RowsFailed, "durationMs": r.DurationMs}
	if r.SnapshotID != 0 {
		data["snapshotId"] = r.SnapshotID
	}
	var failed []map[string]any
	for _, q := range append(append([]quality.Result(nil), r.Contract...), r.Quality...) {
		if !q.Passed {
			failed = append(failed, map[string]any{"name": q.Name, "column": q.Column, "value": q.Value})
		}
	}
	if len(failed) > 0 {
		data["failedChecks"] = failed
	}
	if len(r.Policy) > 0 {
		data["policyDenials"] = r.Policy
	}
	if len(r.Problems) > 0 {
		data["problems"] = r.Problems
	}
	p.emit(ctx, event.Event{Type: typ, Domain: t.Domain, Product: t.Product, Table: t.Name, Data: data, Time: o.Finished})
}

// emitApply announces each new contract version an apply brought.
func (p *Platform) emitApply(ctx context.Context, plan *apply.Plan) {
	for _, c := range plan.Contracts {
		if c.Latest == c.Version {
			continue // unchanged
		}
		domain, product := splitProduct(c.Product)
		data := map[string]any{"contractId": c.ID, "version": c.Version, "previous": c.Latest, "major": c.Major,
			"newMajor": c.NewMajor, "status": c.Status}
		if c.Diff != nil {
			data["diff"] = c.Diff
		}
		p.emit(ctx, event.Event{Type: event.ContractChanged, Domain: domain, Product: product, Data: data})
	}
}

// onBreach is told of every new freshness SLA breach.
func (p *Platform) onBreach(ctx context.Context, b freshness.Breach) {
	p.Metrics.ObserveBreach(ctx, b)
	p.emit(ctx, event.Event{Type: event.SLABreached, Domain: b.Domain, Product: b.Product, Table: b.Table, Data: b, Time: b.StartedAt})
}

// accessEvents gives the API the events of access requests.
type accessEvents struct{ p *Platform }

func (a accessEvents) AccessRequested(ctx context.Context, r access.Request) {
	a.p.emit(ctx, event.Event{Type: event.AccessRequested, Domain: r.Domain, Product: r.Product, Data: r})
}

func (a accessEvents) AccessDecided(ctx context.Context, r access.Request) {
	a.p.emit(ctx, event.Event{Type: event.AccessDecided, Domain: r.Domain, Product: r.Product, Data: r, Requester: r.Principal})
}

func splitProduct(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
