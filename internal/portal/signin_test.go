package portal_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/portal"
)

const sessionCookie = "mesh_session"

// setCookies parses the Set-Cookie headers of a page.
func setCookies(p page) []*http.Cookie {
	return (&http.Response{Header: p.Header}).Cookies()
}

func findCookie(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSignInWithToken(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t)
	b := m.newBrowser(t)

	// The form keeps where the browser was going.
	form := b.get(t, "/signin?next="+url.QueryEscape("/search?q=orders")).wantStatus(t, http.StatusOK)
	form.wantContains(t, `name="next" value="/search?q=orders"`, `name="token"`)

	pg := b.postNoCSRF(t, "/signin", url.Values{"token": {m.Tokens[consumerName]}, "next": {"/search?q=orders"}})
	if loc := pg.wantRedirect(t, "/"); loc != "/search?q=orders" {
		t.Errorf("sign-in sent the browser to %q, want /search?q=orders", loc)
	}
	if pg.Status != http.StatusSeeOther {
		t.Errorf("sign-in status = %d, want 303", pg.Status)
	}
	c := findCookie(setCookies(pg), sessionCookie)
	if c == nil {
		t.Fatalf("sign-in set no %s cookie: %v", sessionCookie, pg.Header["Set-Cookie"])
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q Domain=%q, want HttpOnly, Lax, /, host-only", c.HttpOnly, c.SameSite, c.Path, c.Domain)
	}
	if c.Secure {
		t.Error("cookie Secure without Config.Secure: it would never come back over http")
	}
	if len(c.Value) < 43 || strings.Contains(c.Value, m.Tokens[consumerName]) {
		t.Errorf("cookie value %q: want a random id, not the token", c.Value)
	}
	if exp := c.Expires; exp.IsZero() || exp.After(m.Clock.Now().Add(12*time.Hour+time.Minute)) {
		t.Errorf("cookie expires %v, want at most the session's max age", exp)
	}

	home := b.get(t, "/").wantStatus(t, http.StatusOK)
	home.wantContains(t, consumerName, `action="/signout"`)

	ok := m.auditOf(t, "portal.signin")
	if len(ok) != 1 || ok[0].Outcome != audit.OK || ok[0].Principal != consumerName {
		t.Fatalf("portal.signin audit = %+v, want one OK record for %s", ok, consumerName)
	}
	var details map[string]string
	if err := json.Unmarshal(ok[0].Details, &details); err != nil || details["via"] != "token" {
		t.Errorf("portal.signin details = %s, want via token", ok[0].Details)
	}
	if strings.Contains(string(ok[0].Details), m.Tokens[consumerName]) || strings.Contains(string(ok[0].Details), c.Value) {
		t.Error("the audit record holds the token or the session id")
	}
}

func TestSignInSecureCookie(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withTLS(), withoutData())
	b := m.newBrowser(t)
	pg := b.postNoCSRF(t, "/signin", url.Values{"token": {m.Tokens[ownerName]}})
	pg.wantRedirect(t, "/")
	c := findCookie(setCookies(pg), "__Host-"+sessionCookie)
	if c == nil {
		t.Fatalf("no __Host-%s cookie: %v", sessionCookie, pg.Header["Set-Cookie"])
	}
	// The __Host- prefix requires Secure, Path=/ and no Domain.
	if !c.Secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie Secure=%v Path=%q Domain=%q HttpOnly=%v SameSite=%v", c.Secure, c.Path, c.Domain, c.HttpOnly, c.SameSite)
	}
	if findCookie(setCookies(pg), sessionCookie) != nil {
		t.Error("a plain session cookie was set as well")
	}
	b.get(t, "/").wantStatus(t, http.StatusOK).wantContains(t, ownerName)
	// The unprefixed name is not a session under Secure.
	plain := m.newBrowser(t)
	plain.setCookie(&http.Cookie{Name: sessionCookie, Value: c.Value, Path: "/"})
	plain.get(t, "/").wantRedirect(t, "/signin")
}

func TestSignInRefused(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	revoked, revokedID := m.tokenWithID(t, "rita")
	m.revoke(t, revokedID)

	tests := []struct {
		name   string
		token  string
		status int
		msg    string
		denied bool // audited as a denied sign-in
	}{
		{"unknown", "mesh_" + strings.Repeat("x", 40), http.StatusUnauthorized, "The token was not accepted", true},
		{"revoked", revoked, http.StatusUnauthorized, "The token was not accepted", true},
		{"not a token", "hello", http.StatusUnauthorized, "The token was not accepted", true},
		{"empty", "", http.StatusBadRequest, "Enter your Meshwork token.", false},
		{"blank", "   ", http.StatusBadRequest, "Enter your Meshwork token.", false},
		{"with a space", "mesh_a b", http.StatusBadRequest, "That is not a Meshwork token.", false},
		{"too long", "mesh_" + strings.Repeat("x", 9000), http.StatusBadRequest, "That is not a Meshwork token.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(m.auditOf(t, "portal.signin"))
			b := m.newBrowser(t)
			pg := b.postNoCSRF(t, "/signin", url.Values{"token": {tt.token}, "next": {"/search"}})
			pg.wantStatus(t, tt.status)
			pg.wantContains(t, tt.msg, `name="token"`, `name="next" value="/search"`)
			if len(pg.Header["Set-Cookie"]) != 0 {
				t.Errorf("a refused sign-in set cookies: %v", pg.Header["Set-Cookie"])
			}
			if len(tt.token) > 10 && strings.Contains(pg.Body, tt.token) {
				t.Error("the refused token is echoed in the page")
			}
			b.get(t, "/").wantRedirect(t, "/signin")
			recs := m.auditOf(t, "portal.signin")[before:]
			switch {
			case tt.denied && (len(recs) != 1 || recs[0].Outcome != audit.Denied || recs[0].Principal != ""):
				t.Errorf("audit = %+v, want one Denied portal.signin without a principal", recs)
			case !tt.denied && len(recs) != 0:
				t.Errorf("audit = %+v, want nothing for a form error", recs)
			}
		})
	}
}

func TestSignInNextStaysOnSite(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	for _, next := range []string{"//evil.com", `/\evil.com`, "https://evil.com", "/\t/evil.com", "/x\r\nSet-Cookie: a=b",
		"/" + strings.Repeat("a", 3000)} {
		b := m.newBrowser(t)
		form := b.get(t, "/signin?next="+url.QueryEscape(next)).wantStatus(t, http.StatusOK)
		form.wantContains(t, `name="next" value="/"`)
		pg := b.postNoCSRF(t, "/signin", url.Values{"token": {m.Tokens[consumerName]}, "next": {next}})
		if loc := pg.wantRedirect(t, "/"); loc != "/" {
			t.Errorf("next=%q: sign-in redirected to %q, want /", next, loc)
		}
	}
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	b := m.signIn(t, consumerName)
	old := b.cookie(sessionCookie)
	if old == nil {
		t.Fatal("no session cookie")
	}

	// Without (or with a wrong) CSRF token sign-out is refused, and the session lives on.
	b.postNoCSRF(t, "/signout", nil).wantStatus(t, http.StatusForbidden)
	b.postNoCSRF(t, "/signout", url.Values{"csrf": {"forged"}}).wantStatus(t, http.StatusForbidden)
	b.get(t, "/").wantStatus(t, http.StatusOK)

	pg := b.post(t, "/signout", nil)
	if loc := pg.wantRedirect(t, "/signin"); loc != "/signin" {
		t.Errorf("sign-out redirected to %q, want /signin", loc)
	}
	if c := findCookie(setCookies(pg), sessionCookie); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("sign-out cookie = %+v, want it deleted", c)
	}
	b.get(t, "/").wantRedirect(t, "/signin")

	// The old cookie, replayed, is no session.
	replay := m.newBrowser(t)
	replay.setCookie(&http.Cookie{Name: sessionCookie, Value: old.Value, Path: "/"})
	replay.get(t, "/search?q=x").wantRedirect(t, "/signin?expired=1")

	recs := m.auditOf(t, "portal.signout")
	if len(recs) != 1 || recs[0].Principal != consumerName || recs[0].Outcome != audit.OK {
		t.Errorf("portal.signout audit = %+v, want one OK record for %s", recs, consumerName)
	}
}

// A cookie value planted before sign-in is never adopted, and a planted
// live session (the attacker's own) ends rather than being shared.
func TestSignInFixation(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	victim := m.newBrowser(t)
	planted := "attacker-chosen-value-0123456789abcdefghijklmnopq"
	victim.setCookie(&http.Cookie{Name: sessionCookie, Value: planted, Path: "/"})
	victim.postNoCSRF(t, "/signin", url.Values{"token": {m.Tokens[consumerName]}}).wantRedirect(t, "/")
	if c := victim.cookie(sessionCookie); c == nil || c.Value == planted {
		t.Fatalf("session cookie after sign-in = %v, want a new value", c)
	}
	attacker := m.newBrowser(t)
	attacker.setCookie(&http.Cookie{Name: sessionCookie, Value: planted, Path: "/"})
	attacker.get(t, "/").wantRedirect(t, "/signin")

	// The attacker signs in, plants their live session id, the victim signs in.
	attacker = m.signIn(t, strangerName)
	theirs := attacker.cookie(sessionCookie).Value
	victim = m.newBrowser(t)
	victim.setCookie(&http.Cookie{Name: sessionCookie, Value: theirs, Path: "/"})
	victim.postNoCSRF(t, "/signin", url.Values{"token": {m.Tokens[consumerName]}}).wantRedirect(t, "/")
	if c := victim.cookie(sessionCookie); c == nil || c.Value == theirs {
		t.Fatalf("the victim's session reuses the planted id")
	}
	victim.get(t, "/").wantContains(t, consumerName)
	pg := attacker.get(t, "/")
	if pg.Status == http.StatusOK && strings.Contains(pg.Body, consumerName) {
		t.Fatal("the attacker's browser is signed in as the victim")
	}
}

func TestSessionEndsWhenTokenRevoked(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t)
	secret, id := m.tokenWithID(t, "rita")
	b := m.signInWith(t, secret)
	m.revoke(t, id)

	// A script's request gets a 401 it can act on, not a redirect.
	pg := b.get(t, "/search?q=orders&fragment=1", "X-Requested-With", "fetch")
	pg.wantStatus(t, http.StatusUnauthorized)
	if ct := pg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var env struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(pg.Body), &env); err != nil || env.Error.Code != "unauthenticated" || env.Error.Message == "" {
		t.Errorf("401 body = %s, want an unauthenticated error envelope", pg.Body)
	}

	// The page goes to sign-in and comes back.
	loc := b.get(t, "/search?q=orders").wantRedirect(t, "/signin?")
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("expired") != "1" || q.Get("next") != "/search?q=orders" {
		t.Errorf("redirect to %q, want expired=1 and next=/search?q=orders", loc)
	}
	b.get(t, loc).wantStatus(t, http.StatusOK).wantContains(t, "Your session has ended", `value="/search?q=orders"`)
}

func TestSessionIdleAndMaxAge(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData(), withPortal(func(c *portal.Config) {
		c.IdleTimeout = 30 * time.Minute
		c.MaxAge = 2 * time.Hour
	}))
	b := m.signIn(t, consumerName)
	m.Clock.Advance(29 * time.Minute)
	b.get(t, "/").wantStatus(t, http.StatusOK)
	m.Clock.Advance(30 * time.Minute)
	b.get(t, "/").wantRedirect(t, "/signin?expired=1")

	b = m.signIn(t, consumerName)
	start := m.Clock.Now()
	for m.Clock.Now().Sub(start) < 2*time.Hour-20*time.Minute {
		m.Clock.Advance(20 * time.Minute)
		b.get(t, "/").wantStatus(t, http.StatusOK)
	}
	m.Clock.Advance(20 * time.Minute) // two hours since sign-in
	b.get(t, "/").wantRedirect(t, "/signin?expired=1")
	// Unauthenticated (no cookie at all) is not "expired".
	if loc := m.newBrowser(t).get(t, "/").wantRedirect(t, "/signin"); loc != "/signin" {
		t.Errorf("no cookie: redirect to %q, want /signin", loc)
	}
}

// Sessions are safe under concurrent sign-ins, pages, sweeps and sign-outs
// (run with -race).
func TestConcurrentSessions(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			who := []string{consumerName, ownerName}[i%2]
			b := m.newBrowser(t)
			if pg := b.postNoCSRF(t, "/signin", url.Values{"token": {m.Tokens[who]}}); pg.Status != http.StatusSeeOther {
				t.Errorf("sign-in = %d", pg.Status)
				return
			}
			for range 5 {
				m.Clock.Advance(15 * time.Second) // a sweep every few requests; 10 min in all, under the idle timeout
				if pg := b.get(t, "/"); pg.Status != http.StatusOK || !strings.Contains(pg.Body, who) {
					t.Errorf("%s: home = %d", who, pg.Status)
					return
				}
			}
			if pg := b.post(t, "/signout", nil); pg.Status != http.StatusSeeOther {
				t.Errorf("sign-out = %d", pg.Status)
			}
		})
	}
	wg.Wait()
}
