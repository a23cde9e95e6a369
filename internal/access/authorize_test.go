package access

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

var allActions = []Action{ActionDiscover, ActionRead, ActionPublish, ActionApply, ActionGrant, ActionUnmask, ActionAdmin}

// resources the matrix tries: a product, its sibling, its domain, another domain's product, another domain, the platform.
var matrixResources = map[string]Resource{
	"sales.orders":  {Domain: "sales", Product: "orders"},
	"sales.returns": {Domain: "sales", Product: "returns"},
	"sales":         {Domain: "sales"},
	"hr.people":     {Domain: "hr", Product: "people"},
	"hr":            {Domain: "hr"},
	"platform":      {},
}

// TestAuthorizeMatrix tries every role × scope × subject kind × action × resource.
// The expectations are spelled out here, apart from the implementation's tables.
func TestAuthorizeMatrix(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})

	roleAllows := map[Role]map[Action]bool{
		RoleOwner:     {ActionDiscover: true, ActionRead: true, ActionPublish: true, ActionApply: true, ActionGrant: true, ActionUnmask: true},
		RolePublisher: {ActionDiscover: true, ActionRead: true, ActionPublish: true},
		RoleConsumer:  {ActionDiscover: true, ActionRead: true},
		RoleUnmask:    {ActionDiscover: true, ActionUnmask: true},
		RoleViewer:    {ActionDiscover: true},
	}
	scopes := map[string]struct {
		domain, product string
		covers          map[string]bool
	}{
		"domain sales":         {"sales", "", map[string]bool{"sales.orders": true, "sales.returns": true, "sales": true}},
		"product sales.orders": {"sales", "orders", map[string]bool{"sales.orders": true}},
	}

	type principalCase struct {
		p      Principal
		role   Role
		covers map[string]bool
	}
	var cases []principalCase
	for role := range roleAllows {
		for scope, sc := range scopes {
			for _, viaGroup := range []bool{false, true} {
				name := fmt.Sprintf("u-%s-%s-%v", role, sc.product, viaGroup)
				p := Principal{Name: name, Groups: []string{"unrelated"}}
				subject := name
				if viaGroup {
					group := fmt.Sprintf("g-%s-%s", role, sc.product)
					p.Groups = append(p.Groups, group)
					subject = "group:" + group
				}
				e.grant(t, Grant{Role: role, Subject: subject, Domain: sc.domain, Product: sc.product})
				cases = append(cases, principalCase{p, role, scopes[scope].covers})
			}
		}
	}
	e.grant(t, Grant{Role: RoleAdmin, Subject: "root"})
	e.grant(t, Grant{Role: RoleAdmin, Subject: "group:platform-team"})
	everything := map[string]bool{}
	for name := range matrixResources {
		everything[name] = true
	}
	allRoles := map[Action]bool{}
	for _, a := range allActions {
		allRoles[a] = true
	}
	roleAllows[RoleAdmin] = allRoles
	cases = append(cases,
		principalCase{Principal{Name: "root"}, RoleAdmin, everything},
		principalCase{Principal{Name: "ops", Groups: []string{"platform-team"}}, RoleAdmin, everything},
		principalCase{Principal{Name: "nobody", Groups: []string{"unrelated"}}, "", nil},
		// A principal named like a group is not in it.
		principalCase{Principal{Name: "platform-team"}, "", nil},
	)

	for _, c := range cases {
		for _, a := range allActions {
			for rname, r := range matrixResources {
				want := roleAllows[c.role][a] && c.covers[rname]
				t.Run(fmt.Sprintf("%s/%s/%s", c.p.Name, a, rname), func(t *testing.T) {
					err := e.s.Authorize(ctx, c.p, a, r)
					if got := err == nil; got != want {
						t.Errorf("Authorize(%s %v, %s, %s) = %v, want allowed %v", c.p.Name, c.p.Groups, a, rname, err, want)
					}
					if err != nil && !errs.Is(err, errs.Forbidden) {
						t.Errorf("Authorize error kind = %v, want Forbidden", errs.KindOf(err))
					}
					if got := e.s.Can(ctx, c.p, a, r); got != want {
						t.Errorf("Can(%s, %s, %s) = %v, want %v", c.p.Name, a, rname, got, want)
					}
				})
			}
		}
	}
}

func TestAuthorizeMessages(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	bob := Principal{Name: "bob"}
	tests := []struct {
		a    Action
		r    Resource
		want string
	}{
		{ActionDiscover, Resource{"sales", "orders"}, `principal "bob" may not discover sales.orders: it needs the viewer, consumer, publisher, unmask or owner role (or admin)`},
		{ActionRead, Resource{"sales", "orders"}, `principal "bob" may not read sales.orders: it needs the consumer, publisher or owner role (or admin)`},
		{ActionPublish, Resource{"sales", "orders"}, `principal "bob" may not publish sales.orders: it needs the publisher or owner role (or admin)`},
		{ActionApply, Resource{"sales", ""}, `principal "bob" may not apply sales: it needs the owner role (or admin)`},
		{ActionGrant, Resource{"sales", "orders"}, `principal "bob" may not grant sales.orders: it needs the owner role (or admin)`},
		{ActionUnmask, Resource{"sales", "orders"}, `principal "bob" may not unmask sales.orders: it needs the unmask or owner role (or admin)`},
		{ActionAdmin, Resource{"sales", "orders"}, `principal "bob" may not admin sales.orders: it needs the admin role`},
		{ActionRead, Resource{}, `principal "bob" may not read the platform: it needs the admin role`},
		{"fly", Resource{"sales", ""}, `principal "bob" may not fly sales: unknown action`},
	}
	for _, tt := range tests {
		t.Run(string(tt.a), func(t *testing.T) {
			err := e.s.Authorize(ctx, bob, tt.a, tt.r)
			kind, msg, _ := errs.Public(err)
			if kind != errs.Forbidden || msg != tt.want {
				t.Errorf("Authorize(bob, %s, %+v) = %v %q, want Forbidden %q", tt.a, tt.r, kind, msg, tt.want)
			}
		})
	}
	// A principal without a name gets nothing, whatever is granted.
	e.grant(t, Grant{Role: RoleConsumer, Subject: "group:all", Domain: "sales"})
	if e.s.Can(ctx, Principal{Groups: []string{"all"}}, ActionRead, Resource{"sales", "orders"}) {
		t.Error("Can(nameless principal) = true, want false")
	}
}

func TestAuthorizeExpiry(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	exp := e.clock.Now().Add(time.Hour)
	e.grant(t, Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", ExpiresAt: &exp})
	e.grant(t, Grant{Role: RoleOwner, Subject: "group:team", Domain: "sales", Product: "orders", ExpiresAt: &exp})
	bob := Principal{Name: "bob"}
	olga := Principal{Name: "olga", Groups: []string{"team"}}
	orders := Resource{"sales", "orders"}

	check := func(when string, want bool) {
		t.Helper()
		if got := e.s.Can(ctx, bob, ActionRead, orders); got != want {
			t.Errorf("%s: Can(bob, read) = %v, want %v", when, got, want)
		}
		if got := e.s.Can(ctx, olga, ActionGrant, orders); got != want {
			t.Errorf("%s: Can(olga via group, grant) = %v, want %v", when, got, want)
		}
	}
	check("before expiry", true)
	e.clock.Add(time.Hour - time.Nanosecond)
	check("1ns before expiry", true)
	e.clock.Add(time.Nanosecond)
	check("at expiry", false)
	// Granting again renews.
	exp2 := e.clock.Now().Add(time.Hour)
	e.grant(t, Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", ExpiresAt: &exp2})
	if !e.s.Can(ctx, bob, ActionRead, orders) {
		t.Error("Can(bob) after renewing = false, want true")
	}
}

func TestAuthorizeSeesChanges(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	bob := Principal{Name: "bob"}
	orders := Resource{"sales", "orders"}
	g := e.grant(t, Grant{Role: RoleConsumer, Subject: "bob", Domain: "sales", Product: "orders"})
	if !e.s.Can(ctx, bob, ActionRead, orders) {
		t.Fatal("Can after AddGrant = false")
	}
	if _, err := e.s.RevokeGrant(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if e.s.Can(ctx, bob, ActionRead, orders) {
		t.Fatal("Can after RevokeGrant = true")
	}
	// A change behind the Store's back shows after Invalidate.
	if _, err := e.db.Exec(`INSERT INTO mesh_grants (id, role, subject, domain, product, created_by, created_at)
		VALUES ('grt_x', 'consumer', 'bob', 'sales', '', 'sql', ?)`, fmtTime(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if e.s.Can(ctx, bob, ActionRead, orders) {
		t.Fatal("Can before Invalidate = true, want the cached answer")
	}
	e.s.Invalidate()
	if !e.s.Can(ctx, bob, ActionRead, orders) {
		t.Error("Can after Invalidate = false, want true")
	}
	// Malformed rows grant nothing.
	if _, err := e.db.Exec(`INSERT INTO mesh_grants (id, role, subject, domain, product, created_by, created_at) VALUES
		('grt_y', 'admin', 'eve', 'sales', '', 'sql', ?), ('grt_z', 'owner', 'eve', '', '', 'sql', ?), ('grt_w', 'god', 'eve', 'sales', '', 'sql', ?)`,
		fmtTime(e.clock.Now()), fmtTime(e.clock.Now()), fmtTime(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	e.s.Invalidate()
	for _, r := range []Resource{{}, {"sales", ""}, orders} {
		if e.s.Can(ctx, Principal{Name: "eve"}, ActionRead, r) {
			t.Errorf("Can(eve, read, %+v) = true from a malformed grant", r)
		}
	}
}

// TestAuthorizeConcurrent runs Authorize while grants change, for the race detector.
func TestAuthorizeConcurrent(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			if _, err := e.s.AddGrant(ctx, "root", Grant{Role: RoleConsumer, Subject: fmt.Sprintf("u%d", i), Domain: "sales"}); err != nil {
				t.Error(err)
			}
		}
	}()
	for {
		select {
		case <-done:
			if !e.s.Can(ctx, Principal{Name: "u19"}, ActionRead, Resource{"sales", "x"}) {
				t.Error("Can(u19) after all grants = false")
			}
			return
		default:
			e.s.Can(ctx, Principal{Name: "u1"}, ActionRead, Resource{"sales", "x"})
		}
	}
}

func BenchmarkAuthorize(b *testing.B) {
	ctx := context.Background()
	e := open(b, Config{})
	// A platform of some size: 50 domains × 20 products, a grant per product and per domain.
	for d := range 50 {
		domain := fmt.Sprintf("d%d", d)
		e.grant(b, Grant{Role: RoleOwner, Subject: fmt.Sprintf("group:team%d", d), Domain: domain})
		for p := range 20 {
			e.grant(b, Grant{Role: RoleConsumer, Subject: fmt.Sprintf("user%d", p), Domain: domain, Product: fmt.Sprintf("p%d", p)})
		}
	}
	e.grant(b, Grant{Role: RoleAdmin, Subject: "root"})
	reader := Principal{Name: "user7", Groups: []string{"analysts", "team3", "team49"}}
	cases := []struct {
		name string
		p    Principal
		a    Action
		r    Resource
	}{
		{"user grant", reader, ActionRead, Resource{"d10", "p7"}},
		{"group grant", reader, ActionApply, Resource{"d49", "p0"}},
		{"admin", Principal{Name: "root"}, ActionAdmin, Resource{}},
		{"denied", reader, ActionGrant, Resource{"d10", "p7"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			want := c.name != "denied"
			for b.Loop() {
				if err := e.s.Authorize(ctx, c.p, c.a, c.r); (err == nil) != want {
					b.Fatalf("Authorize = %v", err)
				}
			}
		})
	}
}
