package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/platform"
)

// productEnv is a real platform (API and portal) for the product page tests.
type productEnv struct {
	p     *platform.Platform
	ui    http.Handler // the portal: the platform's unless a test builds its own
	admin string       // the admin's token
}

// productMesh opens a platform over a temporary directory and applies specs
// (YAML files, each applied in its own upload, in order).
func productMesh(t *testing.T, specs ...string) *productEnv {
	t.Helper()
	cfg := platform.Defaults(t.TempDir())
	cfg.MemoryLimit = "1GB"
	cfg.Threads = 2
	p, err := platform.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("platform.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("platform.Close: %v", err)
		}
	})
	e := &productEnv{p: p, ui: p.Portal, admin: p.AdminSecret}
	for i, s := range specs {
		e.apply(t, "spec"+string(rune('a'+i))+".yaml", s)
	}
	return e
}

// api calls the REST API as the admin and wants a 2xx.
func (e *productEnv) api(t *testing.T, method, path, contentType string, body []byte) []byte {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.admin)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	e.p.API.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		t.Fatalf("%s %s = %d\n%s", method, path, rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

func (e *productEnv) apply(t *testing.T, name, spec string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile("spec", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(w, spec)
	_ = mw.Close()
	e.api(t, "POST", "/api/v1/apply", mw.FormDataContentType(), buf.Bytes())
}

// publish uploads CSV to domain.product.table and returns the status.
func (e *productEnv) publish(t *testing.T, table, mode, csv string) int {
	t.Helper()
	parts := strings.Split(table, ".")
	req := httptest.NewRequest("POST", "/api/v1/products/"+parts[0]+"/"+parts[1]+"/tables/"+parts[2]+"/publish?mode="+mode,
		strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Content-Type", "text/csv")
	rec := httptest.NewRecorder()
	e.p.API.ServeHTTP(rec, req)
	return rec.Code
}

// principal mints a token for name with the given grants and returns it.
func (e *productEnv) principal(t *testing.T, name string, grants ...httpapi.GrantRequest) string {
	t.Helper()
	b, _ := json.Marshal(httpapi.TokenRequest{Principal: name})
	var tok struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(e.api(t, "POST", "/api/v1/tokens", "application/json", b), &tok); err != nil || tok.Secret == "" {
		t.Fatalf("token for %s: %v", name, err)
	}
	for _, g := range grants {
		g.Subject = name
		b, _ := json.Marshal(g)
		e.api(t, "POST", "/api/v1/grants", "application/json", b)
	}
	return tok.Secret
}

// signIn signs in to the portal with token and returns the session cookie.
func (e *productEnv) signIn(t *testing.T, token string) *http.Cookie {
	t.Helper()
	req := httptest.NewRequest("POST", "/signin", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.ui.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-in = %d, want 303\n%s", rec.Code, rec.Body.String())
	}
	for _, c := range rec.Result().Cookies() {
		if c.Value != "" {
			return c
		}
	}
	t.Fatal("sign-in set no session cookie")
	return nil
}

// get fetches a portal page with the session cookie.
func (e *productEnv) get(t *testing.T, c *http.Cookie, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	e.ui.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}
