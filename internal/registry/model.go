package registry

import (
	"encoding/json"
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
	Domain    string          `json:"domain"`
	Product   string          `json:"product"`
	Status    string          `json:"status"`
	Doc       json.RawMessage `json:"contract"`
	Hash      string          `json:"-"`
	AppliedAt time.Time       `json:"appliedAt"`
}

// Table is a mesh table: the contract schema object that declares it and
// the schema derived from it, with Iceberg field ids.
type Table struct {
	Domain          string    `json:"domain"`
	Product         string    `json:"product"`
	Name            string    `json:"name"`
	ContractID      string    `json:"contractId"`
	ContractVersion string    `json:"contractVersion"`
	Def             TableDef  `json:"-"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
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
}
