package access

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestScopesAgreeWithCan checks Scopes against Can for every principal and
// resource of a mix of grants: users and groups, domains and products,
// expired and live, actions a role has and lacks.
func TestScopesAgreeWithCan(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	soon := e.clock.Now().Add(time.Hour)
	for _, g := range []Grant{
		{Role: RoleConsumer, Subject: "carol", Domain: "sales"},
		{Role: RoleConsumer, Subject: "carol", Domain: "sales", Product: "orders"}, // inside the domain grant
		{Role: RoleConsumer, Subject: "carol", Domain: "hr", Product: "people"},
		{Role: RoleUnmask, Subject: "ulla", Domain: "sales"}, // no read
		{Role: RolePublisher, Subject: "group:etl", Domain: "supply"},
		{Role: RoleConsumer, Subject: "tim", Domain: "hr", ExpiresAt: &soon},
		{Role: RoleAdmin, Subject: "group:ops"},
	} {
		e.grant(t, g)
	}
	e.clock.Add(2 * time.Hour) // tim's grant has expired
	resources := []Resource{{"sales", "orders"}, {"sales", "returns"}, {"hr", "people"}, {"hr", "payroll"}, {"supply", "parts"}}
	tests := []struct {
		p    Principal
		all  bool
		want []Resource
	}{
		{Principal{Name: "carol"}, false, []Resource{{Domain: "hr", Product: "people"}, {Domain: "sales"}}},
		{Principal{Name: "ulla"}, false, nil},
		{Principal{Name: "eve", Groups: []string{"etl"}}, false, []Resource{{Domain: "supply"}}},
		{Principal{Name: "tim"}, false, nil},
		{Principal{Name: "olga", Groups: []string{"etl", "ops"}}, true, nil},
		{Principal{}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.p.Name, func(t *testing.T) {
			all, got, err := e.s.Scopes(ctx, tt.p, ActionRead)
			if err != nil {
				t.Fatal(err)
			}
			if all != tt.all {
				t.Errorf("Scopes(%s) all = %v, want %v", tt.p.Name, all, tt.all)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Scopes(%s) (-want +got):\n%s", tt.p.Name, d)
			}
			for _, r := range resources {
				in := all
				for _, s := range got {
					in = in || (s.Domain == r.Domain && (s.Product == "" || s.Product == r.Product))
				}
				if can := e.s.Can(ctx, tt.p, ActionRead, r); can != in {
					t.Errorf("Can(%s, read, %v) = %v, but Scopes covers it: %v", tt.p.Name, r, can, in)
				}
			}
		})
	}
}
