package apply

import (
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

// Action is what a plan does to one object.
type Action string

// The actions.
const (
	Create    Action = "create"
	Update    Action = "update"
	Unchanged Action = "unchanged"
)

// Step is one object of a plan.
type Step struct {
	Kind    string   `json:"kind"` // domain, product, contract, table
	Name    string   `json:"name"`
	Action  Action   `json:"action"`
	Changes []string `json:"changes,omitempty"`
}

// Plan is the outcome of an apply (or what a dry run would do).
type Plan struct {
	DryRun   bool              `json:"dryRun"`
	Steps    []Step            `json:"steps"`
	Warnings []spec.Diagnostic `json:"warnings,omitempty"`
}

// Changed reports whether the plan changes anything.
func (p *Plan) Changed() bool {
	for _, s := range p.Steps {
		if s.Action != Unchanged {
			return true
		}
	}
	return false
}

// tablePlan is the work for one table.
type tablePlan struct {
	action   Action
	domain   string
	product  string
	name     string
	contract *spec.Contract
	object   spec.Object
	desired  *schema.Table
	existing *schema.Table // nil for a new table
	added    []schema.Column
}
