package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Cross-origin state-changing requests are refused before any handler
// runs (http.CrossOriginProtection), whatever cookies or tokens they carry.
func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	b := m.signIn(t, consumerName)
	tests := []struct {
		name string
		path string
		form url.Values
		hdr  []string
		want int
	}{
		{"sign-out, cross-site fetch metadata", "/signout", url.Values{"csrf": {b.CSRF()}},
			[]string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"sign-out, foreign Origin only", "/signout", url.Values{"csrf": {b.CSRF()}},
			[]string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"sign-out, same-site but another origin", "/signout", url.Values{"csrf": {b.CSRF()}},
			[]string{"Sec-Fetch-Site", "same-site", "Origin", "https://other.mesh.example"}, http.StatusForbidden},
		{"sign-in (login CSRF)", "/signin", url.Values{"token": {m.Tokens[strangerName]}},
			[]string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"same origin", "/signout", url.Values{"csrf": {b.CSRF()}},
			[]string{"Sec-Fetch-Site", "same-origin", "Origin", m.Srv.URL}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg := b.postNoCSRF(t, tt.path, tt.form, tt.hdr...)
			pg.wantStatus(t, tt.want)
			if tt.want == http.StatusForbidden {
				if len(pg.Header["Set-Cookie"]) != 0 {
					t.Errorf("a refused request set cookies: %v", pg.Header["Set-Cookie"])
				}
				b.get(t, "/").wantStatus(t, http.StatusOK) // still signed in, as the same principal
				b.get(t, "/").wantContains(t, consumerName)
			}
		})
	}
	if recs := m.auditOf(t, "portal.signout"); len(recs) != 1 {
		t.Errorf("%d sign-outs audited, want 1 (the same-origin one)", len(recs))
	}
}

// A state-changing request needs the session's CSRF token (form field or
// header); a refusal leaves the session alone.
func TestActionNeedsCSRF(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	b := m.signIn(t, consumerName)
	other := m.signIn(t, ownerName)
	if b.CSRF() == other.CSRF() {
		t.Fatal("two sessions share a CSRF token")
	}
	for name, f := range map[string]func() page{
		"no token":            func() page { return b.postNoCSRF(t, "/signout", nil) },
		"another session's":   func() page { return b.postNoCSRF(t, "/signout", url.Values{"csrf": {other.CSRF()}}) },
		"wrong header":        func() page { return b.postNoCSRF(t, "/signout", nil, "X-CSRF-Token", "nope") },
		"token in the URL":    func() page { return b.postNoCSRF(t, "/signout?csrf="+url.QueryEscape(b.CSRF()), nil) },
		"token, case mangled": func() page { return b.postNoCSRF(t, "/signout", url.Values{"csrf": {strings.ToUpper(b.CSRF())}}) },
	} {
		t.Run(name, func(t *testing.T) {
			pg := f()
			pg.wantStatus(t, http.StatusForbidden)
			pg.wantContains(t, "The form has expired or did not come from this site")
			b.get(t, "/").wantStatus(t, http.StatusOK)
		})
	}
	// The header is as good as the form field (scripts send it).
	b.postNoCSRF(t, "/signout", nil, "X-CSRF-Token", b.CSRF()).wantRedirect(t, "/signin")
	b.get(t, "/").wantRedirect(t, "/signin")
	other.get(t, "/").wantStatus(t, http.StatusOK) // another session is not touched
}

// Every answer carries the security headers: pages, the sign-in form,
// redirects, errors, static files and refusals.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	b := m.signIn(t, consumerName)
	anon := m.newBrowser(t)
	pages := map[string]page{
		"home":        b.get(t, "/"),
		"search":      b.get(t, "/search?q=x"),
		"not found":   b.get(t, "/no/such/page"),
		"sign-in":     anon.get(t, "/signin"),
		"redirect":    anon.get(t, "/search"),
		"static":      anon.get(t, "/static/app.css"),
		"cross-site":  b.postNoCSRF(t, "/signout", nil, "Sec-Fetch-Site", "cross-site"),
		"bad sign-in": anon.postNoCSRF(t, "/signin", url.Values{"token": {"x"}}),
	}
	for name, pg := range pages {
		t.Run(name, func(t *testing.T) {
			csp := pg.Header.Get("Content-Security-Policy")
			for _, d := range []string{"script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
				"base-uri 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP %q allows inline or eval", csp)
			}
			for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
				"Referrer-Policy": "same-origin"} {
				if got := pg.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
	// Pages with a session are not cached.
	if cc := pages["home"].Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("home Cache-Control = %q, want no-store", cc)
	}
}
