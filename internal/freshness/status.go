package freshness

import (
	"time"
)

// Status is a table's freshness.
type Status string

// The statuses, in the order of their severity.
const (
	None  Status = "none"  // the contract declares no freshness SLA for the table
	Fresh Status = "fresh" // published within the threshold (or not yet due for a first publish)
	Late  Status = "late"  // beyond the threshold, within the grace
	Stale Status = "stale" // beyond the threshold and the grace
	Never Status = "never" // never published, and older than the threshold
)

// Statuses are the statuses a filter may name.
var Statuses = []Status{Fresh, Late, Stale, Never, None}

// Breached reports whether the status breaches the SLA.
func (s Status) Breached() bool { return s == Late || s == Stale || s == Never }

// TableStatus is the freshness of one served table at one instant.
type TableStatus struct {
	Domain  string `json:"domain"`
	Product string `json:"product"`
	Major   int    `json:"major"`
	Table   string `json:"table"`
	Address string `json:"address"` // domain.product@vN.table
	Status  Status `json:"status"`
	// LastPublish is when the latest successful (committed) publish
	// finished; AgeSeconds is how long ago that was. Both are absent for a
	// table never published.
	LastPublish *time.Time `json:"lastPublish,omitempty"`
	AgeSeconds  *float64   `json:"ageSeconds,omitempty"`
	SLA         *SLA       `json:"sla,omitempty"`
	// Due is when the next publish is due: the last publish (or, for a table
	// never published, its creation) plus the threshold. In the past when
	// the table is late, stale or never published.
	Due *time.Time `json:"due,omitempty"`
	// Problems are SLA entries of the contract that could not be read.
	Problems  []string  `json:"problems,omitempty"`
	CheckedAt time.Time `json:"checkedAt"`
}

// evaluate applies the rules of docs/freshness.md: the age of the last
// commit against the threshold and the grace.
func evaluate(sla *SLA, created time.Time, last *time.Time, now time.Time) (Status, *time.Time) {
	if sla == nil || sla.Threshold() <= 0 {
		return None, nil
	}
	th := sla.Threshold()
	from := created
	if last != nil {
		from = *last
	}
	due := from.Add(th)
	age := now.Sub(from)
	switch {
	case last == nil && age > th:
		return Never, &due
	case age <= th:
		return Fresh, &due
	case age <= addSat(th, sla.Grace()):
		return Late, &due
	}
	return Stale, &due
}

// addSat adds durations without wrapping: saturated periods (see
// spec.Period.Duration) must not come out negative.
func addSat(a, b time.Duration) time.Duration {
	if s := a + b; s >= a {
		return s
	}
	return time.Duration(1<<63 - 1)
}
