package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/lineage"
)

func TestLineage(t *testing.T) {
	_, admin := server(t)
	mustMesh(t, admin, "apply", "-f", "../../internal/demo/specs")
	mustMesh(t, admin, "apply", "-f", "../../internal/httpapi/testdata/lineage.yaml")

	t.Run("impact", func(t *testing.T) {
		out := mustMesh(t, admin, "lineage", "sales.orders.orders", "--direction", "down", "--depth", "3")
		for _, want := range []string{"sales.orders.orders", "Downstream", "finance.revenue.daily", "inputPort",
			"Impact: 1 downstream products", "finance.revenue  Finance Analytics: ada.lovelace@meshwork.example, grace.hopper@meshwork.example"} {
			if !strings.Contains(out, want) {
				t.Errorf("mesh lineage sales.orders.orders --direction down output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "Upstream") {
			t.Errorf("mesh lineage --direction down shows upstream nodes:\n%s", out)
		}
	})
	t.Run("json", func(t *testing.T) {
		out := mustMesh(t, admin, "lineage", "finance.revenue", "--direction", "up", "--depth", "2", "--format", "json")
		var g lineage.Graph
		if err := json.Unmarshal([]byte(out), &g); err != nil {
			t.Fatalf("mesh lineage --format json is not a graph: %v\n%s", err, out)
		}
		if g.Root != "finance.revenue" || len(g.Nodes) != 4 {
			t.Errorf("mesh lineage finance.revenue --depth 2 = root %q, %d nodes; want finance.revenue and 4 (itself, sales.orders, customers.crm, supply.parts)", g.Root, len(g.Nodes))
		}
	})
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"lineage"}, 2, "usage: mesh lineage"},
			{[]string{"lineage", "sales.orders", "--direction", "sideways"}, 2, "use up, down or both"},
			{[]string{"lineage", "sales.orders", "--depth", "11"}, 2, "use 1 to 10"},
			{[]string{"lineage", "sales.orders", "--format", "xml"}, 2, "use text or json"},
			{[]string{"lineage", "sales.nothing"}, 1, "404"},
		}
		for _, tt := range tests {
			code, _, errOut := mesh(t, admin, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("mesh %v = exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.msg)
			}
		}
	})
}
