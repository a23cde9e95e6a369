package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/meshwork/meshwork/internal/freshness"
	"github.com/meshwork/meshwork/internal/policy"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/quality"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
)

func ptr[T any](v T) *T { return &v }

var tbl = &registry.Table{Domain: "sales", Product: "orders", Major: 2, Name: "lines"}

func outcome(status string) publish.Outcome {
	rep := &publish.Report{Status: status, BytesRead: 1000, RowsRead: 10, RowsOK: 9, RowsFailed: 1,
		Contract: []quality.Result{{Name: "rejectedRows", Value: ptr(1.0), Passed: true, Blocking: true}},
		Quality: []quality.Result{
			{Name: "row_count", Metric: "rowCount", Value: ptr(10.0), Passed: true, Blocking: true},
			{Metric: "nullValues", Column: "price", Value: ptr(0.0), Passed: true},
			{Name: "non_negative", Metric: "sql", Value: ptr(2.0), Passed: status != publish.StatusGateFailed, Blocking: true},
		}}
	if status == publish.StatusGateFailed {
		rep.Policy = []policy.Denial{{}}
	}
	start := time.Now()
	return publish.Outcome{Table: tbl, Report: rep, Started: start, Finished: start.Add(1500 * time.Millisecond)}
}

func TestObservePublish(t *testing.T) {
	m := NewMetrics()
	ctx := context.Background()
	m.ObservePublish(ctx, outcome(publish.StatusCommitted))
	m.ObservePublish(ctx, outcome(publish.StatusGateFailed))
	m.ObservePublish(ctx, publish.Outcome{}) // nothing to say: ignored
	l := []string{"sales", "orders", "v2", "lines"}
	with := func(v ...string) []string { return append(append([]string{}, l...), v...) }
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"runs committed", testutil.ToFloat64(m.publishRuns.WithLabelValues(with("committed")...)), 1},
		{"runs gate_failed", testutil.ToFloat64(m.publishRuns.WithLabelValues(with("gate_failed")...)), 1},
		{"rows accepted (committed runs only)", testutil.ToFloat64(m.publishRows.WithLabelValues(with("accepted")...)), 9},
		{"rows rejected", testutil.ToFloat64(m.publishRows.WithLabelValues(with("rejected")...)), 2},
		{"bytes", testutil.ToFloat64(m.publishBytes.WithLabelValues(l...)), 2000},
		{"quality gate", testutil.ToFloat64(m.gateFailures.WithLabelValues(with("quality")...)), 1},
		{"policy gate", testutil.ToFloat64(m.gateFailures.WithLabelValues(with("policy")...)), 1},
		{"contract gate", testutil.ToFloat64(m.gateFailures.WithLabelValues(with("contract")...)), 0},
		{"rule value", testutil.ToFloat64(m.ruleValue.WithLabelValues(with("non_negative")...)), 2},
		{"rule passed (latest run)", testutil.ToFloat64(m.rulePassed.WithLabelValues(with("non_negative")...)), 0},
		{"unnamed rule", testutil.ToFloat64(m.rulePassed.WithLabelValues(with("nullValues:price")...)), 1},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(m.publishDuration); n != 2 {
		t.Errorf("publish duration series = %d, want 2 (committed, gate_failed)", n)
	}
}

func TestObserveQueryAndHTTP(t *testing.T) {
	m := NewMetrics()
	ctx := context.Background()
	for _, r := range []query.Record{
		{Door: query.DoorHTTP, Rows: 5, Duration: time.Millisecond},
		{Door: query.DoorPGWire, Rows: 1, Err: errors.New("boom")},
		{Door: query.DoorPGWire, Err: context.DeadlineExceeded},
		{Door: "smoke signals", Err: context.Canceled},
	} {
		m.ObserveQuery(ctx, r)
	}
	// ok, error, timeout and canceled; an unknown door is "other".
	if n := testutil.CollectAndCount(m.queryDuration); n != 4 {
		t.Fatalf("query duration series = %d, want 4", n)
	}
	if n := testutil.CollectAndCount(m.queryRows); n != 3 {
		t.Errorf("query rows series = %d, want 3 (http, pgwire, other)", n)
	}
	if got := testutil.ToFloat64(m.queryRows.WithLabelValues("http")); got != 5 {
		t.Errorf("query rows{http} = %v, want 5", got)
	}
	m.ObserveHTTP("GET", "GET /api/v1/products", 200, time.Millisecond)
	m.ObserveHTTP("BREW", "", 401, time.Millisecond)
	if got := testutil.ToFloat64(m.httpRequests.WithLabelValues("other", "none", "401")); got != 1 {
		t.Errorf("http requests{other,none,401} = %v, want 1: unknown methods and unrouted requests get fixed labels", got)
	}
}

func TestObserveFreshnessForgetsGoneTables(t *testing.T) {
	m := NewMetrics()
	ctx := context.Background()
	age := 42.0
	a := freshness.TableStatus{Domain: "d", Product: "p", Major: 1, Table: "a", Status: freshness.Late, AgeSeconds: &age}
	b := freshness.TableStatus{Domain: "d", Product: "p", Major: 1, Table: "b", Status: freshness.Never}
	m.ObserveFreshness(ctx, []freshness.TableStatus{a, b})
	if got := testutil.ToFloat64(m.freshLag.WithLabelValues("d", "p", "v1", "a")); got != 42 {
		t.Errorf("lag{a} = %v, want 42", got)
	}
	if got := testutil.ToFloat64(m.freshStatus.WithLabelValues("d", "p", "v1", "b", "never")); got != 1 {
		t.Errorf("status{b,never} = %v, want 1", got)
	}
	m.ObserveFreshness(ctx, []freshness.TableStatus{b})
	if n := testutil.CollectAndCount(m.freshLag); n != 0 {
		t.Errorf("lag series after a is gone = %d, want 0", n)
	}
	if n := testutil.CollectAndCount(m.freshStatus); n != len(freshness.Statuses) {
		t.Errorf("status series after a is gone = %d, want %d (b's)", n, len(freshness.Statuses))
	}
	m.ObserveBreach(ctx, freshness.Breach{Domain: "d", Product: "p", Major: 1, Table: "b", Status: freshness.Never})
	if got := testutil.ToFloat64(m.breaches.WithLabelValues("d", "p", "v1", "b", "never")); got != 1 {
		t.Errorf("breaches{b,never} = %v, want 1", got)
	}
}

func TestContextHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(ContextHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	ctx := WithRequestID(context.Background(), "req-1")
	log.InfoContext(ctx, "with id")
	log.WithGroup("g").InfoContext(ctx, "grouped", "k", "v")
	log.InfoContext(context.Background(), "without id")
	log.Info("no context")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{"req-1", "req-1", "", ""}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		id, _ := rec["requestId"].(string)
		if g, ok := rec["g"].(map[string]any); ok && id == "" {
			id, _ = g["requestId"].(string)
		}
		if id != want[i] {
			t.Errorf("line %d %s: requestId = %q, want %q", i, line, id, want[i])
		}
	}
	if RequestID(ctx) != "req-1" || RequestID(context.Background()) != "" {
		t.Errorf("RequestID = %q, %q; want req-1 and empty", RequestID(ctx), RequestID(context.Background()))
	}
	if h := ContextHandler(ContextHandler(slog.DiscardHandler)); h.(*contextHandler).next != slog.DiscardHandler {
		t.Errorf("ContextHandler wraps twice")
	}
}

// BenchmarkObservePublish measures the metrics hook per publish outcome,
// next to what every publish already does with its report (encode it to
// JSON for the registry) as the reference: x-report is the hook's cost as a
// multiple of that.
func BenchmarkObservePublish(b *testing.B) {
	ctx := context.Background()
	// The reference runs first, as a sub-benchmark (testing.Benchmark
	// cannot run inside a benchmark); its last run's ns/op is the divisor.
	var refNs float64
	b.Run("reference=marshal-report", func(b *testing.B) {
		b.ReportAllocs()
		o := outcome(publish.StatusCommitted)
		for b.Loop() {
			if _, err := json.Marshal(o.Report); err != nil {
				b.Fatal(err)
			}
		}
		refNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	for _, status := range []string{publish.StatusCommitted, publish.StatusGateFailed} {
		b.Run(status, func(b *testing.B) {
			b.ReportAllocs()
			m := NewMetrics()
			o := outcome(status)
			for b.Loop() {
				m.ObservePublish(ctx, o)
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if refNs > 0 {
				b.ReportMetric(ns/refNs, "x-report")
			}
		})
	}
}
