package lake

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestForgetPlans(t *testing.T) {
	a := Ident{Domain: "hr", Product: "staff", Table: "people"}
	b := Ident{Domain: "hr", Product: "staff", Table: "teams"}
	l := &Lake{plans: map[planKey]*Plan{
		{id: a, snapshot: 1}:            {},
		{id: a, snapshot: 1, schema: 2}: {},
		{id: a, snapshot: 2}:            {},
		{id: a, snapshot: 3}:            {},
		{id: b, snapshot: 1}:            {},
	}}
	l.forgetPlans(a, []int64{1, 2})
	got := map[planKey]bool{}
	for k := range l.plans {
		got[k] = true
	}
	want := map[planKey]bool{{id: a, snapshot: 3}: true, {id: b, snapshot: 1}: true}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(planKey{}, Ident{})); diff != "" {
		t.Errorf("plans left after forgetPlans (-want +got):\n%s", diff)
	}
}
