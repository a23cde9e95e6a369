// Package quality runs a contract's quality rules against data about to be
// published. Every rule of a table — ODCS library metrics (rowCount,
// nullValues, missingValues, duplicateValues, invalidValues) and sql rules —
// compiles to one expression of a single aggregate query, so the data is
// scanned once however many rules there are. Each rule yields its measured
// value and a verdict against its operator (mustBe, mustBeGreaterThan, ...).
package quality
