package restcatalog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/platform"
)

const form = "application/x-www-form-urlencoded"

// snapshot is everything a principal sees: namespaces and tables.
func (e *env) snapshot(t *testing.T, token string) []string {
	t.Helper()
	var out []string
	var top struct{ Namespaces [][]string }
	r := e.do(t, token, http.MethodGet, "/v1/namespaces", nil)
	if r.status != http.StatusOK || json.Unmarshal(r.body, &top) != nil {
		t.Fatalf("GET /v1/namespaces: %d %s", r.status, r.body)
	}
	for _, d := range top.Namespaces {
		out = append(out, strings.Join(d, "."))
		var prods struct{ Namespaces [][]string }
		r := e.do(t, token, http.MethodGet, "/v1/namespaces?parent="+url.QueryEscape(d[0]), nil)
		if r.status != http.StatusOK || json.Unmarshal(r.body, &prods) != nil {
			t.Fatalf("GET /v1/namespaces?parent=%s: %d %s", d[0], r.status, r.body)
		}
		for _, p := range prods.Namespaces {
			out = append(out, strings.Join(p, "."))
			var ts struct {
				Identifiers []struct {
					Namespace []string
					Name      string
				}
			}
			r := e.do(t, token, http.MethodGet, "/v1/namespaces/"+strings.Join(p, "%1F")+"/tables", nil)
			if r.status != http.StatusOK || json.Unmarshal(r.body, &ts) != nil {
				t.Fatalf("list tables of %v: %d %s", p, r.status, r.body)
			}
			for _, id := range ts.Identifiers {
				out = append(out, strings.Join(append(slices.Clone(id.Namespace), id.Name), "."))
			}
		}
	}
	return out
}

var demoAll = []string{
	"customers", "customers.crm", "customers.crm.customer", "customers.crm.nation", "customers.crm.region",
	"sales", "sales.orders", "sales.orders.lineitem", "sales.orders.orders",
	"supply", "supply.parts", "supply.parts.part", "supply.parts.partsupp", "supply.parts.supplier",
}

// load loads a table as iceberg-go's REST client does: it parses the
// metadata with table.ParseMetadataBytes and reads the files it names.
func (e *env) load(t *testing.T, token, ns, name string) *table.Table {
	t.Helper()
	r := e.do(t, token, http.MethodGet, "/v1/namespaces/"+ns+"/tables/"+name, nil)
	if r.status != http.StatusOK {
		t.Fatalf("load %s.%s: %d %s", ns, name, r.status, r.body)
	}
	var res struct {
		Loc    string          `json:"metadata-location"`
		Meta   json.RawMessage `json:"metadata"`
		Config map[string]string
	}
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatal(err)
	}
	meta, err := table.ParseMetadataBytes(res.Meta)
	if err != nil {
		t.Fatalf("load %s.%s: bad metadata: %v", ns, name, err)
	}
	return table.New(table.Identifier{ns, name}, meta, res.Loc, iceio.LoadFSFunc(nil, res.Loc), nil)
}

func TestRaw(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.p.AdminSecret

	if diff := cmp.Diff(demoAll, e.snapshot(t, admin)); diff != "" {
		t.Errorf("admin sees (-want +got):\n%s", diff)
	}
	t.Run("scan", func(t *testing.T) {
		for _, name := range []string{"sales.orders.orders", "customers.crm.customer", "supply.parts.partsupp"} {
			parts := strings.Split(name, ".")
			tbl := e.load(t, admin, parts[0]+"%1F"+parts[1], parts[2])
			at, err := tbl.Scan().ToArrowTable(ctx)
			if err != nil {
				t.Fatalf("scan %s: %v", name, err)
			}
			got := at.NumRows()
			at.Release()
			_, rows, err := e.p.Engine.Exec(platform.AsAdmin(ctx), "SELECT count(*) FROM "+name)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(rows[0][0]) || got == 0 {
				t.Errorf("%s: scan read %d rows, Meshwork SQL counts %v", name, got, rows[0][0])
			}
		}
	})

	t.Run("oauth", func(t *testing.T) {
		secret := e.token(t, "svc-sales", nil, 0, access.Grant{Role: access.RoleConsumer, Domain: "sales"})
		body := url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc-sales"}, "client_secret": {secret}, "scope": {"catalog"}}
		r := e.do(t, "", http.MethodPost, "/v1/oauth/tokens", strings.NewReader(body.Encode()), "Content-Type", form)
		var tok struct {
			AccessToken     string `json:"access_token"`
			TokenType       string `json:"token_type"`
			ExpiresIn       int    `json:"expires_in"`
			IssuedTokenType string `json:"issued_token_type"`
		}
		if r.status != http.StatusOK || json.Unmarshal(r.body, &tok) != nil || tok.TokenType != "bearer" || tok.ExpiresIn != 600 ||
			tok.IssuedTokenType != "urn:ietf:params:oauth:token-type:access_token" || tok.AccessToken == "" {
			t.Fatalf("token exchange: %d %s", r.status, r.body)
		}
		want := []string{"sales", "sales.orders", "sales.orders.lineitem", "sales.orders.orders"}
		if diff := cmp.Diff(want, e.snapshot(t, tok.AccessToken)); diff != "" {
			t.Errorf("the exchanged token sees (-want +got):\n%s", diff)
		}
	})
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.p.AdminSecret
	toks, err := demo.Tokens(ctx, e.p.Access)
	if err != nil {
		t.Fatal(err)
	}
	sec := map[string]string{}
	for _, tk := range toks {
		sec[tk.Principal] = tk.Secret
	}
	consumer, analyst := sec["sales-consumer"], sec["analyst"]
	expired := e.token(t, "sales-consumer", nil, time.Nanosecond)
	time.Sleep(time.Millisecond)
	before := e.snapshot(t, admin)
	auditBefore := e.authDenials(t)

	oauth := func(v url.Values) string { return v.Encode() }
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {"sales-consumer"}, "client_secret": {consumer}}
	with := func(k, v string) string {
		c := url.Values{}
		for k, vs := range good {
			c[k] = vs
		}
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
		return oauth(c)
	}
	big := strings.Repeat("x", 2<<20)
	cases := []struct {
		name, token, method, path, body, ctype string
		status                                 int
		typ                                    string // Iceberg error type, or OAuth error code for the token endpoint
		msg                                    string
	}{
		{"unknown namespace", admin, "GET", "/v1/namespaces/nope", "", "", 404, "NoSuchNamespaceException", "does not exist"},
		{"unknown product", admin, "GET", "/v1/namespaces/sales%1Fnope/tables", "", "", 404, "NoSuchNamespaceException", "does not exist"},
		{"unknown major", admin, "HEAD", "/v1/namespaces/sales%1Forders@v2", "", "", 404, "", ""},
		{"unknown parent", admin, "GET", "/v1/namespaces?parent=nope", "", "", 404, "NoSuchNamespaceException", ""},
		{"unknown table", admin, "GET", "/v1/namespaces/sales%1Forders/tables/nope", "", "", 404, "NoSuchTableException", "does not exist"},
		{"table in a domain", admin, "GET", "/v1/namespaces/sales/tables/orders", "", "", 404, "NoSuchTableException", ""},
		{"three levels", admin, "GET", "/v1/namespaces/sales%1Forders%1Fx", "", "", 400, "BadRequestException", "levels"},
		{"empty level", admin, "GET", "/v1/namespaces/sales%1F/tables", "", "", 400, "BadRequestException", "bad product"},
		{"dotted", admin, "GET", "/v1/namespaces/sales.orders", "", "", 400, "BadRequestException", "bad domain"},
		{"slash", admin, "GET", "/v1/namespaces/sales%2Forders", "", "", 400, "BadRequestException", ""},
		{"unicode", admin, "GET", "/v1/namespaces/s%C3%A4les", "", "", 400, "BadRequestException", ""},
		{"upper case table", admin, "GET", "/v1/namespaces/sales%1Forders/tables/Orders", "", "", 400, "BadRequestException", "bad table"},
		{"bad parent", admin, "GET", "/v1/namespaces?parent=%1Forders", "", "", 400, "BadRequestException", "bad domain"},
		{"no credential", "", "GET", "/v1/namespaces", "", "", 401, "NotAuthorizedException", "authentication required"},
		{"unknown bearer", "mesh_nope", "GET", "/v1/config", "", "", 401, "NotAuthorizedException", "invalid or expired"},
		{"expired bearer", expired, "GET", "/v1/namespaces", "", "", 401, "NotAuthorizedException", "invalid or expired"},
		{"other domain", consumer, "GET", "/v1/namespaces/supply%1Fparts/tables", "", "", 403, "ForbiddenException", "may not read"},
		{"masked", analyst, "GET", "/v1/namespaces/customers%1Fcrm/tables/customer", "", "", 403, "ForbiddenException", "Meshwork SQL"},
		{"create namespace", consumer, "POST", "/v1/namespaces", `{"namespace":["x"]}`, "application/json", 403, "ForbiddenException", "mesh apply"},
		{"drop table", consumer, "DELETE", "/v1/namespaces/sales%1Forders/tables/orders", "", "", 403, "ForbiddenException", "mesh publish"},
		{"commit", consumer, "POST", "/v1/namespaces/sales%1Forders/tables/orders", `{}`, "application/json", 403, "ForbiddenException", "mesh apply"},
		{"rename as admin", admin, "POST", "/v1/tables/rename", `{}`, "application/json", 406, "UnsupportedOperationException", "not supported yet"},
		{"transaction as admin", admin, "POST", "/v1/transactions/commit", `{}`, "application/json", 403, "UnsupportedOperationException", "not supported yet"},
		{"drop namespace as admin", admin, "DELETE", "/v1/namespaces/sales", "", "", 403, "UnsupportedOperationException", "mesh apply"},
		{"create table as admin", admin, "POST", "/v1/namespaces/sales%1Forders/tables", `{"name":"x"}`, "application/json", 403, "UnsupportedOperationException", ""},
		{"metrics", consumer, "POST", "/v1/namespaces/sales%1Forders/tables/orders/metrics", `{"report-type":"scan-report"}`, "application/json", 204, "", ""},
		{"bad metrics", consumer, "POST", "/v1/namespaces/sales%1Forders/tables/orders/metrics", `[1`, "application/json", 400, "BadRequestException", ""},
		{"oversized metrics", consumer, "POST", "/v1/namespaces/sales%1Forders/tables/orders/metrics", `{"x":"` + big + `"}`, "application/json", 413, "BadRequestException", "over"},
		{"no endpoint", admin, "GET", "/v1/nope", "", "", 404, "NotFoundException", "no such endpoint"},
		{"oauth wrong client_id", "", "POST", "/v1/oauth/tokens", with("client_id", "analyst"), form, 401, "invalid_client", ""},
		{"oauth wrong secret", "", "POST", "/v1/oauth/tokens", with("client_secret", "mesh_nope"), form, 401, "invalid_client", ""},
		{"oauth expired secret", "", "POST", "/v1/oauth/tokens", with("client_secret", expired), form, 401, "invalid_client", ""},
		{"oauth no secret", "", "POST", "/v1/oauth/tokens", with("client_secret", ""), form, 400, "invalid_request", ""},
		{"oauth grant", "", "POST", "/v1/oauth/tokens", with("grant_type", "password"), form, 400, "unsupported_grant_type", ""},
		{"oauth json", "", "POST", "/v1/oauth/tokens", `{"grant_type":"client_credentials"}`, "application/json", 400, "invalid_request", ""},
		{"oauth malformed", "", "POST", "/v1/oauth/tokens", "grant_type=%zz", form, 400, "invalid_request", ""},
		{"oauth oversized", "", "POST", "/v1/oauth/tokens", with("scope", big), form, 413, "invalid_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.ctype != "" {
				hdr = []string{"Content-Type", c.ctype}
			}
			r := e.do(t, c.token, c.method, c.path, strings.NewReader(c.body), hdr...)
			if r.status != c.status {
				t.Fatalf("%s %s: %d %s, want %d", c.method, c.path, r.status, r.body, c.status)
			}
			switch {
			case c.typ == "":
			case strings.HasPrefix(c.path, "/v1/oauth/"):
				var oe struct{ Error, ErrorDescription string }
				if err := json.Unmarshal(r.body, &oe); err != nil || oe.Error != c.typ {
					t.Errorf("OAuth error %s, want %q", r.body, c.typ)
				}
			default:
				ie := r.icebergError(t)
				if ie.Error.Type != c.typ || !strings.Contains(ie.Error.Message, c.msg) {
					t.Errorf("error %+v, want type %s and a message with %q", ie.Error, c.typ, c.msg)
				}
			}
		})
	}
	if diff := cmp.Diff(before, e.snapshot(t, admin)); diff != "" {
		t.Errorf("the catalog changed (-before +after):\n%s", diff)
	}
	// 3 bad bearers and 3 bad client secrets are audited.
	if got := e.authDenials(t) - auditBefore; got != 6 {
		t.Errorf("%d authentication failures audited, want 6", got)
	}
}

// authDenials counts the audited authentication failures.
func (e *env) authDenials(t *testing.T) int {
	t.Helper()
	if err := e.p.Audit.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := e.p.Audit.Since(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, ev := range evs {
		if ev.Action == "auth" && ev.Outcome == "denied" {
			n++
		}
	}
	return n
}
