package access

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
)

var (
	keysOnce            sync.Once
	issuerKey, rogueKey *rsa.PrivateKey
)

// testKeys are the issuer's signing key and another key (a forger's), made once per run.
func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if issuerKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rogueKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return issuerKey, rogueKey
}

// issuer is a local OIDC provider: a discovery document and a JWKS.
type issuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

const testKID = "k1"

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	key, _ := testKeys(t)
	iss := &issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.srv.URL,
			"jwks_uri":                              iss.srv.URL + "/keys",
			"authorization_endpoint":                iss.srv.URL + "/auth",
			"token_endpoint":                        iss.srv.URL + "/token",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: testKID, Algorithm: string(jose.RS256), Use: "sig"},
		}})
	})
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

// sign makes a compact JWS of claims with key.
func sign(t testing.TB, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: testKID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestOIDC(t *testing.T) {
	ctx := context.Background()
	iss := newIssuer(t)
	_, rogue := testKeys(t)
	e := open(t, Config{OIDC: OIDCConfig{Issuer: iss.srv.URL, Audience: "meshwork", AttrClaims: []string{"nation", "tier"}}})
	now := e.clock.Now()

	// claims are valid ones with changes; a nil value deletes a claim.
	claims := func(changes map[string]any) map[string]any {
		c := map[string]any{
			"iss":    iss.srv.URL,
			"aud":    "meshwork",
			"sub":    "alice",
			"email":  "alice@example.com",
			"groups": []string{"sales", "analysts", "sales"},
			"nation": []any{1, "3"},
			"tier":   "gold",
			"iat":    now.Add(-time.Minute).Unix(),
			"nbf":    now.Add(-time.Minute).Unix(),
			"exp":    now.Add(time.Hour).Unix(),
		}
		for k, v := range changes {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	alice := Principal{Name: "alice", Groups: []string{"analysts", "sales"},
		Attrs: map[string][]string{"nation": {"1", "3"}, "tier": {"gold"}}, Via: "oidc"}

	tests := []struct {
		name  string
		token string
		want  *Principal // nil: Unauthenticated
	}{
		{"valid", sign(t, iss.key, claims(nil)), &alice},
		{"audience list", sign(t, iss.key, claims(map[string]any{"aud": []string{"other", "meshwork"}})), &alice},
		{"one group as a string", sign(t, iss.key, claims(map[string]any{"groups": "sales", "nation": nil, "tier": nil})),
			&Principal{Name: "alice", Groups: []string{"sales"}, Via: "oidc"}},
		{"no groups", sign(t, iss.key, claims(map[string]any{"groups": nil, "nation": nil, "tier": nil})),
			&Principal{Name: "alice", Via: "oidc"}},
		{"expired within skew", sign(t, iss.key, claims(map[string]any{"exp": now.Add(-30 * time.Second).Unix()})), &alice},
		{"not yet valid within skew", sign(t, iss.key, claims(map[string]any{"nbf": now.Add(30 * time.Second).Unix()})), &alice},
		{"wrong issuer", sign(t, iss.key, claims(map[string]any{"iss": "https://evil.example.com"})), nil},
		{"wrong audience", sign(t, iss.key, claims(map[string]any{"aud": "other"})), nil},
		{"no audience", sign(t, iss.key, claims(map[string]any{"aud": nil})), nil},
		{"bad signature", sign(t, rogue, claims(nil)), nil},
		{"expired beyond skew", sign(t, iss.key, claims(map[string]any{"exp": now.Add(-2 * time.Minute).Unix()})), nil},
		{"expired at the edge of skew", sign(t, iss.key, claims(map[string]any{"exp": now.Add(-time.Minute).Unix()})), nil},
		{"no expiry", sign(t, iss.key, claims(map[string]any{"exp": nil})), nil},
		{"not yet valid", sign(t, iss.key, claims(map[string]any{"nbf": now.Add(5 * time.Minute).Unix()})), nil},
		{"nbf not a number", sign(t, iss.key, claims(map[string]any{"nbf": "soon"})), nil},
		{"issued in the future", sign(t, iss.key, claims(map[string]any{"iat": now.Add(5 * time.Minute).Unix()})), nil},
		{"missing principal claim", sign(t, iss.key, claims(map[string]any{"sub": nil})), nil},
		{"principal claim not a string", sign(t, iss.key, claims(map[string]any{"sub": 42})), nil},
		{"principal claim not a valid name", sign(t, iss.key, claims(map[string]any{"sub": "auth0|123"})), nil},
		{"tampered payload", tamper(sign(t, iss.key, claims(nil))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.s.Authenticate(ctx, tt.token)
			if tt.want == nil {
				wantKind(t, "Authenticate", err, errs.Unauthenticated)
				if p.Name != "" {
					t.Errorf("Authenticate = %+v, want no principal", p)
				}
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if diff := cmp.Diff(*tt.want, p); diff != "" {
				t.Errorf("Authenticate (-want +got):\n%s", diff)
			}
		})
	}

	// The mapped groups are what Authorize uses.
	e.grant(t, Grant{Role: RoleConsumer, Subject: "group:analysts", Domain: "sales"})
	p, err := e.s.Authenticate(ctx, sign(t, iss.key, claims(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.Authorize(ctx, p, ActionRead, Resource{"sales", "orders"}); err != nil {
		t.Errorf("Authorize(OIDC principal via group) = %v", err)
	}
	// API tokens still work next to OIDC.
	_, secret, err := e.s.CreateToken(ctx, "root", "svc-etl", nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := e.s.Authenticate(ctx, secret); err != nil || p.Name != "svc-etl" {
		t.Errorf("Authenticate(API token with OIDC on) = %+v, %v", p, err)
	}
}

// tamper swaps the payload of a JWS for another one, keeping the signature.
func tamper(raw string) string {
	parts := strings.Split(raw, ".")
	// {"sub":"root","aud":"meshwork"} in base64url
	return parts[0] + ".eyJzdWIiOiJyb290IiwiYXVkIjoibWVzaHdvcmsifQ." + parts[2]
}

func TestOIDCOtherClaims(t *testing.T) {
	ctx := context.Background()
	iss := newIssuer(t)
	e := open(t, Config{OIDC: OIDCConfig{Issuer: iss.srv.URL, Audience: "meshwork",
		PrincipalClaim: "email", GroupsClaim: "roles", ClockSkew: 10 * time.Minute}})
	now := e.clock.Now()
	c := map[string]any{"iss": iss.srv.URL, "aud": "meshwork", "sub": "00u1", "email": "alice@example.com",
		"roles": []string{"ops"}, "groups": []string{"ignored"}, "exp": now.Add(-5 * time.Minute).Unix()}
	p, err := e.s.Authenticate(ctx, sign(t, iss.key, c))
	want := Principal{Name: "alice@example.com", Groups: []string{"ops"}, Via: "oidc"}
	if err != nil || !cmp.Equal(p, want) {
		t.Errorf("Authenticate = %+v, %v; want %+v (expired 5m ago, skew 10m)", p, err, want)
	}
}

func TestOpenOIDCErrors(t *testing.T) {
	ctx := context.Background()
	iss := newIssuer(t)
	e := open(t, Config{})
	tests := []struct {
		name string
		c    OIDCConfig
		want errs.Kind
	}{
		{"no audience", OIDCConfig{Issuer: iss.srv.URL}, errs.Invalid},
		{"negative skew", OIDCConfig{Issuer: iss.srv.URL, Audience: "a", ClockSkew: -time.Second}, errs.Invalid},
		{"issuer mismatch", OIDCConfig{Issuer: iss.srv.URL + "/", Audience: "a"}, errs.Unavailable},
		{"no discovery", OIDCConfig{Issuer: iss.srv.URL + "/nope", Audience: "a"}, errs.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(ctx, e.db, Config{OIDC: tt.c})
			wantKind(t, "Open", err, tt.want)
		})
	}
}
