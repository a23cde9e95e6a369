package portal

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for the session store.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	testIdle   = 30 * time.Minute
	testMaxAge = 12 * time.Hour
)

func newTestSessions() (*sessions, *testClock) {
	c := &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	return newSessions(testIdle, testMaxAge, c.Now), c
}

func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byHash)
}

func TestSessionIdleTimeout(t *testing.T) {
	s, clock := newTestSessions()
	id, _ := s.create("carl", "token", "cred", time.Time{})
	// Each use within the idle timeout keeps the session alive, well past
	// one idle period in total.
	for i := range 4 {
		clock.Advance(testIdle - time.Second)
		if _, ok := s.get(id); !ok {
			t.Fatalf("use %d, %v after the last: session ended, want it alive", i+1, testIdle-time.Second)
		}
	}
	clock.Advance(testIdle)
	if _, ok := s.get(id); ok {
		t.Fatalf("session alive after %v idle, want ended", testIdle)
	}
	if n := s.count(); n != 0 {
		t.Errorf("%d sessions kept after the idle one was refused, want 0", n)
	}
	// Ended means ended: going back in time does not revive it.
	clock.Advance(-testIdle)
	if _, ok := s.get(id); ok {
		t.Error("an ended session came back")
	}
}

func TestSessionMaxAge(t *testing.T) {
	s, clock := newTestSessions()
	id, sess := s.create("carl", "token", "cred", time.Time{})
	if want := clock.Now().Add(testMaxAge); !sess.expires.Equal(want) {
		t.Errorf("expires = %v, want sign-in + max age = %v", sess.expires, want)
	}
	step := testIdle / 2
	var alive time.Duration
	for {
		clock.Advance(step)
		if _, ok := s.get(id); !ok {
			break
		}
		alive += step
		if alive > 2*testMaxAge {
			t.Fatal("a session in constant use never ends")
		}
	}
	if alive+step != testMaxAge {
		t.Errorf("a session in constant use ended after %v, want %v", alive+step, testMaxAge)
	}
}

func TestSessionCredentialExpiry(t *testing.T) {
	s, clock := newTestSessions()
	start := clock.Now()
	tests := []struct {
		name     string
		notAfter time.Time
		want     time.Time
	}{
		{"no expiry", time.Time{}, start.Add(testMaxAge)},
		{"credential ends first", start.Add(time.Hour), start.Add(time.Hour)},
		{"session ends first", start.Add(48 * time.Hour), start.Add(testMaxAge)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, sess := s.create("carl", "oidc", "cred", tt.notAfter)
			if !sess.expires.Equal(tt.want) {
				t.Errorf("expires = %v, want %v", sess.expires, tt.want)
			}
		})
	}
	// A session ends with its credential even while in use.
	id, _ := s.create("carl", "oidc", "cred", start.Add(20*time.Minute))
	clock.Advance(19 * time.Minute)
	if _, ok := s.get(id); !ok {
		t.Fatal("session ended before its credential")
	}
	clock.Advance(time.Minute)
	if _, ok := s.get(id); ok {
		t.Error("session alive when its credential expired")
	}
}

func TestSessionSweep(t *testing.T) {
	s, clock := newTestSessions()
	idle, _ := s.create("idle", "token", "a", time.Time{})
	clock.Advance(20 * time.Minute)
	short, _ := s.create("short", "oidc", "b", clock.Now().Add(5*time.Minute))
	busy, _ := s.create("busy", "token", "c", time.Time{})
	clock.Advance(15 * time.Minute) // idle: 35 min unused; short: past its credential; busy: 15 min
	s.sweep()
	if n := s.count(); n != 1 {
		t.Errorf("after sweep %d sessions, want 1 (busy)", n)
	}
	for name, id := range map[string]string{"idle": idle, "short": short} {
		if _, ok := s.get(id); ok {
			t.Errorf("%s session survived the sweep", name)
		}
	}
	if _, ok := s.get(busy); !ok {
		t.Error("the live session was swept")
	}
}

func TestSessionStoredHashed(t *testing.T) {
	s, _ := newTestSessions()
	id, sess := s.create("carl", "token", "secret-cred", time.Time{})
	if len(id) < 43 {
		t.Errorf("session id %q is shorter than 256 bits of base64", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byHash) != 1 {
		t.Fatalf("%d sessions stored, want 1", len(s.byHash))
	}
	for k, v := range s.byHash {
		if k != sha256.Sum256([]byte(id)) {
			t.Error("the session is not stored under the SHA-256 of its cookie value")
		}
		if bytes.Contains(k[:], []byte(id)) || strings.Contains(string(k[:]), id[:16]) {
			t.Error("the map key holds the cookie value")
		}
		if v != sess {
			t.Error("the stored session is not the one create returned")
		}
		if v.CSRF == id || v.cred == id {
			t.Error("the session holds its own cookie value")
		}
	}
}

func TestSessionGetRefuses(t *testing.T) {
	s, _ := newTestSessions()
	id, _ := s.create("carl", "token", "cred", time.Time{})
	for name, v := range map[string]string{
		"empty":    "",
		"unknown":  randomToken(),
		"too long": id + strings.Repeat("A", 128),
		"prefix":   id[:len(id)-1],
		"hash":     string(func() []byte { h := sha256.Sum256([]byte(id)); return h[:] }()),
	} {
		if _, ok := s.get(v); ok {
			t.Errorf("get(%s) found a session", name)
		}
	}
	s.end(id)
	if _, ok := s.get(id); ok {
		t.Error("get after end found the session")
	}
}

func TestSessionCap(t *testing.T) {
	s, _ := newTestSessions()
	var last string
	for range maxSessions + 5 {
		last, _ = s.create("carl", "token", "cred", time.Time{})
	}
	if n := s.count(); n > maxSessions {
		t.Errorf("%d sessions kept, want at most %d", n, maxSessions)
	}
	if _, ok := s.get(last); !ok {
		t.Error("the newest session was dropped to make room")
	}
}

func TestCSRFTokensDiffer(t *testing.T) {
	s, _ := newTestSessions()
	seen := map[string]bool{}
	for range 50 {
		id, sess := s.create("carl", "token", "cred", time.Time{})
		if len(sess.CSRF) < 43 {
			t.Fatalf("CSRF token %q is shorter than 256 bits of base64", sess.CSRF)
		}
		if seen[sess.CSRF] || sess.CSRF == id {
			t.Fatalf("CSRF token %q repeats", sess.CSRF)
		}
		seen[sess.CSRF], seen[id] = true, true
	}
}

func TestCheckCSRF(t *testing.T) {
	sess := &Session{CSRF: randomToken()}
	other := randomToken()
	tests := []struct {
		name   string
		header string // X-CSRF-Token
		form   string // "": no form field
		query  string // csrf in the URL, never accepted
		want   bool
	}{
		{name: "form field", form: sess.CSRF, want: true},
		{name: "header", header: sess.CSRF, want: true},
		{name: "header and form", header: sess.CSRF, form: sess.CSRF, want: true},
		{name: "missing", want: false},
		{name: "wrong form field", form: other, want: false},
		{name: "wrong header", header: other, want: false},
		{name: "wrong header, right form", header: other, form: sess.CSRF, want: false},
		{name: "prefix", form: sess.CSRF[:20], want: false},
		{name: "longer", form: sess.CSRF + "x", want: false},
		{name: "in the query only", query: sess.CSRF, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "/signout"
			if tt.query != "" {
				target += "?csrf=" + url.QueryEscape(tt.query)
			}
			body := url.Values{}
			if tt.form != "" {
				body.Set("csrf", tt.form)
			}
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.header != "" {
				r.Header.Set("X-CSRF-Token", tt.header)
			}
			if got := checkCSRF(r, sess); got != tt.want {
				t.Errorf("checkCSRF = %v, want %v", got, tt.want)
			}
		})
	}
	// A session without a token (none is ever made, but still) accepts nothing.
	r := httptest.NewRequest(http.MethodPost, "/signout", strings.NewReader("csrf="))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if checkCSRF(r, &Session{}) {
		t.Error("an empty token matched an empty session token")
	}
}
