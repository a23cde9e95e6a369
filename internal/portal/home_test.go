package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestHomeShowsWhatThePrincipalMaySee(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t)
	tests := []struct {
		who        string
		want, lack []string
	}{
		{adminName, []string{"<h3>hr</h3>", "<h3>sales</h3>", "hr.payroll", "sales.orders", `href="/inbox"`, `href="/owner"`,
			`<span class="badge admin">admin</span>`}, nil},
		{ownerName, []string{"<h3>sales</h3>", "sales.orders", `href="/inbox"`, `href="/owner"`},
			[]string{"hr.payroll", "<h3>hr</h3>", "Confidential salaries", "badge admin"}},
		{consumerName, []string{"<h3>sales</h3>", `href="/products/sales/orders"`, "Customer orders with their totals", "1 table "},
			[]string{"hr.payroll", "<h3>hr</h3>", "Confidential salaries", `href="/inbox"`, `href="/owner"`, "badge admin"}},
		{strangerName, []string{"There are no data products you may see yet."},
			[]string{"sales.orders", "hr.payroll", `href="/inbox"`, `href="/owner"`}},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			pg := m.signIn(t, tt.who).get(t, "/").wantStatus(t, http.StatusOK)
			pg.wantContains(t, tt.want...)
			pg.wantLacks(t, tt.lack...)
			pg.wantContains(t, `<span class="who" title="signed in with token">`+tt.who)
		})
	}
	// Domains are in order.
	pg := m.signIn(t, adminName).get(t, "/")
	if hr, sales := strings.Index(pg.Body, "<h3>hr</h3>"), strings.Index(pg.Body, "<h3>sales</h3>"); hr < 0 || sales < hr {
		t.Errorf("domains out of order: hr at %d, sales at %d", hr, sales)
	}
}

func TestSearchPage(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t)
	carl := m.signIn(t, consumerName)

	pg := carl.get(t, "/search?q=orders").wantStatus(t, http.StatusOK)
	pg.wantContains(t, "<!doctype html>", `<strong>sales.orders</strong>`, `href="/products/sales/orders"`, `value="orders"`)
	pg.wantLacks(t, "hr.payroll")

	// What the principal may not read is not found, though the admin finds it.
	carl.get(t, "/search?q=salaries").wantStatus(t, http.StatusOK).wantLacks(t, "hr.payroll", "salaries</")
	carl.get(t, "/search?q=salaries").wantContains(t, "0 results")
	m.signIn(t, adminName).get(t, "/search?q=salaries").wantContains(t, "hr.payroll")

	// The fragment is the results alone, for the page's script to swap in.
	fr := carl.get(t, "/search?q=orders&fragment=1", "X-Requested-With", "fetch").wantStatus(t, http.StatusOK)
	fr.wantContains(t, `id="result-count"`, `<strong>sales.orders</strong>`)
	fr.wantLacks(t, "<!doctype", "<html", "<header", "<footer", "data-csrf", `<form`)
	if ct := fr.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("fragment Content-Type = %q", ct)
	}

	// Bad paging is clamped, not an error.
	for _, q := range []string{"offset=-5", "offset=abc", "offset=99999999"} {
		carl.get(t, "/search?q=orders&"+q).wantStatus(t, http.StatusOK).wantContains(t, "sales.orders")
	}
}

// User text is escaped wherever it is shown.
func TestSearchEscapesTheQuery(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	b := m.signIn(t, consumerName)
	for _, q := range []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `' autofocus onfocus='alert(1)`} {
		for _, frag := range []string{"", "&fragment=1"} {
			pg := b.get(t, "/search?q="+url.QueryEscape(q)+frag)
			if pg.Status != http.StatusOK && pg.Status != http.StatusBadRequest {
				t.Fatalf("search %q = %d\n%s", q, pg.Status, clip(pg.Body))
			}
			pg.wantLacks(t, q, "<script>alert", "<img src=x", "onfocus='")
			if !strings.Contains(pg.Body, "alert(1)") {
				t.Errorf("search %q%s: the query is not shown at all", q, frag)
			}
		}
	}
}

func TestNotFoundPage(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t, withoutData())
	b := m.signIn(t, consumerName)
	for _, path := range []string{"/no/such/page", "/nope", "/signin/nope"} {
		pg := b.get(t, path).wantStatus(t, http.StatusNotFound)
		pg.wantContains(t, "There is no such page.", `action="/signout"`, `href="/"`)
	}
	// Signed out, an unknown page goes to sign-in first (it reveals nothing).
	m.newBrowser(t).get(t, "/no/such/page").wantRedirect(t, "/signin?next=%2Fno%2Fsuch%2Fpage")
}

func TestProductDescriptionEscaped(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t)
	spec := strings.NewReplacer(
		"id: sales-orders", "id: sales-evil",
		"name: orders\n", "name: evil\n",
		"dataProduct: orders", "dataProduct: evil",
		"sales-orders-contract", "sales-evil-contract",
		"purpose: Customer orders with their totals, for the portal tests.", `purpose: "<script>alert(1)</script> and <b>bold</b>"`,
	).Replace(string(readTestdata(t, "sales.yaml")))
	m.applySpec(t, "evil.yaml", []byte(spec))
	pg := m.signIn(t, consumerName).get(t, "/").wantStatus(t, http.StatusOK)
	pg.wantContains(t, "sales.evil", "&lt;script&gt;alert(1)&lt;/script&gt; and &lt;b&gt;bold&lt;/b&gt;")
	pg.wantLacks(t, "<script>alert(1)", "<b>bold</b>")
}

func TestHomeMostUsed(t *testing.T) {
	t.Parallel()
	m := newTestMesh(t)
	b := m.signIn(t, consumerName)
	b.get(t, "/").wantContains(t, "No product has been queried in the last 30 days.")
	for range 2 {
		if code, body := m.callAPI(t, m.Tokens[consumerName], "POST", "/api/v1/query", "", map[string]string{"sql": "SELECT count(*) FROM sales.orders.orders"}); code != http.StatusOK {
			t.Fatalf("query = %d\n%s", code, body)
		}
	}
	if err := m.P.Usage.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	pg := b.get(t, "/").wantStatus(t, http.StatusOK)
	pg.wantContains(t, `<h2 id="used-h">Most used</h2>`, "2 queries by 1 in 30 days")
	pg.wantLacks(t, "No product has been queried")
	used := pg.Body[strings.Index(pg.Body, `id="used-h"`):]
	if !strings.Contains(used, `href="/products/sales/orders"`) {
		t.Errorf("most used does not link sales.orders:\n%s", clip(used))
	}
}
