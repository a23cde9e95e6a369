package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/httpapi"
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
	cfg := platform.Defaults(t.TempDir())
	cfg.MemoryLimit = "1GB"
	cfg.Threads = 2
	for _, f := range edit {
		f(&cfg)
	}
	p, err := platform.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("platform.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("platform.Close: %v", err)
		}
	})
	if p.Portal == nil {
		t.Fatal("the platform serves no portal")
	}
	m := &wsMesh{p: p, admin: p.AdminSecret}
	m.srv = httptest.NewServer(p.Handler())
	t.Cleanup(m.srv.Close)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("spec", "orders.yaml")
	fw.Write([]byte(wsSpec))
	mw.Close()
	m.apiCall(t, m.admin, "POST", "/api/v1/apply", mw.FormDataContentType(), &body, http.StatusOK, nil)

	csv := "id,email,amount\n1," + wsEmails[0] + ",10.50\n2," + wsEmails[1] + ",11.50\n3," + wsEmails[2] + ",12.50\n"
	m.apiCall(t, m.admin, "POST", "/api/v1/products/sales/orders/tables/orders/publish?mode=replace", "text/csv",
		strings.NewReader(csv), http.StatusOK, nil)

	var tok struct {
		Secret string `json:"secret"`
	}
	m.apiCall(t, m.admin, "POST", "/api/v1/tokens", "application/json",
		jsonBody(t, httpapi.TokenRequest{Principal: "cora"}), http.StatusCreated, &tok)
	m.consumer = tok.Secret
	m.apiCall(t, m.admin, "POST", "/api/v1/grants", "application/json",
		jsonBody(t, httpapi.GrantRequest{Role: access.RoleConsumer, Subject: "cora", Domain: "sales"}), http.StatusCreated, nil)
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

// apiCall calls the REST API with token and wants status; out (if not nil) gets the JSON answer.
func (m *wsMesh) apiCall(t *testing.T, token, method, path, ct string, body io.Reader, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, m.srv.URL+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ct)
	res, err := m.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d\n%s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
}

// wsBrowser is a signed-in browser: a cookie jar and the page's CSRF token.
type wsBrowser struct {
	m    *wsMesh
	c    *http.Client
	csrf string
}

var wsCSRF = regexp.MustCompile(`data-csrf="([^"]+)"`)

// signIn signs in with token through the portal's form.
func (m *wsMesh) signIn(t *testing.T, token string) *wsBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.PostForm(m.srv.URL+"/signin", url.Values{"token": {token}, "next": {"/sql"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	sub := wsCSRF.FindSubmatch(b)
	if res.StatusCode != http.StatusOK || sub == nil {
		t.Fatalf("sign in = %d (at %s), want the SQL page with a CSRF token\n%.2000s", res.StatusCode, res.Request.URL, b)
	}
	return &wsBrowser{m: m, c: c, csrf: string(sub[1])}
}

// wsAnswer is a finished exchange with the portal.
type wsAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (b *wsBrowser) do(t *testing.T, req *http.Request) wsAnswer {
	t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", req.Method, req.URL.Path, err)
	}
	return wsAnswer{status: res.StatusCode, header: res.Header, body: body}
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
