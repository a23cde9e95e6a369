package restcatalog_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestOAuthTokenBoundByItsCredential: a token issued by /v1/oauth/tokens
// must not outlive the credential it was exchanged for. Otherwise a token
// about to expire (or about to be revoked) buys a fresh one, and that one
// the next: access that never ends.
func TestOAuthTokenBoundByItsCredential(t *testing.T) {
	e := newEnv(t) // the catalog issues tokens for 10 minutes
	ctx := context.Background()
	exchange := func(secret string) (string, int64) {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"reviewer"}, "client_secret": {secret}}
		r := e.do(t, "", http.MethodPost, "/v1/oauth/tokens", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
		if r.status != http.StatusOK {
			t.Fatalf("token exchange: %d %s", r.status, r.body)
		}
		var tr struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		if err := json.Unmarshal(r.body, &tr); err != nil {
			t.Fatal(err)
		}
		return tr.AccessToken, tr.ExpiresIn
	}
	works := func(secret string) bool {
		t.Helper()
		return e.do(t, secret, http.MethodGet, "/v1/namespaces", nil).status == http.StatusOK
	}

	tok, secret, err := e.p.Access.CreateToken(ctx, "test", "reviewer", nil, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	child, in := exchange(secret)
	if in > 60 {
		t.Errorf("a token exchanged for one that expires in a minute expires in %d s", in)
	}
	grandchild, _ := exchange(child)
	if !works(child) || !works(grandchild) {
		t.Fatalf("the exchanged tokens do not work")
	}
	if _, err := e.p.Access.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if works(secret) {
		t.Fatalf("the revoked token still works")
	}
	if works(child) || works(grandchild) {
		t.Errorf("tokens exchanged for a revoked token still work (child %v, grandchild %v)", works(child), works(grandchild))
	}
}
