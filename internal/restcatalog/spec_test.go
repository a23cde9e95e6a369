package restcatalog_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/demo"
)

// TestSpecConformance sends every kind of request the catalog answers, good
// and bad, so that newEnv's validator checks each kind of response against
// the official spec; the assertions here are what the schema cannot say.
func TestSpecConformance(t *testing.T) {
	e := newEnv(t)
	admin := e.p.AdminSecret
	toks, err := demo.Tokens(context.Background(), e.p.Access)
	if err != nil {
		t.Fatal(err)
	}
	sec := map[string]string{}
	for _, tk := range toks {
		sec[tk.Principal] = tk.Secret
	}
	consumer, analyst := sec["sales-consumer"], sec["analyst"]
	report := `{"report-type":"scan-report","table-name":"sales.orders.orders","snapshot-id":1,"filter":true,"schema-id":0,
		"projected-field-ids":[1],"projected-field-names":["o_orderkey"],"metrics":{"total-planning-duration":{"count":1,"time-unit":"nanoseconds","total-duration":5}}}`

	cases := []struct {
		name, token, method, path, body, ctype string
		status                                 int
	}{
		{"config", admin, "GET", "/v1/config", "", "", 200},
		{"config with warehouse", consumer, "GET", "/v1/config?warehouse=mesh", "", "", 200},
		{"config without token", "", "GET", "/v1/config", "", "", 401},
		{"namespaces", consumer, "GET", "/v1/namespaces", "", "", 200},
		{"namespaces empty parent", admin, "GET", "/v1/namespaces?parent=", "", "", 200},
		{"namespaces of a product", admin, "GET", "/v1/namespaces?parent=sales%1Forders", "", "", 200},
		{"namespaces forbidden", consumer, "GET", "/v1/namespaces?parent=supply", "", "", 403},
		{"namespaces bad page size", admin, "GET", "/v1/namespaces?pageToken=&pageSize=0", "", "", 400},
		{"namespaces bad page token", admin, "GET", "/v1/namespaces?pageToken=zz!", "", "", 400},
		{"namespace", admin, "GET", "/v1/namespaces/sales%1Forders", "", "", 200},
		{"namespace forbidden", consumer, "GET", "/v1/namespaces/supply", "", "", 403},
		{"namespace unknown", admin, "GET", "/v1/namespaces/nope", "", "", 404},
		{"namespace bad", admin, "GET", "/v1/namespaces/N", "", "", 400},
		{"namespace without token", "", "GET", "/v1/namespaces/sales", "", "", 401},
		{"namespace exists", consumer, "HEAD", "/v1/namespaces/sales", "", "", 204},
		{"namespace exists forbidden", consumer, "HEAD", "/v1/namespaces/supply", "", "", 403},
		{"namespace exists unknown", admin, "HEAD", "/v1/namespaces/nope", "", "", 404},
		{"namespace exists bad", admin, "HEAD", "/v1/namespaces/N", "", "", 400},
		{"namespace exists without token", "", "HEAD", "/v1/namespaces/sales", "", "", 401},
		{"tables", consumer, "GET", "/v1/namespaces/sales%1Forders/tables", "", "", 200},
		{"tables of a domain", consumer, "GET", "/v1/namespaces/sales/tables", "", "", 200},
		{"tables paged", admin, "GET", "/v1/namespaces/customers%1Fcrm/tables?pageToken=&pageSize=2", "", "", 200},
		{"tables forbidden", consumer, "GET", "/v1/namespaces/supply%1Fparts/tables", "", "", 403},
		{"tables unknown", admin, "GET", "/v1/namespaces/sales%1Fnope/tables", "", "", 404},
		{"load", consumer, "GET", "/v1/namespaces/sales%1Forders/tables/orders", "", "", 200},
		{"load refs", consumer, "GET", "/v1/namespaces/sales%1Forders/tables/orders?snapshots=refs", "", "", 200},
		{"load bad snapshots", consumer, "GET", "/v1/namespaces/sales%1Forders/tables/orders?snapshots=some", "", "", 400},
		{"load masked", analyst, "GET", "/v1/namespaces/customers%1Fcrm/tables/customer", "", "", 403},
		{"load forbidden", consumer, "GET", "/v1/namespaces/supply%1Fparts/tables/part", "", "", 403},
		{"load unknown", admin, "GET", "/v1/namespaces/sales%1Forders/tables/nope", "", "", 404},
		{"load bad", admin, "GET", "/v1/namespaces/sales%1Forders/tables/T", "", "", 400},
		{"load without token", "", "GET", "/v1/namespaces/sales%1Forders/tables/orders", "", "", 401},
		{"table exists", consumer, "HEAD", "/v1/namespaces/sales%1Forders/tables/orders", "", "", 204},
		{"table exists unknown", consumer, "HEAD", "/v1/namespaces/sales%1Forders/tables/nope", "", "", 404},
		{"table exists forbidden", consumer, "HEAD", "/v1/namespaces/supply%1Fparts/tables/part", "", "", 403},
		{"metrics", consumer, "POST", "/v1/namespaces/sales%1Forders/tables/orders/metrics", report, "application/json", 204},
		{"metrics unknown table", consumer, "POST", "/v1/namespaces/sales%1Forders/tables/nope/metrics", report, "application/json", 404},
		{"metrics empty", consumer, "POST", "/v1/namespaces/sales%1Forders/tables/orders/metrics", "", "application/json", 400},
		{"wrong method", admin, "PUT", "/v1/namespaces", "", "", 404},
		{"no endpoint", admin, "GET", "/v1/namespaces/sales%1Forders/tables/orders/nope", "", "", 404},
		{"create namespace", consumer, "POST", "/v1/namespaces", `{"namespace":["x"]}`, "application/json", 403},
		{"rename as admin", admin, "POST", "/v1/tables/rename", `{"source":{"namespace":["a"],"name":"b"},"destination":{"namespace":["a"],"name":"c"}}`, "application/json", 406},
		{"token", "", "POST", "/v1/oauth/tokens", url.Values{"grant_type": {"client_credentials"}, "client_id": {"sales-consumer"}, "client_secret": {consumer}}.Encode(), form, 200},
		{"token exchange grant", "", "POST", "/v1/oauth/tokens", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {consumer}}.Encode(), form, 400},
		{"token bad client", "", "POST", "/v1/oauth/tokens", url.Values{"grant_type": {"client_credentials"}, "client_id": {"analyst"}, "client_secret": {consumer}}.Encode(), form, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.ctype != "" {
				hdr = []string{"Content-Type", c.ctype}
			}
			r := e.do(t, c.token, c.method, c.path, strings.NewReader(c.body), hdr...)
			if r.status != c.status {
				t.Errorf("%s %s: %d %s, want %d", c.method, c.path, r.status, r.body, c.status)
			}
		})
	}

	t.Run("empty parent lists the top level", func(t *testing.T) {
		a := e.do(t, admin, "GET", "/v1/namespaces", nil)
		b := e.do(t, admin, "GET", "/v1/namespaces?parent=", nil)
		if string(a.body) != string(b.body) {
			t.Errorf("?parent= lists %s, without it %s", b.body, a.body)
		}
	})

	t.Run("pages", func(t *testing.T) {
		for _, c := range []struct {
			path, field string
			want        []string
		}{
			{"/v1/namespaces", "namespaces", []string{`["customers"]`, `["sales"]`, `["supply"]`}},
			{"/v1/namespaces?parent=customers", "namespaces", []string{`["customers","crm"]`}},
			{"/v1/namespaces/customers%1Fcrm/tables", "identifiers", []string{
				`{"namespace":["customers","crm"],"name":"customer"}`, `{"namespace":["customers","crm"],"name":"nation"}`, `{"namespace":["customers","crm"],"name":"region"}`}},
		} {
			for _, size := range []int{1, 2, 3, 10} {
				got := e.pages(t, admin, c.path, c.field, size)
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("%s in pages of %d (-want +got):\n%s", c.path, size, diff)
				}
			}
			// Without pageToken, one response and no next-page-token.
			r := e.do(t, admin, "GET", c.path+sep(c.path)+"pageSize=1", nil)
			var res map[string]json.RawMessage
			if err := json.Unmarshal(r.body, &res); err != nil || res["next-page-token"] != nil {
				t.Errorf("%s?pageSize=1 without pageToken: %s", c.path, r.body)
			}
			var items []json.RawMessage
			_ = json.Unmarshal(res[c.field], &items)
			if len(items) != len(c.want) {
				t.Errorf("%s?pageSize=1 without pageToken lists %d, want all %d", c.path, len(items), len(c.want))
			}
		}
	})
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// pages lists path page by page, size results at a time, returning the
// items of field as compact JSON.
func (e *env) pages(t *testing.T, token, path, field string, size int) []string {
	t.Helper()
	var out []string
	tok := ""
	for i := 0; ; i++ {
		if i > 20 {
			t.Fatalf("%s: more than 20 pages", path)
		}
		r := e.do(t, token, "GET", path+sep(path)+"pageSize="+strconv.Itoa(size)+"&pageToken="+url.QueryEscape(tok), nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s page %d: %d %s", path, i, r.status, r.body)
		}
		var res map[string]json.RawMessage
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatal(err)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(res[field], &items); err != nil {
			t.Fatalf("%s: %s", path, r.body)
		}
		if len(items) > size {
			t.Errorf("%s: a page of %d has %d items", path, size, len(items))
		}
		for _, it := range items {
			out = append(out, string(it))
		}
		tok = ""
		if raw := res["next-page-token"]; raw != nil {
			if err := json.Unmarshal(raw, &tok); err != nil {
				t.Fatal(err)
			}
		}
		if tok == "" {
			return slices.Clip(out)
		}
	}
}
