// Package restcatalog serves the Iceberg REST catalog protocol
// (rest-catalog-open-api.yaml) over the mesh: engines such as Spark,
// Trino, DuckDB or PyIceberg list the domains and products a principal may
// read as Iceberg namespaces, and load their tables' metadata to read the
// Parquet files directly.
//
// Namespaces are [domain] and [domain, product] ([domain, product@vN] for a
// later major version of a product's contract). Only served tables are
// visible: a retired major, or one past its sunset, is neither listed nor
// loadable. A table the query policy masks or filters for the caller is not
// loadable either, since an engine reading its files would bypass the masks:
// it is read through Meshwork SQL instead.
//
// Products and tables are created, renamed and dropped by `mesh apply`, not
// through the catalog. Data is published by `mesh publish` or, through the
// catalog, write-audit-publish (commit.go): a publisher commits a snapshot
// onto a branch of a table (updateTable, or a one-table transaction), and
// Meshwork fast-forwards main to it only if it passes the contract's
// conformance, its quality rules and the publish policies.
//
// Every route but /v1/oauth/tokens requires a Meshwork bearer token;
// /v1/oauth/tokens exchanges one (as the client secret of the
// client-credentials grant) for a short-lived token.
package restcatalog
