// Package access decides who may do what. It holds principals, API tokens
// (random, shown once, stored only as a SHA-256 hash), OIDC verification,
// grants of roles on domains and products, and access requests, and it
// answers one question for every handler and every table a query touches:
// Authorize(ctx, principal, action, resource). Everything is denied unless a
// live grant allows it.
//
// Authorize does not read the database: it evaluates an in-memory snapshot
// of every grant, indexed by principal and by group, and checks expiry
// against the clock at call time. The Store reloads the snapshot after its
// own changes; Invalidate covers changes made elsewhere.
//
// A bearer credential is either an API token ("mesh_" and 256 random bits,
// base64url) or, when OIDC is configured, a JWT from the configured issuer.
// Every bad credential gets the same Unauthenticated answer; the reason goes
// to the log, the credential nowhere.
package access
