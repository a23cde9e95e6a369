// Package observe is Meshwork's telemetry: Prometheus metrics of the
// publish, query, freshness and HTTP flows over a registry of their own
// (never the global default one), and request-scoped structured logs.
//
// Metric labels take their values only from registry names (domains,
// products, tables, contract rules), HTTP route patterns and fixed sets
// (statuses, doors, gates): never from raw paths, SQL or user input, which
// would make the number of series unbounded.
package observe
