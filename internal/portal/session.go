package portal

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// cookieName names the session cookie. The __Host- prefix (only over TLS)
// pins it to this host and path "/".
const (
	cookieName       = "mesh_session"
	secureCookieName = "__Host-mesh_session"
	maxSessions      = 10_000
)

// Session is one signed-in browser.
type Session struct {
	Principal string // the principal's name, for display and history
	Via       string // token or oidc
	CSRF      string // the token every state-changing request must carry
	cred      string // the bearer credential the API is called with; never logged
	created   time.Time
	seen      time.Time
	expires   time.Time // absolute: the session's or the credential's end, whichever is first
}

// sessions keeps sessions in memory under the SHA-256 of their cookie
// value, so a memory dump or a log never yields a usable cookie.
type sessions struct {
	mu     sync.Mutex
	byHash map[[32]byte]*Session
	idle   time.Duration
	maxAge time.Duration
	now    func() time.Time
}

func newSessions(idle, maxAge time.Duration, now func() time.Time) *sessions {
	return &sessions{byHash: map[[32]byte]*Session{}, idle: idle, maxAge: maxAge, now: now}
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for a principal signed in with cred; notAfter
// (zero: none) is when the credential itself expires. It returns the
// cookie value.
func (s *sessions) create(principal, via, cred string, notAfter time.Time) (string, *Session) {
	now := s.now()
	sess := &Session{Principal: principal, Via: via, CSRF: randomToken(), cred: cred, created: now, seen: now,
		expires: now.Add(s.maxAge)}
	if !notAfter.IsZero() && notAfter.Before(sess.expires) {
		sess.expires = notAfter
	}
	id := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byHash) >= maxSessions {
		s.sweepLocked(now)
		for h := range s.byHash { // still full: drop an arbitrary one
			if len(s.byHash) < maxSessions {
				break
			}
			delete(s.byHash, h)
		}
	}
	s.byHash[sha256.Sum256([]byte(id))] = sess
	return id, sess
}

// get returns the live session of a cookie value and marks it seen.
func (s *sessions) get(id string) (*Session, bool) {
	if id == "" || len(id) > 128 {
		return nil, false
	}
	h := sha256.Sum256([]byte(id))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byHash[h]
	if !ok {
		return nil, false
	}
	if !now.Before(sess.expires) || now.Sub(sess.seen) >= s.idle {
		delete(s.byHash, h)
		return nil, false
	}
	sess.seen = now
	return sess, true
}

// end forgets a session.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byHash, sha256.Sum256([]byte(id)))
}

func (s *sessions) sweepLocked(now time.Time) {
	for h, sess := range s.byHash {
		if !now.Before(sess.expires) || now.Sub(sess.seen) >= s.idle {
			delete(s.byHash, h)
		}
	}
}

// sweep drops expired sessions; the portal calls it now and then.
func (s *sessions) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(s.now())
}

// checkCSRF reports whether the request carries the session's CSRF token,
// in the form field "csrf" or the X-CSRF-Token header.
func checkCSRF(r *http.Request, sess *Session) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}
