package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/freshness"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/registry"
)

const (
	goodItems = "item_id,name,price,country,qty\n1,apple,1.50,DE,10\n2,pear,2.25,FR,\n3,plum,0.99,DE,5\n"
	negItems  = "item_id,name,price,country,qty\n9,neg,-1.00,FR,2\n" // breaks only the quality rule non_negative_price
)

// scrape gets /metrics as e's principal and parses the text exposition.
func (e *env) scrape(tb testing.TB) map[string]*dto.MetricFamily {
	tb.Helper()
	r := e.do(tb, "GET", "/metrics", nil)
	r.wantStatus(tb, "GET /metrics", http.StatusOK)
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		tb.Fatalf("GET /metrics: not the text exposition format: %v\n%s", err, clip(r.body))
	}
	return mfs
}

// sample finds the series of family name whose labels include want, and
// returns its value (a histogram's sample count); ok is false if none.
func sample(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (v float64, ok bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, w := range want {
			if got[k] != w {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func itemLabels(extra ...string) map[string]string {
	l := map[string]string{"domain": "retail", "product": "shop", "major": "v1", "table": "items"}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

func TestMetricsAfterPublishesAndQueries(t *testing.T) {
	e := newEnv(t, func(c *platform.Config) { c.FreshnessInterval = 0 })
	ctx := context.Background()
	e.applyFiles(t, "shop.yaml")
	e.mustPublish(t, "retail.shop.items", "append", ctCSV, []byte(goodItems))
	bad := e.publish(t, "retail.shop.items", "append", ctCSV, []byte(negItems))
	bad.wantStatus(t, "publish a negative price", http.StatusUnprocessableEntity)

	if got := e.query(t, "SELECT item_id FROM retail.shop.items ORDER BY item_id").text(); len(got) != 3 {
		t.Fatalf("HTTP query = %d rows, want 3", len(got))
	}
	// The same through the PostgreSQL wire protocol.
	wire, err := e.p.PGWire(platform.PGWireConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go wire.Serve(ln)
	defer wire.Close()
	h, port, _ := net.SplitHostPort(ln.Addr().String())
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%s user=admin password=%s dbname=mesh sslmode=disable", h, port, e.token))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM retail.shop.items").Scan(&n); err != nil || n != 3 {
		t.Fatalf("pgwire count = %d, %v; want 3", n, err)
	}
	conn.Close(ctx)
	if _, err := e.p.Freshness.Check(ctx); err != nil {
		t.Fatal(err)
	}
	e.do(t, "GET", "/iceberg/v1/config", nil)

	mfs := e.scrape(t)
	publishRoute := "POST /api/v1/products/{domain}/{product}/tables/{table}/publish"
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"mesh_publish_runs_total", itemLabels("status", "committed"), 1},
		{"mesh_publish_runs_total", itemLabels("status", "gate_failed"), 1},
		{"mesh_publish_duration_seconds", itemLabels("status", "committed"), 1},
		{"mesh_publish_gate_failures_total", itemLabels("gate", "quality"), 1},
		{"mesh_publish_rows_total", itemLabels("outcome", "accepted"), 3},
		{"mesh_publish_rows_total", itemLabels("outcome", "rejected"), 0},
		{"mesh_publish_bytes_total", itemLabels(), float64(len(goodItems) + len(negItems))},
		{"mesh_quality_rule_passed", itemLabels("rule", "non_negative_price"), 0}, // the latest gated run failed it
		{"mesh_quality_rule_value", itemLabels("rule", "non_negative_price"), 1},
		{"mesh_query_duration_seconds", map[string]string{"door": "http", "outcome": "ok"}, 1},
		{"mesh_query_duration_seconds", map[string]string{"door": "pgwire", "outcome": "ok"}, 1},
		{"mesh_query_rows_total", map[string]string{"door": "http"}, 3},
		{"mesh_query_rows_total", map[string]string{"door": "pgwire"}, 1},
		{"mesh_freshness_status", itemLabels("status", "fresh"), 1},
		{"mesh_freshness_status", itemLabels("status", "late"), 0},
		{"mesh_http_requests_total", map[string]string{"method": "POST", "route": publishRoute, "code": "200"}, 1},
		{"mesh_http_requests_total", map[string]string{"method": "POST", "route": publishRoute, "code": "422"}, 1},
		{"mesh_http_requests_total", map[string]string{"method": "POST", "route": "POST /api/v1/query", "code": "200"}, 1},
		{"mesh_http_requests_total", map[string]string{"method": "GET", "route": "/iceberg/", "code": "200"}, 1},
		{"mesh_http_request_duration_seconds", map[string]string{"method": "POST", "route": "POST /api/v1/query"}, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.name, tt.labels), func(t *testing.T) {
			got, ok := sample(mfs, tt.name, tt.labels)
			if !ok || got != tt.want {
				t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
			}
		})
	}
	for _, name := range []string{"mesh_freshness_lag_seconds", "go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := sample(mfs, name, nil); !ok {
			t.Errorf("GET /metrics has no %s", name)
		}
	}
	if _, ok := sample(mfs, "mesh_publish_gate_failures_total", itemLabels("gate", "contract")); ok {
		t.Errorf("mesh_publish_gate_failures_total{gate=contract} exists, want none: only the quality rule failed")
	}
	// Route labels are patterns, never raw paths.
	for _, m := range mfs["mesh_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && strings.Contains(l.GetValue(), "retail") {
				t.Errorf("route label %q holds a raw path", l.GetValue())
			}
		}
	}
}

func TestMetricsNeedAnAdmin(t *testing.T) {
	e := newEnv(t, func(c *platform.Config) { c.FreshnessInterval = 0 })
	e.applyFiles(t, "shop.yaml")
	consumer := e.principal(t, "carol", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "retail", Product: "shop"})
	tests := []struct {
		name string
		e    *env
		want int
	}{
		{"no credential", e.as(""), http.StatusUnauthorized},
		{"a bad token", e.as("mesh_not-a-token"), http.StatusUnauthorized},
		{"a consumer", consumer, http.StatusForbidden},
		{"the admin", e, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.e.do(t, "GET", "/metrics", nil)
			if r.status != tt.want {
				t.Errorf("GET /metrics as %s = %d, want %d\n%s", tt.name, r.status, tt.want, clip(r.body))
			}
			if tt.want != http.StatusOK && bytes.Contains(r.body, []byte("mesh_")) {
				t.Errorf("GET /metrics as %s leaked metrics", tt.name)
			}
		})
	}
}

func TestFreshnessAPI(t *testing.T) {
	e := newEnv(t, func(c *platform.Config) { c.FreshnessInterval = 0 })
	ctx := context.Background()
	e.applyFiles(t, "shop.yaml", "geo.yaml")
	e.mustPublish(t, "retail.shop.items", "append", ctCSV, []byte(goodItems))

	// Two days later, seen by a monitor with its clock moved on over the
	// same store: the geo tables were never published.
	db, err := registry.OpenSQLite(filepath.Join(e.cfg.Data, "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, err := registry.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	later, err := freshness.New(ctx, freshness.Config{DB: db, Registry: reg, Now: func() time.Time { return time.Now().Add(48 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := later.Check(ctx); err != nil {
		t.Fatal(err)
	}

	var fr struct {
		Tables []freshness.TableStatus `json:"tables"`
	}
	r := e.do(t, "GET", "/api/v1/freshness?domain=retail&product=shop", nil)
	r.wantStatus(t, "GET /api/v1/freshness", http.StatusOK)
	r.decode(t, "freshness", &fr)
	if len(fr.Tables) != 1 || fr.Tables[0].Status != freshness.Fresh || fr.Tables[0].AgeSeconds == nil || fr.Tables[0].SLA == nil ||
		fr.Tables[0].SLA.Text != "frequency 1 day" || fr.Tables[0].Due == nil {
		t.Fatalf("GET /api/v1/freshness?domain=retail&product=shop = %s, want items fresh with an age, the SLA and a due time", clip(r.body))
	}
	r = e.do(t, "GET", "/api/v1/freshness?status=late", nil)
	r.decode(t, "freshness", &fr)
	if len(fr.Tables) != 0 {
		t.Errorf("GET /api/v1/freshness?status=late = %d tables, want 0", len(fr.Tables))
	}

	var br struct {
		Breaches []freshness.Breach `json:"breaches"`
	}
	r = e.do(t, "GET", "/api/v1/sla/breaches?open=true", nil)
	r.wantStatus(t, "GET /api/v1/sla/breaches", http.StatusOK)
	r.decode(t, "breaches", &br)
	var geo, shop int
	for _, b := range br.Breaches {
		switch {
		case b.Domain == "retail":
			shop++
		case b.Status == freshness.Never && b.ResolvedAt == nil:
			geo++
		}
	}
	if shop != 1 || geo == 0 {
		t.Errorf("GET /api/v1/sla/breaches?open=true = %s, want items late (two days past a daily SLA) and never-published tables", clip(r.body))
	}

	// A consumer of retail.shop sees only its breaches and statuses.
	carol := e.principal(t, "carol", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "retail", Product: "shop"})
	r = carol.do(t, "GET", "/api/v1/sla/breaches", nil)
	r.decode(t, "breaches", &br)
	for _, b := range br.Breaches {
		if b.Domain != "retail" {
			t.Errorf("carol sees the breach of %s.%s.%s, which she may not read", b.Domain, b.Product, b.Table)
		}
	}
	r = carol.do(t, "GET", "/api/v1/freshness", nil)
	r.decode(t, "freshness", &fr)
	if len(fr.Tables) != 1 || fr.Tables[0].Domain != "retail" {
		t.Errorf("carol's GET /api/v1/freshness = %s, want retail.shop.items only", clip(r.body))
	}

	bad := []struct{ path, field string }{
		{"/api/v1/freshness?status=rotten", "status"},
		{"/api/v1/freshness?domain=Retail", "domain"},
		{"/api/v1/freshness?product=shop", "domain"},
		{"/api/v1/sla/breaches?open=maybe", "open"},
		{"/api/v1/sla/breaches?domain=a%27b", "domain"},
	}
	for _, b := range bad {
		t.Run(b.path, func(t *testing.T) {
			r := e.do(t, "GET", b.path, nil)
			d := r.wantError(t, "GET "+b.path, http.StatusBadRequest, "invalid", "")
			if det, _ := d.Details.(map[string]any); det["field"] != b.field {
				t.Errorf("GET %s error details = %v, want field %q", b.path, d.Details, b.field)
			}
		})
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestLogsCarryRequestIDsAndNoSecrets(t *testing.T) {
	logs := &syncBuffer{}
	e := newEnv(t, func(c *platform.Config) {
		c.FreshnessInterval = 0
		c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e.applyFiles(t, "shop.yaml")
	carol := e.principal(t, "carol", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "retail", Product: "shop"})
	pub := e.publish(t, "retail.shop.items", "append", ctCSV, []byte(goodItems), "X-Request-Id", "pub-123")
	pub.wantStatus(t, "publish", http.StatusOK)
	carol.query(t, "SELECT count(*) FROM retail.shop.items")
	missing := carol.do(t, "GET", "/api/v1/products/retail/nope", nil)
	e.as("mesh_wrong-secret").do(t, "GET", "/api/v1/products", nil, "Authorization", "Bearer mesh_wrong-secret")

	byMsg := map[string][]map[string]any{}
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		msg, _ := rec["msg"].(string)
		byMsg[msg] = append(byMsg[msg], rec)
	}
	want := []struct{ msg, id string }{
		{"published", "pub-123"},
		{"request failed", missing.header.Get("X-Request-Id")},
	}
	for _, w := range want {
		recs := byMsg[w.msg]
		if len(recs) == 0 {
			t.Errorf("no %q log line", w.msg)
			continue
		}
		found := false
		for _, rec := range recs {
			found = found || rec["requestId"] == w.id
		}
		if !found {
			t.Errorf("%q log lines = %v, want one with requestId %q", w.msg, recs, w.id)
		}
	}
	all := logs.String()
	for _, secret := range []string{e.token, carol.token, "mesh_wrong-secret", "Bearer"} {
		if strings.Contains(all, secret) {
			t.Errorf("the logs hold a credential (%.12s...)", secret)
		}
	}
}
