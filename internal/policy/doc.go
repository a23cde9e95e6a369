// Package policy evaluates the mesh's global policies, written in Rego and
// run in-process with open-policy-agent, at three decision points: apply
// (specs), publish (a table's contract and the statistics of the data about
// to be released) and query (which columns a principal sees masked and which
// rows it sees). The default bundle ships embedded; a policy directory
// replaces it.
//
// A bundle is a directory of Rego v1 modules, optional data.json/data.yaml
// documents (mounted by directory, as in an OPA bundle) and an optional
// .manifest with a "revision". Load compiles it and prepares three queries
// once: data.meshwork.apply.deny, data.meshwork.publish.deny (sets of
// {"rule", "object", "message"}) and data.meshwork.query.decision (an object
// {"masks", "row_filters", "deny"}); an undefined rule denies nothing. Inputs
// are handed to OPA as AST values built directly from the Go types, never
// through JSON, because the query decision runs per (principal, table).
// bundle/README.md documents the shapes and every rule of the default bundle.
package policy
