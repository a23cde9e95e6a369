package portal

import (
	"testing"

	"github.com/meshwork/meshwork/internal/freshness"
	"github.com/meshwork/meshwork/internal/httpapi"
)

func TestWorstFreshness(t *testing.T) {
	for _, tc := range []struct {
		in   []freshness.Status
		want string
	}{
		{nil, ""},
		{[]freshness.Status{freshness.None}, "none"},
		{[]freshness.Status{freshness.Fresh, freshness.None}, "fresh"},
		{[]freshness.Status{freshness.Fresh, freshness.Late}, "late"},
		{[]freshness.Status{freshness.Never, freshness.Late}, "never"},
		{[]freshness.Status{freshness.Fresh, freshness.Stale, freshness.Never}, "stale"},
	} {
		var ts []freshness.TableStatus
		for _, s := range tc.in {
			ts = append(ts, freshness.TableStatus{Status: s})
		}
		if got := worstFreshness(ts); got != tc.want {
			t.Errorf("worstFreshness(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRunVerdict(t *testing.T) {
	rules := func(vs ...string) []httpapi.PageRule {
		var out []httpapi.PageRule
		for _, v := range vs {
			out = append(out, httpapi.PageRule{Verdict: v})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		run  httpapi.PageRun
		want string
	}{
		{"committed, no rules", httpapi.PageRun{Status: "committed"}, "pass"},
		{"committed, all pass", httpapi.PageRun{Status: "committed", Rules: rules("pass", "pass")}, "pass"},
		{"committed with a warning", httpapi.PageRun{Status: "committed", Rules: rules("pass", "warn")}, "warn"},
		{"committed with an error", httpapi.PageRun{Status: "committed", Rules: rules("warn", "error")}, "fail"},
		{"gate failed", httpapi.PageRun{Status: "gate_failed", Rules: rules("pass")}, "fail"},
		{"branch stale", httpapi.PageRun{Status: "stale"}, "fail"},
	} {
		if got := runVerdict(tc.run); got != tc.want {
			t.Errorf("%s: runVerdict = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := worseVerdict(worseVerdict("", "warn"), "pass"); got != "warn" {
		t.Errorf("worse of warn and pass = %q, want warn", got)
	}
}
