package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

// The custom properties Meshwork reads on products and contracts.
const (
	compatibilityProperty = "compatibility" // on the product: its compatibility mode
	sunsetProperty        = "sunset"        // on a deprecated contract version: when its major stops being served
)

// statusRank orders the ODCS lifecycle: a version moves forward only.
var statusRank = map[string]int{"proposed": 0, "draft": 0, "active": 1, "deprecated": 2, "retired": 3}

// Masker is what a Gate may also tell: the mask an ordinary consumer sees on
// a column of a classification, for the rule that a tightened classification
// breaks consumers.
type Masker interface {
	ConsumerMask(ctx context.Context, classification string) string
}

// compatibilityMode reads a product's compatibility mode (custom property
// `compatibility`), BACKWARD_TRANSITIVE when it has none.
func compatibilityMode(p *spec.Product) (schema.Mode, error) {
	v, ok := spec.Custom(p.CustomProperties, compatibilityProperty)
	if !ok {
		return schema.DefaultMode, nil
	}
	s, _ := v.(string)
	m, err := schema.ParseMode(s)
	if err != nil {
		_, msg, _ := errs.Public(err)
		return "", errs.Wrap(errs.Invalid, "apply.compatibilityMode", err, "product %s.%s: custom property %s: %s", p.Domain, p.Name, compatibilityProperty, msg)
	}
	return m, nil
}

// lifecycle reads a contract's status and sunset.
func lifecycle(c *spec.Contract) (status string, sunset *time.Time, err error) {
	const op = "apply.lifecycle"
	status = strings.ToLower(strings.TrimSpace(c.Status))
	if _, ok := statusRank[status]; !ok {
		return "", nil, errs.E(errs.Invalid, op, "contract %q version %s: status %q is not one of proposed, draft, active, deprecated, retired", c.ID, c.Version, c.Status)
	}
	v, ok := spec.Custom(c.CustomProperties, sunsetProperty)
	if !ok {
		return status, nil, nil
	}
	if status != "deprecated" && status != "retired" {
		return "", nil, errs.E(errs.Invalid, op, "contract %q version %s: a sunset is for a deprecated version, not a %s one", c.ID, c.Version, status)
	}
	s, _ := v.(string)
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		end := t.AddDate(0, 0, 1).Add(-time.Nanosecond) // served through the sunset date
		return status, &end, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return status, &t, nil
	}
	return "", nil, errs.E(errs.Invalid, op, "contract %q version %s: custom property sunset %q is not a date (YYYY-MM-DD)", c.ID, c.Version, fmt.Sprint(v))
}

// contentHash hashes a contract document without its lifecycle fields, which
// may change on a version that is otherwise immutable.
func contentHash(doc []byte) (string, error) {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return "", err
	}
	delete(m, "status")
	if cps, ok := m["customProperties"].([]any); ok {
		var keep []any
		for _, cp := range cps {
			if o, ok := cp.(map[string]any); ok && o["property"] == sunsetProperty {
				continue
			}
			keep = append(keep, cp)
		}
		m["customProperties"] = keep
		if len(keep) == 0 {
			delete(m, "customProperties")
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return hash(b), nil
}

// versionsOf splits a contract's applied versions into those of major and
// the highest major applied.
func versionsOf(all []registry.Contract, major int) (same []registry.Contract, highest int) {
	highest = -1
	for _, v := range all {
		highest = max(highest, v.Major)
		if v.Major == major {
			same = append(same, v)
		}
	}
	return same, highest
}

// planContract plans one contract version: the lifecycle and ordering rules
// of versions, the compatibility check against the earlier versions of its
// major, and the tables it creates or evolves.
func (a *Applier) planContract(ctx context.Context, p *spec.Product, c *spec.Contract, mode schema.Mode, plan *Plan, w *work) ([]*tablePlan, error) {
	const op = "apply.planContract"
	ch := &w.change
	ver, err := spec.ParseVersion(c.Version)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, err, "contract %q: %v", c.ID, err)
	}
	status, sunset, err := lifecycle(c)
	if err != nil {
		return nil, err
	}
	doc, err := c.Doc.JSON()
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "encode contract")
	}
	h := hash(doc)
	all, err := a.reg.Versions(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, v := range all {
		if v.Domain != p.Domain || v.Product != p.Name {
			// Not named: the caller may not be allowed to read that product.
			return nil, errs.E(errs.Conflict, op, "contract id %q is already used by another data product: choose another id for %s.%s", c.ID, p.Domain, p.Name)
		}
	}
	same, highest := versionsOf(all, ver.Major)
	cc := ContractCheck{ID: c.ID, Product: p.Domain + "." + p.Name, Version: c.Version, Major: ver.Major, Status: status, Mode: mode,
		NewMajor: len(same) == 0 && highest >= 0, Violations: []schema.Violation{}}
	var prev *registry.Contract
	var history []registry.Contract // the earlier versions of the major
	for i := range same {
		v := same[i]
		pv, err := spec.ParseVersion(v.Version)
		switch {
		case v.Version == c.Version:
			prev = &same[i]
		case err != nil || pv.Compare(ver) < 0:
			// A version applied before versions had to be semantic is
			// history all the same: it sorts first.
			history = append(history, v)
		}
	}
	latest := registry.Head{ContractID: c.ID, Major: ver.Major}
	if len(same) > 0 {
		latest.Version, latest.Hash = same[len(same)-1].Version, same[len(same)-1].Hash
		cc.Latest = latest.Version
	}
	action, check := Create, true
	switch {
	case prev != nil && prev.Hash == h:
		action, check = Unchanged, false
	case prev != nil:
		action = Update
		oldContent, err1 := contentHash(prev.Doc)
		newContent, err2 := contentHash(doc)
		if err1 != nil || err2 != nil {
			return nil, errs.E(errs.Internal, op, "compare contract %q version %s with the applied one", c.ID, c.Version)
		}
		lifecycleOnly := oldContent == newContent
		prevRank, known := statusRank[prev.Status]
		if !known {
			prevRank = statusRank["active"] // a status an earlier release stored as written: immutable
		}
		editable := prevRank == 0 && prev.Version == latest.Version
		switch {
		case lifecycleOnly && statusRank[status] < prevRank:
			return nil, errs.E(errs.Conflict, op, "contract %q version %s is %s: its status can only move forward (draft, active, deprecated, retired), not back to %s", c.ID, c.Version, prev.Status, status)
		case lifecycleOnly:
			check = false
		case !editable && prevRank == 0:
			return nil, errs.E(errs.Conflict, op, "contract %q version %s is a draft but no longer the latest of major %d (%s is): give the change a new version", c.ID, c.Version, ver.Major, latest.Version)
		case !editable:
			return nil, errs.E(errs.Conflict, op, "contract %q version %s is already applied with different content: a %s contract version is immutable, give the change a new version", c.ID, c.Version, prev.Status)
		}
	case len(same) > 0:
		if lv, err := spec.ParseVersion(latest.Version); err == nil && ver.Compare(lv) <= 0 {
			return nil, errs.E(errs.Conflict, op, "contract %q version %s is not after %s, the latest of major %d: versions only move forward", c.ID, c.Version, latest.Version, ver.Major)
		}
	case highest > ver.Major:
		return nil, errs.E(errs.Conflict, op, "contract %q: major %d cannot start after major %d", c.ID, ver.Major, highest)
	}
	if statusRank[status] == 0 && prev == nil {
		for _, v := range same {
			if r, ok := statusRank[v.Status]; !ok || r > 0 {
				return nil, errs.E(errs.Conflict, op, "contract %q version %s is a %s, but major %d is already %s (%s): a draft would change tables consumers read; "+
					"apply it as active, and check it first with POST /api/v1/contracts:check or mesh lint", c.ID, c.Version, status, ver.Major, v.Status, v.Version)
			}
		}
	}
	if check && len(history) > 0 {
		if err := a.checkCompatibility(ctx, &cc, history, c, mode); err != nil {
			return nil, err
		}
	}
	plan.Contracts = append(plan.Contracts, cc)
	plan.Steps = append(plan.Steps, Step{Kind: "contract", Name: fmt.Sprintf("%s %s", c.ID, c.Version), Action: action})
	if len(cc.Violations) > 0 {
		return nil, nil
	}
	if action != Unchanged {
		who, _ := access.FromContext(ctx)
		ch.Contracts = append(ch.Contracts, registry.Contract{ID: c.ID, Version: c.Version, Major: ver.Major, Domain: p.Domain, Product: p.Name,
			Status: status, Doc: doc, Hash: h, AppliedBy: who.Name})
		ch.Expect = append(ch.Expect, latest)
	}
	// The tables follow the major's latest version; a lifecycle change of an
	// older one touches only that version.
	if prev == nil || prev.Version == latest.Version {
		return a.planTables(ctx, p, c, tableState{major: ver.Major, status: status, sunset: sunset, changed: action != Unchanged}, plan, w.namespaces)
	}
	return nil, nil
}

// checkCompatibility fills cc's violations of c against history.
func (a *Applier) checkCompatibility(ctx context.Context, cc *ContractCheck, history []registry.Contract, c *spec.Contract, mode schema.Mode) error {
	var olds []*spec.Contract
	for _, v := range history {
		old, err := spec.ParseContract(fmt.Sprintf("%s %s", v.ID, v.Version), v.Doc)
		if err != nil {
			return errs.Wrap(errs.Internal, "apply.checkCompatibility", err, "read applied contract %q version %s", v.ID, v.Version)
		}
		olds = append(olds, old)
		cc.CheckedAgainst = append(cc.CheckedAgainst, v.Version)
	}
	opts := schema.Options{Mode: mode}
	if m, ok := a.gate.(Masker); ok {
		opts.Mask = func(class string) string { return m.ConsumerMask(ctx, class) }
	}
	cc.Violations = append(cc.Violations, schema.Check(olds, c, opts)...)
	cc.Diff = spec.Diff(olds[len(olds)-1], c)
	return nil
}

// namespace is the Iceberg namespace (second level) of a major's tables: the
// one its tables already have; the product's own name for the product's
// first major; product@vN for every later one.
func namespace(p *spec.Product, major int, existing []registry.Table, planned map[string]string) string {
	if ns, ok := planned[fmt.Sprintf("%s.%s@v%d", p.Domain, p.Name, major)]; ok {
		return ns
	}
	for _, e := range existing {
		if e.Major == major {
			return e.Namespace
		}
	}
	_, other := planned[p.Domain+"."+p.Name]
	if len(existing) == 0 && !other {
		return p.Name
	}
	return fmt.Sprintf("%s@v%d", p.Name, major)
}

// tableState is what the tables of a major take from its latest version.
type tableState struct {
	major   int
	status  string
	sunset  *time.Time
	changed bool // the contract version or its lifecycle changes
}

// planTables plans the tables a contract version declares in its major.
func (a *Applier) planTables(ctx context.Context, p *spec.Product, c *spec.Contract, st tableState, plan *Plan, planned map[string]string) ([]*tablePlan, error) {
	const op = "apply.planTables"
	existing, err := a.reg.Tables(ctx, p.Domain, p.Name)
	if err != nil {
		return nil, err
	}
	ns := namespace(p, st.major, existing, planned)
	planned[p.Domain+"."+p.Name] = ns
	planned[fmt.Sprintf("%s.%s@v%d", p.Domain, p.Name, st.major)] = ns
	declared := map[string]bool{}
	var out []*tablePlan
	for _, o := range c.Schema {
		declared[o.Name] = true
		t, err := schema.FromObject(o)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, op, err, "contract %q, table %s: %v", c.ID, o.Name, err)
		}
		tp := &tablePlan{domain: p.Domain, product: p.Name, namespace: ns, major: st.major, name: o.Name, contract: c,
			object: o, desired: t, status: st.status, sunset: st.sunset}
		full := fmt.Sprintf("%s.%s@v%d.%s", p.Domain, p.Name, st.major, o.Name)
		step := Step{Kind: "table", Name: full, Action: Create}
		for _, e := range existing {
			if e.Name != o.Name {
				continue
			}
			if e.ContractID != c.ID {
				return nil, errs.E(errs.Conflict, op, "table %s.%s.%s is declared by contract %q, not %q", p.Domain, p.Name, o.Name, e.ContractID, c.ID)
			}
			if e.Major != st.major {
				continue
			}
			ev, err := schema.Evolve(&e.Def.Schema, t)
			if err != nil {
				return nil, errs.Wrap(errs.Conflict, op, err, "table %s: %v", full, err)
			}
			old := e.Def.Schema
			tp.existing = &old
			step.Action = Unchanged
			switch {
			case !ev.Empty():
				step.Action = Update
				step.Changes = ev.Changes(&old, t)
			case st.changed:
				step.Action = Update
				step.Changes = append(step.Changes, fmt.Sprintf("contract version %s (%s)", c.Version, st.status))
			}
		}
		plan.Steps = append(plan.Steps, step)
		tp.action = step.Action
		out = append(out, tp)
	}
	var dropped []string
	for _, e := range existing {
		if e.ContractID == c.ID && e.Major == st.major && !declared[e.Name] {
			dropped = append(dropped, e.Name)
		}
	}
	if len(dropped) > 0 {
		sort.Strings(dropped)
		return nil, errs.E(errs.Conflict, op, "contract %q version %s no longer declares table(s) %s of major %d: dropping a table needs a new major version", c.ID, c.Version, strings.Join(dropped, ", "), st.major)
	}
	return out, nil
}
