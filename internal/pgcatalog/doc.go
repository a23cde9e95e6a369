// Package pgcatalog answers the metadata queries that PostgreSQL clients and
// BI tools send over the wire protocol (psql's \dt, \d, \dn and \l, pgjdbc's
// DatabaseMetaData, pgx's type lookups, version() and friends) with the mesh
// tables the caller may read.
//
// # Mapping
//
// The database name is free; the catalog calls it "mesh". Each data product
// is a PostgreSQL schema named domain.product (for example "sales.orders"),
// and its tables are the contract's tables, so psql's \dt lists
// sales.orders | orders and a BI tool writes
//
//	SELECT ... FROM "sales.orders"."orders"
//
// which the query guard reads as sales.orders.orders (the unquoted
// three-part name works too). A served major other than the one an unpinned
// name reads appears as the schema domain.product@vN. platform.audit.events
// is listed to those who may read it. Besides the products, only pg_catalog
// and information_schema exist; current_schema() is NULL because no schema
// is on the search path, and pg_table_is_visible is true for every table.
// Column types are PostgreSQL's (text, integer, bigint, numeric(p,s),
// timestamp with time zone, ...), and contract descriptions are comments.
// Primary keys appear as a primary key constraint and its unique index.
//
// psql reads a three-part pattern as database.schema.table, so there
// \d "sales.orders".orders names a table (\d sales.orders.orders does not).
//
// # What is answered
//
// Tested with the real clients' own query texts (testdata/queries): psql 15's
// \dt, \d, \d table, \d+ table, \dn, \l, \dv, \di, \df; pgjdbc 42.5's
// getSchemas, getTables, getColumns, getPrimaryKeys and its TypeInfoCache
// lookups; pgx 5's LoadType lookups; information_schema.tables, columns,
// schemata, table_constraints and key_column_usage; pg_roles, pg_user,
// pg_settings, pg_database, pg_tables, pg_indexes, pg_stat_user_tables; and
// version(), current_database(), current_user, current_setting(),
// set_config(), has_*_privilege(), format_type(), col_description() and
// friends. A query that names both the catalog and mesh tables is refused;
// a query with neither is not claimed (Handles) and goes to the engine.
//
// # How
//
// Each set of visible tables (principals who may read the same tables share
// it) gets a sandboxed in-memory DuckDB, with no file access and its
// configuration locked, holding stand-ins of the pg_catalog and
// information_schema relations and functions clients read, filled with that
// set's tables only. A client's query is parsed by DuckDB
// (json_serialize_sql, which refuses anything but SELECT), rewritten to read
// the stand-ins (catalog names, PostgreSQL casts such as ::regclass,
// OPERATOR(pg_catalog.~), COLLATE, session functions), rendered back and run
// with a timeout and a row limit. Any other relation is refused, so neither
// DuckDB's own catalog nor another principal's tables can be reached.
package pgcatalog
