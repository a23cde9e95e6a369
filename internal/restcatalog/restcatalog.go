package restcatalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/governance"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
)

// Config wires the catalog to the platform.
type Config struct {
	Registry *registry.Registry
	Lake     *lake.Lake
	Access   *access.Store
	Gov      *governance.Governance
	Audit    *audit.Log
	Logger   *slog.Logger
	TokenTTL time.Duration // lifetime of tokens from /v1/oauth/tokens; 0: 1 hour
	// Publisher publishes what publishers commit onto branches; nil: the
	// catalog is read-only and serves no commit.
	Publisher Publisher
}

// maxBody bounds every request body but a commit's (metrics reports, token
// requests, and the mutations that are refused anyway).
const maxBody = 1 << 20

// tokenPath is the one route that authenticates by itself.
const tokenPath = "/v1/oauth/tokens"

type server struct {
	reg   *registry.Registry
	lake  *lake.Lake
	acc   *access.Store
	gov   *governance.Governance
	audit *audit.Log
	log   *slog.Logger
	ttl   time.Duration
	now   func() time.Time
	mux   *http.ServeMux
	reads readCache // what reads reuse across requests (tables.go)

	commits *committer // nil: no commits are served
}

// Handler serves the catalog; it is mounted under a prefix (e.g. "/iceberg")
// by the caller with http.StripPrefix, so its routes are /v1/config,
// /v1/namespaces, ... It authenticates every route but /v1/oauth/tokens
// itself.
func Handler(c Config) http.Handler {
	s := &server{reg: c.Registry, lake: c.Lake, acc: c.Access, gov: c.Gov, audit: c.Audit,
		log: c.Logger, ttl: c.TokenTTL, now: time.Now, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "iceberg-rest")
	if s.ttl <= 0 {
		s.ttl = time.Hour
	}
	if c.Publisher != nil {
		s.commits = &committer{pub: c.Publisher, locks: map[lake.Ident]*sync.Mutex{}}
	}
	s.routes()
	return s
}

// endpoint is one route the catalog serves and advertises in /v1/config.
type endpoint struct {
	method, path string // path as in the spec, with {prefix}
	handler      http.HandlerFunc
}

// served are the endpoints, in the order /v1/config lists them: the reads,
// and the commits when a Publisher is configured. The
// advertised form is the spec's "METHOD /v1/{prefix}/..." template, which
// clients compare literally (iceberg-go drops the others); the catalog uses
// no prefix, so the routes are the templates without "/{prefix}".
func (s *server) served() []endpoint {
	eps := []endpoint{
		{http.MethodGet, "/v1/{prefix}/namespaces", s.listNamespaces},
		{http.MethodGet, "/v1/{prefix}/namespaces/{namespace}", s.loadNamespace},
		{http.MethodHead, "/v1/{prefix}/namespaces/{namespace}", s.namespaceExists},
		{http.MethodGet, "/v1/{prefix}/namespaces/{namespace}/tables", s.listTables},
		{http.MethodGet, "/v1/{prefix}/namespaces/{namespace}/tables/{table}", s.loadTable},
		{http.MethodHead, "/v1/{prefix}/namespaces/{namespace}/tables/{table}", s.tableExists},
		{http.MethodPost, "/v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics", s.reportMetrics},
	}
	if s.commits != nil {
		eps = append(eps,
			endpoint{http.MethodPost, "/v1/{prefix}/namespaces/{namespace}/tables/{table}", s.updateTable},
			endpoint{http.MethodPost, "/v1/{prefix}/transactions/commit", s.commitTransaction})
	}
	return eps
}

// refused are the mutations of the spec that the catalog does not serve:
// products and tables are created, renamed and dropped by `mesh apply`.
var refused = []string{
	"POST /v1/namespaces",
	"DELETE /v1/namespaces/{namespace}",
	"POST /v1/namespaces/{namespace}/properties",
	"POST /v1/namespaces/{namespace}/tables",
	"POST /v1/namespaces/{namespace}/register",
	"DELETE /v1/namespaces/{namespace}/tables/{table}",
	"POST /v1/tables/rename",
}

// commitRoutes are refused too when no Publisher is configured.
var commitRoutes = []string{
	"POST /v1/namespaces/{namespace}/tables/{table}",
	"POST /v1/transactions/commit",
}

func (s *server) routes() {
	for _, e := range s.served() {
		s.mux.HandleFunc(e.method+" "+strings.Replace(e.path, "/{prefix}", "", 1), e.handler)
	}
	s.mux.HandleFunc("GET /v1/config", s.config)
	s.mux.HandleFunc("POST "+tokenPath, s.token)
	for _, p := range refused {
		s.mux.HandleFunc(p, s.mutation)
	}
	if s.commits == nil {
		for _, p := range commitRoutes {
			s.mux.HandleFunc(p, s.mutation)
		}
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errs.E(errs.NotFound, "iceberg", "no such endpoint: %s %s", r.Method, clip(r.URL.Path, 200)))
	})
}

// ServeHTTP limits the body, recovers panics and authenticates.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, commitBodyLimit(r))
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok && errors.Is(e, http.ErrAbortHandler) {
				panic(p)
			}
			s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
			if sw.code == 0 {
				s.fail(sw, r, errs.E(errs.Internal, "iceberg", "panic"))
			}
		}
	}()
	if r.URL.Path != tokenPath {
		p, err := s.authenticate(r)
		if err != nil {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="meshwork"`)
			s.fail(sw, r, err)
			return
		}
		r = r.WithContext(access.WithPrincipal(r.Context(), p))
	}
	s.mux.ServeHTTP(sw, r)
}

// authenticate reads the bearer credential; every failure is audited, as by
// the REST API.
func (s *server) authenticate(r *http.Request) (access.Principal, error) {
	p, err := s.acc.AuthenticateHeader(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		s.auditAuth(r, err)
	}
	return p, err
}

func (s *server) auditAuth(r *http.Request, err error) {
	_, msg, _ := errs.Public(err)
	s.audit.Append(audit.Event{Action: "auth", Resource: "iceberg " + r.Method + " " + clip(r.URL.Path, 200), Outcome: audit.Denied},
		map[string]string{"reason": msg, "remote": r.RemoteAddr})
}

// record audits a decision made for the caller of r.
func (s *server) record(r *http.Request, action, resource string, err error) {
	p, _ := access.FromContext(r.Context())
	out, details := audit.OK, any(nil)
	if err != nil {
		out = audit.Failed
		if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Unauthenticated) {
			out = audit.Denied
		}
		_, msg, _ := errs.Public(err)
		details = map[string]string{"error": msg}
	}
	s.audit.Append(audit.Event{Principal: p.Name, Action: action, Resource: resource, Outcome: out}, details)
}

// typedError gives an error its Iceberg error type (NoSuchTableException,
// CommitFailedException, ...), when its kind is the one answered.
type typedError struct {
	typ string
	err *errs.Error
}

func (e *typedError) Error() string { return e.err.Error() }
func (e *typedError) Unwrap() error { return e.err }

const (
	noSuchNamespace = "NoSuchNamespaceException"
	noSuchTable     = "NoSuchTableException"
)

func notFound(typ, op, format string, args ...any) error {
	return &typedError{typ: typ, err: errs.E(errs.NotFound, op, format, args...)}
}

// errorModel is the spec's ErrorModel inside its IcebergErrorResponse.
type errorModel struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    int    `json:"code"`
}

// statusOf maps an error kind to the spec's status and error type.
func statusOf(k errs.Kind) (int, string) {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest, "BadRequestException"
	case errs.NotFound:
		return http.StatusNotFound, "NotFoundException"
	case errs.Conflict:
		return http.StatusConflict, "AlreadyExistsException"
	case errs.Forbidden:
		return http.StatusForbidden, "ForbiddenException"
	case errs.Unauthenticated:
		return http.StatusUnauthorized, "NotAuthorizedException"
	case errs.TooLarge:
		// The spec has no 413 response; the status is HTTP's, the type its
		// closest, a bad request.
		return http.StatusRequestEntityTooLarge, "BadRequestException"
	case errs.Unsupported:
		// The spec's UnsupportedOperationResponse is a 406.
		return http.StatusNotAcceptable, "UnsupportedOperationException"
	case errs.Unavailable, errs.Timeout, errs.Canceled:
		return http.StatusServiceUnavailable, "ServiceUnavailableException"
	}
	return http.StatusInternalServerError, "InternalServerError"
}

// fail writes err as the spec's error response; Internal text stays in the log.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	kind, msg, _ := errs.Public(err)
	code, typ := statusOf(kind)
	var te *typedError
	if errors.As(err, &te) && te.err.Kind == kind {
		typ = te.typ
	}
	level := slog.LevelInfo
	if code >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request failed", "method", r.Method, "path", clip(r.URL.Path, 200), "code", code, "err", err.Error())
	if code == http.StatusNotAcceptable && !lists406[r.Pattern] {
		// The spec lists its 406 for a few operations only; elsewhere an
		// unsupported operation is refused as forbidden, with the same type.
		code = http.StatusForbidden
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(code)
		return
	}
	e := errorModel{Message: msg, Type: typ, Code: code}
	if code == http.StatusNotAcceptable {
		// The spec's UnsupportedOperationResponse schema is a bare
		// ErrorModel while its example and every client read the wrapped
		// IcebergErrorResponse: the body is both.
		writeJSON(w, code, unsupportedBody{Error: e, errorModel: e})
		return
	}
	writeJSON(w, code, map[string]errorModel{"error": e})
}

// lists406 are the routes whose operation lists the spec's 406
// UnsupportedOperationResponse.
var lists406 = map[string]bool{
	"POST /v1/namespaces":                        true, // createNamespace
	"POST /v1/namespaces/{namespace}/properties": true, // updateProperties
	"POST /v1/tables/rename":                     true, // renameTable
}

// unsupportedBody is an ErrorModel and an IcebergErrorResponse at once.
type unsupportedBody struct {
	Error errorModel `json:"error"`
	errorModel
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// statusWriter remembers whether a status was written, for the panic handler.
type statusWriter struct {
	http.ResponseWriter
	code int
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
	return w.ResponseWriter.Write(b)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
