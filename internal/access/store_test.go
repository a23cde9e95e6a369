package access

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
)

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testEnv struct {
	s     *Store
	db    *sql.DB
	clock *clock
}

// open makes a Store on a fresh database with a settable clock.
func open(t testing.TB, c Config) testEnv {
	t.Helper()
	db, err := registry.OpenSQLite(filepath.Join(t.TempDir(), "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := newClock()
	if c.Now == nil {
		c.Now = clk.Now
	}
	s, err := Open(context.Background(), db, c)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return testEnv{s: s, db: db, clock: clk}
}

// grant adds g as "root" or fails the test.
func (e testEnv) grant(t testing.TB, g Grant) Grant {
	t.Helper()
	out, err := e.s.AddGrant(context.Background(), "root", g)
	if err != nil {
		t.Fatalf("AddGrant(%+v): %v", g, err)
	}
	return out
}

// wantKind fails the test unless err has kind k.
func wantKind(t *testing.T, what string, err error, k errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); err == nil || got != k {
		t.Errorf("%s: error = %v (kind %v), want kind %v", what, err, got, k)
	}
}

func TestOpenTwice(t *testing.T) {
	e := open(t, Config{})
	e.grant(t, Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales"})
	// A second Store on the same database (a restart) sees what the first stored.
	s2, err := Open(context.Background(), e.db, Config{Now: e.clock.Now})
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	if err := s2.Authorize(context.Background(), Principal{Name: "bob"}, ActionRead, Resource{Domain: "sales", Product: "orders"}); err != nil {
		t.Errorf("Authorize after reopening = %v, want nil", err)
	}
}

func TestTimesRoundTrip(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 60, time.FixedZone("x", 3600))
	got, err := parseTime(fmtTime(in))
	if err != nil || !got.Equal(in) || got.Location() != time.UTC {
		t.Errorf("parseTime(fmtTime(%v)) = %v, %v; want %v in UTC", in, got, err, in.UTC())
	}
	// Fixed width, so that text order is time order.
	a, b := fmtTime(time.Date(2026, 1, 1, 0, 0, 0, 100_000_000, time.UTC)), fmtTime(time.Date(2026, 1, 1, 0, 0, 0, 120_000_000, time.UTC))
	if !(a < b) || len(a) != len(b) {
		t.Errorf("fmtTime: %q and %q do not sort as times", a, b)
	}
}
