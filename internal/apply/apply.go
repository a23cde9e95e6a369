package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/spec"
)

// Source is one spec file.
type Source struct {
	Name string
	Data []byte
}

// Applier applies specs. Applies run one at a time.
type Applier struct {
	reg  *registry.Registry
	lake *lake.Lake
	gate Gate
	log  *slog.Logger
	mu   sync.Mutex

	notify func(context.Context, *Plan)
}

// Gate decides whether a proposal may be applied: who may change what, and
// the mesh's apply policies. It sees every apply, dry runs included, before
// anything changes.
type Gate interface {
	CheckApply(ctx context.Context, p Proposal) error
}

// Proposal is what an apply would write: each product with the contracts it
// brings, as the documents were written.
type Proposal struct {
	Products []ProposedProduct
}

// ProposedProduct is one product of a proposal.
type ProposedProduct struct {
	Domain, Name string
	Exists       bool // the product is already applied
	DomainExists bool
	Doc          map[string]any   // the ODPS document
	Contracts    []map[string]any // the ODCS documents it brings
}

// New returns an Applier. A nil gate lets every apply through: only tests
// build one like that.
func New(reg *registry.Registry, lk *lake.Lake, log *slog.Logger, gate Gate) *Applier {
	return &Applier{reg: reg, lake: lk, gate: gate, log: log.With("component", "apply")}
}

// Notify makes f be told of every apply that changed something, once it is
// in the registry (the search index, lineage and events follow applies).
// Call it before the Applier is used; f must be quick.
func (a *Applier) Notify(f func(context.Context, *Plan)) { a.notify = f }

// propose builds the gate's view of docs.
func (a *Applier) propose(ctx context.Context, docs []*productDoc) (Proposal, error) {
	var pr Proposal
	domains := map[string]bool{}
	for _, d := range docs {
		pp := ProposedProduct{Domain: d.p.Domain, Name: d.p.Name, Doc: d.p.Doc.Data()}
		_, err := a.reg.Product(ctx, d.p.Domain, d.p.Name)
		switch {
		case err == nil:
			pp.Exists, pp.DomainExists = true, true
		case !errs.Is(err, errs.NotFound):
			return pr, err
		default:
			ok, seen := domains[d.p.Domain]
			if !seen {
				if ok, err = a.reg.DomainExists(ctx, d.p.Domain); err != nil {
					return pr, err
				}
				domains[d.p.Domain] = ok
			}
			pp.DomainExists = ok
		}
		for _, c := range d.contracts {
			pp.Contracts = append(pp.Contracts, c.Doc.Data())
		}
		pr.Products = append(pr.Products, pp)
	}
	return pr, nil
}

// productDoc is a product with the contracts it publishes in this apply.
type productDoc struct {
	p         *spec.Product
	contracts []*spec.Contract
}

// Apply parses, validates and plans the sources, then (unless dryRun)
// applies the plan. Nothing changes if any source or any step is invalid. A
// contract version that breaks the compatibility rules is a Conflict whose
// details list every violation.
func (a *Applier) Apply(ctx context.Context, srcs []Source, dryRun bool) (*Plan, error) {
	const op = "apply.Apply"
	a.mu.Lock()
	defer a.mu.Unlock()
	docs, plan, err := a.parse(ctx, srcs)
	if err != nil {
		return nil, err
	}
	plan.DryRun = dryRun
	if a.gate != nil {
		pr, err := a.propose(ctx, docs)
		if err != nil {
			return nil, err
		}
		if err := a.gate.CheckApply(ctx, pr); err != nil {
			return nil, err
		}
	}
	w, err := a.plan(ctx, docs, plan)
	if err != nil {
		return nil, err
	}
	if vs := plan.Violations(); len(vs) > 0 {
		return nil, errs.WithDetails(errs.E(errs.Conflict, op, "%d compatibility violation(s); first: %s", len(vs), vs[0].Message), vs)
	}
	if dryRun || !plan.Changed() {
		return plan, nil
	}
	if err := a.execute(ctx, w.tables, &w.change); err != nil {
		return nil, err
	}
	a.log.Info("applied", "steps", len(plan.Steps))
	if a.notify != nil {
		a.notify(context.WithoutCancel(ctx), plan)
	}
	return plan, nil
}

// parse reads the sources into products with the contracts they publish.
func (a *Applier) parse(ctx context.Context, srcs []Source) ([]*productDoc, *Plan, error) {
	const op = "apply.parse"
	plan := &Plan{}
	var products []*spec.Product
	var contracts []*spec.Contract
	var diags []spec.Diagnostic
	for _, s := range srcs {
		f, err := spec.Parse(s.Name, s.Data)
		if err != nil {
			var d []spec.Diagnostic
			var e *errs.Error
			if errors.As(err, &e) {
				d, _ = e.Details.([]spec.Diagnostic)
			}
			if d == nil {
				return nil, nil, err
			}
			diags = append(diags, d...)
			continue
		}
		products = append(products, f.Products...)
		contracts = append(contracts, f.Contracts...)
		plan.Warnings = append(plan.Warnings, f.Warnings...)
	}
	if len(diags) > 0 {
		return nil, nil, errs.WithDetails(errs.E(errs.Invalid, op, "%d error(s) in the specs; first: %s", len(diags), diags[0]), diags)
	}
	if len(products)+len(contracts) == 0 {
		return nil, nil, errs.E(errs.Invalid, op, "no data products or contracts to apply")
	}
	docs, err := a.link(ctx, products, contracts)
	if err != nil {
		return nil, nil, err
	}
	return docs, plan, nil
}

// work is what executing a plan does.
type work struct {
	change registry.Change
	tables []*tablePlan
	// namespaces planned in this apply, by "domain.product" and by
	// "domain.product@vN", so that two majors planned together never share one.
	namespaces map[string]string
}

// plan fills p with what applying docs would do, checking every contract
// version against the compatibility rules.
func (a *Applier) plan(ctx context.Context, docs []*productDoc, p *Plan) (*work, error) {
	w := &work{change: registry.Change{Domains: map[string]string{}}, namespaces: map[string]string{}}
	for _, d := range docs {
		if err := a.planProduct(ctx, d, p, &w.change); err != nil {
			return nil, err
		}
		mode, err := compatibilityMode(d.p)
		if err != nil {
			return nil, err
		}
		for _, c := range d.contracts {
			ts, err := a.planContract(ctx, d.p, c, mode, p, w)
			if err != nil {
				return nil, err
			}
			w.tables = append(w.tables, ts...)
		}
	}
	return w, nil
}

// link pairs each contract with the product that publishes it.
func (a *Applier) link(ctx context.Context, products []*spec.Product, contracts []*spec.Contract) ([]*productDoc, error) {
	const op = "apply.link"
	byID := map[string]*spec.Contract{}
	for _, c := range contracts {
		if prev, ok := byID[c.ID]; ok {
			return nil, errs.E(errs.Invalid, op, "contract id %q appears twice (versions %s and %s): apply one version at a time", c.ID, prev.Version, c.Version)
		}
		byID[c.ID] = c
	}
	seen := map[string]bool{}
	used := map[string]bool{}
	var docs []*productDoc
	for _, p := range products {
		key := p.Domain + "." + p.Name
		if seen[key] {
			return nil, errs.E(errs.Invalid, op, "product %s is declared twice", key)
		}
		seen[key] = true
		d := &productDoc{p: p}
		for _, port := range p.OutputPorts {
			if port.ContractID == "" {
				continue
			}
			c, ok := byID[port.ContractID]
			if !ok {
				applied, err := a.reg.ContractByID(ctx, port.ContractID)
				if err != nil {
					return nil, err
				}
				if applied == nil {
					return nil, errs.E(errs.Invalid, op, "product %s: output port %q references contract %q, which is neither in these files nor applied before", key, port.Name, port.ContractID)
				}
				continue
			}
			if used[c.ID] {
				continue
			}
			if (c.Domain != "" && c.Domain != p.Domain) || (c.DataProduct != "" && c.DataProduct != p.Name) {
				return nil, errs.E(errs.Invalid, op, "contract %q says it belongs to %s.%s but product %s publishes it", c.ID, c.Domain, c.DataProduct, key)
			}
			used[c.ID] = true
			d.contracts = append(d.contracts, c)
		}
		docs = append(docs, d)
	}
	// Contracts applied on their own belong to an applied product.
	for _, c := range contracts {
		if used[c.ID] {
			continue
		}
		if c.Domain == "" || c.DataProduct == "" {
			return nil, errs.E(errs.Invalid, op, "contract %q is not published by any product in these files: apply it with its product, or set its domain and dataProduct", c.ID)
		}
		p, err := a.reg.Product(ctx, c.Domain, c.DataProduct)
		if err != nil {
			return nil, errs.E(errs.Invalid, op, "contract %q belongs to product %s.%s, which does not exist: apply the product first", c.ID, c.Domain, c.DataProduct)
		}
		sp, err := spec.ParseProduct(p.Domain+"."+p.Name, p.Doc)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read applied product %s.%s", p.Domain, p.Name)
		}
		docs = append(docs, &productDoc{p: sp, contracts: []*spec.Contract{c}})
	}
	return docs, nil
}

func (a *Applier) planProduct(ctx context.Context, d *productDoc, plan *Plan, ch *registry.Change) error {
	p := d.p
	doc, err := p.Doc.JSON()
	if err != nil {
		return errs.Wrap(errs.Internal, "apply.planProduct", err, "encode product")
	}
	h := hash(doc)
	team := ""
	if p.Team != nil {
		team = p.Team.Name
	}
	name := p.Domain + "." + p.Name
	prev, err := a.reg.Product(ctx, p.Domain, p.Name)
	action := Create
	switch {
	case err == nil && prev.Hash == h:
		action = Unchanged
	case err == nil:
		action = Update
	case !errs.Is(err, errs.NotFound):
		return err
	}
	if action == Create {
		if _, ok := ch.Domains[p.Domain]; !ok {
			exists, err := a.reg.DomainExists(ctx, p.Domain)
			if err != nil {
				return err
			}
			if !exists {
				plan.Steps = append(plan.Steps, Step{Kind: "domain", Name: p.Domain, Action: Create})
			}
		}
	}
	ch.Domains[p.Domain] = team
	plan.Steps = append(plan.Steps, Step{Kind: "product", Name: name, Action: action})
	if action != Unchanged {
		ch.Products = append(ch.Products, registry.Product{Domain: p.Domain, Name: p.Name, SpecID: p.ID, Status: p.Status,
			Version: p.Version, Description: p.Description.Purpose, Team: team, Doc: doc, Hash: h})
	}
	return nil
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
