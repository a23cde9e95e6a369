package access

import (
	"context"
	"testing"
	"time"
)

// TestTokenCacheSeesChanges: a cached token is re-read after every change
// the Store makes, after Invalidate, and at the latest after the cache's
// TTL when the change was made behind the Store's back.
func TestTokenCacheSeesChanges(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	tok, secret, err := e.s.CreateToken(ctx, "root", "carol", []string{"a"}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	auth := func() (Principal, error) { return e.s.Authenticate(ctx, secret) }
	if _, err := auth(); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}

	// Behind the Store's back: unseen while cached...
	if _, err := e.db.ExecContext(ctx, `UPDATE mesh_principals SET groups = '["b"]' WHERE name = 'carol'`); err != nil {
		t.Fatal(err)
	}
	if p, err := auth(); err != nil || len(p.Groups) != 1 || p.Groups[0] != "a" {
		t.Fatalf("Authenticate from the cache = %+v, %v; want groups [a]", p, err)
	}
	// ...seen after Invalidate.
	e.s.Invalidate()
	if p, err := auth(); err != nil || len(p.Groups) != 1 || p.Groups[0] != "b" {
		t.Errorf("Authenticate after Invalidate = %+v, %v; want groups [b]", p, err)
	}

	// Behind the Store's back again: seen once the TTL has passed.
	if _, err := e.db.ExecContext(ctx, `UPDATE mesh_tokens SET revoked_at = '2026-01-01T00:00:00.000000000Z' WHERE id = ?`, tok.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(tokenCacheTTL)
	if _, err := auth(); err == nil {
		t.Errorf("Authenticate of a token revoked behind the Store's back succeeds after the TTL")
	}

	// A revocation through the Store is seen at once.
	tok2, secret2, err := e.s.CreateToken(ctx, "root", "carol", nil, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Authenticate(ctx, secret2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.RevokeToken(ctx, tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Authenticate(ctx, secret2); err == nil {
		t.Errorf("Authenticate of a revoked token succeeds")
	}

	// Expiry is checked on every hit.
	_, secret3, err := e.s.CreateToken(ctx, "root", "carol", nil, nil, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Authenticate(ctx, secret3); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second)
	if _, err := e.s.Authenticate(ctx, secret3); err == nil {
		t.Errorf("Authenticate of an expired cached token succeeds")
	}
}
