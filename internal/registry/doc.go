// Package registry is Meshwork's metadata store: domains, data products,
// contract versions, tables and the history of publishes. It keeps what the
// specs declared (as the documents themselves, so nothing is lost) and what
// the platform derived from them (table schemas with Iceberg field ids).
// The embedded default is SQLite in the data directory; it shares the file
// with the Iceberg SQL catalog.
package registry
