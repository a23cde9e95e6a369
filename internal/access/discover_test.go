package access

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDiscover checks the discover action: every role may discover where it
// is granted, the viewer role may do nothing else, and discovering is no
// step towards reading.
func TestDiscover(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	for _, g := range []Grant{
		{Role: RoleViewer, Subject: "group:staff", Domain: "sales"},
		{Role: RoleViewer, Subject: "vera", Domain: "hr", Product: "people"},
		{Role: RoleConsumer, Subject: "carl", Domain: "hr", Product: "people"},
		{Role: RolePublisher, Subject: "pia", Domain: "hr"},
		{Role: RoleUnmask, Subject: "ulla", Domain: "hr", Product: "people"},
		{Role: RoleOwner, Subject: "olaf", Domain: "hr"},
		{Role: RoleAdmin, Subject: "root"},
	} {
		e.grant(t, g)
	}
	orders, people, payroll := Resource{"sales", "orders"}, Resource{"hr", "people"}, Resource{"hr", "payroll"}
	tests := []struct {
		name     string
		p        Principal
		r        Resource
		discover bool
		read     bool
	}{
		{"viewer through a group", Principal{Name: "sam", Groups: []string{"staff"}}, orders, true, false},
		{"viewer of a domain, elsewhere", Principal{Name: "sam", Groups: []string{"staff"}}, people, false, false},
		{"viewer of a product", Principal{Name: "vera"}, people, true, false},
		{"viewer of a product, its sibling", Principal{Name: "vera"}, payroll, false, false},
		{"consumer", Principal{Name: "carl"}, people, true, true},
		{"consumer, elsewhere", Principal{Name: "carl"}, orders, false, false},
		{"publisher", Principal{Name: "pia"}, payroll, true, true},
		{"unmask alone", Principal{Name: "ulla"}, people, true, false},
		{"owner", Principal{Name: "olaf"}, payroll, true, true},
		{"admin", Principal{Name: "root"}, orders, true, true},
		{"no grant", Principal{Name: "nobody", Groups: []string{"unrelated"}}, orders, false, false},
		{"no name", Principal{Groups: []string{"staff"}}, orders, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.s.Can(ctx, tt.p, ActionDiscover, tt.r); got != tt.discover {
				t.Errorf("Can(%s, discover, %v) = %v, want %v", tt.p.Name, tt.r, got, tt.discover)
			}
			if got := e.s.Can(ctx, tt.p, ActionRead, tt.r); got != tt.read {
				t.Errorf("Can(%s, read, %v) = %v, want %v", tt.p.Name, tt.r, got, tt.read)
			}
			for _, a := range []Action{ActionPublish, ActionApply, ActionGrant} {
				if tt.p.Name == "sam" || tt.p.Name == "vera" {
					if e.s.Can(ctx, tt.p, a, tt.r) {
						t.Errorf("Can(%s, %s, %v) = true, want a viewer to do nothing but discover", tt.p.Name, a, tt.r)
					}
				}
			}
		})
	}

	// Scopes of discover and read differ by the viewer grants.
	sam := Principal{Name: "sam", Groups: []string{"staff"}}
	if all, got, err := e.s.Scopes(ctx, sam, ActionDiscover); err != nil || all || !cmp.Equal(got, []Resource{{Domain: "sales"}}) {
		t.Errorf("Scopes(sam, discover) = %v, %v, %v; want [sales]", all, got, err)
	}
	if all, got, err := e.s.Scopes(ctx, sam, ActionRead); err != nil || all || len(got) != 0 {
		t.Errorf("Scopes(sam, read) = %v, %v, %v; want nothing", all, got, err)
	}
}

// TestRequestViewer checks that viewer may be requested and that approving
// it grants discover, not read.
func TestRequestViewer(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	e.grant(t, Grant{Role: RoleAdmin, Subject: "root"})
	bob := Principal{Name: "bob"}
	req, err := e.s.RequestAccess(ctx, bob, "sales", "orders", RoleViewer, "find what sales publishes")
	if err != nil {
		t.Fatalf("RequestAccess(viewer) = %v, want success", err)
	}
	if _, err := e.s.Approve(ctx, Principal{Name: "root"}, req.ID, 0); err != nil {
		t.Fatalf("Approve(viewer) = %v", err)
	}
	orders := Resource{"sales", "orders"}
	if !e.s.Can(ctx, bob, ActionDiscover, orders) || e.s.Can(ctx, bob, ActionRead, orders) {
		t.Errorf("after an approved viewer request: discover %v, read %v; want true, false",
			e.s.Can(ctx, bob, ActionDiscover, orders), e.s.Can(ctx, bob, ActionRead, orders))
	}
}
