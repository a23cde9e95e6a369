package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/platform"
)

// wsSpec is a small product: sales.orders with one table whose email is
// personal data (masked for a plain consumer) and whose descriptions try
// to break out of the page's schema <script> element.
const wsSpec = `apiVersion: v1.0.0
kind: DataProduct
id: sales-orders
name: orders
version: 1.0.0
status: active
domain: sales
description:
  purpose: Orders, for the workspace tests.
team:
  name: Sales
outputPorts:
  - name: orders
    type: tables
    version: 1.0.0
    contractId: sales-orders-contract
---
apiVersion: v3.1.0
kind: DataContract
id: sales-orders-contract
name: Orders
version: 1.0.0
status: active
domain: sales
dataProduct: orders
schema:
  - name: orders
    physicalType: table
    description: "One row per order </script><script>alert(1)</script>"
    properties:
      - name: id
        logicalType: integer
        physicalType: integer
        required: true
        primaryKey: true
        primaryKeyPosition: 1
      - name: email
        logicalType: string
        physicalType: varchar
        required: true
        classification: pii
        description: "who ordered </script><img src=x onerror=alert(2)>"
      - name: amount
        logicalType: number
        physicalType: decimal(10,2)
        required: true
slaProperties:
  - property: frequency
    value: 1
    unit: d
  - property: retention
    value: 1
    unit: y
`

// wsEmails are the clear values of the masked column.
var wsEmails = []string{"ada@example.com", "bob@example.com", "cy@example.com"}

// wsMesh is a platform serving the API and the portal, with sales.orders
// published, an admin and a consumer who sees the email masked.
type wsMesh struct {
	p        *platform.Platform
	srv      *httptest.Server
	admin    string // token secrets
	consumer string
}

func workspaceMesh(t *testing.T, edit ...func(*platform.Config)) *wsMesh {
	t.Helper()
	p := openPlatform(t, edit...)
	if p.Portal == nil {
		t.Fatal("the platform serves no portal")
	}
	m := &wsMesh{p: p, admin: p.AdminSecret}
	m.srv = httptest.NewServer(p.Handler())
	t.Cleanup(m.srv.Close)

	admin := apiAs{p.API, m.admin}
	admin.applySpec(t, "orders.yaml", []byte(wsSpec))
	csv := "id,email,amount\n1," + wsEmails[0] + ",10.50\n2," + wsEmails[1] + ",11.50\n3," + wsEmails[2] + ",12.50\n"
	if code := admin.publish(t, "sales.orders.orders", "replace", csv); code != http.StatusOK {
		t.Fatalf("publish sales.orders.orders = %d", code)
	}
	m.consumer, _ = admin.newToken(t, "cora")
	admin.grant(t, access.RoleConsumer, "cora", "sales", "")
	return m
}

func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// wsBrowser is a browser signed in to the workspace mesh; it follows
// redirects.
type wsBrowser struct {
	m *wsMesh
	*browser
}

func (m *wsMesh) signIn(t *testing.T, token string) *wsBrowser {
	t.Helper()
	b := browserOf(t, m.srv, true)
	pg := b.postNoCSRF(t, "/signin", url.Values{"token": {token}, "next": {"/sql"}})
	if pg.Status != http.StatusOK || b.csrf == "" {
		t.Fatalf("sign in = %d, want the SQL page with a CSRF token\n%.2000s", pg.Status, pg.Body)
	}
	return &wsBrowser{m: m, browser: b}
}

type wsAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (b *wsBrowser) do(t *testing.T, req *http.Request) wsAnswer {
	t.Helper()
	pg := b.send(t, req)
	return wsAnswer{status: pg.Status, header: pg.Header, body: []byte(pg.Body)}
}

func (b *wsBrowser) get(t *testing.T, path string) wsAnswer {
	t.Helper()
	req, _ := http.NewRequest("GET", b.m.srv.URL+path, nil)
	return b.do(t, req)
}

// form posts a form; the CSRF field is added unless noCSRF.
func (b *wsBrowser) form(t *testing.T, path string, v url.Values, noCSRF bool) wsAnswer {
	t.Helper()
	if !noCSRF {
		v.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.m.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(t, req)
}

// run posts to /sql/run as the page's script does (csrf "": no header).
func (b *wsBrowser) run(t *testing.T, ctx context.Context, csrf string, body any) wsAnswer {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", b.m.srv.URL+"/sql/run", jsonBody(t, body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Requested-With", "fetch")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	return b.do(t, req)
}
