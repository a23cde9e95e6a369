package access

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// FuzzAuthenticate feeds random bearer strings to a Store with API tokens
// and OIDC on: nothing may panic, and nothing may authenticate.
func FuzzAuthenticate(f *testing.F) {
	ctx := context.Background()
	iss := newIssuer(f)
	_, rogue := testKeys(f)
	e := open(f, Config{OIDC: OIDCConfig{Issuer: iss.srv.URL, Audience: "meshwork"}})
	_, secret, err := e.s.CreateToken(ctx, "root", "alice", []string{"g"}, nil, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	now := e.clock.Now()
	wrongAud := sign(f, iss.key, map[string]any{"iss": iss.srv.URL, "aud": "other", "sub": "alice", "exp": now.Add(time.Hour).Unix()})
	forged := sign(f, rogue, map[string]any{"iss": iss.srv.URL, "aud": "meshwork", "sub": "alice", "exp": now.Add(time.Hour).Unix()})
	for _, seed := range []string{
		"", "mesh_", ".", "..", "a.b.c", "mesh_a.b.c", "Bearer " + secret, " " + secret,
		secret[:len(secret)-1], secret + "=", strings.ToUpper(secret), hashSecret(secret),
		wrongAud, forged, tamper(wrongAud), wrongAud + ".", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
		"eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2ln", "\x00\x01\xff", strings.Repeat("x.", 3),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, bearer string) {
		if bearer == secret {
			t.Skip("the one real secret")
		}
		p, err := e.s.Authenticate(ctx, bearer)
		if err == nil {
			t.Fatalf("Authenticate(%q) = %+v, want an error", bearer, p)
		}
		if kind, msg, _ := errs.Public(err); kind != errs.Unauthenticated || msg != "invalid or expired credentials" {
			t.Fatalf("Authenticate(%q) = %v %q, want the Unauthenticated message", bearer, kind, msg)
		}
	})
}
