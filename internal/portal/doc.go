// Package portal is Meshwork's web UI: server-rendered pages for finding,
// understanding, requesting and querying data products, served by mesh
// serve at "/".
//
// The portal is a client of the REST API, in process: each page calls the
// API handler with the signed-in principal's own credential, so it sees
// exactly what that principal may see, every decision is the API's, and
// every change is authorized and audited by the API as if made with the
// CLI. The portal adds only presentation and a browser session:
//
//   - Sessions live in memory: the cookie carries a random id, the server
//     keeps its SHA-256 with the principal's credential, a CSRF token and
//     two deadlines (idle and absolute). An expired session, or a credential
//     the API no longer accepts, sends the browser back to sign-in.
//   - Every state-changing request must come from the portal's own origin
//     (Sec-Fetch-Site / Origin, net/http.CrossOriginProtection) and carry
//     the session's CSRF token.
//   - Pages are html/template, so user text is escaped in its context; the
//     Content-Security-Policy allows scripts and styles only from the
//     portal's own embedded assets.
//
// Assets are embedded in the binary; the SQL editor's bundle (CodeMirror) is
// built from web/ by scripts/build-assets.sh and committed, so go build
// never needs npm.
package portal
