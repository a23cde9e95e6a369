// Package usage counts who uses which data product, anonymised: per product
// and UTC day, the number of successful queries and of distinct consumers,
// and the product's most frequent query shapes ("fingerprints": the SQL with
// every literal replaced by ?).
//
// Principal names are kept only in the internal table mesh_usage_consumers,
// where they serve to count distinct consumers; nothing this package returns
// names a principal. Fingerprints never carry a literal (string, number,
// dollar-quoted or E-string, parameter), so the values a consumer filtered
// on do not reach other consumers.
//
// The query hook (Observe) runs on the query's path: it normalises the SQL
// and counts in memory; a goroutine writes the counts to SQLite every few
// seconds and on Close, so that a query never waits for a write. Counts are
// therefore up to one flush interval late; Flush writes them at once.
package usage
