package portal_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/portal"
)

const (
	idpClientID    = "meshwork-portal"
	idpRedirectURL = "https://mesh.example/signin/oidc/callback"
	idpKID         = "k1"
)

var (
	idpKeyOnce sync.Once
	idpKey     *rsa.PrivateKey
)

// fakeIdP is an OpenID Connect provider on loopback, as
// internal/access/oidc_test.go fakes one (discovery document and JWKS),
// plus the authorization code flow: /auth hands out single-use codes bound
// to the PKCE challenge, /token checks the verifier and issues an RS256 ID
// token carrying the nonce.
type fakeIdP struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu    sync.Mutex
	codes map[string]authReq
	// What the next ID tokens say; change under mu.
	sub       string
	groups    []string
	ttl       time.Duration
	nonceFunc func(asked string) string // nil: the nonce asked for
}

type authReq struct {
	challenge, nonce, redirect string
}

func newFakeIdP(t testing.TB) *fakeIdP {
	t.Helper()
	idpKeyOnce.Do(func() {
		var err error
		if idpKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	p := &fakeIdP{key: idpKey, codes: map[string]authReq{}, sub: "alice", groups: []string{"analysts"}, ttl: time.Hour}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSONTo(w, map[string]any{
			"issuer":                                p.srv.URL,
			"jwks_uri":                              p.srv.URL + "/keys",
			"authorization_endpoint":                p.srv.URL + "/auth",
			"token_endpoint":                        p.srv.URL + "/token",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported":      []string{"S256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSONTo(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &p.key.PublicKey, KeyID: idpKID, Algorithm: string(jose.RS256), Use: "sig"},
		}})
	})
	mux.HandleFunc("GET /auth", p.handleAuth)
	mux.HandleFunc("POST /token", p.handleToken)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func writeJSONTo(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// handleAuth "signs the user in" at once and sends the browser back with a code.
func (p *fakeIdP) handleAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != idpClientID || q.Get("response_type") != "code" || q.Get("redirect_uri") != idpRedirectURL ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.codes[code] = authReq{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
	p.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	http.Redirect(w, r, idpRedirectURL+"?"+back.Encode(), http.StatusFound)
}

// handleToken exchanges a code (once) for an ID token, checking PKCE.
func (p *fakeIdP) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request")
		return
	}
	client := r.PostForm.Get("client_id")
	if u, _, ok := r.BasicAuth(); ok {
		client, _ = url.QueryUnescape(u)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ar, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || client != idpClientID:
		oauthError(w, "invalid_client")
		return
	case !ok || r.PostForm.Get("redirect_uri") != ar.redirect:
		oauthError(w, "invalid_grant")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != ar.challenge:
		oauthError(w, "invalid_grant") // PKCE: the verifier does not match the challenge
		return
	}
	nonce := ar.nonce
	if p.nonceFunc != nil {
		nonce = p.nonceFunc(nonce)
	}
	now := time.Now()
	idt, err := p.sign(map[string]any{"iss": p.srv.URL, "aud": idpClientID, "sub": p.sub, "groups": p.groups,
		"nonce": nonce, "iat": now.Unix(), "exp": now.Add(p.ttl).Unix()})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSONTo(w, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": int(p.ttl.Seconds()), "id_token": idt})
}

func (p *fakeIdP) sign(claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: idpKID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func (p *fakeIdP) set(f func(*fakeIdP)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// withOIDC makes the API accept the provider's ID tokens and lets people
// sign in to the portal through it.
func withOIDC(p *fakeIdP) meshOption {
	return func(o *meshOptions) {
		withPlatform(func(c *platform.Config) {
			c.OIDC = access.OIDCConfig{Issuer: p.srv.URL, Audience: idpClientID}
		})(o)
		withPortal(func(c *portal.Config) {
			c.OIDC = portal.OIDCLogin{Issuer: p.srv.URL, ClientID: idpClientID, RedirectURL: idpRedirectURL}
		})(o)
	}
}

// oidcStart begins an OIDC sign-in in b and returns the provider URL the
// portal sent the browser to.
func oidcStart(t *testing.T, b *browser, next string) *url.URL {
	t.Helper()
	pg := b.get(t, "/signin/oidc?next="+url.QueryEscape(next))
	u, err := url.Parse(pg.wantRedirect(t, "http"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// authorize has the provider approve the request and returns the
// portal-relative callback path with the code and state.
func (p *fakeIdP) authorize(t *testing.T, authURL *url.URL) string {
	t.Helper()
	c := p.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(authURL.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("provider /auth = %d, want 302", res.StatusCode)
	}
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back.Path + "?" + back.RawQuery
}

// oidcSignIn runs the whole flow in a new browser and returns it signed in.
func (p *fakeIdP) oidcSignIn(t *testing.T, m *testMesh, next string) (*browser, page) {
	t.Helper()
	b := m.newBrowser(t)
	cb := p.authorize(t, oidcStart(t, b, next))
	return b, b.get(t, cb)
}

func TestOIDCSignIn(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	m := newTestMesh(t, withOIDC(idp))
	m.grant(t, access.RoleConsumer, "group:analysts", "sales", "")

	m.newBrowser(t).get(t, "/signin?next=/search").wantContains(t, `href="/signin/oidc?next=%2fsearch"`)

	b := m.newBrowser(t)
	auth := oidcStart(t, b, "/search?q=orders")
	if got := auth.Scheme + "://" + auth.Host + auth.Path; got != idp.srv.URL+"/auth" {
		t.Fatalf("sent to %q, want the provider's authorization endpoint", got)
	}
	q := auth.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": idpClientID, "redirect_uri": idpRedirectURL,
		"code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	if !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		t.Errorf("scope = %q, want openid", q.Get("scope"))
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 43 {
			t.Errorf("%s = %q, want 256 random bits", k, q.Get(k))
		}
	}
	sc := findCookie(b.lastCookies(t, "/signin/oidc/callback"), "mesh_oidc")
	if sc == nil || sc.Value != q.Get("state") {
		t.Fatalf("state cookie = %v, want the state", sc)
	}
	// Each start is fresh.
	q2 := oidcStart(t, m.newBrowser(t), "/").Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == q2.Get(k) {
			t.Errorf("two sign-ins share the %s", k)
		}
	}

	pg := b.get(t, idp.authorize(t, auth))
	if loc := pg.wantRedirect(t, "/"); loc != "/search?q=orders" {
		t.Errorf("callback redirected to %q, want /search?q=orders", loc)
	}
	if c := findCookie(setCookies(pg), "mesh_oidc"); c == nil || c.MaxAge >= 0 {
		t.Errorf("the state cookie is not deleted: %v", c)
	}
	home := b.get(t, "/").wantStatus(t, http.StatusOK)
	home.wantContains(t, `title="signed in with oidc">alice`, "sales.orders")
	home.wantLacks(t, "hr.payroll")

	recs := m.auditOf(t, "portal.signin")
	if len(recs) != 1 || recs[0].Principal != "alice" || recs[0].Outcome != audit.OK || !strings.Contains(string(recs[0].Details), `"oidc"`) {
		t.Errorf("portal.signin audit = %+v, want one OK record for alice via oidc", recs)
	}
}

// refusedOIDC checks a callback page refused the sign-in with reason.
func refusedOIDC(t *testing.T, b *browser, pg page, reason string) {
	t.Helper()
	pg.wantStatus(t, http.StatusUnauthorized)
	pg.wantContains(t, html.EscapeString("Sign-in with your identity provider failed: "+reason))
	if c := findCookie(setCookies(pg), sessionCookie); c != nil {
		t.Errorf("a refused sign-in set a session cookie")
	}
	b.get(t, "/").wantRedirect(t, "/signin")
}

func TestOIDCRefusals(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	m := newTestMesh(t, withOIDC(idp), withoutData())

	t.Run("wrong state", func(t *testing.T) {
		b := m.newBrowser(t)
		cb := idp.authorize(t, oidcStart(t, b, "/"))
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged")
		refusedOIDC(t, b, b.get(t, u.Path+"?"+q.Encode()), "the sign-in did not start in this browser")
	})
	t.Run("another browser's callback", func(t *testing.T) {
		// Login CSRF: the attacker's own callback URL, opened by the victim.
		cb := idp.authorize(t, oidcStart(t, m.newBrowser(t), "/"))
		victim := m.newBrowser(t)
		refusedOIDC(t, victim, victim.get(t, cb), "the sign-in did not start in this browser")
	})
	t.Run("no state", func(t *testing.T) {
		b := m.newBrowser(t)
		oidcStart(t, b, "/")
		refusedOIDC(t, b, b.get(t, "/signin/oidc/callback?code=x"), "the sign-in did not start in this browser")
	})
	t.Run("replayed state", func(t *testing.T) {
		b := m.newBrowser(t)
		auth := oidcStart(t, b, "/")
		state := auth.Query().Get("state")
		cb := idp.authorize(t, auth)
		b.get(t, cb).wantRedirect(t, "/")
		// The same callback again, state cookie and all.
		again := m.newBrowser(t)
		again.setCookie(&http.Cookie{Name: "mesh_oidc", Value: state, Path: "/signin/oidc"})
		refusedOIDC(t, again, again.get(t, cb), "the sign-in took too long")
	})
	t.Run("nonce mismatch", func(t *testing.T) {
		idp.set(func(p *fakeIdP) { p.nonceFunc = func(string) string { return "another-nonce" } })
		defer idp.set(func(p *fakeIdP) { p.nonceFunc = nil })
		b, pg := idp.oidcSignIn(t, m, "/")
		refusedOIDC(t, b, pg, "the ID token's nonce does not match")
	})
	t.Run("no nonce", func(t *testing.T) {
		idp.set(func(p *fakeIdP) { p.nonceFunc = func(string) string { return "" } })
		defer idp.set(func(p *fakeIdP) { p.nonceFunc = nil })
		b, pg := idp.oidcSignIn(t, m, "/")
		refusedOIDC(t, b, pg, "the ID token's nonce does not match")
	})
	t.Run("code of another sign-in", func(t *testing.T) {
		// Code injection: a code issued for another PKCE challenge.
		b := m.newBrowser(t)
		mine, _ := url.Parse(idp.authorize(t, oidcStart(t, b, "/")))
		theirs, _ := url.Parse(idp.authorize(t, oidcStart(t, m.newBrowser(t), "/")))
		q := mine.Query()
		q.Set("code", theirs.Query().Get("code"))
		refusedOIDC(t, b, b.get(t, mine.Path+"?"+q.Encode()), "the code could not be exchanged")
	})
	t.Run("provider error", func(t *testing.T) {
		b := m.newBrowser(t)
		state := oidcStart(t, b, "/").Query().Get("state")
		pg := b.get(t, "/signin/oidc/callback?"+url.Values{"state": {state}, "error": {"access_denied"}}.Encode())
		refusedOIDC(t, b, pg, "the provider answered access_denied")
	})
	t.Run("too slow", func(t *testing.T) {
		b := m.newBrowser(t)
		cb := idp.authorize(t, oidcStart(t, b, "/"))
		m.Clock.Advance(11 * time.Minute)
		refusedOIDC(t, b, b.get(t, cb), "the sign-in took too long")
	})
	t.Run("principal Meshwork refuses", func(t *testing.T) {
		idp.set(func(p *fakeIdP) { p.sub = "auth0|123" }) // not a valid principal name
		defer idp.set(func(p *fakeIdP) { p.sub = "alice" })
		b, pg := idp.oidcSignIn(t, m, "/")
		refusedOIDC(t, b, pg, "Meshwork does not accept this provider's tokens")
	})

	for _, e := range m.auditOf(t, "portal.signin") {
		if e.Outcome != audit.Denied {
			if e.Outcome != audit.OK || e.Principal != "alice" {
				t.Errorf("unexpected portal.signin record %+v", e)
			}
		}
	}
	if n := len(m.auditOf(t, "portal.signin")); n < 9 {
		t.Errorf("%d portal.signin records, want every refusal audited", n)
	}
}

// The session ends when the ID token it runs on expires.
func TestOIDCSessionEndsWithIDToken(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	idp.set(func(p *fakeIdP) { p.ttl = 20 * time.Minute })
	m := newTestMesh(t, withOIDC(idp), withoutData())
	b, pg := idp.oidcSignIn(t, m, "/")
	pg.wantRedirect(t, "/")
	if c := findCookie(setCookies(pg), sessionCookie); c == nil || c.Expires.After(time.Now().Add(21*time.Minute)) {
		t.Errorf("session cookie %v: want it to expire with the ID token", c)
	}
	m.Clock.Advance(15 * time.Minute)
	b.get(t, "/").wantStatus(t, http.StatusOK)
	m.Clock.Advance(6 * time.Minute) // 21 min: past the ID token, though used 6 min ago
	b.get(t, "/").wantRedirect(t, "/signin?expired=1")
}

// lastCookies returns the browser's cookies sent to path.
func (b *browser) lastCookies(t *testing.T, path string) []*http.Cookie {
	t.Helper()
	u, err := url.Parse(b.base + path)
	if err != nil {
		t.Fatal(err)
	}
	return b.c.Jar.Cookies(u)
}
