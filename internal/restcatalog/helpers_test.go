package restcatalog_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/restcatalog"
)

// env is a real platform seeded with the demo mesh, its catalog served under
// /iceberg by a real HTTP server.
type env struct {
	p    *platform.Platform
	srv  *httptest.Server
	base string // the catalog's URI
}

func newEnv(t *testing.T) *env {
	t.Helper()
	p := newPlatform(t)
	h := restcatalog.Handler(restcatalog.Config{Registry: p.Registry, Lake: p.Lake, Access: p.Access, Gov: p.Gov,
		Audit: p.Audit, TokenTTL: 10 * time.Minute})
	// Every response of every test is checked against the official spec.
	v, err := loadSpec()
	if err != nil {
		t.Fatalf("OpenAPI spec: %v", err)
	}
	if v != nil {
		h = validating(t, v, h)
	} else {
		t.Logf("the Iceberg REST OpenAPI spec (%s beside the repository) is absent: responses are not validated", specPath)
	}
	mux := http.NewServeMux()
	mux.Handle("/iceberg/", http.StripPrefix("/iceberg", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{p: p, srv: srv, base: srv.URL + "/iceberg"}
}

// newPlatform opens a real platform in a temporary directory, seeded with
// the demo mesh at a small scale.
func newPlatform(t testing.TB) *platform.Platform {
	t.Helper()
	ctx := context.Background()
	cfg := platform.Defaults(t.TempDir())
	cfg.MemoryLimit = "1GB"
	cfg.Threads = 2
	p, err := platform.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("platform.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("platform.Close: %v", err)
		}
	})
	if err := demo.Seed(platform.AsAdmin(ctx), p.Applier, p.Publisher, 0.01, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("demo.Seed: %v", err)
	}
	return p
}

// token makes a token for a principal with the given grants.
func (e *env) token(t *testing.T, name string, attrs map[string][]string, ttl time.Duration, grants ...access.Grant) string {
	t.Helper()
	ctx := context.Background()
	_, secret, err := e.p.Access.CreateToken(ctx, "test", name, nil, attrs, ttl)
	if err != nil {
		t.Fatalf("CreateToken %s: %v", name, err)
	}
	for _, g := range grants {
		g.Subject = name
		if _, err := e.p.Access.AddGrant(ctx, "test", g); err != nil {
			t.Fatalf("AddGrant %s: %v", name, err)
		}
	}
	return secret
}

// response is a finished raw HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a raw request to the catalog; hdr holds header names and values.
func (e *env) do(t *testing.T, token, method, path string, body io.Reader, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, path, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// icebergError is the spec's error response.
type icebergError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    int    `json:"code"`
	} `json:"error"`
}

func (r response) icebergError(t *testing.T) icebergError {
	t.Helper()
	var e icebergError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("body is not an Iceberg error: %v\n%s", err, r.body)
	}
	if e.Error.Code != r.status {
		t.Errorf("error code %d, status %d", e.Error.Code, r.status)
	}
	return e
}
