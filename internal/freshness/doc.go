// Package freshness computes each served table's freshness from its
// contract's service levels (ODCS slaProperties frequency and latency) and
// the commit times of its publishes, and records breaches of them.
//
// The Monitor evaluates every table on its own clock, not when something is
// published: a publish that does not happen is exactly the failure it must
// detect. The exact rules are in docs/freshness.md.
package freshness
