package registry

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

// Product is a data product as applied.
type Product struct {
	Domain      string          `json:"domain"`
	Name        string          `json:"name"`
	SpecID      string          `json:"id"`
	Status      string          `json:"status"`
	Version     string          `json:"version,omitempty"`
	Description string          `json:"description,omitempty"`
	Team        string          `json:"team,omitempty"`
	Doc         json.RawMessage `json:"spec"`
	Hash        string          `json:"-"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// Contract is one version of a data contract as applied.
type Contract struct {
	ID        string          `json:"id"`
	Version   string          `json:"version"`
	Major     int             `json:"major"`
	Domain    string          `json:"domain"`
	Product   string          `json:"product"`
	Status    string          `json:"status"`
	Doc       json.RawMessage `json:"contract,omitempty"`
	Hash      string          `json:"-"`
	AppliedAt time.Time       `json:"appliedAt"`
	AppliedBy string          `json:"appliedBy,omitempty"`
}

// Table is a mesh table: the contract schema object that declares it and
// the schema derived from it, with Iceberg field ids. Each major version of a
// contract has tables of its own, in the Iceberg namespace
// domain.Namespace: the product's name for its first major, product@vN for
// later ones.
type Table struct {
	Domain          string     `json:"domain"`
	Product         string     `json:"product"`
	Major           int        `json:"major"`
	Name            string     `json:"name"`
	Namespace       string     `json:"-"`
	ContractID      string     `json:"contractId"`
	ContractVersion string     `json:"contractVersion"`
	Status          string     `json:"status"`           // of the major's latest contract version: draft, active, deprecated, retired
	Sunset          *time.Time `json:"sunset,omitempty"` // when a deprecated major stops being served
	Def             TableDef   `json:"-"`
	CreatedAt       time.Time  `json:"createdAt"`
	UpdatedAt       time.Time  `json:"updatedAt"`
}

// Address is the table's pinned mesh name, domain.product@vN.table.
func (t *Table) Address() string {
	return fmt.Sprintf("%s.%s@v%d.%s", t.Domain, t.Product, t.Major, t.Name)
}

// Served reports whether queries may read the table at now: a retired
// major, or a deprecated one past its sunset, is not served.
func (t *Table) Served(now time.Time) bool {
	return t.Status != "retired" && (t.Sunset == nil || now.Before(*t.Sunset))
}

// TableDef is what the registry keeps of a table's declaration.
type TableDef struct {
	Schema schema.Table `json:"schema"`
	Object spec.Object  `json:"object"`
}

// Publish is the record of one publish run, committed or not.
type Publish struct {
	RunID          string          `json:"runId"`
	Domain         string          `json:"domain"`
	Product        string          `json:"product"`
	Table          string          `json:"table"`
	Mode           string          `json:"mode"`
	Status         string          `json:"status"` // committed, gate_failed, failed
	SnapshotID     *int64          `json:"snapshotId,omitempty"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	Report         json.RawMessage `json:"report"`
	StartedAt      time.Time       `json:"startedAt"`
	FinishedAt     time.Time       `json:"finishedAt"`
}

// Change is everything one apply writes, in one transaction.
type Change struct {
	Domains   map[string]string // name -> owning team
	Products  []Product
	Contracts []Contract
	Tables    []Table
	// Expect holds, per contract id and major, the latest version the change
	// was planned against ("" for none): if another apply changed that since,
	// the whole change is refused as a Conflict.
	Expect []Head
}

// Head is the latest applied version of one major of a contract.
type Head struct {
	ContractID string
	Major      int
	Version    string
	Hash       string
}
