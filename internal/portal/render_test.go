package portal

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
)

func TestSnippet(t *testing.T) {
	tests := []struct {
		in   string
		want []segment
	}{
		{"", nil},
		{"plain", []segment{{"plain", false}}},
		{"the **orders** table", []segment{{"the ", false}, {"orders", true}, {" table", false}}},
		{"**a** and **b**", []segment{{"a", true}, {" and ", false}, {"b", true}}},
		{"unclosed **mark", []segment{{"unclosed ", false}, {"mark", true}}},
		{"****", nil},
		{"<b>**x**</b>", []segment{{"<b>", false}, {"x", true}, {"</b>", false}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, snippet(tt.in), cmp.AllowUnexported(segment{})); diff != "" {
			t.Errorf("snippet(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Now()
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "never"},
		{now.Add(-10 * time.Second), "just now"},
		{now.Add(-5 * time.Minute), "5 min ago"},
		{now.Add(-3 * time.Hour), "3 h ago"},
		{now.Add(-72 * time.Hour), "3 days ago"},
	}
	for _, tt := range tests {
		if got := ago(tt.t); got != tt.want {
			t.Errorf("ago(now-%v) = %q, want %q", now.Sub(tt.t).Round(time.Second), got, tt.want)
		}
	}
}

func TestTemplateFuncs(t *testing.T) {
	pe := funcs["pathEscape"].(func(string) string)
	for in, want := range map[string]string{"orders": "orders", "a b": "a%20b", "a/b": "a%2fb", "x?y#z": "x%3fy%23z"} {
		if got := pe(in); !strings.EqualFold(got, want) {
			t.Errorf("pathEscape(%q) = %q, want %q", in, got, want)
		}
	}
	asset := funcs["asset"].(func(string) string)
	if got := asset("app.css"); got != "/static/app.css?v="+assetVersion || len(assetVersion) != 12 {
		t.Errorf("asset(app.css) = %q", got)
	}
}

// Every page parses, defines its content and renders its layout; layout
// and partials carry no inline script, style or handler (the CSP forbids them).
func TestTemplates(t *testing.T) {
	pg, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"signin", "home", "search", "error"} {
		if pg.byName[name] == nil {
			t.Errorf("no %s page", name)
		}
	}
	for name, tpl := range pg.byName {
		if tpl.Lookup("content") == nil || tpl.Lookup("layout") == nil {
			t.Errorf("page %s lacks content or layout", name)
		}
	}
	inline := regexp.MustCompile(`(?i)<script(\s[^>]*)?>[^<]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	err = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := templateFS.ReadFile(p)
		// A JSON data block is not run, so the CSP allows it.
		b = regexp.MustCompile(`<script type="application/json"[^>]*>`).ReplaceAll(b, []byte("<data>"))
		if m := inline.Find(b); m != nil {
			t.Errorf("%s: %q breaks the CSP (no inline scripts, styles or handlers)", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testPortal(t *testing.T) *Portal {
	t.Helper()
	pg, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	return &Portal{pages: pg, log: slog.New(slog.DiscardHandler)}
}

func TestRenderAndFail(t *testing.T) {
	p := testPortal(t)
	r := httptest.NewRequest("GET", "/", nil)

	rec := httptest.NewRecorder()
	p.render(rec, r, http.StatusTeapot, "error", "", pageData{Title: "Tea", Error: &APIError{Status: 418, Message: "<i>short & stout</i>"}})
	if rec.Code != http.StatusTeapot || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("render: %d %v", rec.Code, rec.Header())
	}
	if b := rec.Body.String(); !strings.Contains(b, "&lt;i&gt;short &amp; stout&lt;/i&gt;") || strings.Contains(b, "<i>short") {
		t.Errorf("the error message is not escaped:\n%s", b)
	}

	rec = httptest.NewRecorder()
	p.render(rec, r, http.StatusOK, "no-such-page", "", pageData{})
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("unknown template: %d, want 500", rec.Code)
	}

	// An API refusal shows the API's message with its status; anything
	// else is a 500 that shows nothing of the cause.
	rec = httptest.NewRecorder()
	p.fail(rec, r, nil, &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "You may not.", RequestID: "req-1"})
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "You may not.") || !strings.Contains(rec.Body.String(), "req-1") {
		t.Errorf("fail(APIError) = %d\n%s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	p.fail(rec, r, nil, errors.New("open /var/lib/mesh/secret.db: permission denied"))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret.db") ||
		!strings.Contains(rec.Body.String(), "Something went wrong on the server.") {
		t.Errorf("fail(internal) = %d\n%s", rec.Code, rec.Body.String())
	}
}

func TestStatic(t *testing.T) {
	h := staticHandler()
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	tests := []struct {
		path   string
		status int
		cache  string
		ctype  string
	}{
		{"/static/app.css?v=" + assetVersion, http.StatusOK, "public, max-age=31536000, immutable", "text/css"},
		{"/static/app.js?v=" + assetVersion, http.StatusOK, "public, max-age=31536000, immutable", "text/javascript"},
		{"/static/app.css", http.StatusOK, "no-cache", "text/css"},
		{"/static/app.css?v=old", http.StatusOK, "no-cache", "text/css"},
		{"/static/favicon.svg", http.StatusOK, "no-cache", "image/svg+xml"},
		{"/static/", http.StatusNotFound, "", ""},
		{"/static/nope.js", http.StatusNotFound, "", ""},
		{"/static/../templates/layout.html", http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		rec := get(tt.path)
		if rec.Code != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, rec.Code, tt.status)
			continue
		}
		if tt.status != http.StatusOK {
			continue
		}
		if got := rec.Header().Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: Cache-Control = %q, want %q", tt.path, got, tt.cache)
		}
		if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, tt.ctype) {
			t.Errorf("GET %s: Content-Type = %q, want %s", tt.path, got, tt.ctype)
		}
	}
}

// pageData.CSRF is empty without a session, so no form leaks a token.
func TestPageDataCSRF(t *testing.T) {
	if got := (pageData{}).CSRF(); got != "" {
		t.Errorf("CSRF without a view = %q", got)
	}
	v := &view{Session: &Session{CSRF: "tok"}}
	if got := (pageData{View: v}).CSRF(); got != "tok" {
		t.Errorf("CSRF = %q, want tok", got)
	}
}

// Me.Can answers as the API's whoami scopes say.
func TestMeCan(t *testing.T) {
	type may = struct {
		All    bool              `json:"all"`
		Scopes []access.Resource `json:"scopes"`
	}
	me := Me{May: map[string]may{
		"read":    {Scopes: []access.Resource{{Domain: "sales"}, {Domain: "hr", Product: "people"}}},
		"publish": {Scopes: []access.Resource{{Domain: "sales", Product: "orders"}}},
		"unmask":  {All: true},
		"grant":   {},
	}}
	tests := []struct {
		action, domain, product string
		want                    bool
	}{
		{"read", "sales", "", true},
		{"read", "sales", "orders", true},
		{"read", "hr", "people", true},
		{"read", "hr", "payroll", false},
		{"read", "hr", "", false},
		{"publish", "sales", "orders", true},
		{"publish", "sales", "returns", false},
		{"publish", "sales", "", false},
		{"unmask", "anything", "at_all", true},
		{"grant", "sales", "", false},
		{"apply", "sales", "", false},
	}
	for _, tt := range tests {
		if got := me.Can(tt.action, tt.domain, tt.product); got != tt.want {
			t.Errorf("Can(%s, %s, %s) = %v, want %v", tt.action, tt.domain, tt.product, got, tt.want)
		}
	}
	for action, want := range map[string]bool{"read": true, "publish": true, "unmask": true, "grant": false, "apply": false} {
		if got := me.CanAnywhere(action); got != want {
			t.Errorf("CanAnywhere(%s) = %v, want %v", action, got, want)
		}
	}
}
