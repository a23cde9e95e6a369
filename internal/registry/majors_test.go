package registry

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// majorsChange adds major n of sales.orders.orders with the given status and sunset.
func majorsChange(n int, status string, sunset *time.Time) Change {
	ch := salesChange(fmtVersion(n))
	ch.Tables[0].Major, ch.Tables[0].Status, ch.Tables[0].Sunset = n, status, sunset
	ch.Tables[0].Namespace = "orders"
	if n > 1 {
		ch.Tables[0].Namespace = "orders@v" + fmtVersion(n)[:1]
	}
	ch.Contracts[0].Major, ch.Contracts[0].Status = n, status
	return ch
}

func fmtVersion(n int) string { return string(rune('0'+n)) + ".0.0" }

func TestResolveMajors(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	past, future := now.AddDate(0, -1, 0), now.AddDate(0, 1, 0)
	pin := func(n int) *int { return &n }
	steps := []struct {
		apply Change
		major *int
		want  int    // the major resolved; 0: an error
		err   string // the error's text contains this
	}{
		{majorsChange(1, "active", nil), nil, 1, ""},
		{majorsChange(2, "draft", nil), nil, 1, ""}, // a draft does not take unpinned names
		{Change{}, pin(2), 2, ""},
		{majorsChange(2, "active", nil), nil, 2, ""},
		{Change{}, pin(1), 1, ""},
		{Change{}, pin(3), 0, "has no major version 3"},
		{majorsChange(1, "deprecated", &future), pin(1), 1, ""}, // served until its sunset
		{majorsChange(1, "deprecated", &past), pin(1), 0, "sales.orders@v1.orders is retired since"},
		{majorsChange(2, "retired", nil), nil, 0, "retired in every major version"},
	}
	for i, s := range steps {
		if s.apply.Tables != nil {
			s.apply.Expect = nil
			if err := r.Apply(ctx, s.apply); err != nil {
				t.Fatalf("step %d: Apply: %v", i, err)
			}
		}
		tb, err := r.Resolve(ctx, "sales", "orders", "orders", s.major, now)
		switch {
		case s.want == 0 && (!errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), s.err)):
			t.Errorf("step %d: Resolve = %v, %v; want NotFound containing %q", i, tb, err, s.err)
		case s.want != 0 && (err != nil || tb.Major != s.want):
			t.Errorf("step %d: Resolve = %+v, %v; want major %d", i, tb, err, s.want)
		}
	}
}

// TestApplyExpectsHead refuses a change planned against a version that is no
// longer the latest of its major, and writes nothing of it.
func TestApplyExpectsHead(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	first := majorsChange(1, "active", nil)
	first.Expect = []Head{{ContractID: "sales-orders-contract", Major: 1}}
	if err := r.Apply(ctx, first); err != nil {
		t.Fatal(err)
	}
	h, err := r.Head(ctx, "sales-orders-contract", 1)
	if err != nil || h.Version != "1.0.0" || h.Hash == "" {
		t.Fatalf("Head = %+v, %v; want 1.0.0", h, err)
	}
	stale := salesChange("1.1.0")
	stale.Contracts[0].Major = 1
	stale.Contracts[0].Doc = json.RawMessage(`{"stale":true}`)
	stale.Expect = []Head{{ContractID: "sales-orders-contract", Major: 1}} // planned when there was none
	if err := r.Apply(ctx, stale); !errs.Is(err, errs.Conflict) {
		t.Fatalf("Apply with a stale head = %v, want Conflict", err)
	}
	if _, err := r.Contract(ctx, "sales-orders-contract", "1.1.0"); !errs.Is(err, errs.NotFound) {
		t.Errorf("a refused change stored 1.1.0: %v", err)
	}
	stale.Expect = []Head{h}
	if err := r.Apply(ctx, stale); err != nil {
		t.Errorf("Apply against the current head: %v", err)
	}
}
