package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRunSmall runs the whole benchmark at a tiny scale: every query must
// give the same result through Meshwork and in plain DuckDB, and the report
// must carry every section. It asserts no timing.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("the benchmark harness takes a few seconds")
	}
	res, err := Run(context.Background(), Config{Scale: 0.01, Dir: t.TempDir(), Runs: 1, LatencyCalls: 20, MemoryLimit: "1GB"})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if len(res.Publish) != 3 || len(res.Queries) != 22 {
		t.Fatalf("results: %d publishes, %d queries, want 3 and 22", len(res.Publish), len(res.Queries))
	}
	for _, p := range res.Publish {
		if p.Rows == 0 || p.Mesh <= 0 || p.DuckDB <= 0 {
			t.Errorf("publish %s = %+v, want rows and both times", p.Format, p)
		}
	}
	for _, q := range res.Queries {
		if !q.Same {
			t.Errorf("Q%d: Meshwork and DuckDB results differ", q.N)
		}
	}
	if res.Latency.Calls != 20 || res.Latency.P50 <= 0 {
		t.Errorf("latency = %+v, want 20 calls measured", res.Latency)
	}
	var b bytes.Buffer
	res.Markdown(&b, "mesh bench --scale 0.01")
	for _, want := range []string{"# Benchmarks", "### Publish", "| Q22 |", "**total**", "### Trivial query"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestSameRows(t *testing.T) {
	tests := []struct {
		a, b [][]string
		want bool
	}{
		{[][]string{{"1", "x"}}, [][]string{{"1", "x"}}, true},
		{[][]string{{"0.30000000000000004"}}, [][]string{{"0.3"}}, true},
		{[][]string{{"1.5"}}, [][]string{{"1.6"}}, false},
		{[][]string{{"a"}}, [][]string{{"b"}}, false},
		{[][]string{{"1"}}, [][]string{{"1"}, {"2"}}, false},
	}
	for _, tt := range tests {
		if got := sameRows(tt.a, tt.b); got != tt.want {
			t.Errorf("sameRows(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
