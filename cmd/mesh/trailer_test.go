package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A JSON result that fails after its first rows ends with an error member
// (the status line was already sent); the CLI must fail, not print a
// partial table as if it were whole.
func TestQueryErrorTrailer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"columns":[{"name":"n","type":"INTEGER"}],"rows":[[1],[2]],"rowCount":2,"truncated":true,` +
			`"error":{"code":"timeout","message":"the query ran past its timeout of 1s and was canceled"}}`))
	}))
	defer srv.Close()
	getenv := func(k string) string {
		if k == "MESH_URL" {
			return srv.URL
		}
		return ""
	}
	code, _, stderr := mesh(t, getenv, "query", "SELECT 1")
	if code != 1 || !strings.Contains(stderr, "failed after 2 rows") || !strings.Contains(stderr, "timeout") {
		t.Errorf("mesh query = exit %d, stderr %q; want exit 1 naming the error after 2 rows", code, stderr)
	}
}
