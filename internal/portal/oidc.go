package portal

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
)

// OIDCLogin configures sign-in through an OpenID Connect provider with the
// authorization code flow and PKCE. The ID token it yields is the session's
// credential, so the API must accept it: its OIDC issuer must be Issuer and
// its audience ClientID.
type OIDCLogin struct {
	Issuer       string
	ClientID     string
	ClientSecret string   // "": a public client (PKCE only)
	RedirectURL  string   // e.g. https://mesh.example.com/signin/oidc/callback
	Scopes       []string // default openid, profile, email, groups
}

type oidcLogin struct {
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier
	mu       sync.Mutex
	pending  map[string]pendingLogin // by state
}

type pendingLogin struct {
	verifier, nonce, next string
	expires               time.Time
}

const (
	oidcCookie     = "mesh_oidc"
	oidcMaxPending = 10_000
	oidcPendingTTL = 10 * time.Minute
)

func newOIDCLogin(ctx context.Context, c OIDCLogin) (*oidcLogin, error) {
	const op = "portal.New"
	if c.ClientID == "" || c.RedirectURL == "" {
		return nil, errs.E(errs.Invalid, op, "OIDC sign-in needs a client id and a redirect URL")
	}
	prov, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, err, "OIDC discovery for issuer %s failed", c.Issuer)
	}
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", "groups"}
	}
	return &oidcLogin{
		conf: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Endpoint: prov.Endpoint(), Scopes: scopes},
		verifier: prov.Verifier(&oidc.Config{ClientID: c.ClientID}),
		pending:  map[string]pendingLogin{},
	}, nil
}

// handleOIDCStart sends the browser to the provider with a fresh state,
// nonce and PKCE verifier, remembered server-side and bound to this
// browser by a short-lived cookie.
func (p *Portal) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	if p.oidc == nil {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	o := p.oidc
	state, nonce, ver := randomToken(), randomToken(), oauth2.GenerateVerifier()
	now := p.now()
	o.mu.Lock()
	for k, v := range o.pending {
		if now.After(v.expires) || len(o.pending) >= oidcMaxPending {
			delete(o.pending, k)
		}
	}
	o.pending[state] = pendingLogin{verifier: ver, nonce: nonce, next: safeNext(r.URL.Query().Get("next")), expires: now.Add(oidcPendingTTL)}
	o.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: state, Path: "/signin/oidc", HttpOnly: true, Secure: p.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(oidcPendingTTL.Seconds())})
	http.Redirect(w, r, o.conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(ver)), http.StatusFound)
}

// handleOIDCCallback finishes the flow: the state must match this
// browser's, the code is exchanged with the PKCE verifier, and the ID
// token must verify with the expected nonce; then the API's own
// authentication maps it to a principal.
func (p *Portal) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	if p.oidc == nil {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	o := p.oidc
	refuse := func(reason string, err error) {
		p.log.InfoContext(r.Context(), "OIDC sign-in refused: "+reason, "err", err)
		p.audit.Append(audit.Event{Action: "portal.signin", Resource: "portal", Outcome: audit.Denied},
			map[string]string{"via": "oidc", "reason": reason, "remote": r.RemoteAddr})
		p.render(w, r, http.StatusUnauthorized, "signin", "", pageData{Title: "Sign in",
			Error: &APIError{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "Sign-in with your identity provider failed: " + reason + "."},
			Data:  signInData{Next: "/", OIDC: true}})
	}
	q := r.URL.Query()
	state := q.Get("state")
	c, err := r.Cookie(oidcCookie)
	if err != nil || state == "" || c.Value != state {
		refuse("the sign-in did not start in this browser", err)
		return
	}
	o.mu.Lock()
	pl, ok := o.pending[state]
	delete(o.pending, state)
	o.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/signin/oidc", MaxAge: -1, HttpOnly: true, Secure: p.secure})
	if !ok || p.now().After(pl.expires) {
		refuse("the sign-in took too long", nil)
		return
	}
	if e := q.Get("error"); e != "" {
		refuse("the provider answered "+clip(e, 64), nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	tok, err := o.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pl.verifier))
	if err != nil {
		refuse("the code could not be exchanged", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		refuse("the provider sent no ID token", nil)
		return
	}
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		refuse("the ID token did not verify", err)
		return
	}
	if idt.Nonce != pl.nonce {
		refuse("the ID token's nonce does not match", nil)
		return
	}
	pr, err := p.access.AuthenticateHeader(ctx, "Bearer "+raw)
	if err != nil {
		refuse("Meshwork does not accept this provider's tokens", err)
		return
	}
	p.startSession(w, r, pr, raw, idt.Expiry, pl.next)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
