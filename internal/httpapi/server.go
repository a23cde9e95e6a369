package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/event"
	"github.com/meshwork/meshwork/internal/governance"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/observe"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/search"
)

// Limits bound what one request may send or get.
type Limits struct {
	SpecBytes    int64 // an apply body
	PublishBytes int64 // a publish upload
	QueryBytes   int64 // a query request body
	MaxRows      int64 // rows a query may return (0: no limit)
}

// Config wires the server to the platform.
type Config struct {
	Registry  *registry.Registry
	Lake      *lake.Lake
	Applier   *apply.Applier
	Publisher *publish.Publisher
	Engine    *query.Engine
	Gov       *governance.Governance
	Audit     *audit.Log
	Retain    Retainer     // nil: no maintenance endpoint
	Iceberg   http.Handler // the Iceberg REST catalog, served under /iceberg; nil: none
	Page      PageSources  // the product page's usage, freshness and lineage; nil ones: sections omitted
	Freshness Freshness    // freshness statuses and SLA breaches; nil: not served
	Metrics   http.Handler // Prometheus metrics, served to admins at /metrics; nil: not served
	Observer  Observer     // told of every request; nil: none
	Limits    Limits
	Logger    *slog.Logger
	Search    *search.Index // catalog search; nil: GET /api/v1/search answers 503
	Lineage   LineageGraph
	// Events serves webhook subscriptions; AccessEvents is told of access
	// requests for them. nil: none.
	Events       *event.Bus
	AccessEvents AccessEvents
}

// Retainer runs the retention job over every table.
type Retainer interface {
	RetainAll(ctx context.Context) (any, error)
}

// Server serves the REST API.
type Server struct {
	reg     *registry.Registry
	lake    *lake.Lake
	apply   *apply.Applier
	pub     *publish.Publisher
	engine  *query.Engine
	gov     *governance.Governance
	access  *access.Store
	audit   *audit.Log
	retain  Retainer
	iceberg http.Handler
	page    PageSources
	fresh   Freshness
	metrics http.Handler
	obs     Observer
	lineage LineageGraph
	events  *event.Bus
	accEv   AccessEvents
	limits  Limits
	search  *search.Index
	log     *slog.Logger
	mux     *http.ServeMux
}

// New returns the API server.
func New(c Config) *Server {
	s := &Server{reg: c.Registry, lake: c.Lake, apply: c.Applier, pub: c.Publisher, engine: c.Engine,
		gov: c.Gov, access: c.Gov.Access(), audit: c.Audit, retain: c.Retain, iceberg: c.Iceberg, page: c.Page, limits: c.Limits,
		search: c.Search, fresh: c.Freshness, metrics: c.Metrics, obs: c.Observer, log: c.Logger.With("component", "http"), mux: http.NewServeMux()}
	s.lineage = c.Lineage // nil: no lineage API
	s.events, s.accEv = c.Events, c.AccessEvents
	if s.limits.SpecBytes <= 0 {
		s.limits.SpecBytes = 8 << 20
	}
	if s.limits.QueryBytes <= 0 {
		s.limits.QueryBytes = 1 << 20
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("POST /api/v1/apply", s.handleApply)
	s.mux.HandleFunc("GET /api/v1/products", s.handleProducts)
	s.mux.HandleFunc("GET /api/v1/products/{domain}/{product}", s.handleProduct)
	s.mux.HandleFunc("POST /api/v1/products/{domain}/{product}/tables/{table}/publish", s.handlePublish)
	s.mux.HandleFunc("POST /api/v1/query", s.handleQuery)
	s.govRoutes()
	s.contractRoutes()
	s.pageRoutes()
	s.searchRoutes()
	s.observeRoutes()
	s.lineageRoutes()
	s.eventRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errs.E(errs.NotFound, "http", "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}

// icebergPrefix is where the Iceberg REST catalog is served.
const icebergPrefix = "/iceberg"

func requestID(ctx context.Context) string { return observe.RequestID(ctx) }

// statusWriter remembers the status code for the access log.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP adds a request id, recovers panics and logs each request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	r = r.WithContext(observe.WithRequestID(r.Context(), id))
	sw := &statusWriter{ResponseWriter: w}
	sw.Header().Set("X-Request-Id", id)
	principal := ""
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok && errors.Is(e, http.ErrAbortHandler) {
				panic(p)
			}
			s.log.Error("panic", "requestId", id, "panic", fmt.Sprint(p))
			if sw.code == 0 {
				s.fail(sw, r, errs.E(errs.Internal, "http", "panic"))
			}
		}
		s.log.Info("request", "requestId", id, "method", r.Method, "path", r.URL.Path, "status", sw.code,
			"principal", principal, "bytes", sw.bytes, "ms", float64(time.Since(start).Microseconds())/1000)
		if s.obs != nil {
			code := sw.code
			if code == 0 {
				code = http.StatusOK // what net/http sends for a handler that wrote nothing
			}
			s.obs.ObserveHTTP(r.Method, routeOf(r), code, time.Since(start))
		}
	}()
	if s.iceberg != nil && strings.HasPrefix(r.URL.Path, icebergPrefix+"/") {
		// The Iceberg REST catalog authenticates (and answers errors) in its
		// own protocol, and its token endpoint takes client credentials.
		http.StripPrefix(icebergPrefix, s.iceberg).ServeHTTP(sw, r)
		return
	}
	if r.URL.Path != "/healthz" {
		p, err := s.authenticate(r)
		if err != nil {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="meshwork"`)
			s.fail(sw, r, err)
			return
		}
		principal = p.Name
		r = r.WithContext(access.WithPrincipal(r.Context(), p))
	}
	s.mux.ServeHTTP(sw, r)
}

// authenticate reads the bearer credential; every failure is audited.
func (s *Server) authenticate(r *http.Request) (access.Principal, error) {
	p, err := s.access.AuthenticateHeader(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		_, msg, _ := errs.Public(err)
		s.audit.Append(audit.Event{Action: "auth", Resource: r.Method + " " + clipText(r.URL.Path, 200), Outcome: audit.Denied},
			map[string]string{"reason": msg, "remote": r.RemoteAddr, "requestId": requestID(r.Context())})
	}
	return p, err
}

// record audits a change or a decision made by the caller of r.
func (s *Server) record(r *http.Request, action, resource string, err error, details any) {
	p, _ := access.FromContext(r.Context())
	out := audit.OK
	switch {
	case err == nil:
	case errs.Is(err, errs.Forbidden), errs.Is(err, errs.Unauthenticated), errs.Is(err, errs.GateFailed):
		out = audit.Denied
	default:
		out = audit.Failed
	}
	if err != nil {
		_, msg, _ := errs.Public(err)
		details = map[string]any{"error": msg, "request": details}
	}
	s.audit.Append(audit.Event{Principal: p.Name, Action: action, Resource: resource, Outcome: out}, details)
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
