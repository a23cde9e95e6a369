package portal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
)

// Config wires the portal to the API it is a client of.
type Config struct {
	API    http.Handler // the REST API (httpapi.Server), called in process
	Access *access.Store
	Audit  *audit.Log // sign-ins and sign-outs are audited here
	Logger *slog.Logger
	OIDC   OIDCLogin // sign-in through an OpenID Connect provider; zero: tokens only
	// IdleTimeout ends a session not used for this long (default 30 min);
	// MaxAge ends any session this long after sign-in (default 12 h).
	IdleTimeout time.Duration
	MaxAge      time.Duration
	// Secure marks the session cookie Secure (and names it __Host-...): set
	// when the portal is served over TLS or behind a TLS proxy.
	Secure bool
	Now    func() time.Time // tests; default time.Now
}

// Portal serves the web UI.
type Portal struct {
	api      http.Handler
	access   *access.Store
	audit    *audit.Log
	log      *slog.Logger
	oidc     *oidcLogin
	sess     *sessions
	secure   bool
	now      func() time.Time
	mux      *http.ServeMux
	cop      *http.CrossOriginProtection
	pages    *pages
	history  *histories
	sweepMu  sync.Mutex
	lastSwep time.Time
}

// New returns the portal. ctx bounds OIDC discovery.
func New(ctx context.Context, c Config) (*Portal, error) {
	if c.API == nil || c.Access == nil || c.Audit == nil {
		return nil, errors.New("portal: API, Access and Audit are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 12 * time.Hour
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	p := &Portal{api: c.API, access: c.Access, audit: c.Audit, log: c.Logger.With("component", "portal"),
		sess: newSessions(c.IdleTimeout, c.MaxAge, c.Now), secure: c.Secure, now: c.Now, mux: http.NewServeMux(),
		cop: http.NewCrossOriginProtection(), pages: pg, history: newHistories()}
	if c.OIDC.Issuer != "" {
		if p.oidc, err = newOIDCLogin(ctx, c.OIDC); err != nil {
			return nil, err
		}
	}
	p.routes()
	return p, nil
}

func (p *Portal) routes() {
	p.mux.Handle("GET /static/", staticHandler())
	p.mux.HandleFunc("GET /signin", p.handleSignInForm)
	p.mux.HandleFunc("POST /signin", p.handleSignIn)
	p.mux.HandleFunc("GET /signin/oidc", p.handleOIDCStart)
	p.mux.HandleFunc("GET /signin/oidc/callback", p.handleOIDCCallback)
	p.mux.HandleFunc("POST /signout", p.action(p.handleSignOut))
	p.mux.HandleFunc("GET /{$}", p.page(p.handleHome))
	p.mux.HandleFunc("GET /search", p.page(p.handleSearch))
	p.productRoutes()
	p.accessRoutes()
	p.ownerRoutes()
	p.workspaceRoutes()
	p.mux.HandleFunc("/", p.page(func(w http.ResponseWriter, r *http.Request, v *view) {
		p.fail(w, r, v, &APIError{Status: http.StatusNotFound, Code: "not_found", Message: "There is no such page."})
	}))
}

// securityHeaders are sent with every answer.
func (p *Portal) securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// ServeHTTP serves one portal request.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.securityHeaders(w.Header())
	if err := p.cop.Check(r); err != nil {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return
	}
	p.maybeSweep()
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(error); ok && errors.Is(e, http.ErrAbortHandler) {
				panic(v)
			}
			p.log.ErrorContext(r.Context(), "panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	p.mux.ServeHTTP(w, r)
}

func (p *Portal) maybeSweep() {
	p.sweepMu.Lock()
	defer p.sweepMu.Unlock()
	if now := p.now(); now.Sub(p.lastSwep) > time.Minute {
		p.lastSwep = now
		p.sess.sweep()
	}
}

// view is what every page handler gets: the session, an API client with
// its credential and what the principal may do.
type view struct {
	Session *Session
	Me      Me
	api     client
}

// Me is the signed-in principal as the API's whoami describes it.
type Me struct {
	Principal access.Principal `json:"principal"`
	Admin     bool             `json:"admin"`
	May       map[string]struct {
		All    bool              `json:"all"`
		Scopes []access.Resource `json:"scopes"`
	} `json:"may"`
}

// Can reports whether the principal may take action on domain (and
// product, "" for the whole domain), as the server would decide.
func (m Me) Can(action, domain, product string) bool {
	s, ok := m.May[action]
	if !ok {
		return false
	}
	if s.All {
		return true
	}
	for _, r := range s.Scopes {
		if r.Domain == domain && (r.Product == "" || r.Product == product) {
			return true
		}
	}
	return false
}

// CanAnywhere reports whether the principal may take action somewhere.
func (m Me) CanAnywhere(action string) bool {
	s := m.May[action]
	return s.All || len(s.Scopes) > 0
}

// pageFunc handles a page for a signed-in principal.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *view)

// page requires a live session: without one (or when the API no longer
// accepts its credential) the browser goes to sign-in and comes back.
func (p *Portal) page(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := p.viewOf(w, r)
		if !ok {
			return
		}
		fn(w, r, v)
	}
}

// action is page for state-changing requests: it also checks the CSRF token.
func (p *Portal) action(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := p.viewOf(w, r)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if !checkCSRF(r, v.Session) {
			p.fail(w, r, v, &APIError{Status: http.StatusForbidden, Code: "forbidden",
				Message: "The form has expired or did not come from this site. Reload the page and try again."})
			return
		}
		fn(w, r, v)
	}
}

func (p *Portal) viewOf(w http.ResponseWriter, r *http.Request) (*view, bool) {
	c, err := r.Cookie(p.cookieName())
	var sess *Session
	ok := false
	if err == nil {
		sess, ok = p.sess.get(c.Value)
	}
	if !ok {
		p.toSignIn(w, r, err == nil)
		return nil, false
	}
	v := &view{Session: sess, api: client{api: p.api, cred: sess.cred, ctx: r.Context()}}
	if err := v.api.call("GET", "/api/v1/whoami", nil, nil, &v.Me); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
			p.sess.end(c.Value)
			p.toSignIn(w, r, true)
			return nil, false
		}
		p.log.ErrorContext(r.Context(), "whoami failed", "err", err)
		http.Error(w, "the API is unavailable", http.StatusServiceUnavailable)
		return nil, false
	}
	return v, true
}

// toSignIn sends the browser to sign-in, remembering where it was going.
// Scripts (fetch) get a 401 instead of a redirect they would follow blindly.
func (p *Portal) toSignIn(w http.ResponseWriter, r *http.Request, expired bool) {
	q := url.Values{}
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		q.Set("next", r.URL.RequestURI())
	}
	if expired {
		q.Set("expired", "1")
	}
	if r.Header.Get("X-Requested-With") == "fetch" || strings.HasPrefix(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"unauthenticated","message":"Your session has ended. Sign in again."}}`))
		return
	}
	target := "/signin"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (p *Portal) cookieName() string {
	if p.secure {
		return secureCookieName
	}
	return cookieName
}

// safeNext keeps a post-sign-in destination on this site. Browsers drop
// tabs and line breaks from a Location and read \ as /, so "/\t/evil.com"
// would be //evil.com: no control character or backslash is let through.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || len(next) > 2048 ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	return next
}
