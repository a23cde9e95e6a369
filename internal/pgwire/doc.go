// Package pgwire serves Meshwork's governed query engine over the
// PostgreSQL v3 wire protocol, so that psql, JDBC/ODBC drivers, pgx and BI
// tools query data products as they would a PostgreSQL database.
//
// A query that arrives here is the same query as one sent to the HTTP API:
// it runs through query.Engine with the authenticated principal in its
// context, so the SQL guard, column masks, row filters, the row limit and
// the audit record all apply. The wire protocol only changes the encoding.
//
// Authentication: the user name is a principal, the password a Meshwork API
// token of that principal. The password travels in clear text
// (AuthenticationCleartextPassword), so it is accepted only over TLS or on a
// loopback connection. SCRAM-SHA-256 is not offered: tokens are stored
// hashed (SHA-256 of the secret), and SCRAM needs a salted verifier derived
// from the secret itself, which the server does not keep. MD5 is weaker than
// TLS and is not offered either.
//
// Supported: SSLRequest (TLS when a certificate is configured), the simple
// query protocol (several statements per message), the extended protocol
// (named and unnamed statements and portals, Describe, row-limited Execute
// with PortalSuspended, Close, Sync, Flush), text and binary formats for
// parameters and results, CancelRequest, SET/SHOW/RESET of a few harmless
// session settings, BEGIN/COMMIT/ROLLBACK as no-ops over a read-only mesh.
// Not supported: COPY, function calls, replication, LISTEN/NOTIFY.
//
// Parameters ($1, ...) are bound by DuckDB as values, never spliced into
// the SQL. A statement is described (Parse) by checking and preparing the
// governed query without running it; the types announced then are the ones
// its rows are encoded in. A parameter whose type DuckDB cannot infer
// (SELECT $1 + 1) is described as unspecified (OID 0): clients send it as
// text, and it takes the type its value reads as (a number, else a string).
//
// Clients that inline parameters themselves (the simple protocol of pgx or
// psql variables) produce DuckDB SQL: DuckDB reads '\x41' as the escaped
// byte 'A', not as PostgreSQL's hex bytea.
//
// Catalog queries (pg_catalog, information_schema, version(), ...) are
// answered by a Metadata implementation supplied by the caller; this
// package only routes them (see route.go).
package pgwire
