package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/event"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/platform"
)

// hook is a webhook receiver recording CloudEvents' types and bodies.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
	got    chan struct{}
}

func newHook(t *testing.T) *hook {
	h := &hook{got: make(chan struct{}, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.sigs = append(h.sigs, r.Header.Get("Meshwork-Signature"))
		h.mu.Unlock()
		h.got <- struct{}{}
	}))
	t.Cleanup(h.Close)
	return h
}

// waitType waits for an event of type typ and returns its body and signature.
func (h *hook) waitType(t *testing.T, typ string) ([]byte, string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		h.mu.Lock()
		for i, b := range h.bodies {
			if strings.Contains(string(b), `"type":"io.meshwork.`+typ+`"`) {
				sig := h.sigs[i]
				h.mu.Unlock()
				return b, sig
			}
		}
		h.mu.Unlock()
		select {
		case <-h.got:
		case <-deadline:
			t.Fatalf("no %s event arrived", typ)
		}
	}
}

func (h *hook) types() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.bodies {
		var ce struct{ Type string }
		_ = json.Unmarshal(b, &ce)
		out = append(out, ce.Type)
	}
	return out
}

type subscribed struct {
	Subscription event.Subscription `json:"subscription"`
	Secret       string             `json:"secret"`
}

func (e *env) subscribe(t testing.TB, url string, on []string, products ...string) subscribed {
	t.Helper()
	r := e.sendJSON(t, "POST", "/api/v1/subscriptions", event.SubscribeRequest{URL: url, Types: on, Products: products})
	r.wantStatus(t, "POST /api/v1/subscriptions", http.StatusCreated)
	var s subscribed
	r.decode(t, "subscription", &s)
	if s.Secret == "" || s.Subscription.ID == "" {
		t.Fatalf("subscription %+v: want an id and a secret", s)
	}
	return s
}

func TestWebhooks(t *testing.T) {
	e := newEnv(t, func(c *platform.Config) { c.WebhookAllowPrivate = true })
	e.applyFiles(t, "shop.yaml")
	carl := e.principal(t, "carl", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "retail"})
	olive := e.principal(t, "olive", httpapi.GrantRequest{Role: access.RoleOwner, Domain: "retail", Product: "shop"})
	dan := e.principal(t, "dan")

	consumerHook, ownerHook := newHook(t), newHook(t)
	sub := carl.subscribe(t, consumerHook.URL, []string{event.Published, event.GateFailed}, "retail.shop")
	olive.subscribe(t, ownerHook.URL, []string{event.AccessRequested})
	// dan may read nothing: his subscription is accepted but gets nothing.
	danHook := newHook(t)
	dan.subscribe(t, danHook.URL, []string{event.Published})

	// A receiver that hangs must not hold up publishing.
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer hanging.Close()
	defer close(release)
	e.subscribe(t, hanging.URL, []string{event.Published})

	e.mustPublish(t, "retail.shop.items", "append", ctCSV, []byte("item_id,name,price,qty\n1,apple,1.50,10\n2,pear,2.00,20\n"))
	body, sig := consumerHook.waitType(t, event.Published)
	if err := event.Verify(sub.Secret, sig, body, time.Now(), time.Minute); err != nil {
		t.Errorf("the published event's signature: %v", err)
	}
	var ce struct {
		Subject string         `json:"subject"`
		Data    map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &ce); err != nil {
		t.Fatal(err)
	}
	if ce.Subject != "retail.shop.items" || ce.Data["status"] != "committed" || ce.Data["rowsAccepted"] != float64(2) || ce.Data["snapshotId"] == nil {
		t.Errorf("published event = %s, want subject retail.shop.items, committed, 2 rows, a snapshot id", body)
	}

	// A gate failure (prices are never negative) is an event too.
	r := e.publish(t, "retail.shop.items", "append", ctCSV, []byte("item_id,name,price\n3,plum,-1\n"))
	r.wantStatus(t, "publish a bad row", http.StatusUnprocessableEntity)
	body, _ = consumerHook.waitType(t, event.GateFailed)
	if !strings.Contains(string(body), `"failedChecks"`) {
		t.Errorf("gate_failed event = %s, want its failed checks", body)
	}

	// An access request reaches the product's owner.
	dan.sendJSON(t, "POST", "/api/v1/access-requests", httpapi.AccessRequestBody{Domain: "retail", Product: "shop", Purpose: "stock report"}).
		wantStatus(t, "request access", http.StatusCreated)
	body, _ = ownerHook.waitType(t, event.AccessRequested)
	if !strings.Contains(string(body), `"stock report"`) {
		t.Errorf("access_requested event = %s, want the purpose", body)
	}

	// The delivery log, for the owner of the subscription and admins only.
	var log struct{ Deliveries []event.Delivery }
	for range 200 {
		carl.do(t, "GET", "/api/v1/subscriptions/"+sub.Subscription.ID+"/deliveries", nil).decode(t, "deliveries", &log)
		if len(log.Deliveries) == 2 && log.Deliveries[0].Status == "delivered" && log.Deliveries[1].Status == "delivered" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(log.Deliveries) != 2 || log.Deliveries[0].Type != event.GateFailed || log.Deliveries[0].Status != "delivered" {
		t.Errorf("carl's delivery log = %+v, want gate_failed then published, delivered", log.Deliveries)
	}
	dan.do(t, "GET", "/api/v1/subscriptions/"+sub.Subscription.ID, nil).wantStatus(t, "another's subscription", http.StatusNotFound)
	dan.do(t, "DELETE", "/api/v1/subscriptions/"+sub.Subscription.ID, nil).wantStatus(t, "delete another's subscription", http.StatusNotFound)
	e.do(t, "GET", "/api/v1/subscriptions/"+sub.Subscription.ID, nil).wantStatus(t, "an admin reads any subscription", http.StatusOK)
	var mine struct{ Subscriptions []event.Subscription }
	carl.do(t, "GET", "/api/v1/subscriptions", nil).decode(t, "subscriptions", &mine)
	if len(mine.Subscriptions) != 1 || mine.Subscriptions[0].ID != sub.Subscription.ID {
		t.Errorf("carl's subscriptions = %+v, want only his", mine.Subscriptions)
	}
	if types := danHook.types(); len(types) != 0 {
		t.Errorf("dan, who may read nothing, got %v", types)
	}
	carl.do(t, "DELETE", "/api/v1/subscriptions/"+sub.Subscription.ID, nil).wantStatus(t, "unsubscribe", http.StatusNoContent)
	carl.do(t, "GET", "/api/v1/subscriptions/"+sub.Subscription.ID, nil).wantStatus(t, "after unsubscribing", http.StatusNotFound)
}

func TestWebhookBadInput(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, body, msg string
	}{
		{"ftp", `{"url":"ftp://example.com/","on":["published"]}`, "url: must be http(s)"},
		{"file", `{"url":"file:///etc/passwd","on":["published"]}`, "url: must be http(s)"},
		{"loopback", `{"url":"http://127.0.0.1:8080/","on":["published"]}`, "private"},
		{"unknown type", `{"url":"https://example.com/","on":["exploded"]}`, "unknown event type"},
		{"unknown field", `{"url":"https://example.com/","on":["published"],"secret":"mine"}`, "secret"},
		{"not json", `url=https://example.com/`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/subscriptions", strings.NewReader(tc.body), "Content-Type", "application/json")
			d := r.wantError(t, "POST /api/v1/subscriptions "+tc.name, http.StatusBadRequest, "invalid", "")
			if !strings.Contains(d.Message, tc.msg) {
				t.Errorf("message %q, want it to contain %q", d.Message, tc.msg)
			}
		})
	}
	var all struct{ Subscriptions []event.Subscription }
	e.do(t, "GET", "/api/v1/subscriptions", nil).decode(t, "subscriptions", &all)
	if len(all.Subscriptions) != 0 {
		t.Errorf("subscriptions after bad input = %+v, want none", all.Subscriptions)
	}
	e.as("").do(t, "POST", "/api/v1/subscriptions", strings.NewReader(`{"url":"https://example.com/","on":["published"]}`)).
		wantStatus(t, "subscribe without a token", http.StatusUnauthorized)
}
