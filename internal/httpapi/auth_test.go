package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/httpapi"
)

// whoami is the answer of GET /api/v1/whoami.
type whoami struct {
	Principal access.Principal `json:"principal"`
	Admin     bool             `json:"admin"`
}

func (e *env) whoami(t *testing.T) whoami {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/whoami", nil)
	r.wantStatus(t, "GET /api/v1/whoami", http.StatusOK)
	var w whoami
	r.decode(t, "whoami", &w)
	return w
}

// jsonKeys lists every object key anywhere in a JSON document.
func jsonKeys(t *testing.T, body []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, clip(body))
	}
	var keys []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				keys = append(keys, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return keys
}

func listTokens(t *testing.T, as *env, query string) ([]access.Token, response) {
	t.Helper()
	r := as.do(t, "GET", "/api/v1/tokens"+query, nil)
	r.wantStatus(t, "GET /api/v1/tokens"+query, http.StatusOK)
	var body struct {
		Tokens []access.Token `json:"tokens"`
	}
	r.decode(t, "tokens", &body)
	return body.Tokens, r
}

// TestTokenLifecycle creates, uses, lists, expires and revokes tokens through
// the API; no secret is ever listed or stored.
func TestTokenLifecycle(t *testing.T) {
	e := authzMesh(t)
	secrets := []string{e.token}

	t.Run("whoami", func(t *testing.T) {
		w := e.whoami(t)
		if w.Principal.Name != "admin" || !w.Admin || w.Principal.Via != "token" {
			t.Errorf("whoami as the admin = %+v, want admin, admin true, via token", w)
		}
	})

	before := time.Now()
	dora, doraTok := e.mintToken(t, httpapi.TokenRequest{Principal: "dora@example.com", Groups: []string{"analysts", "eu-staff", "analysts"},
		Attrs: map[string][]string{"region": {"EU"}}, Expires: "1h"})
	secrets = append(secrets, dora)
	doraEnv := e.as(dora)

	t.Run("create", func(t *testing.T) {
		if !strings.HasPrefix(dora, "mesh_") || len(dora) < 40 {
			t.Errorf("secret = %q, want mesh_ and at least 256 random bits", dora)
		}
		if doraTok.Principal != "dora@example.com" || doraTok.CreatedBy != "admin" || doraTok.RevokedAt != nil {
			t.Errorf("token = %+v, want dora's, made by admin, not revoked", doraTok)
		}
		if doraTok.ExpiresAt == nil || doraTok.ExpiresAt.Before(before.Add(time.Hour-time.Minute)) || doraTok.ExpiresAt.After(time.Now().Add(time.Hour+time.Minute)) {
			t.Errorf("expiresAt = %v, want about an hour from now", doraTok.ExpiresAt)
		}
		w := doraEnv.whoami(t)
		want := whoami{Principal: access.Principal{Name: "dora@example.com", Groups: []string{"analysts", "eu-staff"},
			Attrs: map[string][]string{"region": {"EU"}}, Via: "token"}}
		if diff := cmp.Diff(want, w); diff != "" {
			t.Errorf("whoami as dora (-want +got):\n%s", diff)
		}
	})

	t.Run("a token works until it expires", func(t *testing.T) {
		short, tok := e.mintToken(t, httpapi.TokenRequest{Principal: "dora@example.com", Expires: "2s"})
		secrets = append(secrets, short)
		if tok.ExpiresAt == nil {
			t.Fatalf("token with expires 2s: expiresAt = nil")
		}
		wantWorksUntil(t, e.as(short), *tok.ExpiresAt)
		if d := time.Until(*tok.ExpiresAt); d > 0 {
			time.Sleep(d + 10*time.Millisecond)
		}
		r := e.as(short).do(t, "GET", "/api/v1/whoami", nil)
		r.wantError(t, "whoami with an expired token", http.StatusUnauthorized, "unauthenticated", "invalid or expired credentials")
		doraEnv.whoami(t) // her other token is untouched
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			body   any
			status int
			code   string
			msg    string
		}{
			{"no principal", httpapi.TokenRequest{}, http.StatusBadRequest, "invalid", "principal name"},
			{"bad principal", httpapi.TokenRequest{Principal: "bob smith"}, http.StatusBadRequest, "invalid", "principal name"},
			{"bad group", httpapi.TokenRequest{Principal: "bob", Groups: []string{"Admins!"}}, http.StatusBadRequest, "invalid", "group name"},
			{"bad attribute", httpapi.TokenRequest{Principal: "bob", Attrs: map[string][]string{"1x": {"a"}}}, http.StatusBadRequest, "invalid", "attribute name"},
			{"expiry not a duration", httpapi.TokenRequest{Principal: "bob", Expires: "soon"}, http.StatusBadRequest, "invalid", "expiry"},
			{"negative expiry", httpapi.TokenRequest{Principal: "bob", Expires: "-1h"}, http.StatusBadRequest, "invalid", "expiry"},
			{"zero expiry", httpapi.TokenRequest{Principal: "bob", Expires: "0s"}, http.StatusBadRequest, "invalid", "expiry"},
			{"expiry past ten years", httpapi.TokenRequest{Principal: "bob", Expires: "11y"}, http.StatusBadRequest, "invalid", "expiry"},
			{"unknown field", map[string]any{"principal": "bob", "admin": true}, http.StatusBadRequest, "invalid", "unknown field"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.sendJSON(t, "POST", "/api/v1/tokens", c.body)
				r.wantError(t, "POST /api/v1/tokens ("+c.name+")", c.status, c.code, c.msg)
			})
		}
		toks, _ := listTokens(t, e, "?principal=bob")
		if len(toks) != 0 {
			t.Errorf("tokens of bob after bad requests = %+v, want none", toks)
		}
		r := doraEnv.sendJSON(t, "POST", "/api/v1/tokens", httpapi.TokenRequest{Principal: "dora@example.com"})
		r.wantError(t, "POST /api/v1/tokens as a non-admin", http.StatusForbidden, "forbidden", "the platform")
	})

	t.Run("list", func(t *testing.T) {
		all, r := listTokens(t, e, "")
		mine, r2 := listTokens(t, doraEnv, "?principal=dora@example.com")
		for _, resp := range []response{r, r2} {
			for _, k := range jsonKeys(t, resp.body) {
				if strings.Contains(strings.ToLower(k), "secret") || strings.Contains(strings.ToLower(k), "hash") {
					t.Errorf("GET /api/v1/tokens has a field %q, want no secret or hash of one", k)
				}
			}
			for _, s := range secrets {
				sum := sha256.Sum256([]byte(s))
				if bytes.Contains(resp.body, []byte(s)) || bytes.Contains(resp.body, []byte(hex.EncodeToString(sum[:]))) {
					t.Errorf("GET /api/v1/tokens shows a secret or its hash")
				}
			}
		}
		if !slices.ContainsFunc(all, func(tk access.Token) bool { return tk.ID == doraTok.ID }) || len(all) < 3 {
			t.Errorf("all tokens = %+v, want the admin's and dora's", all)
		}
		if len(mine) != 2 || mine[0].ID != doraTok.ID {
			t.Errorf("dora's own tokens = %+v, want her two, oldest first", mine)
		}
		// Only admins see others' tokens.
		for _, q := range []string{"", "?principal=admin"} {
			r := doraEnv.do(t, "GET", "/api/v1/tokens"+q, nil)
			r.wantError(t, "GET /api/v1/tokens"+q+" as dora", http.StatusForbidden, "forbidden", "the platform")
		}
	})

	t.Run("revoke", func(t *testing.T) {
		// Another principal's token: only an admin may revoke it.
		r := doraEnv.do(t, "DELETE", "/api/v1/tokens/"+e.whoamiTokenID(t), nil)
		r.wantError(t, "DELETE the admin's token as dora", http.StatusForbidden, "forbidden", "the platform")
		e.whoami(t)

		r = doraEnv.do(t, "DELETE", "/api/v1/tokens/"+doraTok.ID, nil)
		r.wantStatus(t, "DELETE own token", http.StatusOK)
		var body struct {
			Token access.Token `json:"token"`
		}
		r.decode(t, "revoked token", &body)
		if body.Token.ID != doraTok.ID || body.Token.RevokedAt == nil {
			t.Errorf("revoked token = %+v, want %s with revokedAt", body.Token, doraTok.ID)
		}
		r = doraEnv.do(t, "GET", "/api/v1/whoami", nil)
		r.wantError(t, "whoami with a revoked token", http.StatusUnauthorized, "unauthenticated", "invalid or expired credentials")
		// Revoking again (as admin) changes nothing; an unknown token is 404.
		e.do(t, "DELETE", "/api/v1/tokens/"+doraTok.ID, nil).wantStatus(t, "DELETE a revoked token", http.StatusOK)
		doraEnv.do(t, "GET", "/api/v1/whoami", nil).wantStatus(t, "whoami with a token revoked twice", http.StatusUnauthorized)
		r = e.do(t, "DELETE", "/api/v1/tokens/tok_0000", nil)
		r.wantError(t, "DELETE an unknown token", http.StatusNotFound, "not_found", "tok_0000")
		toks, _ := listTokens(t, e, "?principal=dora@example.com")
		for _, tk := range toks {
			if tk.ID == doraTok.ID && tk.RevokedAt == nil {
				t.Errorf("listed token %s has no revokedAt after revocation", tk.ID)
			}
		}
	})

	t.Run("no secret is stored", func(t *testing.T) {
		e.healthy(t)
		var found []string
		all := files(t, e.cfg.Data)
		if !slices.Contains(all, filepath.Join(e.cfg.Data, "mesh.db")) {
			t.Fatalf("files of the data directory = %v, want mesh.db among them", all)
		}
		for _, f := range all {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					found = append(found, f)
				}
			}
		}
		if len(found) > 0 {
			t.Errorf("secrets found in %v, want in no file of the data directory", found)
		}
	})
}

// whoamiTokenID returns the id of the admin's bootstrap token.
func (e *env) whoamiTokenID(t *testing.T) string {
	t.Helper()
	toks, _ := listTokens(t, e, "?principal=admin")
	if len(toks) == 0 {
		t.Fatalf("admin has no token")
	}
	return toks[0].ID
}

// TestAccessRequests walks access requests through the API: a consumer asks,
// the owner sees and decides, and the decision is enforced.
func TestAccessRequests(t *testing.T) {
	e := authzMesh(t)
	ann := e.principal(t, "ann", grantSpec{access.RoleOwner, "retail", "shop"}.request("", ""))
	erin := e.principal(t, "erin")
	finn := e.principal(t, "finn", grantSpec{access.RoleConsumer, "retail", ""}.request("", ""))
	const q = "SELECT count(*) FROM retail.shop.items"
	tryQuery := func(as *env) response {
		return as.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": q})
	}

	t.Run("bad requests", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			body   any
			status int
			code   string
			msg    string
		}{
			{"no purpose", httpapi.AccessRequestBody{Domain: "retail", Product: "shop"}, http.StatusBadRequest, "invalid", "purpose"},
			{"blank purpose", httpapi.AccessRequestBody{Domain: "retail", Product: "shop", Purpose: "  "}, http.StatusBadRequest, "invalid", "purpose"},
			{"owner role", httpapi.AccessRequestBody{Domain: "retail", Product: "shop", Role: access.RoleOwner, Purpose: "x"}, http.StatusBadRequest, "invalid", "cannot be requested"},
			{"admin role", httpapi.AccessRequestBody{Domain: "retail", Product: "shop", Role: access.RoleAdmin, Purpose: "x"}, http.StatusBadRequest, "invalid", "cannot be requested"},
			{"no such product", httpapi.AccessRequestBody{Domain: "retail", Product: "nothing", Purpose: "x"}, http.StatusNotFound, "not_found", ""},
			{"bad product name", httpapi.AccessRequestBody{Domain: "retail", Product: "../shop", Purpose: "x"}, http.StatusBadRequest, "invalid", "product"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := erin.sendJSON(t, "POST", "/api/v1/access-requests", c.body)
				r.wantError(t, "POST /api/v1/access-requests ("+c.name+")", c.status, c.code, c.msg)
			})
		}
		if rs := listRequests(t, e, ""); len(rs) != 0 {
			t.Errorf("requests after bad requests = %+v, want none", rs)
		}
	})

	tryQuery(erin).wantError(t, "query before access", http.StatusForbidden, "forbidden", "retail.shop")
	id := accessRequest(t, erin, httpapi.AccessRequestBody{Domain: "retail", Product: "shop", Purpose: "price analysis"})

	t.Run("pending", func(t *testing.T) {
		r := erin.sendJSON(t, "POST", "/api/v1/access-requests", httpapi.AccessRequestBody{Domain: "retail", Product: "shop", Purpose: "again"})
		r.wantError(t, "a second pending request", http.StatusConflict, "conflict", "pending")
		rs := listRequests(t, ann, "pending")
		if len(rs) != 1 || rs[0].ID != id || rs[0].Principal != "erin" || rs[0].Role != access.RoleConsumer ||
			rs[0].Purpose != "price analysis" || rs[0].Status != access.StatusPending {
			t.Errorf("the owner's pending requests = %+v, want erin's request %s for consumer", rs, id)
		}
		if rs := listRequests(t, erin, ""); len(rs) != 1 || rs[0].ID != id {
			t.Errorf("erin's requests = %+v, want her own", rs)
		}
		if rs := listRequests(t, finn, ""); len(rs) != 0 {
			t.Errorf("finn's requests = %+v, want none: not his, and he may not grant", rs)
		}
		r = ann.do(t, "GET", "/api/v1/access-requests?status=maybe", nil)
		r.wantError(t, "list requests with a bad status", http.StatusBadRequest, "invalid", "status")
	})

	t.Run("only an owner decides", func(t *testing.T) {
		for _, who := range []struct {
			name string
			as   *env
		}{{"the requester", erin}, {"a consumer of the domain", finn}} {
			r := who.as.sendJSON(t, "POST", "/api/v1/access-requests/"+id+"/approve", httpapi.DecisionBody{Expires: "30d"})
			r.wantError(t, "approve as "+who.name, http.StatusForbidden, "forbidden", "retail.shop")
			r = who.as.sendJSON(t, "POST", "/api/v1/access-requests/"+id+"/deny", httpapi.DecisionBody{Reason: "no"})
			r.wantError(t, "deny as "+who.name, http.StatusForbidden, "forbidden", "retail.shop")
		}
		if rq := findRequest(t, ann, id); rq.Status != access.StatusPending {
			t.Errorf("request after refused decisions = %+v, want pending", rq)
		}
		tryQuery(erin).wantStatus(t, "query after refused approvals", http.StatusForbidden)
	})

	t.Run("deny needs a reason", func(t *testing.T) {
		for _, body := range []string{`{}`, `{"reason": "   "}`, ``} {
			r := ann.do(t, "POST", "/api/v1/access-requests/"+id+"/deny", strings.NewReader(body), "Content-Type", "application/json")
			r.wantError(t, "deny with body "+body, http.StatusBadRequest, "invalid", "reason")
		}
		if rq := findRequest(t, ann, id); rq.Status != access.StatusPending {
			t.Errorf("request after denials without a reason = %+v, want pending", rq)
		}
	})

	t.Run("approve", func(t *testing.T) {
		r := ann.sendJSON(t, "POST", "/api/v1/access-requests/"+id+"/approve", httpapi.DecisionBody{Expires: "30d"})
		r.wantStatus(t, "approve as the owner", http.StatusOK)
		var body struct {
			Request access.Request `json:"request"`
		}
		r.decode(t, "approved request", &body)
		rq := body.Request
		if rq.Status != access.StatusApproved || rq.DecidedBy != "ann" || rq.GrantID == "" || rq.DecidedAt == nil ||
			rq.ExpiresAt == nil || time.Until(*rq.ExpiresAt) < 29*24*time.Hour || time.Until(*rq.ExpiresAt) > 31*24*time.Hour {
			t.Errorf("approved request = %+v, want approved by ann with a grant expiring in 30 days", rq)
		}
		g := findGrant(t, e, func(g access.Grant) bool { return g.ID == rq.GrantID })
		if g == nil || g.Subject != "erin" || g.Role != access.RoleConsumer || g.Domain != "retail" || g.Product != "shop" || g.ExpiresAt == nil {
			t.Errorf("the approval's grant = %+v, want consumer on retail.shop to erin, expiring", g)
		}
		tryQuery(erin).wantStatus(t, "query after approval", http.StatusOK)
		// Consumer is read only.
		r = erin.publish(t, items, "append", ctCSV, []byte("item_id,name,price,country,qty\n99,x,1.00,DE,1\n"))
		r.wantError(t, "publish with consumer access", http.StatusForbidden, "forbidden", "retail.shop")
	})

	t.Run("decided twice", func(t *testing.T) {
		r := ann.sendJSON(t, "POST", "/api/v1/access-requests/"+id+"/approve", httpapi.DecisionBody{})
		r.wantError(t, "approve twice", http.StatusConflict, "conflict", "already approved")
		r = ann.sendJSON(t, "POST", "/api/v1/access-requests/"+id+"/deny", httpapi.DecisionBody{Reason: "changed my mind"})
		r.wantError(t, "deny after approval", http.StatusConflict, "conflict", "already approved")
		if rq := findRequest(t, ann, id); rq.Status != access.StatusApproved || rq.Reason != "" {
			t.Errorf("request after a second decision = %+v, want approved, no reason", rq)
		}
	})

	t.Run("deny", func(t *testing.T) {
		id2 := accessRequest(t, erin, httpapi.AccessRequestBody{Domain: "retail", Product: "shop", Role: access.RolePublisher, Purpose: "fix prices"})
		r := ann.sendJSON(t, "POST", "/api/v1/access-requests/"+id2+"/deny", httpapi.DecisionBody{Reason: "prices come from the ERP"})
		r.wantStatus(t, "deny as the owner", http.StatusOK)
		rq := findRequest(t, erin, id2)
		if rq.Status != access.StatusDenied || rq.Reason != "prices come from the ERP" || rq.GrantID != "" || rq.DecidedBy != "ann" {
			t.Errorf("denied request = %+v, want denied by ann with the reason and no grant", rq)
		}
		r = erin.publish(t, items, "append", ctCSV, []byte("item_id,name,price,country,qty\n99,x,1.00,DE,1\n"))
		r.wantError(t, "publish after a denied request", http.StatusForbidden, "forbidden", "retail.shop")
		r = ann.sendJSON(t, "POST", "/api/v1/access-requests/"+id2+"/approve", httpapi.DecisionBody{})
		r.wantError(t, "approve after denial", http.StatusConflict, "conflict", "already denied")
	})

	t.Run("unknown request", func(t *testing.T) {
		r := ann.sendJSON(t, "POST", "/api/v1/access-requests/req_nothing/approve", httpapi.DecisionBody{})
		r.wantError(t, "approve an unknown request", http.StatusNotFound, "not_found", "req_nothing")
	})
}
