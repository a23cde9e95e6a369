// Package query runs consumers' SQL over the mesh on an embedded, sandboxed
// DuckDB.
//
// User SQL is never executed as typed. The Guard parses it into DuckDB's own
// AST, lets through only a single SELECT over mesh tables
// (domain.product.table) and allowed functions, and rewrites every table
// reference to a governed view that reads one Iceberg snapshot's data files
// by field id. Views are immutable per snapshot and cached, so planning a
// scan happens once per snapshot. Queries run under a timeout and the
// engine's memory and thread limits; a caller that goes away cancels its query.
package query
