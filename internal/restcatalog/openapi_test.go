package restcatalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specPath is where the official Iceberg REST catalog spec lives: in
// shared/standards beside the repository (CI clones the repository into a
// folder with a copy of shared/ next to it).
const specPath = "shared/standards/iceberg/rest-catalog-open-api.yaml"

// specPrefix is the {prefix} the validator routes our unprefixed paths
// under: the spec's catalog routes are all /v1/{prefix}/..., while Meshwork
// advertises no prefix, so a client calls /v1/namespaces/... directly.
const specPrefix = "meshwork"

// findSpec walks up from the test's directory to a folder that holds
// shared/standards; "" when there is none.
func findSpec() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, specPath)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// specValidator checks responses against the official OpenAPI document.
type specValidator struct {
	doc    *openapi3.T
	router routers.Router
	// errorSchema and oauthErrorSchema validate error bodies of requests the
	// spec has no operation for (an unknown endpoint, a status it does not
	// list for the operation).
	errorSchema, oauthErrorSchema *openapi3.SchemaRef
	// mu serializes validations: the validator's lazily compiled schemas
	// are not documented as safe for concurrent use.
	mu sync.Mutex
}

var (
	specOnce sync.Once
	specVal  *specValidator
	specErr  error
)

// loadSpec loads the spec once per test binary; nil, nil when it is absent.
func loadSpec() (*specValidator, error) {
	specOnce.Do(func() {
		p := findSpec()
		if p == "" {
			return
		}
		data, err := os.ReadFile(p)
		if err != nil {
			specErr = err
			return
		}
		// The official file points three response headers (etag) at a
		// Parameter Object, which a Header Object's $ref may not name; the
		// loader refuses that, so those headers are given the parameter's
		// schema in place.
		data = bytes.ReplaceAll(data, []byte("$ref: '#/components/parameters/etag'"), []byte("schema: {type: string}"))
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(data)
		if err != nil {
			specErr = fmt.Errorf("load %s: %w", p, err)
			return
		}
		// Route by path alone: the spec's servers template the host.
		doc.Servers = nil
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			specErr = fmt.Errorf("route %s: %w", p, err)
			return
		}
		v := &specValidator{doc: doc, router: router,
			errorSchema:      doc.Components.Schemas["IcebergErrorResponse"],
			oauthErrorSchema: doc.Components.Schemas["OAuthError"]}
		if v.errorSchema == nil || v.oauthErrorSchema == nil {
			specErr = fmt.Errorf("%s has no IcebergErrorResponse or OAuthError schema", p)
			return
		}
		specVal = v
	})
	return specVal, specErr
}

// transportStatus are statuses the spec lists for no operation that the
// HTTP layer answers before any operation runs; their bodies must still be
// the spec's error model.
var transportStatus = map[int]bool{http.StatusRequestEntityTooLarge: true}

// specPathOf maps a request path of the catalog (after /iceberg) to the
// spec's: /v1/config and /v1/oauth/tokens are unprefixed there too, every
// other /v1/... route gets the synthetic prefix.
func specPathOf(p string) string {
	switch {
	case p == "/v1/config", p == "/v1/oauth/tokens", !strings.HasPrefix(p, "/v1/"):
		return p
	}
	return "/v1/" + specPrefix + p[len("/v1"):]
}

// check validates one finished exchange; it returns "" when it conforms.
func (v *specValidator) check(r *http.Request, status int, header http.Header, body []byte) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	ctx := context.Background()
	u := *r.URL
	u.Path = specPathOf(r.URL.Path)
	u.RawPath = ""
	if r.URL.RawPath != "" {
		u.RawPath = specPathOf(r.URL.RawPath)
	}
	sr := r.Clone(ctx)
	sr.URL = &u
	sr.RequestURI = ""
	sr.Body = http.NoBody
	oauth := r.URL.Path == "/v1/oauth/tokens"

	route, params, err := v.router.FindRoute(sr)
	if err != nil {
		// No operation of the spec: only an error is a fitting answer.
		if status < 400 {
			return fmt.Sprintf("no operation of the spec matches (%v), yet the status is %d", err, status)
		}
		return v.checkError(r, status, header, body, v.errorSchema)
	}
	op := route.Operation
	if op.Responses.Status(status) == nil && op.Responses.Default() == nil {
		if transportStatus[status] {
			s := v.errorSchema
			if oauth {
				s = v.oauthErrorSchema
			}
			return v.checkError(r, status, header, body, s)
		}
		return fmt.Sprintf("status %d is not among the responses of %s", status, op.OperationID)
	}
	if r.Method == http.MethodHead {
		// ValidateResponse skips HEAD; a HEAD answer has no body anyway.
		if len(body) != 0 {
			return fmt.Sprintf("HEAD answered with a %d-byte body", len(body))
		}
		return ""
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: sr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return err.Error()
	}
	if status >= 400 && !oauth {
		// The error model's code must be the status (the schema cannot say so).
		var e struct{ Error struct{ Code int } }
		if json.Unmarshal(body, &e) == nil && e.Error.Code != status {
			return fmt.Sprintf("error code %d in a %d response", e.Error.Code, status)
		}
	}
	return ""
}

// checkError validates an error body against schema s directly.
func (v *specValidator) checkError(r *http.Request, status int, header http.Header, body []byte, s *openapi3.SchemaRef) string {
	if r.Method == http.MethodHead {
		if len(body) != 0 {
			return fmt.Sprintf("HEAD answered with a %d-byte body", len(body))
		}
		return ""
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Sprintf("error content type %q, want application/json", ct)
	}
	var val any
	if err := json.Unmarshal(body, &val); err != nil {
		return fmt.Sprintf("error body is not JSON: %v", err)
	}
	if err := s.Value.VisitJSON(val, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
		return fmt.Sprintf("error body does not match the spec's error schema: %v", err)
	}
	return ""
}

// validating wraps the catalog handler h (mounted without /iceberg) so that
// every response is checked against the spec before the client sees it; a
// mismatch fails t with the request, the status and the validator's message.
func validating(t testing.TB, v *specValidator, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		body := rec.Body.Bytes()
		if msg := v.check(r, res.StatusCode, res.Header, body); msg != "" {
			t.Errorf("OpenAPI: %s %s -> %d: %s\nbody: %s", r.Method, r.URL.RequestURI(), res.StatusCode, msg, clipBody(body))
		}
		for k, vs := range res.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, bytes.NewReader(body))
	})
}

func clipBody(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// TestOpenAPISpec makes sure the validator itself works: it loads the
// official document and refuses what does not conform.
func TestOpenAPISpec(t *testing.T) {
	v, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if v == nil {
		t.Skipf("the Iceberg REST OpenAPI spec (%s beside the repository) is absent: responses are not validated", specPath)
	}
	get := func(path string) *http.Request {
		u, err := url.Parse(path)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}
	}
	js := http.Header{"Content-Type": {"application/json"}}
	cases := []struct {
		name   string
		req    *http.Request
		status int
		header http.Header
		body   string
		ok     bool
	}{
		{"config", get("/v1/config"), 200, js, `{"defaults":{},"overrides":{}}`, true},
		{"config without overrides", get("/v1/config"), 200, js, `{"defaults":{}}`, false},
		{"namespaces", get("/v1/namespaces"), 200, js, `{"namespaces":[["a"],["b"]]}`, true},
		{"namespaces as strings", get("/v1/namespaces"), 200, js, `{"namespaces":["a"]}`, false},
		{"next page token null", get("/v1/namespaces"), 200, js, `{"namespaces":[],"next-page-token":null}`, false},
		{"error", get("/v1/namespaces/x"), 404, js, `{"error":{"message":"m","type":"NoSuchNamespaceException","code":404}}`, true},
		{"error without type", get("/v1/namespaces/x"), 404, js, `{"error":{"message":"m","code":404}}`, false},
		{"error code mismatch", get("/v1/namespaces/x"), 404, js, `{"error":{"message":"m","type":"T","code":400}}`, false},
		{"error as text", get("/v1/namespaces/x"), 404, http.Header{"Content-Type": {"text/plain"}}, `not found`, false},
		{"undocumented status", get("/v1/namespaces/x"), 409, js, `{"error":{"message":"m","type":"T","code":409}}`, false},
		{"unknown endpoint", get("/v1/nope"), 404, js, `{"error":{"message":"m","type":"NotFoundException","code":404}}`, true},
		{"unknown endpoint ok", get("/v1/nope"), 200, js, `{}`, false},
		{"too large", &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/v1/namespaces/a%1Fb/tables/t/metrics", RawPath: "/v1/namespaces/a%1Fb/tables/t/metrics"}},
			413, js, `{"error":{"message":"m","type":"BadRequestException","code":413}}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := v.check(c.req, c.status, c.header, []byte(c.body))
			if (msg == "") != c.ok {
				t.Errorf("check(%s %s, %d, %s) = %q, want ok %t", c.req.Method, c.req.URL, c.status, c.body, msg, c.ok)
			}
		})
	}
}
