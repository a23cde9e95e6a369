// Package schema is Meshwork's logical table schema: the columns a contract
// declares, their types, keys and partitioning, and the mappings between the
// three type systems a data product lives in — ODCS logical/physical types,
// Iceberg types, and DuckDB SQL types. It also decides which schema changes an
// apply may make to an existing table, and which changes a new contract
// version may make at all under its compatibility mode (Check).
package schema
