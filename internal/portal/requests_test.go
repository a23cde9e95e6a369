package portal_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
)

// pendingOf returns the requests the store holds for principal.
func pendingOf(t *testing.T, m *accessMesh, principal string) []access.Request {
	t.Helper()
	rs, err := m.p.Access.Requests(context.Background(), access.Principal{Name: principal}, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []access.Request
	for _, r := range rs {
		if r.Principal == principal {
			out = append(out, r)
		}
	}
	return out
}

func wantIn(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s does not contain %q", what, s)
		}
	}
}

func TestAccessRequestFlow(t *testing.T) {
	m := accessMeshNew(t)
	cara, bob, dan := m.signIn(t, "cara"), m.signIn(t, "bob"), m.signIn(t, "dan")

	// The form comes prefilled from a product page's link.
	code, body := cara.get("/access/request?domain=beta&product=shop")
	if code != http.StatusOK {
		t.Fatalf("GET /access/request = %d, want 200", code)
	}
	wantIn(t, "the request form", body, `name="csrf" value="`+cara.CSRF+`"`, `id="req-domain" name="domain" value="beta"`,
		`name="product" value="shop"`, `<option value="consumer" selected>`, `<option value="unmask"`, `required maxlength="2000"`)

	// Bad submissions create nothing and say why.
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		msg  string
	}{
		{"no CSRF token", url.Values{"csrf": {""}, "domain": {"beta"}, "product": {"shop"}, "purpose": {"x"}}, 403, "did not come from this site"},
		{"wrong CSRF token", url.Values{"csrf": {"nope"}, "domain": {"beta"}, "product": {"shop"}, "purpose": {"x"}}, 403, "did not come from this site"},
		{"empty purpose", url.Values{"domain": {"beta"}, "product": {"shop"}, "role": {"consumer"}, "purpose": {"  "}}, 400, "the purpose is required"},
		{"no such product", url.Values{"domain": {"beta"}, "product": {"nope"}, "purpose": {"reports"}}, 404, ""},
		{"bad role", url.Values{"domain": {"beta"}, "product": {"shop"}, "role": {"owner"}, "purpose": {"reports"}}, 400, "cannot be requested"},
		{"too long", url.Values{"domain": {"beta"}, "product": {"shop"}, "purpose": {strings.Repeat("é", 2001)}}, 400, "longer than 2000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := cara.post("/access/request", tc.form)
			if code != tc.code {
				t.Fatalf("POST /access/request = %d, want %d\n%s", code, tc.code, body)
			}
			wantIn(t, "the answer", body, `role="alert"`, html.EscapeString(tc.msg))
			if tc.code != 403 {
				// The form comes back with what the user typed.
				wantIn(t, "the form shown again", body, `value="`+html.EscapeString(tc.form.Get("product"))+`"`)
			}
			if r := tc.form.Get("role"); r != "" {
				wantIn(t, "the form shown again", body, `<option value="`+r+`" selected>`)
			}
			if rs := pendingOf(t, m, "cara"); len(rs) != 0 {
				t.Errorf("requests after a refused submission = %v, want none", rs)
			}
		})
	}

	// A good one: an XSS payload as the purpose is just text.
	const xss = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	code, _, h := cara.post("/access/request", url.Values{"domain": {"beta"}, "product": {"shop"}, "role": {"consumer"},
		"purpose": {"Monthly reports " + xss}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/access?sent=req_") {
		t.Fatalf("POST /access/request = %d to %q, want 303 to /access?sent=req_...", code, h.Get("Location"))
	}
	rs := pendingOf(t, m, "cara")
	if len(rs) != 1 || rs[0].Status != access.StatusPending || rs[0].Domain != "beta" || rs[0].Role != access.RoleConsumer {
		t.Fatalf("cara's requests = %+v, want one pending consumer request on beta.shop", rs)
	}
	id := rs[0].ID
	code, body = cara.get(h.Get("Location"))
	if code != http.StatusOK {
		t.Fatalf("GET /access = %d", code)
	}
	wantIn(t, "/access after the request", body, "Request sent to the owners of beta.shop.", `id="req-`+id+`"`,
		`<span class="badge pending">pending</span>`, "&lt;script&gt;")
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Errorf("/access renders the purpose unescaped")
	}
	// The same again conflicts, and the API says so on the form.
	code, body, _ = cara.post("/access/request", url.Values{"domain": {"beta"}, "product": {"shop"}, "purpose": {"again"}})
	if code != http.StatusConflict || !strings.Contains(body, "already has a pending request") {
		t.Errorf("a second request = %d, want 409 with the API's message", code)
	}

	// Cara owns nothing: no Inbox in her navigation, nothing in her inbox.
	_, body = cara.get("/access")
	if strings.Contains(body, `href="/inbox"`) {
		t.Errorf("a consumer's navigation links to the inbox")
	}
	_, body = cara.get("/inbox")
	if strings.Contains(body, `id="req-`+id+`"`) {
		t.Errorf("the requester's inbox lists her own request")
	}

	// The owner of beta sees it, escaped, with forms to decide.
	code, body = bob.get("/inbox")
	if code != http.StatusOK {
		t.Fatalf("GET /inbox as bob = %d", code)
	}
	wantIn(t, "bob's inbox", body, `href="/inbox"`, `id="req-`+id+`"`, "cara", html.EscapeString(xss),
		`action="/inbox/`+id+`/approve"`, `action="/inbox/`+id+`/deny"`, `name="csrf" value="`+bob.CSRF+`"`)
	if strings.Contains(body, xss) || regexp.MustCompile(`<script>alert|<img src=x`).MatchString(body) {
		t.Errorf("the inbox renders the purpose unescaped")
	}

	// Dan may not decide: the API refuses, and the inbox shows it.
	code, body, _ = dan.post("/inbox/"+id+"/approve", url.Values{})
	if code != http.StatusForbidden {
		t.Errorf("approve as dan = %d, want 403", code)
	}
	wantIn(t, "dan's refusal", body, `role="alert"`)
	if rs := pendingOf(t, m, "cara"); rs[0].Status != access.StatusPending {
		t.Fatalf("after dan's approval the request is %s, want pending", rs[0].Status)
	}
	// Bob's approval without the CSRF token changes nothing.
	if code, _, _ := bob.post("/inbox/"+id+"/approve", url.Values{"csrf": {""}}); code != http.StatusForbidden {
		t.Errorf("approve without CSRF = %d, want 403", code)
	}
	// A bad expiry is the API's to refuse, and the form keeps the choice.
	code, body, _ = bob.post("/inbox/"+id+"/approve", url.Values{"expires": {"soon"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "is not a duration") {
		t.Errorf("approve with expires=soon = %d, want 400 with the API's message", code)
	}
	if rs := pendingOf(t, m, "cara"); rs[0].Status != access.StatusPending {
		t.Fatalf("after refused approvals the request is %s, want pending", rs[0].Status)
	}

	code, _, h = bob.post("/inbox/"+id+"/approve", url.Values{"expires": {"30d"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/inbox?decided="+id {
		t.Fatalf("approve as bob = %d to %q, want 303 to /inbox?decided=%s", code, h.Get("Location"), id)
	}
	_, body = bob.get(h.Get("Location"))
	wantIn(t, "bob's inbox after approving", body, "Approved cara&#39;s request for the consumer role on beta.shop.",
		"Recently decided", `<span class="badge approved">approved</span>`, "No request is waiting for you.")
	// Deciding twice is a conflict the API reports.
	code, body, _ = bob.post("/inbox/"+id+"/deny", url.Values{"reason": {"changed my mind"}})
	if code != http.StatusConflict || !strings.Contains(body, "already approved") {
		t.Errorf("deny after approve = %d, want 409 with the API's message", code)
	}

	// Cara now holds the grant.
	_, body = cara.get("/access")
	wantIn(t, "cara's access after approval", body, `<a href="/products/beta/shop">beta.shop</a>`,
		`<span class="badge approved">approved</span>`, "by bob")
	if grants := sectionOf(body, "grants-h", "requests-h"); !strings.Contains(grants, `<a href="/products/beta/shop">beta.shop</a>`) {
		t.Errorf("cara's grants do not list beta.shop")
	}
}

func TestAccessDeny(t *testing.T) {
	m := accessMeshNew(t)
	cara, bob := m.signIn(t, "cara"), m.signIn(t, "bob")
	if code, _, _ := cara.post("/access/request", url.Values{"domain": {"beta"}, "product": {"shop"}, "role": {"unmask"},
		"purpose": {"debugging"}}); code != http.StatusSeeOther {
		t.Fatalf("request = %d, want 303", code)
	}
	id := pendingOf(t, m, "cara")[0].ID
	// A denial needs a reason: the API says so, nothing changes.
	code, body, _ := bob.post("/inbox/"+id+"/deny", url.Values{"reason": {" "}})
	if code != http.StatusBadRequest || !strings.Contains(body, "reason for a denial is required") {
		t.Errorf("deny without a reason = %d, want 400 with the API's message", code)
	}
	const why = `no <b>unmask</b> for tests`
	if code, _, _ := bob.post("/inbox/"+id+"/deny", url.Values{"reason": {why}}); code != http.StatusSeeOther {
		t.Fatalf("deny = %d, want 303", code)
	}
	if r := pendingOf(t, m, "cara")[0]; r.Status != access.StatusDenied || r.Reason != why || r.DecidedBy != "bob" {
		t.Errorf("after the denial the request is %+v", r)
	}
	_, body = cara.get("/access")
	wantIn(t, "cara's access after the denial", body, `<span class="badge denied">denied</span>`, "by bob", html.EscapeString(why))
	if strings.Contains(body, "<b>unmask") {
		t.Errorf("/access renders the reason unescaped")
	}
	if grants := sectionOf(body, "grants-h", "requests-h"); strings.Contains(grants, "beta") {
		t.Errorf("a denied request shows as a grant:\n%s", grants)
	}
}

func TestAccessPagesNeedSession(t *testing.T) {
	m := accessMeshNew(t)
	anon := m.anonymous(t)
	for _, path := range []string{"/access", "/access/request", "/inbox", "/owner"} {
		code, _, h := anon.send("GET", path, nil)
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin?next=") {
			t.Errorf("GET %s without a session = %d to %q, want 303 to sign-in", path, code, h.Get("Location"))
		}
	}
	code, _, _ := anon.send("POST", "/access/request", url.Values{"domain": {"beta"}, "product": {"shop"}, "purpose": {"x"}})
	if code != http.StatusSeeOther {
		t.Errorf("POST /access/request without a session = %d, want 303 to sign-in", code)
	}
	if rs := pendingOf(t, m, ""); len(rs) != 0 {
		t.Errorf("requests = %v, want none", rs)
	}
}

// sectionOf is body from the element with id from to the one with id to.
func sectionOf(body, from, to string) string {
	i, j := strings.Index(body, `id="`+from+`"`), strings.Index(body, `id="`+to+`"`)
	if i < 0 || j < i {
		return ""
	}
	return body[i:j]
}
