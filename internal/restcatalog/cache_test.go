package restcatalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/tpch"
)

// TestCachesSeeChanges checks that what loadTable caches (tokens, grants,
// the registry's tables, the encoded metadata) never hides a change: each
// request after a change sees it.
func TestCachesSeeChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const orders = "/v1/namespaces/sales%1Forders/tables/orders"
	loc := func(t *testing.T, token string) (string, int64, string) {
		t.Helper()
		r := e.do(t, token, http.MethodGet, orders, nil)
		if r.status != http.StatusOK {
			t.Fatalf("load: %d %s", r.status, r.body)
		}
		var res struct {
			Loc  string `json:"metadata-location"`
			Meta struct {
				Current int64 `json:"current-snapshot-id"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatal(err)
		}
		return res.Loc, res.Meta.Current, r.header.Get("ETag")
	}

	t.Run("revoked token", func(t *testing.T) {
		secret := e.token(t, "revokee", nil, 0, access.Grant{Role: access.RoleConsumer, Domain: "sales"})
		loc(t, secret) // cached now
		toks, err := e.p.Access.Tokens(ctx, "revokee")
		if err != nil || len(toks) != 1 {
			t.Fatalf("Tokens = %v, %v", toks, err)
		}
		if _, err := e.p.Access.RevokeToken(ctx, toks[0].ID); err != nil {
			t.Fatal(err)
		}
		if r := e.do(t, secret, http.MethodGet, orders, nil); r.status != http.StatusUnauthorized {
			t.Errorf("load with a revoked token: %d %s, want 401", r.status, r.body)
		}
	})

	t.Run("revoked grant", func(t *testing.T) {
		secret := e.token(t, "grantee", nil, 0)
		g, err := e.p.Access.AddGrant(ctx, "test", access.Grant{Role: access.RoleConsumer, Domain: "sales", Subject: "grantee"})
		if err != nil {
			t.Fatal(err)
		}
		loc(t, secret)
		if _, err := e.p.Access.RevokeGrant(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if r := e.do(t, secret, http.MethodGet, orders, nil); r.status != http.StatusForbidden {
			t.Errorf("load after the grant is revoked: %d %s, want 403", r.status, r.body)
		}
	})

	t.Run("publish", func(t *testing.T) {
		admin := e.p.AdminSecret
		loc1, snap1, etag1 := loc(t, admin)
		if etag1 == "" {
			t.Fatal("no ETag")
		}
		var csv bytes.Buffer
		if err := tpch.WriteCSV(&csv, "orders", 0.001); err != nil {
			t.Fatal(err)
		}
		if _, err := e.p.Publisher.Publish(platform.AsAdmin(ctx), publish.Request{
			Table: lake.Ident{Domain: "sales", Product: "orders", Table: "orders"}, Mode: lake.Replace,
			Format: publish.CSV, Body: &csv}); err != nil {
			t.Fatal(err)
		}
		loc2, snap2, etag2 := loc(t, admin)
		if loc2 == loc1 || snap2 == snap1 || etag2 == etag1 {
			t.Errorf("after a publish, load = %s snapshot %d ETag %s; before %s snapshot %d ETag %s", loc2, snap2, etag2, loc1, snap1, etag1)
		}
		// The old ETag no longer matches; the new one does.
		if r := e.do(t, admin, http.MethodGet, orders, nil, "If-None-Match", etag1); r.status != http.StatusOK {
			t.Errorf("If-None-Match with the old ETag: %d, want 200", r.status)
		}
		r := e.do(t, admin, http.MethodGet, orders, nil, "If-None-Match", etag2)
		if r.status != http.StatusNotModified || len(r.body) != 0 || r.header.Get("ETag") != etag2 {
			t.Errorf("If-None-Match with the current ETag: %d %q ETag %s, want 304 and no body", r.status, r.body, r.header.Get("ETag"))
		}
		// A 304 is still authorized first.
		nobody := e.token(t, "nobody304", nil, 0)
		if r := e.do(t, nobody, http.MethodGet, orders, nil, "If-None-Match", etag2); r.status != http.StatusForbidden {
			t.Errorf("If-None-Match without a grant: %d, want 403", r.status)
		}
	})
}
