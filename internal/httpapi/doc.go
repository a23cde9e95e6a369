// Package httpapi is Meshwork's REST API v1: routing, request limits,
// request ids and access logs, and one JSON error envelope
//
//	{"error": {"code": "...", "message": "...", "details": ..., "requestId": "..."}}
//
// whose code is the errs.Kind of the failure. Internal error text never
// reaches a client; it is logged with the request id.
package httpapi
