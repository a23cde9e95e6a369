package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestIcebergCatalogMounted: the platform serves the Iceberg REST catalog
// under /iceberg with its own authentication and error model.
func TestIcebergCatalogMounted(t *testing.T) {
	e := newEnv(t)
	seedDemo(t, e)
	r := e.do(t, "GET", "/iceberg/v1/namespaces", nil)
	r.wantStatus(t, "GET /iceberg/v1/namespaces", http.StatusOK)
	if !strings.Contains(string(r.body), `["sales"]`) {
		t.Errorf("namespaces = %s, want the demo's domains", r.body)
	}
	r = e.as("").do(t, "GET", "/iceberg/v1/namespaces", nil)
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "NotAuthorizedException") {
		t.Errorf("GET /iceberg/v1/namespaces without a token = %d %s, want 401 in the Iceberg error model", r.status, r.body)
	}
	r = e.do(t, "GET", "/iceberg/v1/namespaces/sales%1Forders/tables/orders", nil)
	r.wantStatus(t, "load sales.orders.orders", http.StatusOK)
	if !strings.Contains(string(r.body), `"metadata-location"`) {
		t.Errorf("loadTable = %s, want a metadata location", clip(r.body))
	}
}
