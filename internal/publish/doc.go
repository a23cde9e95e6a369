// Package publish is the publish pipeline: it turns an uploaded file into one
// atomic Iceberg snapshot of a mesh table, but only if the data keeps the
// table's contract.
//
//	spool -> decode -> conform -> gate -> write -> commit
//
// The upload is spooled to disk (memory stays bounded whatever its size) and
// decoded by DuckDB's readers into a staging table, each value cast to the
// contract's type; rows that do not cast, or leave a required column empty,
// are rejected with their reasons. The gate measures the contract's
// constraints (primary key, unique) and every quality rule in one aggregate
// pass. Only when the gate passes are Parquet files written (with Iceberg
// field ids) under the table's location and committed as one snapshot. Any
// failure before the commit removes what the run wrote: the previous snapshot
// stays published and no staged file is left behind.
package publish
