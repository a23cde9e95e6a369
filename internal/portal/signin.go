package portal

import (
	"net/http"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
)

// signInData is the sign-in page's.
type signInData struct {
	Next    string
	Expired bool
	OIDC    bool
}

func (p *Portal) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.render(w, r, http.StatusOK, "signin", "", pageData{Title: "Sign in",
		Data: signInData{Next: safeNext(q.Get("next")), Expired: q.Get("expired") == "1", OIDC: p.oidc != nil}})
}

// handleSignIn signs in with a token: the API's own authentication decides.
func (p *Portal) handleSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	next := safeNext(r.PostFormValue("next"))
	token := strings.TrimSpace(r.PostFormValue("token"))
	again := func(code int, msg string) {
		p.render(w, r, code, "signin", "", pageData{Title: "Sign in",
			Error: &APIError{Status: code, Code: "unauthenticated", Message: msg},
			Data:  signInData{Next: next, OIDC: p.oidc != nil}})
	}
	if token == "" {
		again(http.StatusBadRequest, "Enter your Meshwork token.")
		return
	}
	if len(token) > 8<<10 || strings.ContainsAny(token, " \t\r\n") {
		again(http.StatusBadRequest, "That is not a Meshwork token.")
		return
	}
	pr, err := p.access.AuthenticateHeader(r.Context(), "Bearer "+token)
	if err != nil {
		_, msg, _ := errs.Public(err)
		p.audit.Append(audit.Event{Action: "portal.signin", Resource: "portal", Outcome: audit.Denied},
			map[string]string{"reason": msg, "remote": r.RemoteAddr})
		again(http.StatusUnauthorized, "The token was not accepted: it is unknown, revoked or expired.")
		return
	}
	p.startSession(w, r, pr, token, time.Time{}, next)
}

// startSession signs pr in with cred and sends the browser to next.
func (p *Portal) startSession(w http.ResponseWriter, r *http.Request, pr access.Principal, cred string, notAfter time.Time, next string) {
	// A previous session of this browser ends: a new sign-in never reuses
	// an id that someone may have planted (session fixation).
	if c, err := r.Cookie(p.cookieName()); err == nil {
		p.sess.end(c.Value)
	}
	id, sess := p.sess.create(pr.Name, pr.Via, cred, notAfter)
	http.SetCookie(w, &http.Cookie{Name: p.cookieName(), Value: id, Path: "/", HttpOnly: true, Secure: p.secure,
		SameSite: http.SameSiteLaxMode, Expires: sess.expires})
	p.audit.Append(audit.Event{Principal: pr.Name, Action: "portal.signin", Resource: "portal", Outcome: audit.OK},
		map[string]string{"via": pr.Via, "remote": r.RemoteAddr})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *Portal) handleSignOut(w http.ResponseWriter, r *http.Request, v *view) {
	if c, err := r.Cookie(p.cookieName()); err == nil {
		p.sess.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: p.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: p.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	p.audit.Append(audit.Event{Principal: v.Session.Principal, Action: "portal.signout", Resource: "portal", Outcome: audit.OK}, nil)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
