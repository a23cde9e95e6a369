package portal_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
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
	ctx := context.Background()
	cfg := platform.Defaults(t.TempDir())
	cfg.MemoryLimit, cfg.Threads, cfg.FreshnessInterval = "1GB", 2, 0
	p, err := platform.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("platform.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("platform.Close: %v", err)
		}
	})
	var srcs []apply.Source
	for _, d := range []string{"alpha", "beta"} {
		srcs = append(srcs, apply.Source{Name: d + ".yaml", Data: []byte(strings.ReplaceAll(accessSpec, "DOM", d))})
	}
	ctx = platform.AsAdmin(ctx)
	if _, err := p.Applier.Apply(ctx, srcs, false); err != nil {
		t.Fatalf("apply: %v", err)
	}
	pub := func(domain, csv string) (*publish.Report, error) {
		return p.Publisher.Publish(ctx, publish.Request{Table: lake.Ident{Domain: domain, Product: "shop", Table: "items"},
			Mode: lake.Replace, Format: publish.CSV, Body: strings.NewReader(csv)})
	}
	for _, d := range []string{"alpha", "beta"} {
		if _, err := pub(d, "item_id,price\n1,2.50\n2,3.00\n"); err != nil {
			t.Fatalf("publish %s: %v", d, err)
		}
	}
	if _, err := pub("beta", "item_id,price\n1,-1.00\n"); err == nil {
		t.Fatal("publish of a negative price: no error, want the gate to fail")
	}
	m := &accessMesh{p: p, tokens: map[string]string{}}
	for name, g := range map[string]access.Grant{
		"cara": {Role: access.RoleConsumer, Domain: "alpha"},
		"bob":  {Role: access.RoleOwner, Domain: "beta"},
		"dan":  {Role: access.RolePublisher, Domain: "alpha"},
		"erin": {Role: access.RoleOwner, Domain: "gamma"},
	} {
		_, secret, err := p.Access.CreateToken(ctx, "test", name, nil, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		g.Subject = name
		if _, err := p.Access.AddGrant(ctx, "test", g); err != nil {
			t.Fatal(err)
		}
		m.tokens[name] = secret
	}
	m.srv = httptest.NewServer(p.Handler())
	t.Cleanup(m.srv.Close)
	return m
}

// accessUser is a browser signed in to the portal.
type accessUser struct {
	t    *testing.T
	c    *http.Client
	base string
	CSRF string
}

var csrfAttr = regexp.MustCompile(`data-csrf="([^"]+)"`)

// signIn signs name in with its token and reads the session's CSRF token.
func (m *accessMesh) signIn(t *testing.T, name string) *accessUser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &accessUser{t: t, base: m.srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	code, _, h := u.send("POST", "/signin", url.Values{"token": {m.tokens[name]}})
	if code != http.StatusSeeOther || h.Get("Location") != "/" {
		t.Fatalf("sign in as %s = %d to %q, want 303 to /", name, code, h.Get("Location"))
	}
	code, body := u.get("/")
	mm := csrfAttr.FindStringSubmatch(body)
	if code != http.StatusOK || mm == nil {
		t.Fatalf("GET / as %s = %d without a CSRF token", name, code)
	}
	u.CSRF = mm[1]
	return u
}

func (u *accessUser) send(method, path string, form url.Values) (int, string, http.Header) {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := u.c.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		u.t.Fatal(err)
	}
	return res.StatusCode, string(b), res.Header
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
