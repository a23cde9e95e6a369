package apply

import (
	"time"

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
	DryRun    bool              `json:"dryRun"`
	Steps     []Step            `json:"steps"`
	Contracts []ContractCheck   `json:"contracts,omitempty"`
	Warnings  []spec.Diagnostic `json:"warnings,omitempty"`
}

// ContractCheck is how one contract version of an apply relates to the
// versions applied before it.
type ContractCheck struct {
	ID             string             `json:"id"`
	Product        string             `json:"product"` // domain.product
	Version        string             `json:"version"`
	Major          int                `json:"major"`
	Status         string             `json:"status"`
	Mode           schema.Mode        `json:"mode"`
	Latest         string             `json:"latest,omitempty"`         // the latest applied version of the major
	NewMajor       bool               `json:"newMajor,omitempty"`       // the version starts a major: new tables beside the old ones
	CheckedAgainst []string           `json:"checkedAgainst,omitempty"` // the versions the rules compared it with
	Violations     []schema.Violation `json:"violations"`
	Diff           *spec.ContractDiff `json:"diff,omitempty"` // against the latest earlier version of the major
}

// Violations lists every contract's violations.
func (p *Plan) Violations() []schema.Violation { return violations(p.Contracts) }

func violations(cs []ContractCheck) []schema.Violation {
	var out []schema.Violation
	for _, c := range cs {
		out = append(out, c.Violations...)
	}
	return out
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
	action    Action
	domain    string
	product   string
	namespace string // the Iceberg namespace's second level: product or product@vN
	major     int
	name      string
	contract  *spec.Contract
	object    spec.Object
	desired   *schema.Table
	existing  *schema.Table // nil for a new table
	status    string
	sunset    *time.Time
}
