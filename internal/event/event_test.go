package event_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/event"
	"github.com/meshwork/meshwork/internal/registry"
)

// fixture is a real store (SQLite) with real grants, and buses over it.
type fixture struct {
	dir string
	cfg event.Config
	acc *access.Store
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := registry.OpenSQLite(filepath.Join(dir, "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	acc, err := access.Open(ctx, db, access.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.AddGrant(ctx, "test", access.Grant{Role: access.RoleConsumer, Subject: "carol", Domain: "sales"}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.AddGrant(ctx, "test", access.Grant{Role: access.RoleOwner, Subject: "olga", Domain: "sales", Product: "orders"}); err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: dir, acc: acc, cfg: event.Config{DB: db, Access: acc, KeyPath: filepath.Join(dir, "event.key"),
		AllowPrivateTargets: true, BackoffBase: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond, Timeout: 2 * time.Second}}
}

func (f *fixture) open(t *testing.T, edit ...func(*event.Config)) *event.Bus {
	t.Helper()
	c := f.cfg
	for _, e := range edit {
		e(&c)
	}
	b, err := event.Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// receiver is a webhook target that records what it gets and answers
// with the codes queued in answers (then 200).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []delivery
	answers []int
	arrived chan struct{}
}

type delivery struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers, arrived: make(chan struct{}, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		code := http.StatusOK
		if len(r.answers) > 0 {
			code, r.answers = r.answers[0], r.answers[1:]
		}
		if code == http.StatusOK {
			r.got = append(r.got, delivery{req.Header.Clone(), body})
		}
		r.mu.Unlock()
		w.WriteHeader(code)
		r.arrived <- struct{}{}
	}))
	t.Cleanup(r.Close)
	return r
}

// wait waits for n delivered requests.
func (r *receiver) wait(t *testing.T, n int) []delivery {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		if len(r.got) >= n {
			out := append([]delivery(nil), r.got...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("the receiver got %d deliveries, want %d", len(r.got), n)
		}
	}
}

// waitLog waits until the subscription's newest delivery has status (the
// outcome is recorded just after the receiver answers) and returns the log.
func waitLog(t *testing.T, b *event.Bus, id, status string) []event.Delivery {
	t.Helper()
	var log []event.Delivery
	for range 500 {
		var err error
		if log, err = b.Deliveries(context.Background(), id, 10); err != nil {
			t.Fatal(err)
		}
		if len(log) > 0 && log[0].Status == status {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return log
}

func subscribe(t *testing.T, b *event.Bus, who access.Principal, url string, types ...string) (*event.Subscription, string) {
	t.Helper()
	s, secret, err := b.Subscribe(context.Background(), who, event.SubscribeRequest{URL: url, Types: types})
	if err != nil {
		t.Fatalf("Subscribe(%s) = %v", url, err)
	}
	return s, secret
}

func TestDeliverySignedCloudEvent(t *testing.T) {
	f := newFixture(t)
	b := f.open(t)
	rcv := newReceiver(t)
	sub, secret := subscribe(t, b, access.Principal{Name: "carol"}, rcv.URL+"/hook", event.Published)
	ctx := context.Background()
	// carol may not read supply: that event is not hers. Emitted first, so
	// that if it were delivered it would arrive before the one she may see.
	if err := b.Emit(ctx, event.Event{Type: event.Published, Domain: "supply", Product: "parts", Table: "part"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Emit(ctx, event.Event{Type: event.GateFailed, Domain: "sales", Product: "orders", Table: "orders"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Emit(ctx, event.Event{Type: event.Published, Domain: "sales", Product: "orders", Table: "orders",
		Data: map[string]any{"snapshotId": 42}}); err != nil {
		t.Fatal(err)
	}
	got := rcv.wait(t, 1)
	if len(got) != 1 {
		t.Fatalf("got %d deliveries, want 1", len(got))
	}
	d := got[0]
	if ct := d.header.Get("Content-Type"); ct != event.ContentType {
		t.Errorf("Content-Type = %q, want %q", ct, event.ContentType)
	}
	if err := event.Verify(secret, d.header.Get("Meshwork-Signature"), d.body, time.Now(), 5*time.Minute); err != nil {
		t.Errorf("Verify(the creation secret) = %v, want nil", err)
	}
	if err := event.Verify(secret+"x", d.header.Get("Meshwork-Signature"), d.body, time.Now(), 5*time.Minute); err == nil {
		t.Errorf("Verify(a wrong secret) = nil, want an error")
	}
	tampered := append([]byte(nil), d.body...)
	tampered[len(tampered)-2] ^= 1
	if err := event.Verify(secret, d.header.Get("Meshwork-Signature"), tampered, time.Now(), 5*time.Minute); err == nil {
		t.Errorf("Verify(a changed body) = nil, want an error")
	}
	var ce map[string]any
	if err := json.Unmarshal(d.body, &ce); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"specversion": "1.0", "type": "io.meshwork.published", "subject": "sales.orders.orders",
		"source": "meshwork://mesh/sales/orders", "datacontenttype": "application/json"} {
		if ce[k] != want {
			t.Errorf("cloudevent[%s] = %v, want %v", k, ce[k], want)
		}
	}
	if data, _ := ce["data"].(map[string]any); data["snapshotId"] != float64(42) {
		t.Errorf("cloudevent data = %v, want snapshotId 42", ce["data"])
	}
	log := waitLog(t, b, sub.ID, "delivered")
	if len(log) != 1 || log[0].Status != "delivered" || log[0].Attempts != 1 || log[0].Type != event.Published {
		t.Errorf("delivery log = %+v, want one delivered published event in 1 attempt", log)
	}
}

func TestRetriesUntilDelivered(t *testing.T) {
	f := newFixture(t)
	b := f.open(t)
	rcv := newReceiver(t, 500, 503)
	sub, _ := subscribe(t, b, access.Principal{Name: "carol"}, rcv.URL, event.Published)
	if err := b.Emit(context.Background(), event.Event{Type: event.Published, Domain: "sales", Product: "orders"}); err != nil {
		t.Fatal(err)
	}
	rcv.wait(t, 1)
	log := waitLog(t, b, sub.ID, "delivered")
	if len(log) != 1 || log[0].Status != "delivered" || log[0].Attempts != 3 || log[0].LastStatus != 200 {
		t.Errorf("delivery log = %+v, want delivered on attempt 3", log)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	f := newFixture(t)
	b := f.open(t, func(c *event.Config) { c.MaxAttempts = 2 })
	rcv := newReceiver(t, 500, 500, 500)
	sub, _ := subscribe(t, b, access.Principal{Name: "carol"}, rcv.URL, event.Published)
	if err := b.Emit(context.Background(), event.Event{Type: event.Published, Domain: "sales", Product: "orders"}); err != nil {
		t.Fatal(err)
	}
	log := waitLog(t, b, sub.ID, "failed")
	if len(log) != 1 || log[0].Status != "failed" || log[0].Attempts != 2 || log[0].LastError != "HTTP 500" {
		t.Errorf("delivery log = %+v, want failed after 2 attempts with HTTP 500", log)
	}
}

// A delivery still pending when the process stops is delivered by the next.
func TestRestartDeliversPending(t *testing.T) {
	f := newFixture(t)
	var up sync.Mutex
	down := true
	got := make(chan []byte, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up.Lock()
		defer up.Unlock()
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer srv.Close()
	slow := func(c *event.Config) { c.BackoffBase, c.BackoffMax = time.Hour, time.Hour }
	b1 := f.open(t, slow)
	sub, _ := subscribe(t, b1, access.Principal{Name: "carol"}, srv.URL, event.Published)
	if err := b1.Emit(context.Background(), event.Event{Type: event.Published, Domain: "sales", Product: "orders"}); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		log, _ := b1.Deliveries(context.Background(), sub.ID, 10)
		if len(log) == 1 && log[0].Attempts == 1 && log[0].Status == "pending" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b1.Close()
	up.Lock()
	down = false
	up.Unlock()
	// The retry is an hour away: only a restart that takes over pending
	// work at once would... not deliver it. Make it due, as time would.
	if _, err := f.cfg.DB.Exec(`UPDATE mesh_deliveries SET next_at = 0`); err != nil {
		t.Fatal(err)
	}
	f.open(t)
	select {
	case body := <-got:
		if !strings.Contains(string(body), `"io.meshwork.published"`) {
			t.Errorf("delivered %s, want the published event", body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the pending delivery was not delivered after the restart")
	}
}

// A delivery claimed by a process that died mid-attempt (its lease set,
// never finished) is taken again once the lease ends.
func TestLeaseOfADeadProcessEnds(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t)
	b1 := f.open(t)
	b1.Close() // no dispatcher: the delivery stays as a dead process left it
	b := f.open(t, func(c *event.Config) { c.Timeout = 50 * time.Millisecond })
	b.Close()
	sub, _, err := b.Subscribe(context.Background(), access.Principal{Name: "carol"}, event.SubscribeRequest{URL: rcv.URL, Types: []string{event.Published}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Emit(context.Background(), event.Event{Type: event.Published, Domain: "sales", Product: "orders"}); err != nil {
		t.Fatal(err)
	}
	// As a claim leaves it: one attempt counted, due when the lease ends.
	if _, err := f.cfg.DB.Exec(`UPDATE mesh_deliveries SET attempts = 1, next_at = ?`, time.Now().Add(300*time.Millisecond).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	b2 := f.open(t)
	rcv.wait(t, 1)
	log, _ := b2.Deliveries(context.Background(), sub.ID, 10)
	if len(log) != 1 || log[0].Attempts < 2 {
		t.Errorf("delivery log = %+v, want the second attempt to deliver", log)
	}
}

func TestSubscribeRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	b := f.open(t, func(c *event.Config) { c.AllowPrivateTargets = false })
	carol := access.Principal{Name: "carol"}
	for _, tc := range []struct {
		name string
		req  event.SubscribeRequest
		msg  string
	}{
		{"ftp", event.SubscribeRequest{URL: "ftp://example.com/x", Types: []string{"published"}}, "url: must be http(s)"},
		{"file", event.SubscribeRequest{URL: "file:///etc/passwd", Types: []string{"published"}}, "url: must be http(s)"},
		{"javascript", event.SubscribeRequest{URL: "javascript:alert(1)", Types: []string{"published"}}, "url: must be http(s)"},
		{"userinfo", event.SubscribeRequest{URL: "http://user:pw@example.com/", Types: []string{"published"}}, "user information"},
		{"long", event.SubscribeRequest{URL: "https://example.com/" + strings.Repeat("a", 3000), Types: []string{"published"}}, "longer than"},
		{"no host", event.SubscribeRequest{URL: "http:///x", Types: []string{"published"}}, "must name a host"},
		{"newline", event.SubscribeRequest{URL: "http://example.com/\nx", Types: []string{"published"}}, "control characters"},
		{"loopback", event.SubscribeRequest{URL: "http://127.0.0.1:9/", Types: []string{"published"}}, "private"},
		{"metadata", event.SubscribeRequest{URL: "http://169.254.169.254/latest", Types: []string{"published"}}, "private"},
		{"private v6", event.SubscribeRequest{URL: "http://[fd00::1]/", Types: []string{"published"}}, "private"},
		{"unknown type", event.SubscribeRequest{URL: "https://example.com/", Types: []string{"exploded"}}, "unknown event type"},
		{"no type", event.SubscribeRequest{URL: "https://example.com/"}, "on: name at least one"},
		{"bad product", event.SubscribeRequest{URL: "https://example.com/", Types: []string{"published"}, Products: []string{"Sales;drop"}}, "products[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := b.Subscribe(context.Background(), carol, tc.req)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Subscribe(%+v) = %v, want Invalid with %q", tc.req, err, tc.msg)
			}
		})
	}
	if subs := b.List(""); len(subs) != 0 {
		t.Errorf("subscriptions after bad input = %+v, want none", subs)
	}
}

// Without the allowance, a name that resolves to a private address is
// refused when dialling, and the attempt is logged.
func TestPrivateTargetRefusedAtDial(t *testing.T) {
	f := newFixture(t)
	b := f.open(t, func(c *event.Config) { c.AllowPrivateTargets = false; c.MaxAttempts = 1 })
	rcv := newReceiver(t)
	// A name (not an address, which Subscribe refuses) that resolves to
	// loopback.
	url := strings.Replace(rcv.URL, "127.0.0.1", "localhost", 1)
	sub, _, err := b.Subscribe(context.Background(), access.Principal{Name: "carol"}, event.SubscribeRequest{URL: url, Types: []string{event.Published}})
	if err != nil {
		t.Fatalf("Subscribe(%s) = %v", url, err)
	}
	if err := b.Emit(context.Background(), event.Event{Type: event.Published, Domain: "sales", Product: "orders"}); err != nil {
		t.Fatal(err)
	}
	log := waitLog(t, b, sub.ID, "failed")
	if len(log) != 1 || log[0].Status != "failed" || !strings.Contains(log[0].LastError, "private") {
		t.Errorf("delivery log = %+v, want failed: private address", log)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.got) != 0 {
		t.Errorf("the private receiver got %d requests, want none", len(rcv.got))
	}
}

// Access requests go only to those who may decide them.
func TestAccessRequestsGoToOwners(t *testing.T) {
	f := newFixture(t)
	b := f.open(t)
	owner, consumer := newReceiver(t), newReceiver(t)
	subscribe(t, b, access.Principal{Name: "olga"}, owner.URL, event.AccessRequested, event.AccessDecided, event.Published)
	subscribe(t, b, access.Principal{Name: "carol"}, consumer.URL, event.AccessRequested, event.AccessDecided, event.Published)
	ctx := context.Background()
	if err := b.Emit(ctx, event.Event{Type: event.AccessRequested, Domain: "sales", Product: "orders"}); err != nil {
		t.Fatal(err)
	}
	// A decision on someone else's request is not a reader's business.
	if err := b.Emit(ctx, event.Event{Type: event.AccessDecided, Domain: "sales", Product: "orders", Requester: "dora"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Emit(ctx, event.Event{Type: event.Published, Domain: "sales", Product: "orders"}); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, d := range owner.wait(t, 3) {
		var ce struct{ Type string }
		_ = json.Unmarshal(d.body, &ce)
		types = append(types, ce.Type)
	}
	slices.Sort(types)
	if want := []string{"io.meshwork.access_decided", "io.meshwork.access_requested", "io.meshwork.published"}; !slices.Equal(types, want) {
		t.Errorf("the owner got %v, want %v", types, want)
	}
	for _, d := range consumer.wait(t, 1) {
		if strings.Contains(string(d.body), "access_requested") || strings.Contains(string(d.body), "access_decided") {
			t.Errorf("a consumer got another's access request or decision: %s", d.body)
		}
	}
}

func TestDeleteDropsPending(t *testing.T) {
	f := newFixture(t)
	b := f.open(t, func(c *event.Config) { c.BackoffBase, c.BackoffMax = time.Hour, time.Hour })
	rcv := newReceiver(t, 500)
	sub, _ := subscribe(t, b, access.Principal{Name: "carol"}, rcv.URL, event.Published)
	if err := b.Emit(context.Background(), event.Event{Type: event.Published, Domain: "sales", Product: "orders"}); err != nil {
		t.Fatal(err)
	}
	<-rcv.arrived
	if err := b.Delete(context.Background(), sub.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(sub.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("Get(deleted) = %v, want NotFound", err)
	}
	if err := b.Delete(context.Background(), sub.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("Delete(deleted) = %v, want NotFound", err)
	}
	var pending int
	if err := f.cfg.DB.QueryRow(`SELECT count(*) FROM mesh_deliveries WHERE status = 'pending'`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Errorf("%d deliveries still pending after the subscription was deleted, want 0", pending)
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://example.com/hook", "http://a:80/", "ftp://x", "http://u:p@x/", "http://[::1]:99/", "//x", "http:x", "HTTP://X/", "http://x:0/", "http://x:99999/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := event.CheckURL(s)
		if err != nil {
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || len(s) > 2048 {
			t.Errorf("CheckURL(%q) accepted %+v", s, u)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1,v1=00", []byte("{}"))
	f.Add("v1=,t=", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		// Only a signature made with the secret verifies.
		if event.Verify("whsec_x", header, body, time.Unix(1, 0), time.Hour) == nil && header != event.Sign("whsec_x", time.Unix(parseT(header), 0), body) {
			t.Errorf("Verify accepted %q for %q", header, body)
		}
	})
}

func parseT(h string) int64 {
	var n int64
	for part := range strings.SplitSeq(h, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
			for _, c := range v {
				if c < '0' || c > '9' {
					return -1
				}
				n = n*10 + int64(c-'0')
			}
		}
	}
	return n
}

func BenchmarkEmit(b *testing.B) {
	f := newFixture(b)
	bus, err := event.Open(context.Background(), f.cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	// Ten subscriptions to a receiver that answers at once.
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for range 10 {
		if _, _, err := bus.Subscribe(context.Background(), access.Principal{Name: "carol"}, event.SubscribeRequest{URL: srv.URL, Types: []string{event.Published}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := bus.Emit(context.Background(), event.Event{Type: event.Published, Domain: "sales", Product: "orders", Table: "orders",
			Data: map[string]any{"runId": "r", "rowsAccepted": 1000}}); err != nil {
			b.Fatal(err)
		}
	}
}
