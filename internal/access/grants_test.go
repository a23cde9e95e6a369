package access

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
)

func TestAddGrantInvalid(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	past := e.clock.Now().Add(-time.Second)
	now := e.clock.Now()
	tests := []struct {
		name string
		by   string
		g    Grant
	}{
		{"no grantor", "", Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales"}},
		{"unknown role", "root", Grant{Role: "reader", Subject: "bob", Domain: "sales"}},
		{"empty role", "root", Grant{Subject: "bob", Domain: "sales"}},
		{"admin on a domain", "root", Grant{Role: RoleAdmin, Subject: "bob", Domain: "sales"}},
		{"admin on a product", "root", Grant{Role: RoleAdmin, Subject: "bob", Domain: "sales", Product: "orders"}},
		{"consumer on the platform", "root", Grant{Role: RoleConsumer, Subject: "bob"}},
		{"owner on the platform", "root", Grant{Role: RoleOwner, Subject: "bob"}},
		{"viewer on the platform", "root", Grant{Role: RoleViewer, Subject: "group:staff"}},
		{"role of another case", "root", Grant{Role: "Viewer", Subject: "bob", Domain: "sales"}},
		{"product without domain", "root", Grant{Role: RoleConsumer, Subject: "bob", Product: "orders"}},
		{"admin with product only", "root", Grant{Role: RoleAdmin, Subject: "bob", Product: "orders"}},
		{"empty subject", "root", Grant{Role: RoleConsumer, Domain: "sales"}},
		{"subject with a space", "root", Grant{Role: RoleConsumer, Subject: "bob smith", Domain: "sales"}},
		{"empty group", "root", Grant{Role: RoleConsumer, Subject: "group:", Domain: "sales"}},
		{"upper-case group", "root", Grant{Role: RoleConsumer, Subject: "group:Sales", Domain: "sales"}},
		{"upper-case domain", "root", Grant{Role: RoleConsumer, Subject: "bob", Domain: "Sales"}},
		{"domain starting with a digit", "root", Grant{Role: RoleConsumer, Subject: "bob", Domain: "1sales"}},
		{"domain with a dash", "root", Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales-eu"}},
		{"domain too long", "root", Grant{Role: RoleConsumer, Subject: "bob", Domain: "s" + strings.Repeat("a", 63)}},
		{"product with a dot", "root", Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", Product: "or.ders"}},
		{"expiry in the past", "root", Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", ExpiresAt: &past}},
		{"expiry now", "root", Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", ExpiresAt: &now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.AddGrant(ctx, tt.by, tt.g)
			wantKind(t, "AddGrant", err, errs.Invalid)
		})
	}
	if gs, err := e.s.Grants(ctx, "", ""); err != nil || len(gs) != 0 {
		t.Errorf("Grants after failures = %v, %v; want none", gs, err)
	}
	// The edges of the name patterns are fine.
	for _, g := range []Grant{
		{Role: RoleConsumer, Subject: "group:a", Domain: "s" + strings.Repeat("a", 62), Product: "p_1"},
		{Role: RoleAdmin, Subject: "alice@example.com"},
	} {
		if _, err := e.s.AddGrant(ctx, "root", g); err != nil {
			t.Errorf("AddGrant(%+v) = %v, want success", g, err)
		}
	}
}

func TestAddGrantAgain(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	exp := e.clock.Now().Add(time.Hour)
	first := e.grant(t, Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", Product: "orders", ExpiresAt: &exp})
	want := Grant{ID: first.ID, Role: RoleConsumer, Subject: "bob", Domain: "sales", Product: "orders",
		ExpiresAt: &exp, CreatedBy: "root", CreatedAt: e.clock.Now()}
	if !strings.HasPrefix(first.ID, "grt_") {
		t.Errorf("AddGrant id = %q, want grt_...", first.ID)
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("AddGrant (-want +got):\n%s", diff)
	}

	// Again, by someone else, later and with another expiry: same grant, new expiry.
	e.clock.Add(time.Minute)
	exp2 := e.clock.Now().Add(48 * time.Hour)
	second, err := e.s.AddGrant(ctx, "olga", Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", Product: "orders", ExpiresAt: &exp2})
	if err != nil {
		t.Fatal(err)
	}
	want.ExpiresAt = &exp2
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("AddGrant again (-want +got):\n%s", diff)
	}
	// And without expiry: permanent.
	third, err := e.s.AddGrant(ctx, "olga", Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", Product: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	want.ExpiresAt = nil
	if diff := cmp.Diff(want, third); diff != "" {
		t.Errorf("AddGrant permanent (-want +got):\n%s", diff)
	}
	gs, err := e.s.Grants(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Grant{want}, gs); diff != "" {
		t.Errorf("Grants (-want +got):\n%s", diff)
	}
}

func TestRevokeGrantAndList(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	admin := e.grant(t, Grant{Role: RoleAdmin, Subject: "root"})
	sales := e.grant(t, Grant{Role: RoleOwner, Subject: "group:sales-team", Domain: "sales"})
	orders := e.grant(t, Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", Product: "orders"})
	returns := e.grant(t, Grant{Role: RolePublisher, Subject: "svc-etl", Domain: "sales", Product: "returns"})
	hr := e.grant(t, Grant{Role: RoleConsumer, Subject: "bob", Domain: "hr"})

	tests := []struct {
		domain, product string
		want            []Grant
	}{
		{"", "", []Grant{admin, hr, sales, orders, returns}},
		{"sales", "", []Grant{sales, orders, returns}},
		{"sales", "orders", []Grant{orders}},
		{"sales", "nope", nil},
		{"nope", "", nil},
	}
	for _, tt := range tests {
		got, err := e.s.Grants(ctx, tt.domain, tt.product)
		if err != nil {
			t.Fatalf("Grants(%q, %q): %v", tt.domain, tt.product, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Grants(%q, %q) (-want +got):\n%s", tt.domain, tt.product, diff)
		}
	}
	_, err := e.s.Grants(ctx, "", "orders")
	wantKind(t, "Grants(no domain, product)", err, errs.Invalid)

	if got, err := e.s.Grant(ctx, returns.ID); err != nil || !cmp.Equal(got, returns) {
		t.Errorf("Grant(%s) = %+v, %v; want %+v", returns.ID, got, err, returns)
	}
	got, err := e.s.RevokeGrant(ctx, orders.ID)
	if err != nil || !cmp.Equal(got, orders) {
		t.Errorf("RevokeGrant = %+v, %v; want %+v", got, err, orders)
	}
	_, err = e.s.RevokeGrant(ctx, orders.ID)
	wantKind(t, "RevokeGrant twice", err, errs.NotFound)
	_, err = e.s.RevokeGrant(ctx, "grt_unknown")
	wantKind(t, "RevokeGrant(unknown)", err, errs.NotFound)
	_, err = e.s.Grant(ctx, orders.ID)
	wantKind(t, "Grant(revoked)", err, errs.NotFound)
	if gs, _ := e.s.Grants(ctx, "sales", "orders"); len(gs) != 0 {
		t.Errorf("Grants(sales, orders) after revoke = %+v, want none", gs)
	}
}
