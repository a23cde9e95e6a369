package restcatalog

import (
	"errors"
	"mime"
	"net/http"

	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
)

// oauthError is the OAuth 2 error response (RFC 6749 section 5.2), which the
// spec's OAuthError follows.
type oauthError struct {
	code        int
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// POST /v1/oauth/tokens: the client-credentials grant, with the principal's
// name as client_id and a Meshwork token as client_secret, issues a token
// for the same principal that expires after the configured TTL.
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	resp, oerr := s.exchange(r)
	if oerr != nil {
		w.Header().Set("Cache-Control", "no-store")
		if oerr.code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="meshwork"`)
		}
		writeJSON(w, oerr.code, oerr)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

type tokenResponse struct {
	AccessToken     string `json:"access_token"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	IssuedTokenType string `json:"issued_token_type"`
}

// serverError is a 500 in the spec's OAuthError, whose error codes are the
// token endpoint's of RFC 6749 (section 5.2): it has no server_error, so the
// status alone says the fault is the server's.
func serverError() *oauthError {
	return &oauthError{code: http.StatusInternalServerError, Error: "invalid_request", Description: "internal error: try again later"}
}

func badRequest(code, desc string) *oauthError {
	return &oauthError{code: http.StatusBadRequest, Error: code, Description: desc}
}

func (s *server) exchange(r *http.Request) (*tokenResponse, *oauthError) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return nil, badRequest("invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, &oauthError{code: http.StatusRequestEntityTooLarge, Error: "invalid_request", Description: "the request body is too large"}
		}
		return nil, badRequest("invalid_request", "the body is not a valid form")
	}
	f := r.PostForm
	for _, k := range []string{"grant_type", "client_id", "client_secret", "scope"} {
		if len(f[k]) > 1 {
			return nil, badRequest("invalid_request", "parameter "+k+" is repeated")
		}
	}
	switch gt := f.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		return nil, badRequest("invalid_request", "grant_type is required")
	default:
		return nil, badRequest("unsupported_grant_type", "only the client_credentials grant is supported")
	}
	id, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		if id != "" || secret != "" {
			return nil, badRequest("invalid_request", "send the client credentials either in the body or in the Authorization header, not both")
		}
		id, secret = u, p
	}
	if id == "" || secret == "" {
		return nil, badRequest("invalid_request", "client_id (the principal's name) and client_secret (a Meshwork token) are required")
	}
	// The new token expires with the credential at the latest, and is
	// revoked with it.
	tok, issued, err := s.acc.Exchange(r.Context(), id, secret, s.ttl)
	if errs.Is(err, errs.Unauthenticated) {
		s.auditAuth(r, err)
		return nil, &oauthError{code: http.StatusUnauthorized, Error: "invalid_client",
			Description: "invalid client credentials: client_id must be the principal's name and client_secret a valid Meshwork token of that principal"}
	}
	ev := audit.Event{Principal: id, Action: "token.create", Resource: "principal:" + id, Outcome: audit.OK}
	if err != nil {
		ev.Outcome = audit.Failed
		s.audit.Append(ev, map[string]any{"via": "iceberg oauth"})
		s.log.ErrorContext(r.Context(), "token exchange failed", "err", err)
		return nil, serverError()
	}
	ttl := s.ttl
	if tok.ExpiresAt != nil {
		ttl = tok.ExpiresAt.Sub(tok.CreatedAt)
	}
	s.audit.Append(ev, map[string]any{"via": "iceberg oauth", "token": tok.ID, "ttlSeconds": int64(ttl.Seconds())})
	return &tokenResponse{AccessToken: issued, TokenType: "bearer", ExpiresIn: int64(ttl.Seconds()),
		IssuedTokenType: "urn:ietf:params:oauth:token-type:access_token"}, nil
}
