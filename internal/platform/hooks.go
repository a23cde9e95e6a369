package platform

import (
	"context"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/query"
)

// hooks are the observers of the platform's three flows: applies, publish
// runs and queries. The search index, lineage, events, metrics and usage
// statistics each add theirs while the platform is opened; each must be
// quick (record or queue, never call out), as it runs on the caller's path.
type hooks struct {
	apply   []func(context.Context, *apply.Plan)
	publish []func(context.Context, publish.Outcome)
	query   []func(context.Context, query.Record)
}

func (p *Platform) onApply(ctx context.Context, plan *apply.Plan) {
	for _, f := range p.hooks.apply {
		f(ctx, plan)
	}
}

func (p *Platform) onPublish(ctx context.Context, o publish.Outcome) {
	for _, f := range p.hooks.publish {
		f(ctx, o)
	}
}

func (p *Platform) onQuery(ctx context.Context, r query.Record) {
	p.auditQuery(ctx, r)
	for _, f := range p.hooks.query {
		f(ctx, r)
	}
}
