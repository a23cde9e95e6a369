package governance

import (
	"context"
	"fmt"
	"maps"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/policy"
)

// CheckApply implements apply.Gate. Changing an applied product needs the
// apply right on it; a new product needs it on its domain; a new domain is
// the platform admin's. Then the apply policies judge the documents.
func (g *Governance) CheckApply(ctx context.Context, pr apply.Proposal) error {
	const op = "governance.CheckApply"
	p, err := caller(ctx, op)
	if err != nil {
		return err
	}
	in := policy.ApplyInput{Principal: g.policyPrincipal(ctx, p, access.Resource{}),
		Products: []map[string]any{}, Contracts: []map[string]any{}}
	for _, pp := range pr.Products {
		res := access.Resource{Domain: pp.Domain, Product: pp.Name}
		switch {
		case !pp.Exists && !pp.DomainExists:
			res = access.Resource{}
		case !pp.Exists:
			res = access.Resource{Domain: pp.Domain}
		}
		if err := g.access.Authorize(ctx, p, access.ActionApply, res); err != nil {
			return err
		}
		mesh := map[string]any{"domain": pp.Domain, "product": pp.Name}
		in.Products = append(in.Products, tagged(pp.Doc, mesh))
		for _, c := range pp.Contracts {
			in.Contracts = append(in.Contracts, tagged(c, mesh))
		}
	}
	denials, err := g.policy.Load().Apply(ctx, in)
	if err != nil {
		return err
	}
	return denied(op, denials)
}

// tagged is a shallow copy of doc with the platform's "_mesh" member, which
// tells the policies where the document lives.
func tagged(doc map[string]any, mesh map[string]any) map[string]any {
	out := make(map[string]any, len(doc)+1)
	maps.Copy(out, doc)
	out["_mesh"] = mesh
	return out
}

// denied is the error for policy denials: its message names the first, its
// details list them all.
func denied(op string, ds []policy.Denial) error {
	if len(ds) == 0 {
		return nil
	}
	msg := ds[0].String()
	if len(ds) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(ds)-1)
	}
	return errs.WithDetails(errs.E(errs.GateFailed, op, "%s", msg), map[string]any{"policy": ds})
}

// MeasurePublish implements publish.PolicyGate: the columns the publish
// policies need measured.
func (g *Governance) MeasurePublish(ctx context.Context, in policy.PublishInput) ([]string, error) {
	const op = "governance.MeasurePublish"
	p, err := caller(ctx, op)
	if err != nil {
		return nil, err
	}
	in.Principal = g.policyPrincipal(ctx, p, access.Resource{Domain: in.Table.Domain, Product: in.Table.Product})
	return g.policy.Load().Measure(ctx, in)
}

// CheckPublish implements publish.PolicyGate: the publish policies judge
// the data about to be released. (Who may publish is checked before the
// upload is read.)
func (g *Governance) CheckPublish(ctx context.Context, in policy.PublishInput) ([]policy.Denial, error) {
	const op = "governance.CheckPublish"
	p, err := caller(ctx, op)
	if err != nil {
		return nil, err
	}
	in.Principal = g.policyPrincipal(ctx, p, access.Resource{Domain: in.Table.Domain, Product: in.Table.Product})
	return g.policy.Load().Publish(ctx, in)
}

// ConsumerMask implements apply.Masker: the mask the query policies put on
// a column of the given classification for an ordinary consumer (one who may
// read the product but holds no unmask right). A contract version that makes
// that mask appear or change hides data its consumers see today, so the
// compatibility rules refuse it within a major. An unclassified column, or a
// policy that fails to answer, has none: the rule then does not fire, and
// the query gate still applies the policies as they are.
func (g *Governance) ConsumerMask(ctx context.Context, classification string) string {
	if classification == "" {
		return ""
	}
	in := policy.QueryInput{
		Principal: policy.Principal{Name: "consumer", Groups: []string{}, Attrs: map[string][]string{}},
		Table:     policy.TableRef{Domain: "mesh", Product: "contract", Name: "check"},
		Columns:   []policy.Column{{Name: "c", Type: "VARCHAR", Classification: classification}},
	}
	dec, err := g.policy.Load().Query(ctx, in)
	if err != nil {
		return ""
	}
	return dec.Masks["c"]
}

var _ apply.Masker = (*Governance)(nil)
