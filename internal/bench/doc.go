// Package bench measures Meshwork against plain DuckDB on the same machine,
// in one run, on TPC-H-shaped data from package tpch:
//
//   - publish throughput of sales.orders.lineitem from CSV and from Parquet,
//     through the REST API, beside DuckDB's own COPY of the same file to Parquet;
//   - the 22 TPC-H queries through the query API beside the same queries in
//     plain DuckDB over the same Parquet files, with identical results checked;
//   - the latency of a trivial query through the API.
//
// It reports ratios, so that a noisy machine moves both sides alike.
package bench
