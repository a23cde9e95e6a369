package apply

import (
	"context"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

// Report is what checking specs without applying them finds: everything an
// apply would refuse, in one answer, so that a domain's CI can block a merge.
type Report struct {
	OK          bool              `json:"ok"`
	Diagnostics []spec.Diagnostic `json:"diagnostics,omitempty"` // errors and warnings in the documents
	Refusals    []Refusal         `json:"refusals,omitempty"`    // permissions, policies and version rules
	Contracts   []ContractCheck   `json:"contracts,omitempty"`   // compatibility with the applied versions
	Plan        *Plan             `json:"plan,omitempty"`        // what applying would do, when nothing is refused
}

// Refusal is one reason an apply would be refused, other than a document
// error or a compatibility violation.
type Refusal struct {
	Code    string `json:"code"` // the error kind, e.g. forbidden, policy_denied, conflict
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// Check runs everything an apply of srcs would check — the documents, the
// gate (who may change what, and the apply policies), the version rules and
// compatibility — and changes nothing. Only a failure to check at all is an
// error.
func (a *Applier) Check(ctx context.Context, srcs []Source) (*Report, error) {
	r := &Report{}
	refuse := func(err error) error {
		kind, msg, details := errs.Public(err)
		switch kind {
		case errs.Internal, errs.Unavailable, errs.Timeout, errs.Canceled:
			return err
		}
		if d, ok := details.([]spec.Diagnostic); ok {
			r.Diagnostics = append(r.Diagnostics, d...)
			return nil
		}
		r.Refusals = append(r.Refusals, Refusal{Code: kind.String(), Message: msg, Details: details})
		return nil
	}
	docs, plan, err := a.parse(ctx, srcs)
	if err != nil {
		return r, refuse(err)
	}
	r.Diagnostics = append(r.Diagnostics, plan.Warnings...)
	plan.DryRun = true
	if a.gate != nil {
		pr, err := a.propose(ctx, docs)
		if err != nil {
			return nil, err
		}
		if err := a.gate.CheckApply(ctx, pr); err != nil {
			if err := refuse(err); err != nil {
				return nil, err
			}
			// Who may not change the products learns nothing of their
			// applied versions either.
			if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Unauthenticated) {
				return r, nil
			}
		}
	}
	// Only planning reads the registry as an apply would change it; parsing
	// and the gate need no lock, so checks never hold applies up for long.
	a.mu.Lock()
	_, err = a.plan(ctx, docs, plan)
	a.mu.Unlock()
	if err != nil {
		if err := refuse(err); err != nil {
			return nil, err
		}
	}
	r.Contracts = plan.Contracts
	r.OK = len(r.Refusals) == 0 && len(plan.Violations()) == 0 && !hasErrors(r.Diagnostics)
	if r.OK {
		r.Plan = plan
	}
	return r, nil
}

func hasErrors(ds []spec.Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == spec.SeverityError {
			return true
		}
	}
	return false
}

// Violations lists every contract's violations.
func (r *Report) Violations() []schema.Violation { return violations(r.Contracts) }
