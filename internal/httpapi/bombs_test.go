package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/platform"
)

// TestResourceBombs sends queries built to exhaust memory or time: each is
// stopped by the engine's limits with a clear error, and the server goes on
// answering afterwards.
func TestResourceBombs(t *testing.T) {
	e := seededShop(t, func(c *platform.Config) { c.MemoryLimit = "256MB" })
	bombs := []struct {
		name, sql string
		statuses  []int
	}{
		{"string doubling", "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r WHERE length(s) < 4000000000) SELECT max(length(s)) FROM r",
			[]int{http.StatusRequestEntityTooLarge, http.StatusBadRequest, http.StatusRequestTimeout}},
		{"endless recursion", "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r",
			[]int{http.StatusRequestTimeout, http.StatusRequestEntityTooLarge}},
		{"cartesian explosion", "SELECT count(*) FROM retail.shop.items a, retail.shop.items b, retail.shop.items c, retail.shop.items d, " +
			"retail.shop.items f, retail.shop.items g, retail.shop.items h, retail.shop.items i, retail.shop.items j, retail.shop.items k, " +
			"retail.shop.items l, retail.shop.items m, retail.shop.items n, retail.shop.items o, retail.shop.items p, retail.shop.items q",
			[]int{http.StatusRequestTimeout, http.StatusOK}},
		{"giant sort", "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 100000000) SELECT i FROM r ORDER BY i DESC LIMIT 1",
			[]int{http.StatusRequestTimeout, http.StatusRequestEntityTooLarge, http.StatusOK}},
	}
	for _, b := range bombs {
		t.Run(b.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"sql": b.sql, "timeout_ms": 1500})
			r := e.do(t, "POST", "/api/v1/query", strings.NewReader(string(body)), "Content-Type", "application/json")
			if !slices.Contains(b.statuses, r.status) {
				t.Fatalf("bomb %q = %d %s, want one of %v", b.name, r.status, clip(r.body), b.statuses)
			}
			if r.status != http.StatusOK && !strings.Contains(string(r.body), `"message"`) {
				t.Errorf("bomb %q answered %d without an error message: %s", b.name, r.status, clip(r.body))
			}
			e.healthy(t)
			e.wantRows(t, "SELECT count(*) FROM retail.shop.items", [][]string{{"3"}})
		})
	}
}
