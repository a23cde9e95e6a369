// Package event delivers what happens in the mesh to the systems that
// subscribed to it: webhooks receiving CloudEvents 1.0 (structured JSON),
// signed with HMAC-SHA256.
//
// Delivery is an outbox. Emit writes the event and one delivery row per
// matching subscription in one transaction, before anything is sent; a
// dispatcher goroutine then posts due deliveries, retrying failures with
// exponential backoff and jitter. A delivery is leased while it is in
// flight, so that one claimed by a process that died is retried after a
// restart: delivery is at least once, and receivers deduplicate by the
// event id (also in the Meshwork-Delivery header).
//
// Signing secrets are never stored: each is an HMAC of the subscription id
// under a key kept in the data directory, shown once when the subscription
// is made. Targets must be http(s), and by default may not resolve to
// loopback, private or link-local addresses (checked when dialling, so DNS
// cannot rebind around it).
package event
