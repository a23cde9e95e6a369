package platform

import (
	"context"
	"database/sql"
	"net/url"
	"strings"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/lineage"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/quality"
)

// openLineage opens the lineage graph, catches it up with the specs applied
// so far, rebuilds the spec edges of what each apply changes, and emits an
// OpenLineage event for every publish when c.OpenLineageURL is set.
func (p *Platform) openLineage(ctx context.Context, db *sql.DB, c Config) error {
	if c.OpenLineageURL != "" {
		u, err := url.Parse(c.OpenLineageURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errs.E(errs.Invalid, "platform.openLineage", "OpenLineage URL %q: must be an http(s) URL", c.OpenLineageURL)
		}
	}
	l, err := lineage.Open(ctx, lineage.Config{DB: db, Catalog: p.Registry, Access: p.Access, Logger: p.log})
	if err != nil {
		return err
	}
	if err := l.RebuildAll(ctx); err != nil {
		return err
	}
	p.Lineage = l
	p.hooks.apply = append(p.hooks.apply, func(ctx context.Context, plan *apply.Plan) {
		if err := l.Rebuild(ctx, changedProducts(ctx, p, plan)); err != nil {
			p.log.ErrorContext(ctx, "lineage: rebuild after apply", "err", err)
		}
	})
	if c.OpenLineageURL == "" {
		return nil
	}
	// Through the events outbox: recorded before the publish returns,
	// retried with backoff, delivered after a restart.
	var send lineage.Sender = p.Events
	p.hooks.publish = append(p.hooks.publish, func(ctx context.Context, o publish.Outcome) {
		run, ok := publishRun(o)
		if !ok {
			return
		}
		body, err := l.RunEvent(ctx, run)
		if err != nil {
			p.log.ErrorContext(ctx, "lineage: build the run event", "run", run.RunID, "err", err)
			return
		}
		if err := send.Send(ctx, c.OpenLineageURL, "application/json", body); err != nil {
			p.log.WarnContext(ctx, "lineage: emit the run event", "run", run.RunID, "err", err)
		}
	})
	return nil
}

// changedProducts lists the products ("domain.product") an apply changed:
// its product and table steps, and the owners of its contract steps.
func changedProducts(ctx context.Context, p *Platform, plan *apply.Plan) []string {
	seen := map[string]bool{}
	var out []string
	add := func(d, n string) {
		if k := d + "." + n; !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, s := range plan.Steps {
		if s.Action == apply.Unchanged {
			continue
		}
		switch s.Kind {
		case "product", "table":
			parts := strings.SplitN(s.Name, ".", 3)
			if len(parts) >= 2 {
				n, _, _ := strings.Cut(parts[1], "@")
				add(parts[0], n)
			}
		case "contract":
			id, _, _ := strings.Cut(s.Name, " ")
			if c, err := p.Registry.ContractByID(ctx, id); err == nil && c != nil {
				add(c.Domain, c.Product)
			}
		}
	}
	return out
}

// publishRun is what the run event of a recorded publish says. Replays
// (an idempotent retry answered from the record) are not new runs, and a
// branch publish of unknown outcome (StatusUnknown) has nothing true to say.
func publishRun(o publish.Outcome) (lineage.PublishRun, bool) {
	r, t := o.Report, o.Table
	if r == nil || t == nil || r.Replayed {
		return lineage.PublishRun{}, false
	}
	switch r.Status {
	case publish.StatusCommitted, publish.StatusGateFailed, publish.StatusFailed, publish.StatusStale:
	default:
		return lineage.PublishRun{}, false
	}
	run := lineage.PublishRun{RunID: r.RunID, Domain: t.Domain, Product: t.Product, Table: t.Name, Status: r.Status,
		Started: o.Started, Finished: o.Finished, Rows: r.RowsOK, Bytes: r.BytesRead, SnapshotID: r.SnapshotID, Problems: r.Problems}
	for _, c := range t.Def.Schema.Columns {
		run.Columns = append(run.Columns, lineage.Column{Name: c.Name, Type: c.Type.String(), Description: c.Description})
	}
	for _, q := range append(append([]quality.Result(nil), r.Contract...), r.Quality...) {
		run.Checks = append(run.Checks, lineage.Check{Name: q.Name, Column: q.Column, Success: q.Passed})
	}
	return run, true
}

// lineagePage gives the product page its lineage neighbourhood.
type lineagePage struct{ l *lineage.Store }

func (lp lineagePage) Neighbours(ctx context.Context, domain, product string, depth int) ([]httpapi.LineageNode, error) {
	g, err := lp.l.Walk(ctx, domain+"."+product, lineage.Both, depth)
	if err != nil {
		return nil, err
	}
	out := []httpapi.LineageNode{}
	for _, n := range g.Nodes[1:] {
		ln := httpapi.LineageNode{Direction: n.Direction, Hops: n.Hops, Domain: n.Domain, Product: n.Product, Table: n.Table}
		if n.Domain == "" {
			ln.Dataset = n.Namespace + "/" + n.Name
		}
		for _, e := range g.Edges {
			if e.From == n.ID || e.To == n.ID {
				ln.Source = e.Source
				break
			}
		}
		out = append(out, ln)
	}
	return out, nil
}
