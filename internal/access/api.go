package access

import "time"

// Principal is an authenticated caller.
type Principal struct {
	Name   string              `json:"name"`             // e.g. "alice", "svc-etl", an OIDC subject or e-mail
	Groups []string            `json:"groups,omitempty"` // sorted, unique
	Attrs  map[string][]string `json:"attrs,omitempty"`  // e.g. {"nation": ["1","3"]}, used by row filters
	Via    string              `json:"via"`              // "token" or "oidc"
}

// Role is a set of actions granted on a scope.
type Role string

// The roles. Admin is only granted on the platform scope (empty domain).
const (
	RoleAdmin     Role = "admin"     // everything, everywhere
	RoleOwner     Role = "owner"     // discover, read, publish, apply, grant, unmask
	RolePublisher Role = "publisher" // discover, read, publish
	RoleConsumer  Role = "consumer"  // discover, read
	RoleUnmask    Role = "unmask"    // discover, unmask (see masked columns in clear)
	RoleViewer    Role = "viewer"    // discover: find products and see their metadata, not their data
)

// Action is what a caller wants to do.
type Action string

// The actions.
const (
	ActionDiscover Action = "discover" // list, search and see a product's page: metadata, never data
	ActionRead     Action = "read"     // query, export, read data and the metadata derived from it
	ActionPublish  Action = "publish"  // publish data into a product's tables
	ActionApply    Action = "apply"    // create or change a product's spec and contracts
	ActionGrant    Action = "grant"    // grant/revoke on the scope, decide access requests
	ActionUnmask   Action = "unmask"   // read masked columns in clear
	ActionAdmin    Action = "admin"    // tokens, audit, maintenance, policies
)

// Resource is what an action is on: a product (Domain and Product), a whole
// domain (Product empty) or the platform (both empty).
type Resource struct {
	Domain  string `json:"domain,omitempty"`
	Product string `json:"product,omitempty"`
}

// Grant gives Role on a scope to a subject: a principal name or "group:NAME".
type Grant struct {
	ID        string     `json:"id"`
	Role      Role       `json:"role"`
	Subject   string     `json:"subject"`
	Domain    string     `json:"domain,omitempty"`
	Product   string     `json:"product,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	CreatedBy string     `json:"createdBy"`
	CreatedAt time.Time  `json:"createdAt"`
}

// Token is an API token's record; the secret itself is never stored.
type Token struct {
	ID        string     `json:"id"`
	Principal string     `json:"principal"`
	CreatedBy string     `json:"createdBy"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// Request statuses.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusDenied   = "denied"
)

// Request is a consumer's request for access to a product.
type Request struct {
	ID        string     `json:"id"`
	Principal string     `json:"principal"`
	Domain    string     `json:"domain"`
	Product   string     `json:"product"`
	Role      Role       `json:"role"`
	Purpose   string     `json:"purpose"`
	Status    string     `json:"status"`
	DecidedBy string     `json:"decidedBy,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	GrantID   string     `json:"grantId,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"` // of the grant an approval creates
	CreatedAt time.Time  `json:"createdAt"`
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
}
