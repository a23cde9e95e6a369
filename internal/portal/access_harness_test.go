package portal_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/platform"
)

// accessSpec is a product of domain DOM with one table, items, whose price
// must not be negative (a blocking rule, so a negative price fails the
// publish) and that is published daily.
const accessSpec = `apiVersion: v1.0.0
kind: DataProduct
id: DOM-shop
name: shop
version: 1.0.0
status: active
domain: DOM
description:
  purpose: Items of DOM, for portal tests.
team:
  name: DOM team
outputPorts:
  - name: shop
    type: tables
    version: 1.0.0
    contractId: DOM-shop-contract
---
apiVersion: v3.1.0
kind: DataContract
id: DOM-shop-contract
name: Shop
version: 1.0.0
status: active
domain: DOM
dataProduct: shop
schema:
  - name: items
    physicalType: table
    properties:
      - name: item_id
        logicalType: integer
        physicalType: integer
        required: true
        primaryKey: true
        primaryKeyPosition: 1
      - name: price
        logicalType: number
        physicalType: decimal(10,2)
        required: true
    quality:
      - type: sql
        name: non_negative_price
        query: SELECT COUNT(*) FROM ${table} WHERE price < 0
        mustBe: 0
        severity: error
slaProperties:
  - property: frequency
    value: 1
    unit: d
  - property: retention
    value: 1
    unit: y
`

// accessMesh is a platform with two domains, alpha and beta, each with a
// product shop whose items are published once, and beta's with a failed
// publish too. Its principals: cara (consumer of alpha), bob (owner of
// beta), dan (publisher of alpha, owner of nothing) and erin (owner of
// gamma, a domain without products).
type accessMesh struct {
	p      *platform.Platform
	srv    *httptest.Server
	tokens map[string]string
}

func accessMeshNew(t *testing.T) *accessMesh {
	t.Helper()
	p := openPlatform(t, func(c *platform.Config) { c.FreshnessInterval = 0 })
	admin := apiAs{p.API, p.AdminSecret}
	for _, d := range []string{"alpha", "beta"} {
		admin.applySpec(t, d+".yaml", []byte(strings.ReplaceAll(accessSpec, "DOM", d)))
	}
	for _, d := range []string{"alpha", "beta"} {
		if code := admin.publish(t, d+".shop.items", "replace", "item_id,price\n1,2.50\n2,3.00\n"); code != http.StatusOK {
			t.Fatalf("publish %s = %d", d, code)
		}
	}
	if code := admin.publish(t, "beta.shop.items", "replace", "item_id,price\n1,-1.00\n"); code/100 == 2 {
		t.Fatal("publish of a negative price: no error, want the gate to fail")
	}
	m := &accessMesh{p: p, tokens: map[string]string{}}
	for name, g := range map[string]struct {
		role   access.Role
		domain string
	}{
		"cara": {access.RoleConsumer, "alpha"},
		"bob":  {access.RoleOwner, "beta"},
		"dan":  {access.RolePublisher, "alpha"},
		"erin": {access.RoleOwner, "gamma"},
	} {
		m.tokens[name], _ = admin.newToken(t, name)
		admin.grant(t, g.role, name, g.domain, "")
	}
	m.srv = httptest.NewServer(p.Handler())
	t.Cleanup(m.srv.Close)
	return m
}

// accessUser is a browser signed in to the portal, with the session's CSRF
// token.
type accessUser struct {
	t    *testing.T
	b    *browser
	CSRF string
}

// signIn signs name in with its token and reads the session's CSRF token.
func (m *accessMesh) signIn(t *testing.T, name string) *accessUser {
	t.Helper()
	b, to := signInTo(t, m.srv, m.tokens[name])
	if to != "/" {
		t.Fatalf("sign in as %s went to %q, want /", name, to)
	}
	return &accessUser{t: t, b: b, CSRF: b.CSRF()}
}

// anonymous is a browser without a session.
func (m *accessMesh) anonymous(t *testing.T) *accessUser {
	return &accessUser{t: t, b: browserOf(t, m.srv, false)}
}

// send GETs path (form nil) or POSTs form as it is.
func (u *accessUser) send(method, path string, form url.Values) (int, string, http.Header) {
	u.t.Helper()
	var pg page
	if form == nil {
		pg = u.b.do(u.t, method, path, nil)
	} else {
		pg = u.b.do(u.t, method, path, strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	}
	return pg.Status, pg.Body, pg.Header
}

func (u *accessUser) get(path string) (int, string) {
	u.t.Helper()
	code, body, _ := u.send("GET", path, nil)
	return code, body
}

// post submits a form with the session's CSRF token (unless form sets csrf).
func (u *accessUser) post(path string, form url.Values) (int, string, http.Header) {
	u.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", u.CSRF)
	}
	return u.send("POST", path, form)
}
