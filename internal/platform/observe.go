package platform

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/meshwork/meshwork/internal/freshness"
	"github.com/meshwork/meshwork/internal/observe"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/query"
)

// openObserve makes the metrics and the freshness monitor, feeds them from
// the publish and query hooks, and starts the freshness checks every
// interval (0: none; Check can still be called) until the platform closes.
func (p *Platform) openObserve(ctx context.Context, db *sql.DB, interval time.Duration, log *slog.Logger) error {
	p.Metrics = observe.NewMetrics()
	m, err := freshness.New(ctx, freshness.Config{DB: db, Registry: p.Registry, Logger: log,
		OnBreach: p.onBreach, OnCheck: p.Metrics.ObserveFreshness})
	if err != nil {
		return err
	}
	p.Freshness = m
	p.hooks.publish = append(p.hooks.publish, p.Metrics.ObservePublish, func(ctx context.Context, o publish.Outcome) {
		// A commit may end a breach: say so now, not at the next check.
		if o.Table == nil || o.Report == nil || o.Report.Status != publish.StatusCommitted {
			return
		}
		if _, err := m.CheckTable(ctx, o.Table); err != nil {
			p.log.ErrorContext(ctx, "freshness after publish", "table", o.Table.Address(), "err", err)
		}
	})
	p.hooks.query = append(p.hooks.query, func(ctx context.Context, r query.Record) { p.Metrics.ObserveQuery(ctx, r) })
	if interval <= 0 {
		return nil
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done) // the loop ends when the platform closes
		m.Run(runCtx, interval)
	}()
	p.closers = append(p.closers, func() error { stop(); <-done; return nil })
	return nil
}

// pageFreshness gives the product page its freshness section.
type pageFreshness struct{ m *freshness.Monitor }

func (f pageFreshness) ProductFreshness(ctx context.Context, domain, product string) (any, error) {
	return f.m.Product(ctx, domain, product)
}
