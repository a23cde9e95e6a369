// Package lake keeps Meshwork's tables as Apache Iceberg (format v2) tables
// over Parquet, through apache/iceberg-go's SQL catalog. It creates tables,
// evolves their schema, commits data files written elsewhere as one atomic
// snapshot, resolves snapshots for time travel, and plans scans (the data files
// and field-id schema of one snapshot) that DuckDB reads.
//
// A mesh table domain.product.table is the Iceberg table "table" in the
// nested namespace [domain, product], located at warehouse/domain/product/table.
package lake
