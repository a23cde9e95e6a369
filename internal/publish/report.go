package publish

import (
	"time"

	"github.com/meshwork/meshwork/internal/policy"
	"github.com/meshwork/meshwork/internal/quality"
)

// Report is what a publish run tells its caller, whether it committed or not.
type Report struct {
	RunID      string `json:"runId"`
	Table      string `json:"table"`
	Mode       string `json:"mode"`
	Format     string `json:"format"`
	Status     string `json:"status"` // committed, gate_failed
	Replayed   bool   `json:"replayed,omitempty"`
	BytesRead  int64  `json:"bytesRead"`
	RowsRead   int64  `json:"rowsRead"`
	RowsOK     int64  `json:"rowsAccepted"`
	RowsFailed int64  `json:"rowsRejected"`
	MaxRejects int64  `json:"maxRejectedRows"`
	// Rejects are up to ten examples of rejected rows, with their reasons.
	Rejects []Reject `json:"rejectedExamples,omitempty"`
	// Problems are reasons the file as a whole does not fit the contract.
	Problems []string `json:"problems,omitempty"`
	// Contract holds the contract's constraints (rejected rows, primary key,
	// unique columns); Quality holds the contract's quality rules.
	Contract []quality.Result `json:"contractChecks"`
	Quality  []quality.Result `json:"qualityChecks"`
	// Policy holds the denials of the global publish policies.
	Policy             []policy.Denial `json:"policy,omitempty"`
	SnapshotID         int64           `json:"snapshotId,omitempty"`
	PreviousSnapshotID int64           `json:"previousSnapshotId,omitempty"`
	DataFiles          int             `json:"dataFiles,omitempty"`
	DurationMs         float64         `json:"durationMs"`
	// Branch and BranchSnapshotID name the snapshot a branch publish
	// (write-audit-publish through the Iceberg catalog) audited; its status
	// may also be stale or failed.
	Branch           string `json:"branch,omitempty"`
	BranchSnapshotID int64  `json:"branchSnapshotId,omitempty"`
	// StagesMs is where the time went: spool, decode, gate, write, commit.
	StagesMs map[string]float64 `json:"stagesMs,omitempty"`
}

// stage records the duration of a pipeline stage that started at start.
func (r *Report) stage(name string, start time.Time) {
	if r.StagesMs == nil {
		r.StagesMs = map[string]float64{}
	}
	r.StagesMs[name] = float64(time.Since(start).Microseconds()) / 1000
}

// Reject is one rejected row.
type Reject struct {
	Line   int64  `json:"line,omitempty"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
	Row    string `json:"row,omitempty"`
}

// Passed reports whether every blocking check passed and no policy denied the release.
func (r *Report) Passed() bool {
	return r.contractPassed() && len(r.Policy) == 0
}

// contractPassed reports whether the data keeps the contract: it fits, and
// every blocking constraint and quality rule passed.
func (r *Report) contractPassed() bool {
	return len(r.Problems) == 0 && !quality.Failed(r.Contract) && !quality.Failed(r.Quality)
}

// The statuses of a run.
const (
	StatusCommitted  = "committed"
	StatusGateFailed = "gate_failed"
)
