package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/httpapi"
)

// grantSpec is a role on a scope: a product (domain and product), a whole
// domain (product empty) or the platform (both empty: admin only).
type grantSpec struct {
	role            access.Role
	domain, product string
}

func (g grantSpec) String() string {
	switch {
	case g.domain == "":
		return string(g.role)
	case g.product == "":
		return string(g.role) + "@" + g.domain
	}
	return string(g.role) + "@" + g.domain + "." + g.product
}

func (g grantSpec) request(subject, expires string) httpapi.GrantRequest {
	return httpapi.GrantRequest{Role: g.role, Subject: subject, Domain: g.domain, Product: g.product, Expires: expires}
}

// unrelated is the same role on a scope that has nothing to do with retail.shop
// (or with platform.audit); for admin, which exists only on the platform, it is
// the strongest role on another domain.
func (g grantSpec) unrelated() grantSpec {
	switch {
	case g.role == access.RoleAdmin:
		return grantSpec{access.RoleOwner, "geo", ""}
	case g.domain != "retail":
		return grantSpec{g.role, "retail", g.product}
	case g.product == "":
		return grantSpec{g.role, "geo", ""}
	}
	return grantSpec{g.role, "geo", "places"}
}

// platformAdmin is the admin role, which exists on the platform only.
var platformAdmin = grantSpec{role: access.RoleAdmin}

// onScopes is every role of roles on the domain and on the product.
func onScopes(domain, product string, roles ...access.Role) []grantSpec {
	var out []grantSpec
	for _, r := range roles {
		out = append(out, grantSpec{r, domain, ""}, grantSpec{r, domain, product})
	}
	return out
}

// operation is one real API call on retail.shop (or on the platform).
type operation struct {
	name string
	// call makes the request as the holder of as's token; admin sets up what
	// the call needs first (a grant to revoke, a request to approve).
	call func(t *testing.T, admin, as *env) response
	ok   int    // the status of a success
	what string // what a refusal names
	// listed: the call always succeeds and the product is listed or not.
	listed bool
	// sufficient are the grants that each allow the call on their own.
	sufficient []grantSpec
	// unchanged, if set, checks that the last call, refused, left no trace.
	unchanged func(t *testing.T, admin *env)
}

// wantAllowed checks r is the operation's success.
func (op operation) wantAllowed(t *testing.T, who string, r response) {
	t.Helper()
	if r.status != op.ok {
		t.Fatalf("%s as %s = %d, want %d\n%s", op.name, who, r.status, op.ok, clip(r.body))
	}
	if op.listed && !listsShop(t, r) {
		t.Errorf("%s as %s: retail.shop is not listed, want it listed\n%s", op.name, who, clip(r.body))
	}
}

// wantDenied checks r is a refusal naming what was refused (or, for a
// listing, that the product is left out).
func (op operation) wantDenied(t *testing.T, who string, r response) {
	t.Helper()
	if op.listed {
		r.wantStatus(t, op.name+" as "+who, http.StatusOK)
		if listsShop(t, r) {
			t.Errorf("%s as %s lists retail.shop, want it left out\n%s", op.name, who, clip(r.body))
		}
		return
	}
	d := r.wantError(t, op.name+" as "+who, http.StatusForbidden, "forbidden", op.what)
	if !strings.Contains(d.Message, "may not") {
		t.Errorf("%s as %s: message %q, want it to say what may not be done", op.name, who, d.Message)
	}
}

// wantRefused checks r is a refusal that changed nothing.
func (op operation) wantRefused(t *testing.T, admin *env, who string, r response) {
	t.Helper()
	op.wantDenied(t, who, r)
	if op.unchanged != nil {
		op.unchanged(t, admin)
	}
}

func listsShop(t *testing.T, r response) bool {
	t.Helper()
	var body struct {
		Products []httpapi.ProductSummary `json:"products"`
	}
	r.decode(t, "products", &body)
	return slices.ContainsFunc(body.Products, func(p httpapi.ProductSummary) bool { return p.Domain == "retail" && p.Name == "shop" })
}

// authzOperations is the permission table: every operation and the grants
// sufficient for it. Everything else is denied.
func authzOperations() []operation {
	var n int // makes every call's data unique; the last call's is checked by unchanged
	next := func() int { n++; return n }
	var lastID string
	// Every role may discover: find the product and see its metadata.
	discover := append(onScopes("retail", "shop", access.RoleViewer, access.RoleConsumer, access.RolePublisher, access.RoleUnmask, access.RoleOwner), platformAdmin)
	read := append(onScopes("retail", "shop", access.RoleConsumer, access.RolePublisher, access.RoleOwner), platformAdmin)
	publishers := append(onScopes("retail", "shop", access.RolePublisher, access.RoleOwner), platformAdmin)
	owners := append(onScopes("retail", "shop", access.RoleOwner), platformAdmin)
	auditReaders := append(onScopes("platform", "audit", access.RoleConsumer, access.RolePublisher, access.RoleOwner), platformAdmin)
	return []operation{
		{name: "list products", ok: http.StatusOK, listed: true, sufficient: discover,
			call: func(t *testing.T, _, as *env) response { return as.do(t, "GET", "/api/v1/products", nil) }},
		{name: "describe product", ok: http.StatusOK, what: "retail.shop", sufficient: discover,
			call: func(t *testing.T, _, as *env) response { return as.do(t, "GET", "/api/v1/products/retail/shop", nil) }},
		{name: "query a table", ok: http.StatusOK, what: "retail.shop", sufficient: read,
			call: func(t *testing.T, _, as *env) response {
				return as.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT count(*) FROM retail.shop.items"})
			}},
		{name: "publish to a table", ok: http.StatusOK, what: "retail.shop", sufficient: publishers,
			call: func(t *testing.T, _, as *env) response {
				body := fmt.Sprintf("item_id,name,price,country,qty\n%d,authz item,1.00,DE,1\n", 1000+next())
				return as.publish(t, items, "append", ctCSV, []byte(body))
			},
			unchanged: func(t *testing.T, admin *env) {
				admin.wantRows(t, fmt.Sprintf("SELECT count(*) FROM retail.shop.items WHERE item_id = %d", 1000+n), [][]string{{"0"}})
			}},
		{name: "apply the product spec", ok: http.StatusOK, what: "retail.shop", sufficient: owners,
			call: func(t *testing.T, _, as *env) response {
				// A change to the product's description: an update, not a no-op.
				spec := strings.Replace(string(testdata(t, "shop.yaml")), "for end-to-end tests.", fmt.Sprintf("for end-to-end tests (revision %d).", next()), 1)
				body, ct := multipartBody(t, []apply.Source{{Name: "shop.yaml", Data: []byte(spec)}})
				return as.do(t, "POST", "/api/v1/apply", body, "Content-Type", ct)
			},
			unchanged: func(t *testing.T, admin *env) {
				if d := admin.product(t, "retail", "shop"); strings.Contains(d.Description, fmt.Sprintf("(revision %d)", n)) {
					t.Errorf("after a refused apply, description = %q, want the refused revision %d not applied", d.Description, n)
				}
			}},
		{name: "grant on the product", ok: http.StatusCreated, what: "retail.shop", sufficient: owners,
			call: func(t *testing.T, _, as *env) response {
				return as.sendJSON(t, "POST", "/api/v1/grants", httpapi.GrantRequest{Role: access.RoleConsumer,
					Subject: fmt.Sprintf("grantee-%d", next()), Domain: "retail", Product: "shop"})
			},
			unchanged: func(t *testing.T, admin *env) {
				if g := findGrant(t, admin, func(g access.Grant) bool { return g.Subject == fmt.Sprintf("grantee-%d", n) }); g != nil {
					t.Errorf("after a refused grant, grants hold %+v, want no grant to grantee-%d", *g, n)
				}
			}},
		{name: "revoke a grant", ok: http.StatusOK, what: "retail.shop", sufficient: owners,
			call: func(t *testing.T, admin, as *env) response {
				g := admin.grantRole(t, httpapi.GrantRequest{Role: access.RoleConsumer, Subject: fmt.Sprintf("revokee-%d", next()),
					Domain: "retail", Product: "shop"})
				lastID = g.ID
				return as.do(t, "DELETE", "/api/v1/grants/"+g.ID, nil)
			},
			unchanged: func(t *testing.T, admin *env) {
				if findGrant(t, admin, func(g access.Grant) bool { return g.ID == lastID }) == nil {
					t.Errorf("after a refused revocation, grant %s is gone, want it kept", lastID)
				}
			}},
		{name: "approve an access request", ok: http.StatusOK, what: "retail.shop", sufficient: owners,
			call: func(t *testing.T, admin, as *env) response {
				requester := admin.principal(t, fmt.Sprintf("requester-%d", next()))
				r := requester.sendJSON(t, "POST", "/api/v1/access-requests", httpapi.AccessRequestBody{Domain: "retail", Product: "shop", Purpose: "authz matrix"})
				r.wantStatus(t, "POST /api/v1/access-requests", http.StatusCreated)
				var req struct {
					Request access.Request `json:"request"`
				}
				r.decode(t, "access request", &req)
				lastID = req.Request.ID
				return as.sendJSON(t, "POST", "/api/v1/access-requests/"+req.Request.ID+"/approve", httpapi.DecisionBody{Expires: "30d"})
			},
			unchanged: func(t *testing.T, admin *env) {
				if rq := findRequest(t, admin, lastID); rq.Status != access.StatusPending || rq.GrantID != "" {
					t.Errorf("after a refused approval, request %s is %q with grant %q, want pending without a grant", lastID, rq.Status, rq.GrantID)
				}
			}},
		{name: "read the audit table", ok: http.StatusOK, what: "platform.audit", sufficient: auditReaders,
			call: func(t *testing.T, _, as *env) response {
				return as.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT count(*) FROM platform.audit.events"})
			}},
		{name: "verify the audit log", ok: http.StatusOK, what: "the platform", sufficient: []grantSpec{platformAdmin},
			call: func(t *testing.T, _, as *env) response { return as.do(t, "GET", "/api/v1/audit/verify", nil) }},
		{name: "create a token", ok: http.StatusCreated, what: "the platform", sufficient: []grantSpec{platformAdmin},
			call: func(t *testing.T, _, as *env) response {
				return as.sendJSON(t, "POST", "/api/v1/tokens", httpapi.TokenRequest{Principal: fmt.Sprintf("minted-%d", next())})
			},
			unchanged: func(t *testing.T, admin *env) {
				r := admin.do(t, "GET", fmt.Sprintf("/api/v1/tokens?principal=minted-%d", n), nil)
				r.wantStatus(t, "GET /api/v1/tokens", http.StatusOK)
				var body struct {
					Tokens []access.Token `json:"tokens"`
				}
				r.decode(t, "tokens", &body)
				if len(body.Tokens) != 0 {
					t.Errorf("after a refused token creation, minted-%d has tokens %+v, want none", n, body.Tokens)
				}
			}},
		{name: "run retention", ok: http.StatusOK, what: "the platform", sufficient: []grantSpec{platformAdmin},
			call: func(t *testing.T, _, as *env) response { return as.do(t, "POST", "/api/v1/maintenance/retention", nil) }},
	}
}

// findGrant returns the first grant (as admin lists them) that match accepts, or nil.
func findGrant(t *testing.T, admin *env, match func(access.Grant) bool) *access.Grant {
	t.Helper()
	r := admin.do(t, "GET", "/api/v1/grants", nil)
	r.wantStatus(t, "GET /api/v1/grants", http.StatusOK)
	var body struct {
		Grants []access.Grant `json:"grants"`
	}
	r.decode(t, "grants", &body)
	for i := range body.Grants {
		if match(body.Grants[i]) {
			return &body.Grants[i]
		}
	}
	return nil
}

// findRequest returns access request id as the caller sees it, failing the test if it does not.
func findRequest(t *testing.T, as *env, id string) access.Request {
	t.Helper()
	for _, rq := range listRequests(t, as, "") {
		if rq.ID == id {
			return rq
		}
	}
	t.Fatalf("GET /api/v1/access-requests: no request %s", id)
	return access.Request{}
}

func listRequests(t *testing.T, as *env, status string) []access.Request {
	t.Helper()
	r := as.do(t, "GET", "/api/v1/access-requests?status="+status, nil)
	r.wantStatus(t, "GET /api/v1/access-requests?status="+status, http.StatusOK)
	var body struct {
		Requests []access.Request `json:"requests"`
	}
	r.decode(t, "access requests", &body)
	return body.Requests
}

// candidates are the grants every operation is tried with: each role on
// each scope that matters.
var candidates = func() []grantSpec {
	roles := []access.Role{access.RoleViewer, access.RoleConsumer, access.RolePublisher, access.RoleUnmask, access.RoleOwner}
	out := []grantSpec{platformAdmin}
	out = append(out, onScopes("retail", "shop", roles...)...)
	out = append(out, onScopes("platform", "audit", roles...)...)
	return out
}()

// principals makes one principal per grant and kind of holding, lazily.
type principals struct {
	admin *env
	made  map[string]*env
	seq   int
}

func (ps *principals) get(t *testing.T, kind string, g grantSpec, expires string) *env {
	t.Helper()
	key := kind + " " + g.String() + " " + expires
	if e, ok := ps.made[key]; ok {
		return e
	}
	ps.seq++
	name := fmt.Sprintf("p%d-%s", ps.seq, strings.NewReplacer("@", "-", ".", "-").Replace(g.String()))
	var e *env
	switch kind {
	case "user":
		secret, _ := ps.admin.mintToken(t, httpapi.TokenRequest{Principal: name})
		ps.admin.grantRole(t, g.request(name, expires))
		e = ps.admin.as(secret)
	case "group":
		group := "g-" + name
		secret, _ := ps.admin.mintToken(t, httpapi.TokenRequest{Principal: name, Groups: []string{group}})
		ps.admin.grantRole(t, g.request("group:"+group, expires))
		e = ps.admin.as(secret)
	default:
		t.Fatalf("unknown kind of principal %q", kind)
	}
	ps.made[key] = e
	return e
}

// authzMesh is a mesh with retail.shop and geo.places applied and published.
func authzMesh(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.applyFiles(t, "shop.yaml", "geo.yaml")
	e.mustPublish(t, countries, "replace", ctCSV, []byte(countriesCSV))
	e.mustPublish(t, items, "replace", ctCSV, []byte(itemsCSV))
	return e
}

// TestPermissionMatrix runs every operation of the permission table as
// principals holding each sufficient grant (directly and through a group),
// no grant, each insufficient grant, the sufficient grants on unrelated
// scopes, and the sufficient grants expired.
func TestPermissionMatrix(t *testing.T) {
	e := authzMesh(t)
	ops := authzOperations()
	ps := &principals{admin: e, made: map[string]*env{}}

	// The expiring grants are made first, so that they have lapsed by the
	// time they are tried: then each is tried once, with no race against the clock.
	const lifetime = time.Second
	for _, op := range ops {
		for _, g := range op.sufficient {
			ps.get(t, "user", g, lifetime.String())
		}
	}
	expiresBy := time.Now().Add(lifetime) // every one was made before now

	nobody := e.principal(t, "nobody")
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			for _, g := range op.sufficient {
				if slices.Contains(op.sufficient, g.unrelated()) {
					t.Fatalf("the table is wrong: %s is sufficient for %s, so it is no unrelated grant", g.unrelated(), op.name)
				}
			}
			var unrelated []grantSpec
			for _, g := range op.sufficient {
				t.Run("granted "+g.String(), func(t *testing.T) {
					op.wantAllowed(t, g.String(), op.call(t, e, ps.get(t, "user", g, "")))
				})
				t.Run("group granted "+g.String(), func(t *testing.T) {
					op.wantAllowed(t, "group member with "+g.String(), op.call(t, e, ps.get(t, "group", g, "")))
				})
				if u := g.unrelated(); !slices.Contains(unrelated, u) {
					unrelated = append(unrelated, u)
				}
			}
			for _, u := range unrelated {
				t.Run("unrelated "+u.String(), func(t *testing.T) {
					op.wantRefused(t, e, u.String(), op.call(t, e, ps.get(t, "user", u, "")))
				})
			}
			t.Run("no grant", func(t *testing.T) {
				op.wantRefused(t, e, "nobody", op.call(t, e, nobody))
			})
			for _, g := range candidates {
				if slices.Contains(op.sufficient, g) {
					continue
				}
				t.Run("insufficient "+g.String(), func(t *testing.T) {
					op.wantRefused(t, e, g.String(), op.call(t, e, ps.get(t, "user", g, "")))
				})
			}
		})
	}

	if d := time.Until(expiresBy); d > 0 {
		time.Sleep(d + 10*time.Millisecond)
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			for _, g := range op.sufficient {
				t.Run("expired "+g.String(), func(t *testing.T) {
					op.wantRefused(t, e, "expired "+g.String(), op.call(t, e, ps.get(t, "user", g, lifetime.String())))
				})
			}
		})
	}
}

// TestUnauthenticated sends every operation without a credential, with
// credentials that are not tokens, and with a revoked and an expired token
// of an admin: each is 401 with a challenge, and only /healthz answers
// without a credential.
func TestUnauthenticated(t *testing.T) {
	e := authzMesh(t)

	e.grantRole(t, platformAdmin.request("short-lived", ""))
	expiring, expTok := e.mintToken(t, httpapi.TokenRequest{Principal: "short-lived", Expires: "1s"})
	if expTok.ExpiresAt == nil {
		t.Fatalf("token with expires 1s: expiresAt = nil, want a time")
	}
	wantWorksUntil(t, e.as(expiring), *expTok.ExpiresAt)
	revoked, revTok := e.mintToken(t, httpapi.TokenRequest{Principal: "revoked-admin"})
	e.grantRole(t, platformAdmin.request("revoked-admin", ""))
	e.as(revoked).do(t, "GET", "/api/v1/whoami", nil).wantStatus(t, "GET /api/v1/whoami before revocation", http.StatusOK)
	e.as(revoked).do(t, "DELETE", "/api/v1/tokens/"+revTok.ID, nil).wantStatus(t, "revoke own token", http.StatusOK)
	if d := time.Until(*expTok.ExpiresAt); d > 0 {
		time.Sleep(d + 10*time.Millisecond)
	}

	// Each is sent as "Authorization: Bearer <token>" ("": no header).
	creds := []struct {
		name, token, msg string
	}{
		{"no credential", "", "authentication required"},
		{"unknown token", "mesh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "invalid or expired credentials"},
		{"blank bearer", " ", "Bearer <token>"},
		{"a JWT without OIDC", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.", "invalid or expired credentials"},
		{"the admin token with a typo", e.token + "x", "invalid or expired credentials"},
		{"revoked token", revoked, "invalid or expired credentials"},
		{"expired token", expiring, "invalid or expired credentials"},
	}
	ops := authzOperations()
	ops = append(ops,
		operation{name: "whoami", call: func(t *testing.T, _, as *env) response { return as.do(t, "GET", "/api/v1/whoami", nil) }},
		operation{name: "list tokens", call: func(t *testing.T, _, as *env) response { return as.do(t, "GET", "/api/v1/tokens", nil) }},
		operation{name: "list grants", call: func(t *testing.T, _, as *env) response { return as.do(t, "GET", "/api/v1/grants", nil) }},
		operation{name: "list access requests", call: func(t *testing.T, _, as *env) response {
			return as.do(t, "GET", "/api/v1/access-requests", nil)
		}},
		operation{name: "policies", call: func(t *testing.T, _, as *env) response { return as.do(t, "GET", "/api/v1/policies", nil) }},
		operation{name: "no such endpoint", call: func(t *testing.T, _, as *env) response { return as.do(t, "GET", "/api/v1/nothing", nil) }},
	)
	for _, c := range creds {
		t.Run(c.name, func(t *testing.T) {
			for _, op := range ops {
				t.Run(op.name, func(t *testing.T) {
					// e (admin) still makes the setup.
					r := op.call(t, e, e.as(c.token))
					d := r.wantError(t, op.name+" with "+c.name, http.StatusUnauthorized, "unauthenticated", c.msg)
					if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
						t.Errorf("%s with %s: WWW-Authenticate = %q, want a Bearer challenge", op.name, c.name, got)
					}
					if strings.Contains(d.Message, revoked) || strings.Contains(d.Message, expiring) || strings.Contains(string(r.body), e.token) {
						t.Errorf("%s with %s: the answer quotes a credential: %s", op.name, c.name, r.body)
					}
				})
			}
		})
	}

	t.Run("not a bearer", func(t *testing.T) {
		for _, h := range []string{"Basic " + e.token, "Token " + e.token, e.token, "Bearer"} {
			r := e.do(t, "GET", "/api/v1/products", nil, "Authorization", h)
			r.wantError(t, "GET /api/v1/products with Authorization "+h[:min(len(h), 8)], http.StatusUnauthorized, "unauthenticated", "Bearer <token>")
		}
	})

	t.Run("healthz", func(t *testing.T) {
		r := e.as("").do(t, "GET", "/healthz", nil)
		r.wantStatus(t, "GET /healthz without a credential", http.StatusOK)
		if !bytes.Contains(r.body, []byte(`"ok"`)) {
			t.Errorf("GET /healthz = %s, want status ok", r.body)
		}
	})
}

// TestNoEscalation has owners and publishers try to reach past their scope:
// granting more than they hold or elsewhere, changing products they do not
// own (alone or next to one they do), creating products and domains.
func TestNoEscalation(t *testing.T) {
	e := authzMesh(t)
	shopOwner := e.principal(t, "shop-owner", grantSpec{access.RoleOwner, "retail", "shop"}.request("", ""))
	retailOwner := e.principal(t, "retail-owner", grantSpec{access.RoleOwner, "retail", ""}.request("", ""))
	publisher := e.principal(t, "shop-publisher", grantSpec{access.RolePublisher, "retail", ""}.request("", ""))
	adminGrant := findGrant(t, e, func(g access.Grant) bool { return g.Role == access.RoleAdmin && g.Subject == "admin" })
	geoGrant := e.grantRole(t, httpapi.GrantRequest{Role: access.RoleConsumer, Subject: "someone", Domain: "geo", Product: "places"})
	if adminGrant == nil {
		t.Fatal("the admin's grant is not listed")
	}
	geoRequester := e.principal(t, "geo-requester")
	geoRequest := accessRequest(t, geoRequester, httpapi.AccessRequestBody{Domain: "geo", Product: "places", Purpose: "maps"})

	shop, geo := string(testdata(t, "shop.yaml")), string(testdata(t, "geo.yaml"))
	newProduct := strings.NewReplacer("retail-shop", "retail-outlet", "name: shop", "name: outlet", "dataProduct: shop", "dataProduct: outlet").Replace(shop)
	newDomain := strings.NewReplacer("retail", "wholesale").Replace(shop)
	geoContract := geo[strings.Index(geo, "apiVersion: v3.1.0"):]
	geoContract = strings.Replace(geoContract, "version: 1.0.0", "version: 1.1.0", 1)
	applyAs := func(as *env, files ...string) response {
		var srcs []apply.Source
		for i, f := range files {
			srcs = append(srcs, apply.Source{Name: fmt.Sprintf("spec%d.yaml", i), Data: []byte(f)})
		}
		body, ct := multipartBody(t, srcs)
		return as.do(t, "POST", "/api/v1/apply", body, "Content-Type", ct)
	}
	grant := func(as *env, role access.Role, domain, product string) response {
		return as.sendJSON(t, "POST", "/api/v1/grants", httpapi.GrantRequest{Role: role, Subject: "accomplice", Domain: domain, Product: product})
	}

	for _, c := range []struct {
		name   string
		call   func() response
		status int
		what   string // a refusal names it
	}{
		{"product owner grants admin", func() response { return grant(shopOwner, access.RoleAdmin, "", "") }, http.StatusForbidden, "the platform"},
		{"product owner grants admin, naming its product", func() response { return grant(shopOwner, access.RoleAdmin, "retail", "shop") }, http.StatusForbidden, "the platform"},
		{"product owner grants on its domain", func() response { return grant(shopOwner, access.RoleOwner, "retail", "") }, http.StatusForbidden, "retail"},
		{"product owner grants on another domain", func() response { return grant(shopOwner, access.RoleConsumer, "geo", "places") }, http.StatusForbidden, "geo.places"},
		{"product owner revokes the admin", func() response { return shopOwner.do(t, "DELETE", "/api/v1/grants/"+adminGrant.ID, nil) }, http.StatusForbidden, "the platform"},
		{"product owner revokes on another domain", func() response { return shopOwner.do(t, "DELETE", "/api/v1/grants/"+geoGrant.ID, nil) }, http.StatusForbidden, "geo.places"},
		{"product owner approves for another domain", func() response {
			return shopOwner.sendJSON(t, "POST", "/api/v1/access-requests/"+geoRequest+"/approve", httpapi.DecisionBody{})
		}, http.StatusForbidden, "geo.places"},
		{"product owner creates a product in its domain", func() response { return applyAs(shopOwner, newProduct) }, http.StatusForbidden, "retail"},
		{"product owner applies its product and another domain's", func() response { return applyAs(shopOwner, shop, geo) }, http.StatusForbidden, "geo.places"},
		{"product owner applies another product's contract alone", func() response { return applyAs(shopOwner, geoContract) }, http.StatusForbidden, "geo.places"},
		{"domain owner creates a domain", func() response { return applyAs(retailOwner, newDomain) }, http.StatusForbidden, "the platform"},
		{"domain owner grants on another domain", func() response { return grant(retailOwner, access.RoleOwner, "geo", "") }, http.StatusForbidden, "geo"},
		{"publisher grants on its domain", func() response { return grant(publisher, access.RoleConsumer, "retail", "shop") }, http.StatusForbidden, "retail.shop"},
		{"publisher applies", func() response { return applyAs(publisher, shop) }, http.StatusForbidden, "retail.shop"},
		{"publisher publishes to another domain", func() response {
			return publisher.publish(t, countries, "append", ctCSV, []byte("code,country_name\nIT,Italy\n"))
		}, http.StatusForbidden, "geo.places"},
		// What they may do.
		{"product owner grants on its product", func() response { return grant(shopOwner, access.RoleOwner, "retail", "shop") }, http.StatusCreated, ""},
		{"domain owner grants on its domain", func() response { return grant(retailOwner, access.RoleOwner, "retail", "") }, http.StatusCreated, ""},
		{"domain owner creates a product in its domain", func() response { return applyAs(retailOwner, newProduct) }, http.StatusOK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.state(t)
			grants := findGrant(t, e, func(g access.Grant) bool { return g.Subject == "accomplice" })
			r := c.call()
			if c.status != http.StatusForbidden {
				r.wantStatus(t, c.name, c.status)
				return
			}
			r.wantError(t, c.name, http.StatusForbidden, "forbidden", c.what)
			e.wantUnchanged(t, c.name, before)
			if after := findGrant(t, e, func(g access.Grant) bool { return g.Subject == "accomplice" }); !cmp.Equal(grants, after) {
				t.Errorf("%s: accomplice's grants went from %+v to %+v, want unchanged", c.name, grants, after)
			}
		})
	}
	if g := findGrant(t, e, func(g access.Grant) bool { return g.ID == adminGrant.ID || g.ID == geoGrant.ID }); g == nil {
		t.Errorf("the admin's and geo's grants are gone")
	}
	if rq := findRequest(t, geoRequester, geoRequest); rq.Status != access.StatusPending {
		t.Errorf("geo request = %+v, want pending", rq)
	}
	if w := shopOwner.whoami(t); w.Admin {
		t.Errorf("shop owner's whoami = %+v, want no admin", w)
	}
}

// wantWorksUntil checks that a token expiring at exp is accepted, when the
// answer comes before exp (after it, either answer is right).
func wantWorksUntil(t *testing.T, as *env, exp time.Time) {
	t.Helper()
	r := as.do(t, "GET", "/api/v1/whoami", nil)
	if time.Now().Before(exp) && r.status != http.StatusOK {
		t.Errorf("GET /api/v1/whoami with a token expiring at %s = %d, want 200\n%s", exp.Format(time.RFC3339Nano), r.status, clip(r.body))
	}
}
