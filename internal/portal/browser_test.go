package portal_test

// Browser tests: the portal driven by a real headless Chromium against a
// real platform seeded with the demo mesh. They run when MESH_TEST_CHROMIUM
// names a Chromium binary (.ci/run installs Debian's chromium and sets it);
// MESH_SCREENSHOTS=dir also saves the screenshots the README shows.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/platform"
)

// browserMesh is a demo mesh served on loopback with a browser to drive it.
type browserMesh struct {
	t      *testing.T
	url    string
	tokens map[string]string // demo principal → token
	ctx    context.Context   // the browser tab
	shots  string            // where screenshots go; "": nowhere

	mu      sync.Mutex
	dialogs []string // JavaScript dialogs opened: an XSS payload ran
}

// demoMesh is a platform seeded with the demo mesh, served on loopback.
type demoMesh struct {
	p      *platform.Platform
	srv    *httptest.Server
	url    string
	tokens map[string]string // demo principal → token
}

func newDemoMesh(tb testing.TB) *demoMesh {
	tb.Helper()
	ctx := context.Background()
	p := openPlatform(tb, func(c *platform.Config) { c.FreshnessInterval = 0 })
	if err := demo.Seed(platform.AsAdmin(ctx), p.Applier, p.Publisher, 0.01, slog.New(slog.DiscardHandler)); err != nil {
		tb.Fatalf("demo.Seed: %v", err)
	}
	ts, err := demo.Tokens(ctx, p.Access)
	if err != nil {
		tb.Fatalf("demo.Tokens: %v", err)
	}
	srv := httptest.NewServer(p.Handler())
	tb.Cleanup(srv.Close)
	d := &demoMesh{p: p, srv: srv, url: srv.URL, tokens: map[string]string{}}
	for _, tk := range ts {
		d.tokens[tk.Principal] = tk.Secret
	}
	return d
}

func newBrowserMesh(t *testing.T) *browserMesh {
	t.Helper()
	exe := os.Getenv("MESH_TEST_CHROMIUM")
	if exe == "" {
		t.Skip("MESH_TEST_CHROMIUM is unset: set it to a Chromium binary (e.g. /usr/bin/chromium) to run the browser tests")
	}
	d := newDemoMesh(t)
	m := &browserMesh{t: t, url: d.url, tokens: d.tokens, shots: os.Getenv("MESH_SCREENSHOTS")}
	ctx := context.Background()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	tab, cancelTimeout := context.WithTimeout(tab, 4*time.Minute)
	t.Cleanup(cancelTimeout)
	m.ctx = tab
	dialogs := chromedp.Events(tab, cdppage.JavascriptDialogOpening)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			m.mu.Lock()
			m.dialogs = append(m.dialogs, ev.Message)
			m.mu.Unlock()
			_, _ = chromedp.Call(tab, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return m
}

// do runs browser steps, failing the test with the step that failed, where
// the browser was and what the page said.
func (m *browserMesh) do(step string, steps ...chromedp.Action[chromedp.Void]) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		m.fatal(step, err)
	}
	m.noDialogs(step)
}

func (m *browserMesh) fatal(step string, err error) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(m.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
	if len(body) > 800 {
		body = body[:800]
	}
	m.t.Fatalf("%s: %v\n  at %s\n  page: %s", step, err, loc, body)
}

// get runs one browser action that returns a value.
func get[T any](m *browserMesh, step string, a chromedp.Action[T]) T {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		m.fatal(step, err)
	}
	return v
}

func (m *browserMesh) noDialogs(step string) {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.dialogs) > 0 {
		m.t.Fatalf("%s: a page opened a JavaScript dialog (a payload ran): %q", step, m.dialogs)
	}
}

// open navigates to path and waits for the page's main element.
func (m *browserMesh) open(path string) {
	m.t.Helper()
	m.do("open "+path, chromedp.Navigate(m.url+path), chromedp.WaitReady(chromedp.CSS("main")))
}

// location is the current path and query.
func (m *browserMesh) location() string {
	m.t.Helper()
	return strings.TrimPrefix(get(m, "location", chromedp.Location()), m.url)
}

// text is the visible text of the first element matching the CSS selector.
func (m *browserMesh) text(sel string) string {
	m.t.Helper()
	m.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	return get(m, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// count is how many elements match the CSS selector.
func (m *browserMesh) count(sel string) int {
	m.t.Helper()
	return get(m, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// signIn signs in as a demo principal from wherever the browser is.
func (m *browserMesh) signIn(who string) {
	m.t.Helper()
	tok, ok := m.tokens[who]
	if !ok {
		m.t.Fatalf("no demo token for %s", who)
	}
	m.do("sign in as "+who,
		chromedp.Navigate(m.url+"/signin"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), tok),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.CSS("header .who")),
	)
	if got := m.text("header .who"); !strings.Contains(got, who) {
		m.t.Fatalf("signed in as %q, header says %q", who, got)
	}
}

func (m *browserMesh) signOut() {
	m.t.Helper()
	m.do("sign out", chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)),
		chromedp.WaitVisible(chromedp.ID("token")))
}

// shot saves a screenshot of the viewport as name.png when screenshots are on.
func (m *browserMesh) shot(name string) {
	m.t.Helper()
	if m.shots == "" {
		return
	}
	buf := get(m, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(m.shots, 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.shots, name+".png"), buf, 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// TestBrowserSignInAndSearch: without a session every page goes to sign-in
// and comes back; a bad token is refused with a message; search shows
// results as one types.
func TestBrowserSignInAndSearch(t *testing.T) {
	m := newBrowserMesh(t)
	m.open("/search?q=customer")
	if loc := m.location(); !strings.HasPrefix(loc, "/signin?next=") {
		t.Fatalf("without a session /search went to %s, want /signin?next=...", loc)
	}
	m.shot("signin")
	m.do("bad token", chromedp.SendKeys(chromedp.ID("token"), "mesh_not-a-token"),
		chromedp.Submit(chromedp.ID("token")), chromedp.WaitVisible(chromedp.CSS(`[role="alert"]`)))
	if msg := m.text(`[role="alert"]`); msg == "" {
		t.Fatal("a bad token showed no error message")
	}
	m.signIn("analyst")
	m.open("/")
	if n := m.count(`main a[href^="/products/"]`); n < 3 {
		t.Fatalf("home lists %d product links, want the demo's 3 products", n)
	}
	m.shot("home")
	m.open("/search")
	if n := m.count(`[role="alert"]`); n != 0 {
		t.Fatalf("an empty search page shows %d errors, want none", n)
	}
	m.do("instant search", chromedp.SendKeys(chromedp.CSS(`main input[name="q"]`), "nation"),
		chromedp.WaitVisible(chromedp.CSS(`#results a[href^="/products/customers/crm"]`)))
	m.shot("search")
}

// TestBrowserJourney is the portal's main path: a consumer of supply finds
// customers.crm, which it may discover but not read, and asks for access;
// the owner of customers approves from the inbox; the consumer then queries
// it and sees personal data masked; the analyst follows the lineage graph.
func TestBrowserJourney(t *testing.T) {
	m := newBrowserMesh(t)
	m.signIn("supply-consumer")
	m.open("/search")
	m.do("search", chromedp.SendKeys(chromedp.CSS(`main input[name="q"]`), "customer"),
		chromedp.WaitVisible(chromedp.CSS(`#results a[href^="/products/customers/crm"]`)),
		chromedp.Click(chromedp.CSS(`#results a[href^="/products/customers/crm"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/access/request?domain=customers&product=crm"]`)))
	m.shot("product")

	m.do("request access", chromedp.Click(chromedp.CSS(`a[href^="/access/request?domain=customers&product=crm"]`)),
		chromedp.WaitVisible(chromedp.ID("req-purpose")),
		chromedp.SetValue(chromedp.ID("req-role"), "consumer"),
		chromedp.SendKeys(chromedp.ID("req-purpose"), "Join supplier nations with customer nations for the <b>Q3</b> review"))
	m.shot("request")
	m.do("send the request", chromedp.Submit(chromedp.ID("req-purpose")), chromedp.WaitVisible(chromedp.CSS(`main .flash.ok`)))
	if loc := m.location(); !strings.HasPrefix(loc, "/access") {
		t.Fatalf("after the request the browser is at %s, want /access", loc)
	}
	if got := m.text("main"); !strings.Contains(got, "pending") {
		t.Fatalf("My access does not show the pending request:\n%s", got)
	}
	m.signOut()

	m.signIn("customers-owner")
	m.open("/inbox")
	if got := m.text("main"); !strings.Contains(got, "supply-consumer") || !strings.Contains(got, "<b>Q3</b>") {
		t.Fatalf("the inbox does not show the request with its purpose as text:\n%s", got)
	}
	m.shot("inbox")
	m.do("approve", chromedp.Click(chromedp.CSS(`form.approve button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`main .flash.ok`)))
	m.open("/owner")
	m.shot("owner")
	m.signOut()

	m.signIn("supply-consumer")
	m.open("/sql?q=" + url.QueryEscape("SELECT c_custkey, c_name, c_phone FROM customers.crm.customer ORDER BY c_custkey LIMIT 5"))
	m.do("run a query", chromedp.WaitVisible(chromedp.CSS(".ws-editor")), chromedp.Click(chromedp.ID("sql-run")),
		chromedp.WaitVisible(chromedp.CSS("#sql-results table.grid tbody tr")))
	m.shot("sql")
	cells := get(m, "read the grid", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#sql-results table.grid tbody tr:first-child td")].map(td => td.textContent)`))
	if len(cells) != 3 || cells[0] != "1" || cells[1] == "Customer#000000001" || cells[1] == "" {
		t.Fatalf("first row = %q, want customer 1 with its name masked", cells)
	}

	// A result that holds markup is shown as text, and runs nothing.
	payload := `<img src=x onerror=alert(1)>`
	m.open("/sql?q=" + url.QueryEscape("SELECT '"+payload+"' AS x"))
	m.do("run a hostile query", chromedp.WaitVisible(chromedp.CSS(".ws-editor")), chromedp.Click(chromedp.ID("sql-run")),
		chromedp.WaitVisible(chromedp.CSS("#sql-results table.grid tbody td")))
	if got := m.text("#sql-results table.grid tbody td"); got != payload {
		t.Fatalf("the cell shows %q, want the payload as text", got)
	}
	if n := m.count("#sql-results img"); n != 0 {
		t.Fatalf("the payload became %d img elements", n)
	}

	// Lineage shows the neighbours one may read: the analyst reads them all.
	m.signOut()
	m.signIn("analyst")
	m.open("/products/customers/crm?tab=lineage")
	if n := m.count(`svg#lineage-graph a.node[href="/products/sales/orders"]`); n != 1 {
		t.Fatalf("the lineage graph has %d links to sales.orders, want 1", n)
	}
	m.shot("lineage")
	m.do("follow lineage", chromedp.Click(chromedp.CSS(`svg#lineage-graph a.node[href="/products/sales/orders"]`)),
		chromedp.WaitReady(chromedp.CSS("main h1")))
	if loc := m.location(); !strings.HasPrefix(loc, "/products/sales/orders") {
		t.Fatalf("clicking the sales.orders node went to %s", loc)
	}
	m.noDialogs("journey")
}
