package registry

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
)

func TestRuns(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		status := "committed"
		if i == 3 {
			status = "gate_failed"
		}
		if err := r.RecordPublish(ctx, publish(fmt.Sprintf("r%d", i), status, "", int64(100+i), t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	other := publish("x", "committed", "", 1, t0.Add(time.Hour))
	other.Table = "lineitem"
	if err := r.RecordPublish(ctx, other); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		limit int
		want  []string
	}{
		{1, []string{"r4 committed"}},
		{3, []string{"r4 committed", "r3 gate_failed", "r2 committed"}},
		{30, []string{"r4 committed", "r3 gate_failed", "r2 committed", "r1 committed", "r0 committed"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			runs, err := r.Runs(ctx, "sales", "orders", "orders", tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range runs {
				got = append(got, p.RunID+" "+p.Status)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Runs(sales.orders.orders, %d) differs (-want +got):\n%s", tt.limit, diff)
			}
		})
	}
	for _, limit := range []int{0, -1, MaxRuns + 1} {
		if _, err := r.Runs(ctx, "sales", "orders", "orders", limit); !errs.Is(err, errs.Invalid) {
			t.Errorf("Runs(limit %d) error = %v, want Invalid", limit, err)
		}
	}
	if runs, err := r.Runs(ctx, "sales", "orders", "none", 10); err != nil || len(runs) != 0 {
		t.Errorf("Runs of a table without runs = %v, %v, want none", runs, err)
	}
}
