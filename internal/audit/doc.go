// Package audit is the platform's append-only, hash-chained audit log. Each
// record carries the hash of the one before it, so a modified, removed or
// reordered record breaks the chain, and Verify says where.
//
// Records live in the SQLite table mesh_audit (schema.sql). A record's hash is
// the hex sha256 of an unambiguous encoding of its seq, time, principal,
// action, resource, outcome, details (the JSON exactly as stored) and prev,
// the previous record's hash: a domain tag, seq as 8 bytes big-endian, then
// each text field prefixed by its length, so that no two different records
// encode alike. The one-row table mesh_audit_head holds the seq and hash of
// the newest record and moves in the same transaction as every batch, so that
// removing the newest records, which leaves a shorter but valid chain, is
// detected too.
//
// Append never waits for the database: it stamps the time, marshals the
// details and queues the record. One writer goroutine per Log commits queued
// records in batches, one transaction per batch, reading the head inside the
// (immediate) transaction, so several Logs (replicas) on one database still
// build one chain. A full queue makes Append wait rather than drop a record.
// Flush waits for what was appended before it; Close flushes and stops the
// writer; Append after Close logs an error and drops the event.
//
// What the chain cannot show: someone with write access to the database who
// rewrites a record and every record after it, and the head, leaves a valid
// chain. Copy Head's hash somewhere they cannot write (another system, a
// signed export) to anchor the log up to that point.
package audit
