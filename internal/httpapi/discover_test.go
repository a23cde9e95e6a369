package httpapi_test

import (
	"bytes"
	"maps"
	"net/http"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/httpapi"
)

// TestDiscover follows a principal who may discover market but read
// nothing: it finds market.stalls in the catalog, in search and on its
// page, marked not readable and without anything the data yields, and is
// refused its data; a principal without any grant still finds nothing.
func TestDiscover(t *testing.T) {
	e, reader := pageMesh(t)
	secret, _ := e.mintToken(t, httpapi.TokenRequest{Principal: "vic", Groups: []string{"staff"}})
	e.grantRole(t, httpapi.GrantRequest{Role: access.RoleViewer, Subject: "group:staff", Domain: "market"})
	viewer := e.as(secret)
	nobody := e.principal(t, "nobody")

	t.Run("catalog", func(t *testing.T) {
		tests := []struct {
			name string
			as   *env
			want map[string]bool // readable, by listed product
		}{
			{"viewer", viewer, map[string]bool{"market.stalls": false}},
			{"consumer", reader, map[string]bool{"market.stalls": true}},
			{"admin", e, map[string]bool{"market.stalls": true, "geo.places": true}},
			{"no grant", nobody, map[string]bool{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := map[string]bool{}
				for _, p := range tt.as.products(t) {
					got[p.Domain+"."+p.Name] = p.Readable
				}
				if !maps.Equal(got, tt.want) {
					t.Errorf("GET /api/v1/products as %s: readable by product %v, want %v", tt.name, got, tt.want)
				}
			})
		}
	})

	t.Run("search", func(t *testing.T) {
		tests := []struct {
			name string
			as   *env
			want map[string]bool // readable, by product of the hits
		}{
			{"viewer", viewer, map[string]bool{"market.stalls": false}},
			{"consumer", reader, map[string]bool{"market.stalls": true}},
			{"no grant", nobody, map[string]bool{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := map[string]bool{}
				for _, h := range tt.as.search(t, "q", "vendor", "limit", "100").Results {
					got[h.Domain+"."+h.Product] = h.Readable
				}
				if !maps.Equal(got, tt.want) {
					t.Errorf("search vendor as %s: readable by product %v, want %v", tt.name, got, tt.want)
				}
			})
		}
	})

	t.Run("page", func(t *testing.T) {
		page, body := viewer.page(t, vendorsPage)
		if page.Readable {
			t.Errorf("the viewer's page: readable true, want false")
		}
		if len(page.DataDictionary) == 0 || len(page.DataDictionary[0].Columns) == 0 || len(page.Owners.Teams) == 0 || len(page.Contract.Majors) == 0 {
			t.Errorf("the viewer's page lacks metadata (dictionary, owners, contract):\n%s", clip(body))
		}
		for _, tb := range page.DataDictionary {
			if tb.Denied == "" {
				t.Errorf("the viewer's page: table %s not denied, want the reason a query would be refused", tb.Name)
			}
		}
		runs := 0
		for _, q := range page.QualityHistory {
			for _, run := range q.Runs {
				runs++
				for _, r := range run.Rules {
					if r.Value != nil {
						t.Errorf("the viewer's page: rule %s of run %s shows the value %v, want none", r.Name, run.RunID, *r.Value)
					}
					if r.Verdict == "" {
						t.Errorf("the viewer's page: rule %s of run %s has no verdict", r.Name, run.RunID)
					}
				}
			}
		}
		if runs == 0 {
			t.Errorf("the viewer's page shows no quality history, want the runs' verdicts")
		}
		for _, v := range []string{"Ada Stall", "ada@market.example,", secretLiteral} {
			if bytes.Contains(body, []byte(v)) {
				t.Errorf("the viewer's page contains the data value %q", v)
			}
		}

		// The consumer's page is as before: readable, nothing denied, values shown.
		cpage, _ := reader.page(t, vendorsPage)
		if !cpage.Readable {
			t.Errorf("the consumer's page: readable false, want true")
		}
		for _, tb := range cpage.DataDictionary {
			if tb.Denied != "" {
				t.Errorf("the consumer's page: table %s denied (%s), want it readable", tb.Name, tb.Denied)
			}
		}
		if !hasRuleValue(cpage) {
			t.Errorf("the consumer's page shows no rule value, want what the rules measured")
		}

		nobody.do(t, "GET", vendorsPage, nil).wantError(t, "the page as a principal without grants", http.StatusNotFound, "not_found", "does not exist")
		viewer.do(t, "GET", "/api/v1/products/geo/places/page", nil).wantError(t, "the page of a product the viewer may not discover",
			http.StatusNotFound, "not_found", "does not exist")
	})

	t.Run("describe", func(t *testing.T) {
		r := viewer.do(t, "GET", "/api/v1/products/market/stalls", nil)
		r.wantStatus(t, "describe as the viewer", http.StatusOK)
		var d httpapi.ProductDetail
		r.decode(t, "product", &d)
		if d.Readable || len(d.Tables) == 0 {
			t.Errorf("describe as the viewer: readable %v, %d tables; want false and the tables", d.Readable, len(d.Tables))
		}
		for _, tb := range d.Tables {
			if tb.LastPublish != nil {
				t.Errorf("describe as the viewer: table %s shows its last publish report, want none", tb.Name)
			}
		}
		nobody.do(t, "GET", "/api/v1/products/market/stalls", nil).wantError(t, "describe without grants", http.StatusForbidden, "forbidden", "market.stalls")
	})

	t.Run("contract", func(t *testing.T) {
		path := "/api/v1/contracts/market-stalls-contract/versions/1.0.0"
		viewer.do(t, "GET", path, nil).wantStatus(t, "the contract as the viewer", http.StatusOK)
		nobody.do(t, "GET", path, nil).wantError(t, "the contract without grants", http.StatusNotFound, "not_found", "does not exist")
	})

	t.Run("data is refused", func(t *testing.T) {
		r := viewer.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT count(*) FROM " + vendors})
		r.wantError(t, "a query as the viewer", http.StatusForbidden, "forbidden", "market.stalls")
		r = nobody.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT count(*) FROM " + vendors})
		r.wantError(t, "a query without grants", http.StatusForbidden, "forbidden", "market.stalls")
	})

	t.Run("whoami", func(t *testing.T) {
		r := viewer.do(t, "GET", "/api/v1/whoami", nil)
		r.wantStatus(t, "whoami as the viewer", http.StatusOK)
		var w struct {
			May map[string]httpapi.MayScopes `json:"may"`
		}
		r.decode(t, "whoami", &w)
		if d := w.May["discover"]; d.All || len(d.Scopes) != 1 || d.Scopes[0] != (access.Resource{Domain: "market"}) {
			t.Errorf("whoami as the viewer: may discover %+v, want market", d)
		}
		if rd := w.May["read"]; rd.All || len(rd.Scopes) != 0 {
			t.Errorf("whoami as the viewer: may read %+v, want nowhere", rd)
		}
	})

	t.Run("request access", func(t *testing.T) {
		r := viewer.sendJSON(t, "POST", "/api/v1/access-requests", httpapi.AccessRequestBody{Domain: "market", Product: "stalls", Purpose: "vendor report"})
		r.wantStatus(t, "an access request by the viewer", http.StatusCreated)
	})
}

func hasRuleValue(p httpapi.Page) bool {
	for _, q := range p.QualityHistory {
		for _, run := range q.Runs {
			for _, r := range run.Rules {
				if r.Value != nil {
					return true
				}
			}
		}
	}
	return false
}
