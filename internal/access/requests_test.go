package access

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
)

func requestIDs(rs []Request) []string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestAccessRequestLifecycle(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	e.grant(t, Grant{Role: RoleOwner, Subject: "olga", Domain: "sales", Product: "orders"})
	e.grant(t, Grant{Role: RoleOwner, Subject: "hugo", Domain: "sales", Product: "returns"})
	e.grant(t, Grant{Role: RoleAdmin, Subject: "root"})
	var (
		bob   = Principal{Name: "bob", Via: "token"}
		olga  = Principal{Name: "olga"}
		hugo  = Principal{Name: "hugo"}
		eve   = Principal{Name: "eve"}
		root  = Principal{Name: "root"}
		order = Resource{"sales", "orders"}
	)

	req, err := e.s.RequestAccess(ctx, bob, "sales", "orders", "", "  monthly revenue report  ")
	if err != nil {
		t.Fatalf("RequestAccess: %v", err)
	}
	want := Request{ID: req.ID, Principal: "bob", Domain: "sales", Product: "orders", Role: RoleConsumer,
		Purpose: "monthly revenue report", Status: StatusPending, CreatedAt: e.clock.Now()}
	if diff := cmp.Diff(want, req); diff != "" || !strings.HasPrefix(req.ID, "req_") {
		t.Errorf("RequestAccess (-want +got):\n%s", diff)
	}
	_, err = e.s.RequestAccess(ctx, bob, "sales", "orders", RoleConsumer, "again")
	wantKind(t, "RequestAccess(pending duplicate)", err, errs.Conflict)

	// Who sees it: bob (his own), olga (owner of the product), root (admin); not hugo nor eve.
	for _, c := range []struct {
		p    Principal
		want []string
	}{{bob, []string{req.ID}}, {olga, []string{req.ID}}, {root, []string{req.ID}}, {hugo, nil}, {eve, nil}} {
		got, err := e.s.Requests(ctx, c.p, StatusPending)
		if err != nil || !cmp.Equal(requestIDs(got), c.want) {
			t.Errorf("Requests(%s, pending) = %v, %v; want %v", c.p.Name, requestIDs(got), err, c.want)
		}
	}
	if got, _ := e.s.Requests(ctx, olga, StatusApproved); len(got) != 0 {
		t.Errorf("Requests(olga, approved) = %v, want none", requestIDs(got))
	}

	// Only who may grant on the product decides.
	for _, p := range []Principal{bob, eve, hugo} {
		_, err := e.s.Approve(ctx, p, req.ID, time.Hour)
		wantKind(t, "Approve by "+p.Name, err, errs.Forbidden)
		_, err = e.s.Deny(ctx, p, req.ID, "no")
		wantKind(t, "Deny by "+p.Name, err, errs.Forbidden)
	}
	if e.s.Can(ctx, bob, ActionRead, order) {
		t.Fatal("bob can read before the approval")
	}

	e.clock.Add(time.Minute)
	approved, err := e.s.Approve(ctx, olga, req.ID, 24*time.Hour)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	decided, exp := e.clock.Now(), e.clock.Now().Add(24*time.Hour)
	want.Status, want.DecidedBy, want.DecidedAt, want.ExpiresAt, want.GrantID = StatusApproved, "olga", &decided, &exp, approved.GrantID
	if diff := cmp.Diff(want, approved); diff != "" {
		t.Errorf("Approve (-want +got):\n%s", diff)
	}
	gs, err := e.s.Grants(ctx, "sales", "orders")
	if err != nil {
		t.Fatal(err)
	}
	wantGrant := Grant{ID: approved.GrantID, Role: RoleConsumer, Subject: "bob", Domain: "sales", Product: "orders",
		ExpiresAt: &exp, CreatedBy: "olga", CreatedAt: decided}
	if len(gs) != 2 || !cmp.Equal(gs[0], wantGrant) {
		t.Errorf("Grants(sales, orders) = %+v, want the approval's grant %+v first", gs, wantGrant)
	}
	if err := e.s.Authorize(ctx, bob, ActionRead, order); err != nil {
		t.Errorf("Authorize(bob, read) after approval = %v", err)
	}
	if e.s.Can(ctx, bob, ActionRead, Resource{"sales", "returns"}) {
		t.Error("the approval gave bob a sibling product")
	}
	stored, err := e.s.Requests(ctx, bob, "")
	if err != nil || len(stored) != 1 || !cmp.Equal(stored[0], approved) {
		t.Errorf("Requests(bob) = %+v, %v; want the approved request as returned", stored, err)
	}

	_, err = e.s.Approve(ctx, olga, req.ID, time.Hour)
	wantKind(t, "Approve twice", err, errs.Conflict)
	_, err = e.s.Deny(ctx, root, req.ID, "changed my mind")
	wantKind(t, "Deny after approval", err, errs.Conflict)

	e.clock.Add(24 * time.Hour)
	if e.s.Can(ctx, bob, ActionRead, order) {
		t.Error("bob can still read after the approved grant expired")
	}

	// Deny: a reason is required; then the request is final and a new one may be filed.
	req2, err := e.s.RequestAccess(ctx, bob, "sales", "orders", RolePublisher, "backfill")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.Deny(ctx, olga, req2.ID, "  ")
	wantKind(t, "Deny without reason", err, errs.Invalid)
	denied, err := e.s.Deny(ctx, olga, req2.ID, "use the staging product")
	if err != nil {
		t.Fatalf("Deny: %v", err)
	}
	if denied.Status != StatusDenied || denied.Reason != "use the staging product" || denied.DecidedBy != "olga" || denied.GrantID != "" || denied.DecidedAt == nil {
		t.Errorf("Deny = %+v, want denied by olga with the reason and no grant", denied)
	}
	if e.s.Can(ctx, bob, ActionPublish, order) {
		t.Error("a denial granted something")
	}
	_, err = e.s.Deny(ctx, olga, req2.ID, "again")
	wantKind(t, "Deny twice", err, errs.Conflict)
	_, err = e.s.Approve(ctx, root, req2.ID, 0)
	wantKind(t, "Approve after denial", err, errs.Conflict)
	e.clock.Add(time.Second)
	req3, err := e.s.RequestAccess(ctx, bob, "sales", "orders", RolePublisher, "backfill, take two")
	if err != nil {
		t.Fatalf("RequestAccess after a denial: %v", err)
	}
	// Approval without ttl: a grant that does not expire.
	approved3, err := e.s.Approve(ctx, root, req3.ID, 0)
	if err != nil || approved3.ExpiresAt != nil {
		t.Fatalf("Approve(ttl 0) = %+v, %v; want no expiry", approved3, err)
	}
	e.clock.Add(365 * 24 * time.Hour)
	if !e.s.Can(ctx, bob, ActionPublish, order) {
		t.Error("a grant approved without ttl expired")
	}

	all, err := e.s.Requests(ctx, root, "")
	if err != nil || !cmp.Equal(requestIDs(all), []string{req.ID, req2.ID, req3.ID}) {
		t.Errorf("Requests(root) = %v, %v; want all three in order", requestIDs(all), err)
	}
	if got, _ := e.s.Requests(ctx, olga, StatusDenied); !cmp.Equal(requestIDs(got), []string{req2.ID}) {
		t.Errorf("Requests(olga, denied) = %v, want [%s]", requestIDs(got), req2.ID)
	}
}

func TestAccessRequestInvalid(t *testing.T) {
	ctx := context.Background()
	e := open(t, Config{})
	bob := Principal{Name: "bob"}
	tests := []struct {
		name            string
		p               Principal
		domain, product string
		role            Role
		purpose         string
		wantKind        errs.Kind
	}{
		{"owner role", bob, "sales", "orders", RoleOwner, "x", errs.Invalid},
		{"admin role", bob, "sales", "orders", RoleAdmin, "x", errs.Invalid},
		{"unknown role", bob, "sales", "orders", "reader", "x", errs.Invalid},
		{"no purpose", bob, "sales", "orders", "", "", errs.Invalid},
		{"blank purpose", bob, "sales", "orders", "", " \n\t", errs.Invalid},
		{"purpose too long", bob, "sales", "orders", "", strings.Repeat("é", maxText+1), errs.Invalid},
		{"purpose not UTF-8", bob, "sales", "orders", "", "\xff", errs.Invalid},
		{"no domain", bob, "", "orders", "", "x", errs.Invalid},
		{"no product", bob, "sales", "", "", "x", errs.Invalid},
		{"bad product", bob, "sales", "Orders", "", "x", errs.Invalid},
		{"no principal", Principal{}, "sales", "orders", "", "x", errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.RequestAccess(ctx, tt.p, tt.domain, tt.product, tt.role, tt.purpose)
			wantKind(t, "RequestAccess", err, tt.wantKind)
		})
	}
	if _, err := e.s.RequestAccess(ctx, bob, "sales", "orders", RoleUnmask, strings.Repeat("é", maxText)); err != nil {
		t.Errorf("RequestAccess(unmask, %d characters) = %v, want success", maxText, err)
	}

	root := Principal{Name: "root"}
	e.grant(t, Grant{Role: RoleAdmin, Subject: "root"})
	_, err := e.s.Approve(ctx, root, "req_unknown", 0)
	wantKind(t, "Approve(unknown)", err, errs.NotFound)
	_, err = e.s.Deny(ctx, root, "req_unknown", "no")
	wantKind(t, "Deny(unknown)", err, errs.NotFound)
	_, err = e.s.Approve(ctx, root, "req_unknown", -time.Hour)
	wantKind(t, "Approve(negative ttl)", err, errs.Invalid)
	_, err = e.s.Requests(ctx, root, "open")
	wantKind(t, "Requests(bad status)", err, errs.Invalid)
}
