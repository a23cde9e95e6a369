package portal_test

import (
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
	p := openPlatform(t)
	e := &productEnv{p: p, ui: p.Portal, admin: p.AdminSecret}
	for i, s := range specs {
		e.apply(t, "spec"+string(rune('a'+i))+".yaml", s)
	}
	return e
}

// adminAPI is the REST API as the admin.
func (e *productEnv) adminAPI() apiAs { return apiAs{e.p.API, e.admin} }

func (e *productEnv) apply(t *testing.T, name, spec string) {
	t.Helper()
	e.adminAPI().applySpec(t, name, []byte(spec))
}

// publish uploads CSV to domain.product.table and returns the status.
func (e *productEnv) publish(t *testing.T, table, mode, csv string) int {
	t.Helper()
	return e.adminAPI().publish(t, table, mode, csv)
}

// principal mints a token for name with the given grants and returns it.
func (e *productEnv) principal(t *testing.T, name string, grants ...httpapi.GrantRequest) string {
	t.Helper()
	secret, _ := e.adminAPI().newToken(t, name)
	for _, g := range grants {
		e.adminAPI().grant(t, g.Role, name, g.Domain, g.Product)
	}
	return secret
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
