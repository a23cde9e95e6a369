package portal_test

import (
	"html"
	"net/http"
	"strings"
	"testing"
)

func TestOwnerView(t *testing.T) {
	m := accessMeshNew(t)
	bob, dan, cara := m.signIn(t, "bob"), m.signIn(t, "dan"), m.signIn(t, "cara")

	// bob owns beta: its product, fresh, with the publish the gate refused.
	code, body := bob.get("/owner")
	if code != http.StatusOK {
		t.Fatalf("GET /owner as bob = %d", code)
	}
	wantIn(t, "bob's owner view", body, `href="/owner" aria-current="page"`, `<h2 id="dom-beta-h">beta</h2>`,
		`<a href="/products/beta/shop">beta.shop</a>`, `<code>beta.shop@v1.items</code> <span class="badge fresh">fresh</span>`,
		"SLA frequency 1 day", "Failed publishes", `<span class="badge failed">gate_failed</span>`,
		"<td>non_negative_price</td><td>quality</td>", "mustBe 0", "1 rows read, 1 accepted, 0 rejected.")
	// The latest run failed, so the product's latest quality is a failure.
	if row := rowOf(body, "prod-beta-shop"); !strings.Contains(row, `<span class="badge fail">fail</span>`) {
		t.Errorf("beta.shop's row does not show the latest quality as fail:\n%s", row)
	}
	if strings.Contains(body, "alpha") {
		t.Errorf("bob's owner view shows alpha, which he may not publish to")
	}

	// dan publishes to alpha: its product passed and nothing failed.
	_, body = dan.get("/owner")
	if row := rowOf(body, "prod-alpha-shop"); !strings.Contains(row, `<span class="badge pass">pass</span>`) {
		t.Errorf("alpha.shop's row does not show the latest quality as pass:\n%s", row)
	}
	wantIn(t, "dan's owner view", body, `<h2 id="dom-alpha-h">alpha</h2>`, `<a href="/products/alpha/shop">alpha.shop</a>`,
		"No failed publishes in the recent runs.")
	if strings.Contains(body, "beta") || strings.Contains(body, "gate_failed") {
		t.Errorf("dan's owner view shows beta's products or runs")
	}

	// erin's domain has no product yet: it is listed, empty.
	_, body = m.signIn(t, "erin").get("/owner")
	wantIn(t, "erin's owner view", body, `<h2 id="dom-gamma-h">gamma</h2>`, "No product in gamma yet.")

	// cara only consumes: no link to the view, and nothing in it.
	_, body = cara.get("/owner")
	wantIn(t, "cara's owner view", body, html.EscapeString("You may not publish to or apply specs in any domain"))
	if strings.Contains(body, `href="/owner"`) || strings.Contains(body, "dom-alpha-h") {
		t.Errorf("a consumer's owner view links to it or lists a domain")
	}
}

// rowOf is the table row with the given id.
func rowOf(body, id string) string {
	i := strings.Index(body, `<tr id="`+id+`">`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</tr>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}
