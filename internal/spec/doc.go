// Package spec reads the two declarative documents a domain team writes:
// data product specs (ODPS v1.0.0, kind DataProduct) and data contracts
// (ODCS v3.1.0, kind DataContract).
//
// Parse accepts one or many YAML documents per file and checks each in three
// passes, reporting every finding with its line, column and JSON pointer:
//
//  1. YAML: syntax, duplicate keys, size and alias-expansion limits. Scalars
//     keep the text they were written with where JSON has no type for them
//     (an unquoted 2023-01-15 stays the string "2023-01-15"), because the
//     official schemas expect strings there.
//  2. The official JSON Schema, embedded from schemas/ (never edited), so that
//     any file the standard accepts is accepted here too.
//  3. Meshwork's own rules: names that become addresses (domain.product.table
//     and column names) must be lower-case identifiers, types must be known and
//     consistent, keys and positions must be unique, quality rules must be ones
//     the quality gate can run.
//
// What the platform parses but does not honour yet (quality schedules, custom
// and text rules, encryption, transform logic, type options other than
// format/timezone) is reported as a warning, never silently dropped.
//
// The typed structs are a read-only view. Each keeps its whole original
// document in a Doc, and ExportContract/ExportProduct write that document
// back, so a round trip loses nothing: not custom properties, not fields this
// package does not model, and where possible not even comments.
package spec
