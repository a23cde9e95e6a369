package portal_test

// The shared test harness of the portal: a real Meshwork (platform.Open
// over a temporary directory) with the portal under test in front of it,
// served by an httptest.Server the way mesh serve does (the API under
// /api/, the portal everywhere else), and a scripted browser (a client with
// a cookie jar that does not follow redirects).
//
// Typical use:
//
//	m := newTestMesh(t)                       // admin, owner, consumer, stranger; sales.orders published
//	b := m.signIn(t, consumerName)            // a browser with a session
//	pg := b.get(t, "/")                       // GET a page
//	pg.wantStatus(t, http.StatusOK)
//	pg.wantContains(t, "orders")
//	b.post(t, "/signout", nil)                // POST with the session's CSRF token
//
// Options change the platform or the portal configuration (withPortal,
// withPlatform), serve over TLS (withTLS) or leave the fixture data out
// (withoutData). The portal's clock is m.Clock: advance it to age sessions.

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/portal"
)

// The principals every test mesh has (see newTestMesh).
const (
	adminName    = "admin"  // the platform's bootstrap admin
	ownerName    = "olivia" // owner of domain sales
	consumerName = "carl"   // consumer of domain sales
	strangerName = "sam"    // no grants at all
)

// testMesh is a real platform with the portal under test in front of it.
type testMesh struct {
	P      *platform.Platform
	Portal *portal.Portal
	Srv    *httptest.Server  // the API under /api/ (and /healthz, /metrics, /iceberg/), the portal elsewhere
	Clock  *fakeClock        // the portal's clock (portal.Config.Now); the API keeps real time
	Tokens map[string]string // principal name → its token's secret
}

// meshOptions are what meshOption functions change.
type meshOptions struct {
	platform []func(*platform.Config)
	portal   []func(*portal.Config)
	tls      bool
	noData   bool
}

// meshOption changes how newTestMesh builds the mesh.
type meshOption func(*meshOptions)

// withPlatform edits the platform's configuration before it opens (e.g. to
// set OIDC).
func withPlatform(f func(*platform.Config)) meshOption {
	return func(o *meshOptions) { o.platform = append(o.platform, f) }
}

// withPortal edits the portal's configuration (API, Access, Audit and Now
// are already set; Now may be replaced).
func withPortal(f func(*portal.Config)) meshOption {
	return func(o *meshOptions) { o.portal = append(o.portal, f) }
}

// withTLS serves the mesh over HTTPS and marks the portal Secure.
func withTLS() meshOption {
	return func(o *meshOptions) { o.tls = true }
}

// withoutData leaves out the fixture products (principals and grants stay).
func withoutData() meshOption {
	return func(o *meshOptions) { o.noData = true }
}

// newTestMesh opens a platform over a temporary directory and builds the
// portal over it. Unless withoutData, it applies testdata/sales.yaml
// (sales.orders, with testdata/orders.csv published into sales.orders.orders)
// and testdata/hr.yaml (hr.payroll, readable only by the admin). It makes
// tokens for adminName, ownerName (owner of sales), consumerName (consumer
// of sales) and strangerName (no grants), in m.Tokens.
func newTestMesh(t testing.TB, opts ...meshOption) *testMesh {
	t.Helper()
	var o meshOptions
	for _, f := range opts {
		f(&o)
	}
	ctx := context.Background()
	edits := append([]func(*platform.Config){func(c *platform.Config) {
		c.FreshnessInterval = 0
		c.NoPortal = true // the portal under test is built below, with its own clock
	}}, o.platform...)
	p := openPlatform(t, edits...)
	m := &testMesh{P: p, Clock: newFakeClock(), Tokens: map[string]string{adminName: p.AdminSecret}}

	pc := portal.Config{API: p.API, Access: p.Access, Audit: p.Audit, Now: m.Clock.Now, Secure: o.tls}
	for _, f := range o.portal {
		f(&pc)
	}
	var err error
	if m.Portal, err = portal.New(ctx, pc); err != nil {
		t.Fatalf("portal.New: %v", err)
	}
	h := platform.Serve(p.API, m.Portal)
	if o.tls {
		m.Srv = httptest.NewTLSServer(h)
	} else {
		m.Srv = httptest.NewServer(h)
	}
	t.Cleanup(m.Srv.Close) // before p.Close: cleanups run last in, first out

	m.Tokens[ownerName] = m.token(t, ownerName)
	m.Tokens[consumerName] = m.token(t, consumerName)
	m.Tokens[strangerName] = m.token(t, strangerName)
	m.grant(t, access.RoleOwner, ownerName, "sales", "")
	m.grant(t, access.RoleConsumer, consumerName, "sales", "")
	if !o.noData {
		m.applySpec(t, "sales.yaml", readTestdata(t, "sales.yaml"))
		m.applySpec(t, "hr.yaml", readTestdata(t, "hr.yaml"))
		m.publishCSV(t, "sales.orders.orders", string(readTestdata(t, "orders.csv")))
	}
	return m
}

// openPlatform opens a platform over a temporary directory, sized for
// tests (1 GB, 2 threads) and edited by edits, and closes it at the end.
func openPlatform(t testing.TB, edits ...func(*platform.Config)) *platform.Platform {
	t.Helper()
	cfg := platform.Defaults(t.TempDir())
	cfg.MemoryLimit = "1GB"
	cfg.Threads = 2
	for _, f := range edits {
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
	return p
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apiAs calls the REST API in process (h) with one token ("": none).
type apiAs struct {
	h     http.Handler
	token string
}

// call sends the request and returns the status and body. A body that is
// not []byte or io.Reader is sent as JSON.
func (a apiAs) call(t testing.TB, method, path, contentType string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req := httptest.NewRequest(method, path, rd)
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// must is call that wants a 2xx; it decodes the JSON answer into out (nil:
// do not) and returns the body.
func (a apiAs) must(t testing.TB, method, path, contentType string, body, out any) []byte {
	t.Helper()
	code, b := a.call(t, method, path, contentType, body)
	if code/100 != 2 {
		t.Fatalf("%s %s = %d\n%s", method, path, code, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return b
}

// newToken makes a token for a new principal (with groups) and returns its
// secret and id.
func (a apiAs) newToken(t testing.TB, name string, groups ...string) (secret, id string) {
	t.Helper()
	var out struct {
		Token  access.Token `json:"token"`
		Secret string       `json:"secret"`
	}
	a.must(t, "POST", "/api/v1/tokens", "", httpapi.TokenRequest{Principal: name, Groups: groups}, &out)
	if out.Secret == "" || out.Token.ID == "" {
		t.Fatalf("token for %s: no secret or id", name)
	}
	return out.Secret, out.Token.ID
}

// grant grants role to subject (a principal or group:NAME) on domain
// (and product; "" for the whole domain).
func (a apiAs) grant(t testing.TB, role access.Role, subject, domain, product string) {
	t.Helper()
	a.must(t, "POST", "/api/v1/grants", "", httpapi.GrantRequest{Role: role, Subject: subject, Domain: domain, Product: product}, nil)
}

// applySpec applies one spec file.
func (a apiAs) applySpec(t testing.TB, name string, spec []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile("spec", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(spec)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	a.must(t, "POST", "/api/v1/apply", mw.FormDataContentType(), buf.Bytes(), nil)
}

// publish replaces the rows of table (domain.product.table) with csv and
// returns the status.
func (a apiAs) publish(t testing.TB, table, mode, csv string) int {
	t.Helper()
	parts := strings.Split(table, ".")
	if len(parts) != 3 {
		t.Fatalf("publish: %q is not domain.product.table", table)
	}
	code, _ := a.call(t, "POST", "/api/v1/products/"+parts[0]+"/"+parts[1]+"/tables/"+parts[2]+"/publish?mode="+mode,
		"text/csv", []byte(csv))
	return code
}

// callAPI calls the REST API with token ("": none).
func (m *testMesh) callAPI(t testing.TB, token, method, path, contentType string, body any) (int, []byte) {
	t.Helper()
	return apiAs{m.P.API, token}.call(t, method, path, contentType, body)
}

// adminAPI is the REST API as the admin.
func (m *testMesh) adminAPI() apiAs { return apiAs{m.P.API, m.Tokens[adminName]} }

// admin calls the REST API as the admin, wants a 2xx and decodes the JSON
// answer into out (nil: discard).
func (m *testMesh) admin(t testing.TB, method, path, contentType string, body, out any) {
	t.Helper()
	m.adminAPI().must(t, method, path, contentType, body, out)
}

// token makes a token for a new principal (with groups) and returns its
// secret; the caller keeps it (m.Tokens holds only the standard ones).
func (m *testMesh) token(t testing.TB, name string, groups ...string) string {
	t.Helper()
	secret, _ := m.tokenWithID(t, name, groups...)
	return secret
}

// tokenWithID is token that also returns the token's id (to revoke it).
func (m *testMesh) tokenWithID(t testing.TB, name string, groups ...string) (secret, id string) {
	t.Helper()
	return m.adminAPI().newToken(t, name, groups...)
}

// revoke revokes a token by id.
func (m *testMesh) revoke(t testing.TB, id string) {
	t.Helper()
	m.admin(t, "DELETE", "/api/v1/tokens/"+url.PathEscape(id), "", nil, nil)
}

// grant grants role to subject on domain (and product).
func (m *testMesh) grant(t testing.TB, role access.Role, subject, domain, product string) {
	t.Helper()
	m.adminAPI().grant(t, role, subject, domain, product)
}

// applySpec applies one spec file as the admin.
func (m *testMesh) applySpec(t testing.TB, name string, spec []byte) {
	t.Helper()
	m.adminAPI().applySpec(t, name, spec)
}

// publishCSV replaces the rows of table (domain.product.table) with csv, as the admin.
func (m *testMesh) publishCSV(t testing.TB, table, csv string) {
	t.Helper()
	if code := m.adminAPI().publish(t, table, "replace", csv); code/100 != 2 {
		t.Fatalf("publish %s as admin = %d", table, code)
	}
}

// auditEvents returns every audit record, oldest first, after flushing the log.
func (m *testMesh) auditEvents(t testing.TB) []audit.Event {
	t.Helper()
	ctx := context.Background()
	if err := m.P.Audit.Flush(ctx); err != nil {
		t.Fatalf("audit flush: %v", err)
	}
	evs, err := m.P.Audit.Since(ctx, 0, 0)
	if err != nil {
		t.Fatalf("audit since: %v", err)
	}
	return evs
}

// auditOf returns the audit records of action, oldest first.
func (m *testMesh) auditOf(t testing.TB, action string) []audit.Event {
	t.Helper()
	var out []audit.Event
	for _, e := range m.auditEvents(t) {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// fakeClock is a settable clock, safe for concurrent use. It starts at the
// real time, so that credentials the API checks against its own (real)
// clock stay valid.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

// Now is the clock's time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// browser is a scripted browser of the mesh: a cookie jar, no redirects
// followed (tests look at them), and the CSRF token of the last page seen.
type browser struct {
	base string // the server's URL
	c    *http.Client
	csrf string // from the last page with <body data-csrf="...">
}

// newBrowser returns a browser with no cookies.
func (m *testMesh) newBrowser(t testing.TB) *browser {
	t.Helper()
	return browserOf(t, m.Srv, false)
}

// browserOf returns a browser of srv with no cookies that follows
// redirects only when follow.
func browserOf(t testing.TB, srv *httptest.Server, follow bool) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *srv.Client()
	c.Jar = jar
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return &browser{base: srv.URL, c: &c}
}

// signIn returns a browser signed in as name (a key of m.Tokens) with its
// CSRF token known.
func (m *testMesh) signIn(t testing.TB, name string) *browser {
	t.Helper()
	tok, ok := m.Tokens[name]
	if !ok {
		t.Fatalf("signIn: no token for %q", name)
	}
	return m.signInWith(t, tok)
}

// signInWith returns a browser signed in with a token secret.
func (m *testMesh) signInWith(t testing.TB, token string) *browser {
	t.Helper()
	b, _ := signInTo(t, m.Srv, token)
	return b
}

// signInTo signs in to srv's portal with token and returns the browser,
// its CSRF token known, and where sign-in sent it.
func signInTo(t testing.TB, srv *httptest.Server, token string) (*browser, string) {
	t.Helper()
	b := browserOf(t, srv, false)
	pg := b.postNoCSRF(t, "/signin", url.Values{"token": {token}})
	if pg.Status != http.StatusSeeOther {
		t.Fatalf("sign-in = %d, want 303\n%s", pg.Status, clip(pg.Body))
	}
	b.get(t, "/").wantStatus(t, http.StatusOK) // learns the CSRF token
	if b.csrf == "" {
		t.Fatal("the home page carries no CSRF token")
	}
	return b, pg.Header.Get("Location")
}

// page is a finished exchange.
type page struct {
	Status int
	Header http.Header
	Body   string
}

var bodyCSRF = regexp.MustCompile(`data-csrf="([^"]*)"`)

// do sends a request from the browser; hdr holds header names and values in pairs.
func (b *browser) do(t testing.TB, method, path string, body io.Reader, hdr ...string) page {
	t.Helper()
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.send(t, req)
}

// send sends a prepared request from the browser.
func (b *browser) send(t testing.TB, req *http.Request) page {
	t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	rb, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	pg := page{Status: res.StatusCode, Header: res.Header, Body: string(rb)}
	if m := bodyCSRF.FindStringSubmatch(pg.Body); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	return pg
}

// get fetches path.
func (b *browser) get(t testing.TB, path string, hdr ...string) page {
	t.Helper()
	return b.do(t, "GET", path, nil, hdr...)
}

// post submits a form to path with the browser's CSRF token added (unless
// form already has a "csrf" field).
func (b *browser) post(t testing.TB, path string, form url.Values, hdr ...string) page {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if _, ok := f["csrf"]; !ok && b.csrf != "" {
		f.Set("csrf", b.csrf)
	}
	return b.postNoCSRF(t, path, f, hdr...)
}

// postNoCSRF submits form as it is.
func (b *browser) postNoCSRF(t testing.TB, path string, form url.Values, hdr ...string) page {
	t.Helper()
	return b.do(t, "POST", path, strings.NewReader(form.Encode()),
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
}

// cookie returns the browser's cookie named name for the mesh, or nil.
func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.base + "/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setCookie plants a cookie in the browser.
func (b *browser) setCookie(c *http.Cookie) {
	u, _ := url.Parse(b.base + "/")
	b.c.Jar.SetCookies(u, []*http.Cookie{c})
}

// CSRF is the CSRF token of the last page seen.
func (b *browser) CSRF() string { return b.csrf }

// wantStatus fails the test unless the page has status code.
func (p page) wantStatus(t testing.TB, code int) page {
	t.Helper()
	if p.Status != code {
		t.Fatalf("status = %d, want %d\n%s", p.Status, code, clip(p.Body))
	}
	return p
}

// wantRedirect fails the test unless the page is a 303 (or 302) to a
// location starting with prefix; it returns the location.
func (p page) wantRedirect(t testing.TB, prefix string) string {
	t.Helper()
	loc := p.Header.Get("Location")
	if (p.Status != http.StatusSeeOther && p.Status != http.StatusFound) || !strings.HasPrefix(loc, prefix) {
		t.Fatalf("status %d to %q, want a redirect to %q…\n%s", p.Status, loc, prefix, clip(p.Body))
	}
	return loc
}

// wantContains fails the test unless the body holds every string.
func (p page) wantContains(t testing.TB, ss ...string) {
	t.Helper()
	for _, s := range ss {
		if !strings.Contains(p.Body, s) {
			t.Errorf("body lacks %q\n%s", s, clip(p.Body))
		}
	}
}

// wantLacks fails the test if the body holds any of the strings.
func (p page) wantLacks(t testing.TB, ss ...string) {
	t.Helper()
	for _, s := range ss {
		if strings.Contains(p.Body, s) {
			t.Errorf("body has %q, it must not\n%s", s, clip(p.Body))
		}
	}
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}
