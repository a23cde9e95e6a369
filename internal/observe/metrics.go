package observe

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/meshwork/meshwork/internal/freshness"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/quality"
	"github.com/meshwork/meshwork/internal/query"
)

// tableLabels name a table: its domain, product, major and name.
var tableLabels = []string{"domain", "product", "major", "table"}

// Metrics are the platform's Prometheus metrics, on a registry of their own.
type Metrics struct {
	reg *prometheus.Registry

	publishDuration *prometheus.HistogramVec
	publishRuns     *prometheus.CounterVec
	publishRows     *prometheus.CounterVec
	publishBytes    *prometheus.CounterVec
	gateFailures    *prometheus.CounterVec

	queryDuration *prometheus.HistogramVec
	queryRows     *prometheus.CounterVec

	ruleValue  *prometheus.GaugeVec
	rulePassed *prometheus.GaugeVec

	freshLag    *prometheus.GaugeVec
	freshStatus *prometheus.GaugeVec
	breaches    *prometheus.CounterVec

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	// mu guards fresh: the tables the freshness gauges have series for, so
	// that a table gone (dropped, retired) loses its series at the next check.
	mu    sync.Mutex
	fresh map[[4]string]bool
}

// NewMetrics returns the metrics, registered (with the Go runtime and
// process collectors) on a new registry.
func NewMetrics() *Metrics {
	seconds := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		publishDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mesh_publish_duration_seconds",
			Help: "Duration of publish runs, by table and outcome.", Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900}},
			append(tableLabels[:4:4], "status")),
		publishRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mesh_publish_runs_total",
			Help: "Publish runs by table and status (committed, gate_failed, stale, failed, unknown)."}, append(tableLabels[:4:4], "status")),
		publishRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mesh_publish_rows_total",
			Help: "Rows of publish runs by table and outcome: accepted (committed runs only) or rejected."}, append(tableLabels[:4:4], "outcome")),
		publishBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mesh_publish_bytes_total",
			Help: "Bytes read by publish runs, by table."}, tableLabels),
		gateFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mesh_publish_gate_failures_total",
			Help: "Publish runs refused by a gate, by table and gate (contract, quality, policy); a run can fail several."}, append(tableLabels[:4:4], "gate")),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mesh_query_duration_seconds",
			Help: "Query latency by door (http, pgwire) and outcome (ok, error, canceled, timeout).", Buckets: seconds}, []string{"door", "outcome"}),
		queryRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mesh_query_rows_total",
			Help: "Rows returned by queries, by door."}, []string{"door"}),
		ruleValue: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mesh_quality_rule_value",
			Help: "The value a contract rule measured at the table's latest gated publish run."}, append(tableLabels[:4:4], "rule")),
		rulePassed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mesh_quality_rule_passed",
			Help: "1 if the contract rule passed at the table's latest gated publish run, else 0."}, append(tableLabels[:4:4], "rule")),
		freshLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mesh_freshness_lag_seconds",
			Help: "Seconds since the table's last successful publish, as of the latest freshness check."}, tableLabels),
		freshStatus: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mesh_freshness_status",
			Help: "1 for the table's freshness status (fresh, late, stale, never, none) as of the latest check, 0 for the others."}, append(tableLabels[:4:4], "status")),
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mesh_sla_breaches_total",
			Help: "Freshness SLA breaches opened, by table and status (late, stale, never)."}, append(tableLabels[:4:4], "status")),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mesh_http_requests_total",
			Help: "HTTP requests by method, route pattern and status code."}, []string{"method", "route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mesh_http_request_duration_seconds",
			Help: "HTTP request duration by method and route pattern.", Buckets: seconds}, []string{"method", "route"}),
		fresh: map[[4]string]bool{},
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.publishDuration, m.publishRuns, m.publishRows, m.publishBytes, m.gateFailures,
		m.queryDuration, m.queryRows, m.ruleValue, m.rulePassed,
		m.freshLag, m.freshStatus, m.breaches, m.httpRequests, m.httpDuration)
	return m
}

// Registry is the registry the metrics are on, to gather or add to.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func major(n int) string { return "v" + strconv.Itoa(n) }

// ObservePublish records one publish run (a publish hook).
func (m *Metrics) ObservePublish(_ context.Context, o publish.Outcome) {
	if o.Table == nil || o.Report == nil {
		return
	}
	t, rep := o.Table, o.Report
	d, p, v, n := t.Domain, t.Product, major(t.Major), t.Name
	status := rep.Status
	if status == "" {
		status = "unknown"
	}
	m.publishRuns.WithLabelValues(d, p, v, n, status).Inc()
	m.publishDuration.WithLabelValues(d, p, v, n, status).Observe(o.Finished.Sub(o.Started).Seconds())
	m.publishBytes.WithLabelValues(d, p, v, n).Add(float64(max(rep.BytesRead, 0)))
	if status == publish.StatusCommitted {
		m.publishRows.WithLabelValues(d, p, v, n, "accepted").Add(float64(max(rep.RowsOK, 0)))
	}
	m.publishRows.WithLabelValues(d, p, v, n, "rejected").Add(float64(max(rep.RowsFailed, 0)))
	if status == publish.StatusGateFailed {
		contract := len(rep.Problems) > 0 || quality.Failed(rep.Contract)
		qual := quality.Failed(rep.Quality)
		pol := len(rep.Policy) > 0
		if !contract && !qual && !pol {
			contract = true // refused for a reason the report does not itemize: the contract's
		}
		for gate, failed := range map[string]bool{"contract": contract, "quality": qual, "policy": pol} {
			if failed {
				m.gateFailures.WithLabelValues(d, p, v, n, gate).Inc()
			}
		}
	}
	for _, rs := range [][]quality.Result{rep.Contract, rep.Quality} {
		for _, r := range rs {
			rule := ruleName(r)
			if r.Value != nil {
				m.ruleValue.WithLabelValues(d, p, v, n, rule).Set(*r.Value)
			}
			passed := 0.0
			if r.Passed {
				passed = 1
			}
			m.rulePassed.WithLabelValues(d, p, v, n, rule).Set(passed)
		}
	}
}

// ruleName is a rule's label: its name in the contract, or its metric and
// column.
func ruleName(r quality.Result) string {
	if r.Name != "" {
		return r.Name
	}
	if r.Column != "" {
		return r.Metric + ":" + r.Column
	}
	return r.Metric
}

// ObserveQuery records one query (a query hook).
func (m *Metrics) ObserveQuery(_ context.Context, r query.Record) {
	door := r.Door
	switch door {
	case query.DoorHTTP, query.DoorPGWire:
	default:
		door = "other"
	}
	outcome := "ok"
	switch {
	case r.Err == nil:
	case errors.Is(r.Err, context.DeadlineExceeded):
		outcome = "timeout"
	case errors.Is(r.Err, context.Canceled):
		outcome = "canceled"
	default:
		outcome = "error"
	}
	m.queryDuration.WithLabelValues(door, outcome).Observe(r.Duration.Seconds())
	m.queryRows.WithLabelValues(door).Add(float64(max(r.Rows, 0)))
}

// ObserveFreshness sets the freshness gauges after a full check (the
// monitor's OnCheck): every table's status, and the lag of those published.
func (m *Metrics) ObserveFreshness(_ context.Context, ts []freshness.TableStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := make(map[[4]string]bool, len(ts))
	for _, s := range ts {
		k := [4]string{s.Domain, s.Product, major(s.Major), s.Table}
		seen[k] = true
		if s.AgeSeconds != nil {
			m.freshLag.WithLabelValues(k[:]...).Set(*s.AgeSeconds)
		} else {
			m.freshLag.DeleteLabelValues(k[:]...)
		}
		for _, st := range freshness.Statuses {
			v := 0.0
			if st == s.Status {
				v = 1
			}
			m.freshStatus.WithLabelValues(k[0], k[1], k[2], k[3], string(st)).Set(v)
		}
	}
	for k := range m.fresh {
		if !seen[k] {
			m.freshLag.DeleteLabelValues(k[:]...)
			for _, st := range freshness.Statuses {
				m.freshStatus.DeleteLabelValues(k[0], k[1], k[2], k[3], string(st))
			}
		}
	}
	m.fresh = seen
}

// ObserveBreach counts a new SLA breach (the monitor's OnBreach).
func (m *Metrics) ObserveBreach(_ context.Context, b freshness.Breach) {
	m.breaches.WithLabelValues(b.Domain, b.Product, major(b.Major), b.Table, string(b.Status)).Inc()
}

// knownMethods bound the method label: anything else is "other".
var knownMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true}

// ObserveHTTP records one HTTP request. route is the ServeMux pattern that
// matched (never the raw path), or a fixed name for what no pattern serves.
func (m *Metrics) ObserveHTTP(method, route string, code int, d time.Duration) {
	if !knownMethods[method] {
		method = "other"
	}
	if route == "" {
		route = "none"
	}
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}
