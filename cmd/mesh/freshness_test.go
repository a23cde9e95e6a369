package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/observe"
)

func TestFreshness(t *testing.T) {
	_, admin := server(t)
	mustMesh(t, admin, "apply", "-f", "testdata/specs")
	out := mustMesh(t, admin, "freshness", "retail")
	rows := fields(out)
	if len(rows) != 2 || rows[0][0] != "TABLE" || rows[1][0] != "retail.shop@v1.orders" || rows[1][1] != "fresh" || rows[1][3] != "never" {
		t.Fatalf("mesh freshness retail (before any publish) =\n%s\nwant orders fresh (not yet due), never published", out)
	}
	mustMesh(t, admin, "publish", "retail.shop.orders", writeFile(t, "o.csv", "order_id,customer,amount\n1,ada,1\n"))
	out = mustMesh(t, admin, "freshness", "retail.shop", "--format", "json")
	var res struct {
		Tables []struct {
			Address, Status string
			AgeSeconds      *float64
			SLA             struct{ Text string }
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("mesh freshness --format json = %q: %v", out, err)
	}
	if len(res.Tables) != 1 || res.Tables[0].Status != "fresh" || res.Tables[0].AgeSeconds == nil || res.Tables[0].SLA.Text != "frequency 1 day" {
		t.Errorf("mesh freshness retail.shop --format json = %s, want orders fresh with an age and the SLA", out)
	}
	if out := mustMesh(t, admin, "freshness", "--status", "late"); len(fields(out)) != 1 {
		t.Errorf("mesh freshness --status late =\n%s\nwant the header only", out)
	}
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"freshness", "--status", "rotten"}, "status"},
		{[]string{"freshness", "a.b.c"}, "usage"},
		{[]string{"freshness", "--format", "xml"}, "--format"},
	}
	for _, b := range bad {
		code, _, errOut := mesh(t, admin, b.args...)
		if code == 0 || !strings.Contains(errOut, b.want) {
			t.Errorf("mesh %v = exit %d, stderr %q; want a failure naming %q", b.args, code, errOut, b.want)
		}
	}
}

func TestMetricsListener(t *testing.T) {
	m := observe.NewMetrics()
	m.ObserveHTTP("GET", "GET /healthz", 200, 0)
	errc := make(chan error, 1)
	addr, stop, err := serveMetrics("127.0.0.1:0", m.Handler(), slog.New(slog.DiscardHandler), errc)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tests := []struct {
		path string
		want int
		body string
	}{
		{"/metrics", http.StatusOK, `mesh_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`},
		{"/api/v1/products", http.StatusNotFound, ""}, // only the metrics are served here
	}
	for _, tt := range tests {
		res, err := http.Get("http://" + addr + tt.path) // no credential: this listener has none
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.want || !strings.Contains(string(body), tt.body) {
			t.Errorf("GET %s = %d, want %d with %q\n%.500s", tt.path, res.StatusCode, tt.want, tt.body, body)
		}
	}
}
