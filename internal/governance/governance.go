package governance

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/policy"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
)

// Governance is the platform's gates. Safe for concurrent use.
type Governance struct {
	access *access.Store
	policy atomic.Pointer[policy.Engine]

	mu        sync.Mutex
	decisions map[string]query.Governance // by principal, rights, table and policy version
}

// maxDecisions bounds the query decision cache.
const maxDecisions = 8192

// New returns the gates over a and the policy bundle p.
func New(a *access.Store, p *policy.Engine) *Governance {
	g := &Governance{access: a, decisions: map[string]query.Governance{}}
	g.policy.Store(p)
	return g
}

// Policy returns the policy bundle in force.
func (g *Governance) Policy() *policy.Engine { return g.policy.Load() }

// SetPolicy replaces the policy bundle; decisions made under the old one are
// not reused.
func (g *Governance) SetPolicy(p *policy.Engine) {
	g.policy.Store(p)
	g.mu.Lock()
	g.decisions = map[string]query.Governance{}
	g.mu.Unlock()
}

// Access returns the access store.
func (g *Governance) Access() *access.Store { return g.access }

func caller(ctx context.Context, op string) (access.Principal, error) {
	p, ok := access.FromContext(ctx)
	if !ok {
		return p, errs.E(errs.Unauthenticated, op, "no authenticated principal")
	}
	return p, nil
}

// policyPrincipal is the policy's view of p on resource r.
func (g *Governance) policyPrincipal(ctx context.Context, p access.Principal, r access.Resource) policy.Principal {
	admin := g.access.Can(ctx, p, access.ActionAdmin, access.Resource{})
	groups, attrs := p.Groups, p.Attrs
	if groups == nil {
		groups = []string{}
	}
	if attrs == nil {
		attrs = map[string][]string{}
	}
	return policy.Principal{Name: p.Name, Groups: groups, Attrs: attrs, Admin: admin,
		Unmask: admin || (r.Domain != "" && g.access.Can(ctx, p, access.ActionUnmask, r))}
}

// Readable implements query.Governor: the caller must hold read on the product.
func (g *Governance) Readable(ctx context.Context, domain, product string) error {
	p, err := caller(ctx, "governance.Readable")
	if err != nil {
		return err
	}
	return g.access.Authorize(ctx, p, access.ActionRead, access.Resource{Domain: domain, Product: product})
}

// Govern implements query.Governor: the caller must hold read on the
// table's product; the query policy then says what it sees.
func (g *Governance) Govern(ctx context.Context, tbl *registry.Table) (query.Governance, error) {
	const op = "governance.Govern"
	p, err := caller(ctx, op)
	if err != nil {
		return query.Governance{}, err
	}
	res := access.Resource{Domain: tbl.Domain, Product: tbl.Product}
	if err := g.access.Authorize(ctx, p, access.ActionRead, res); err != nil {
		return query.Governance{}, err
	}
	pp := g.policyPrincipal(ctx, p, res)
	pol := g.policy.Load()
	key := decisionKey(pp, tbl, pol.Version())
	g.mu.Lock()
	d, ok := g.decisions[key]
	g.mu.Unlock()
	if ok {
		return d, nil
	}
	in := policy.QueryInput{Principal: pp, Table: policy.TableRef{Domain: tbl.Domain, Product: tbl.Product, Name: tbl.Name},
		Columns: Columns(tbl)}
	dec, err := pol.Query(ctx, in)
	if err != nil {
		return query.Governance{}, err
	}
	if len(dec.Deny) > 0 {
		return query.Governance{}, errs.WithDetails(errs.E(errs.Forbidden, op, "%s", dec.Deny[0]), dec.Deny)
	}
	d, err = check(tbl, dec)
	if err != nil {
		return query.Governance{}, err
	}
	g.mu.Lock()
	if len(g.decisions) >= maxDecisions {
		g.decisions = map[string]query.Governance{}
	}
	g.decisions[key] = d
	g.mu.Unlock()
	return d, nil
}

// check turns a policy decision into the engine's, refusing what would
// fail open: a mask method or column the engine does not know.
func check(tbl *registry.Table, dec policy.QueryDecision) (query.Governance, error) {
	const op = "governance.check"
	cols := map[string]bool{}
	for _, c := range tbl.Def.Schema.Columns {
		cols[c.Name] = true
	}
	var d query.Governance
	for c, m := range dec.Masks {
		switch m {
		case policy.MaskNull, policy.MaskHash, policy.MaskPartial, policy.MaskRedact:
		default:
			return d, errs.E(errs.Internal, op, "the query policy asks for mask %q on %s.%s, which does not exist", m, tbl.Name, c)
		}
		if !cols[c] {
			continue // a column the table does not have cannot leak
		}
		if d.Masks == nil {
			d.Masks = map[string]string{}
		}
		d.Masks[c] = m
	}
	for _, f := range dec.Filters {
		if !cols[f.Column] {
			return d, errs.E(errs.Internal, op, "the query policy filters %s on column %q, which it does not have", tbl.Name, f.Column)
		}
		d.Filters = append(d.Filters, f)
	}
	return d, nil
}

func decisionKey(p policy.Principal, tbl *registry.Table, version string) string {
	var b strings.Builder
	// UpdatedAt: a draft re-applied under the same version may classify columns anew.
	fmt.Fprintf(&b, "%s|%s.%s@v%d.%s|%s@%s|%d|%t%t|%q|", version, tbl.Domain, tbl.Product, tbl.Major, tbl.Name, tbl.ContractID, tbl.ContractVersion,
		tbl.UpdatedAt.UnixNano(), p.Admin, p.Unmask, p.Name)
	for _, gr := range p.Groups {
		fmt.Fprintf(&b, "%q,", gr)
	}
	ks := make([]string, 0, len(p.Attrs))
	for k := range p.Attrs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Fprintf(&b, "|%q=%q", k, p.Attrs[k])
	}
	return b.String()
}

// Columns are tbl's columns as the policies see them.
func Columns(tbl *registry.Table) []policy.Column {
	props := map[string]int{}
	for i, pr := range tbl.Def.Object.Properties {
		props[pr.Name] = i
	}
	out := make([]policy.Column, 0, len(tbl.Def.Schema.Columns))
	for _, c := range tbl.Def.Schema.Columns {
		pc := policy.Column{Name: c.Name, Type: c.Type.String()}
		if i, ok := props[c.Name]; ok {
			pr := tbl.Def.Object.Properties[i]
			pc.Classification = pr.Classification
			for _, cp := range pr.CustomProperties {
				if pc.Custom == nil {
					pc.Custom = map[string]string{}
				}
				pc.Custom[cp.Property] = fmt.Sprint(cp.Value)
			}
		}
		out = append(out, pc)
	}
	return out
}
