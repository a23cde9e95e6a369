// Package search is the catalog's full-text search: one document per
// product, table and column, indexed with SQLite FTS5 in mesh.db beside the
// registry it is built from.
//
// The text of each document sits in five FTS5 columns weighted for bm25
// (own name, the names of the path above it, business names, tags /
// classification / owners, descriptions); what results are filtered on
// (domain, product, kind, status, tags, classifications) sits in ordinary
// tables joined by rowid, so filters are exact and the visibility check
// (only products the caller may discover) is done in the same SQL statement.
//
// User text never reaches FTS5's query language: Parse splits it into
// words and Match quotes each one as a prefix string, so operators, column
// filters, quotes and parentheses are only ever searched for as text.
//
// The index follows the registry: Sync (at start) and SyncProducts (after
// each apply) rebuild the documents of products whose content changed,
// keeping a per-product content hash, in one transaction.
package search
