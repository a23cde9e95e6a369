// Package apply turns spec files (ODPS products and ODCS contracts) into the
// mesh: it plans what changes — domains, products, contract versions and
// tables to create or update — and, unless asked for a dry run, carries the
// plan out in the lake (Iceberg tables) and the registry. Applying the same
// files twice changes nothing the second time.
package apply
