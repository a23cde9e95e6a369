package access

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
)

func TestTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	attrs := map[string][]string{"nation": {"1", "3"}}
	tok, secret, err := e.s.CreateToken(ctx, "root", "alice", []string{"sales", "analysts", "sales"}, attrs, time.Hour)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if !strings.HasPrefix(tok.ID, "tok_") || tok.Principal != "alice" || tok.CreatedBy != "root" {
		t.Errorf("CreateToken = %+v, want a tok_ id for alice by root", tok)
	}
	if want := e.clock.Now().Add(time.Hour); tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(want) {
		t.Errorf("CreateToken expiry = %v, want %v", tok.ExpiresAt, want)
	}

	want := Principal{Name: "alice", Groups: []string{"analysts", "sales"}, Attrs: attrs, Via: "token"}
	p, err := e.s.Authenticate(ctx, secret)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Authenticate (-want +got):\n%s", diff)
	}

	// A second token with nil groups and attrs keeps the principal's; an empty list clears them.
	e.clock.Add(time.Second)
	_, secret2, err := e.s.CreateToken(ctx, "root", "alice", nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := e.s.Authenticate(ctx, secret2); err != nil || !cmp.Equal(p, want) {
		t.Errorf("Authenticate(second token) = %+v, %v; want %+v", p, err, want)
	}
	e.clock.Add(time.Second)
	if _, _, err := e.s.CreateToken(ctx, "root", "alice", []string{}, nil, 0); err != nil {
		t.Fatal(err)
	}
	p, err = e.s.Authenticate(ctx, secret)
	if err != nil || p.Groups != nil || !cmp.Equal(p.Attrs, attrs) {
		t.Errorf("Authenticate after clearing groups = %+v, %v; want no groups, same attrs", p, err)
	}

	// Expiry: valid until just before, invalid at the expiry itself.
	e.clock.Add(tok.ExpiresAt.Sub(e.clock.Now()) - time.Nanosecond)
	if _, err := e.s.Authenticate(ctx, secret); err != nil {
		t.Errorf("Authenticate 1ns before expiry: %v", err)
	}
	e.clock.Add(time.Nanosecond)
	_, err = e.s.Authenticate(ctx, secret)
	wantKind(t, "Authenticate at expiry", err, errs.Unauthenticated)
	if _, err := e.s.Authenticate(ctx, secret2); err != nil {
		t.Errorf("Authenticate(token without expiry) = %v", err)
	}

	// Revocation.
	toks, err := e.s.Tokens(ctx, "alice")
	if err != nil || len(toks) != 3 {
		t.Fatalf("Tokens(alice) = %d tokens, %v; want 3", len(toks), err)
	}
	rev, err := e.s.RevokeToken(ctx, toks[1].ID)
	if err != nil || rev.RevokedAt == nil || !rev.RevokedAt.Equal(e.clock.Now()) {
		t.Fatalf("RevokeToken = %+v, %v; want revoked now", rev, err)
	}
	_, err = e.s.Authenticate(ctx, secret2)
	wantKind(t, "Authenticate(revoked)", err, errs.Unauthenticated)
	again, err := e.s.RevokeToken(ctx, toks[1].ID)
	if err != nil || !cmp.Equal(again, rev) {
		t.Errorf("RevokeToken again = %+v, %v; want %+v", again, err, rev)
	}
	_, err = e.s.RevokeToken(ctx, "tok_nope")
	wantKind(t, "RevokeToken(unknown)", err, errs.NotFound)

	all, err := e.s.Tokens(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	toks[1] = rev
	if diff := cmp.Diff(toks, all); diff != "" {
		t.Errorf("Tokens(\"\") (-want +got):\n%s", diff)
	}
	if none, err := e.s.Tokens(ctx, "bob"); err != nil || len(none) != 0 {
		t.Errorf("Tokens(bob) = %v, %v; want none", none, err)
	}
}

func TestAuthenticateRejects(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	_, secret, err := e.s.CreateToken(ctx, "root", "alice", nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	changed := secret[:len(secret)-1] + "A"
	if changed == secret {
		changed = secret[:len(secret)-1] + "B"
	}
	tests := []struct{ name, bearer string }{
		{"empty", ""},
		{"unknown token", newSecret()},
		{"secret with a character changed", changed},
		{"secret with a suffix", secret + "x"},
		{"prefix only", "mesh_"},
		{"hash of the secret", hashSecret(secret)},
		{"JWT with OIDC off", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"},
		{"too long", "mesh_" + strings.Repeat("a", maxBearer)},
		{"garbage", "\x00\xff' OR 1=1 --"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.s.Authenticate(ctx, tt.bearer)
			wantKind(t, "Authenticate", err, errs.Unauthenticated)
			if p.Name != "" {
				t.Errorf("Authenticate = %+v, want no principal", p)
			}
			if _, msg, _ := errs.Public(err); msg != "invalid or expired credentials" {
				t.Errorf("Authenticate message = %q, want the one message for every bad credential", msg)
			}
		})
	}
}

func TestSecretFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := newSecret()
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, "mesh_"))
		if !strings.HasPrefix(s, "mesh_") || err != nil || len(raw) != 32 {
			t.Fatalf("newSecret() = %q: want mesh_ and 32 base64url bytes (%v)", s, err)
		}
		if seen[s] {
			t.Fatalf("newSecret() repeated %q", s)
		}
		seen[s] = true
	}
}

// TestSecretsNeverStored reads every access table as text and looks for the secrets.
func TestSecretsNeverStored(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	envSecret := "operator-chosen-secret-0123456789abcdef"
	var secrets []string
	if s, _, err := e.s.EnsureAdmin(ctx, envSecret); err != nil || s != envSecret {
		t.Fatalf("EnsureAdmin = %q, %v", s, err)
	}
	secrets = append(secrets, envSecret)
	for _, name := range []string{"alice", "bob"} {
		_, s, err := e.s.CreateToken(ctx, "admin", name, []string{"g"}, nil, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, s)
	}
	dump := dumpTables(t, e)
	for _, s := range secrets {
		body := strings.TrimPrefix(s, "mesh_")
		if strings.Contains(dump, body) {
			t.Errorf("the database holds secret %q", s)
		}
		h := sha256.Sum256([]byte(s))
		if !strings.Contains(dump, hex.EncodeToString(h[:])) {
			t.Errorf("the database does not hold the SHA-256 of secret %q", s)
		}
	}
}

// dumpTables is every row of every mesh_ table of the access store, as text.
func dumpTables(t *testing.T, e testEnv) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"mesh_principals", "mesh_tokens", "mesh_grants", "mesh_access_requests"} {
		rows, err := e.db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s\n", table, vals)
		}
		rows.Close()
	}
	return b.String()
}

func TestCreateTokenInvalid(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	tests := []struct {
		name      string
		by, pname string
		groups    []string
		attrs     map[string][]string
		ttl       time.Duration
	}{
		{"no creator", "", "alice", nil, nil, 0},
		{"empty principal", "root", "", nil, nil, 0},
		{"principal with a space", "root", "al ice", nil, nil, 0},
		{"principal starting with a dot", "root", ".alice", nil, nil, 0},
		{"principal too long", "root", strings.Repeat("a", 129), nil, nil, 0},
		{"principal with a slash", "root", "a/b", nil, nil, 0},
		{"upper-case group", "root", "alice", []string{"Sales"}, nil, 0},
		{"empty group", "root", "alice", []string{""}, nil, 0},
		{"group too long", "root", "alice", []string{strings.Repeat("g", 65)}, nil, 0},
		{"attribute name with a space", "root", "alice", nil, map[string][]string{"a b": {"1"}}, 0},
		{"attribute value too long", "root", "alice", nil, map[string][]string{"a": {strings.Repeat("v", maxAttrValue+1)}}, 0},
		{"negative ttl", "root", "alice", nil, nil, -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, secret, err := e.s.CreateToken(ctx, tt.by, tt.pname, tt.groups, tt.attrs, tt.ttl)
			wantKind(t, "CreateToken", err, errs.Invalid)
			if secret != "" {
				t.Errorf("CreateToken returned a secret with an error")
			}
		})
	}
	if toks, err := e.s.Tokens(ctx, ""); err != nil || len(toks) != 0 {
		t.Errorf("Tokens after failures = %v, %v; want none", toks, err)
	}
	// Names at the edges of the patterns are fine.
	for _, name := range []string{"a", "alice@example.com", "svc-etl", "user:42", "A.b_c", strings.Repeat("a", 128)} {
		if _, _, err := e.s.CreateToken(ctx, "root", name, []string{"0", "a.b_c-d"}, nil, 0); err != nil {
			t.Errorf("CreateToken(%q) = %v, want success", name, err)
		}
	}
}

func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	platform := Resource{}

	t.Run("random secret once", func(t *testing.T) {
		e := open(t, Config{})
		secret, created, err := e.s.EnsureAdmin(ctx, "")
		if err != nil || !created || !strings.HasPrefix(secret, "mesh_") {
			t.Fatalf("EnsureAdmin() = %q, %v, %v; want a new mesh_ secret", secret, created, err)
		}
		p, err := e.s.Authenticate(ctx, secret)
		if err != nil || p.Name != "admin" {
			t.Fatalf("Authenticate(admin secret) = %+v, %v", p, err)
		}
		if err := e.s.Authorize(ctx, p, ActionAdmin, platform); err != nil {
			t.Errorf("Authorize(admin, admin, platform) = %v", err)
		}
		for range 2 {
			secret, created, err := e.s.EnsureAdmin(ctx, "")
			if err != nil || created || secret != "" {
				t.Errorf("EnsureAdmin() again = %q, %v, %v; want nothing new", secret, created, err)
			}
		}
		// Revoking the admin's token does not make a restart print a new one.
		toks, _ := e.s.Tokens(ctx, "admin")
		if len(toks) != 1 {
			t.Fatalf("Tokens(admin) = %d, want 1", len(toks))
		}
		if _, err := e.s.RevokeToken(ctx, toks[0].ID); err != nil {
			t.Fatal(err)
		}
		if secret, created, err := e.s.EnsureAdmin(ctx, ""); err != nil || created || secret != "" {
			t.Errorf("EnsureAdmin() after revocation = %q, %v, %v; want nothing new", secret, created, err)
		}
		grants, _ := e.s.Grants(ctx, "", "")
		if len(grants) != 1 || grants[0].Role != RoleAdmin || grants[0].Subject != "admin" || grants[0].Domain != "" {
			t.Errorf("Grants = %+v, want the one platform admin grant", grants)
		}
	})

	t.Run("env secret", func(t *testing.T) {
		e := open(t, Config{})
		env := "mesh_0123456789abcdefghijklmnopqrstuv"
		for i, wantCreated := range []bool{true, false, false} {
			secret, created, err := e.s.EnsureAdmin(ctx, env)
			if err != nil || secret != env || created != wantCreated {
				t.Errorf("EnsureAdmin(env) call %d = %q, %v, %v; want env, %v", i, secret, created, err, wantCreated)
			}
		}
		if toks, _ := e.s.Tokens(ctx, "admin"); len(toks) != 1 {
			t.Errorf("Tokens(admin) = %d, want 1", len(toks))
		}
		p, err := e.s.Authenticate(ctx, env)
		if err != nil || p.Name != "admin" {
			t.Fatalf("Authenticate(env) = %+v, %v", p, err)
		}
		// A revoked admin grant comes back.
		gs, _ := e.s.Grants(ctx, "", "")
		if _, err := e.s.RevokeGrant(ctx, gs[0].ID); err != nil {
			t.Fatal(err)
		}
		if e.s.Can(ctx, p, ActionAdmin, platform) {
			t.Fatal("admin still admin after its grant was revoked")
		}
		if _, _, err := e.s.EnsureAdmin(ctx, env); err != nil {
			t.Fatal(err)
		}
		if !e.s.Can(ctx, p, ActionAdmin, platform) {
			t.Error("EnsureAdmin did not restore the admin grant")
		}
		// A new env secret is registered next to the old one; a revoked one is a conflict.
		e.clock.Add(time.Second)
		env2 := strings.Repeat("z", 32)
		if secret, created, err := e.s.EnsureAdmin(ctx, env2); err != nil || !created || secret != env2 {
			t.Errorf("EnsureAdmin(new env) = %q, %v, %v; want it registered", secret, created, err)
		}
		toks, _ := e.s.Tokens(ctx, "admin")
		if _, err := e.s.RevokeToken(ctx, toks[0].ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.s.EnsureAdmin(ctx, env)
		wantKind(t, "EnsureAdmin(revoked env)", err, errs.Conflict)
	})

	t.Run("env secret after a random one", func(t *testing.T) {
		e := open(t, Config{})
		if _, created, err := e.s.EnsureAdmin(ctx, ""); err != nil || !created {
			t.Fatal(created, err)
		}
		env := strings.Repeat("k", 40)
		if secret, created, err := e.s.EnsureAdmin(ctx, env); err != nil || !created || secret != env {
			t.Errorf("EnsureAdmin(env) = %q, %v, %v; want it registered", secret, created, err)
		}
	})

	t.Run("env secret of another principal", func(t *testing.T) {
		e := open(t, Config{})
		_, secret, err := e.s.CreateToken(ctx, "root", "alice", nil, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.s.EnsureAdmin(ctx, secret)
		wantKind(t, "EnsureAdmin(alice's secret)", err, errs.Conflict)
	})

	for _, bad := range []string{"short", strings.Repeat("a", 31), strings.Repeat("a", 20) + " " + strings.Repeat("b", 20), "aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb.cccccccc"} {
		t.Run("invalid env "+bad[:5], func(t *testing.T) {
			e := open(t, Config{})
			_, _, err := e.s.EnsureAdmin(ctx, bad)
			wantKind(t, fmt.Sprintf("EnsureAdmin(%q)", bad), err, errs.Invalid)
			if toks, _ := e.s.Tokens(ctx, ""); len(toks) != 0 {
				t.Errorf("EnsureAdmin(%q) stored a token", bad)
			}
		})
	}
}
