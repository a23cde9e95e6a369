package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/search"
)

// search runs GET /api/v1/search with the given parameters (name, value pairs) and wants a 200.
func (e *env) search(tb testing.TB, params ...string) search.Results {
	tb.Helper()
	r := e.do(tb, "GET", searchPath(params...), nil)
	r.wantStatus(tb, "GET "+searchPath(params...), http.StatusOK)
	var res search.Results
	r.decode(tb, "search results", &res)
	return res
}

func searchPath(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return "/api/v1/search?" + v.Encode()
}

func hitAddresses(res search.Results) []string {
	out := []string{}
	for _, h := range res.Results {
		out = append(out, h.Address)
	}
	return out
}

func hitDomains(res search.Results) []string {
	out := []string{}
	for _, h := range res.Results {
		if !slices.Contains(out, h.Domain) {
			out = append(out, h.Domain)
		}
	}
	slices.Sort(out)
	return out
}

// TestSearchDemo searches the demo mesh as each demo principal: all are
// staff, who may discover every domain, so each finds every domain and may
// read the hits of its own; an outsider with one grant finds only what it
// may read; what one may not discover is neither listed nor counted.
func TestSearchDemo(t *testing.T) {
	e := newEnv(t)
	srcs, err := demo.Sources()
	if err != nil {
		t.Fatal(err)
	}
	e.apply(t, "", srcs...)
	tokens, err := demo.Tokens(context.Background(), e.p.Access)
	if err != nil {
		t.Fatal(err)
	}
	secret := map[string]string{"admin": e.token}
	for _, tk := range tokens {
		secret[tk.Principal] = tk.Secret
	}
	outsider := e.principal(t, "outsider", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "sales"})
	all := []string{"customers", "sales", "supply"}
	type visible struct{ found, readable []string }
	want := map[string]visible{"admin": {all, all}, "analyst": {all, all}, "analyst-europe": {all, all}, "outsider": {[]string{"sales"}, []string{"sales"}}}
	for _, d := range demo.Domains {
		for _, role := range []string{"owner", "publisher", "consumer"} {
			want[d+"-"+role] = visible{all, []string{d}}
		}
	}
	for who, w := range want {
		t.Run(who, func(t *testing.T) {
			as := outsider
			if who != "outsider" {
				as = e.as(secret[who])
			}
			for _, params := range [][]string{{"q", "the", "limit", "100"}, {"kind", "product"}, {"q", "key", "kind", "column", "limit", "100"}} {
				res := as.search(t, params...)
				if got := hitDomains(res); !cmp.Equal(got, w.found) {
					t.Errorf("search %v as %s: domains %v, want %v", params, who, got, w.found)
				}
				var readable []string
				for _, h := range res.Results {
					if h.Readable && !slices.Contains(readable, h.Domain) {
						readable = append(readable, h.Domain)
					}
				}
				slices.Sort(readable)
				if !cmp.Equal(readable, w.readable) {
					t.Errorf("search %v as %s: readable domains %v, want %v", params, who, readable, w.readable)
				}
				if res.Total != len(res.Results) {
					t.Errorf("search %v as %s: total %d, %d results; want the total of what it sees", params, who, res.Total, len(res.Results))
				}
			}
		})
	}
	t.Run("ranking", func(t *testing.T) {
		res := e.search(t, "q", "customer")
		if len(res.Results) == 0 || res.Results[0].Address != "customers.crm.customer" {
			t.Errorf("search customer: %v, want customers.crm.customer first (its name)", hitAddresses(res))
		}
		res = e.search(t, "q", "orders", "kind", "column", "domain", "sales")
		if !slices.Contains(hitAddresses(res), "sales.orders.orders.o_orderdate") {
			t.Errorf("search orders (columns of sales): %v, want o_orderdate among them (stem and prefix of order)", hitAddresses(res))
		}
		h := e.search(t, "q", "ordr").Results // no stem or prefix of anything
		if len(h) != 0 {
			t.Errorf("search ordr: %d hits, want none", len(h))
		}
	})
	t.Run("owners and tags", func(t *testing.T) {
		res := e.search(t, "q", "katherine", "kind", "product")
		if got := hitAddresses(res); !cmp.Equal(got, []string{"sales.orders"}) {
			t.Errorf("search katherine: %v, want the product her team owns", got)
		}
		res = e.search(t, "classification", "pii", "kind", "column", "limit", "100")
		for _, h := range res.Results {
			if h.Domain != "customers" {
				t.Errorf("classification pii: %s, want only customer columns", h.Address)
			}
		}
		if res.Total == 0 {
			t.Errorf("classification pii: no hits, want the customer columns marked pii")
		}
	})
}

// TestSearchFollowsApply checks the index after applies that add, change
// and remove a column.
func TestSearchFollowsApply(t *testing.T) {
	e := newEnv(t)
	shop := string(testdata(t, "shop.yaml"))
	e.apply(t, "", apply.Source{Name: "shop.yaml", Data: []byte(shop)})
	find := func(q string) []string {
		t.Helper()
		return hitAddresses(e.search(t, "q", q, "kind", "column"))
	}
	if got := find("color"); len(got) != 0 {
		t.Fatalf("search color before it exists: %v", got)
	}
	t.Run("added", func(t *testing.T) {
		e.applyFiles(t, "shop_v2.yaml")
		if got := find("color"); !cmp.Equal(got, []string{"retail.shop.items.color"}) {
			t.Errorf("search color after adding it: %v, want retail.shop.items.color", got)
		}
	})
	v2 := string(testdata(t, "shop_v2.yaml"))
	t.Run("changed", func(t *testing.T) {
		changed := strings.Replace(v2, "version: 1.1.0", "version: 1.2.0", 1)
		changed = strings.Replace(changed, "      - name: qty\n", "      - name: qty\n        description: Units left in the warehouse.\n", 1)
		e.apply(t, "", apply.Source{Name: "shop_v3.yaml", Data: []byte(changed)})
		if got := find("warehouse"); !cmp.Equal(got, []string{"retail.shop.items.qty"}) {
			t.Errorf("search warehouse after describing qty: %v, want retail.shop.items.qty", got)
		}
	})
	t.Run("removed", func(t *testing.T) {
		// A new major without the column country: its tables are what an
		// unpinned name reads, so the index follows them.
		major := strings.Replace(v2, "version: 1.1.0", "version: 2.0.0", 1)
		major = strings.Replace(major, "      - name: country\n        logicalType: string\n        physicalType: varchar\n        required: false\n", "", 1)
		if major == strings.Replace(v2, "version: 1.1.0", "version: 2.0.0", 1) {
			t.Fatal("the test did not remove country from the contract")
		}
		e.apply(t, "", apply.Source{Name: "shop_major.yaml", Data: []byte(major)})
		if got := find("country"); len(got) != 0 {
			t.Errorf("search country after a major without it: %v, want nothing", got)
		}
		if got := find("color"); !cmp.Equal(got, []string{"retail.shop.items.color"}) {
			t.Errorf("search color after the new major: %v, want retail.shop.items.color (still there)", got)
		}
	})
}

func TestSearchBadInput(t *testing.T) {
	e := newEnv(t)
	e.applyFiles(t, "shop.yaml")
	before := e.state(t)
	plain := hitAddresses(e.search(t, "q", "price"))
	if len(plain) == 0 {
		t.Fatal("search price: no hits in the shop")
	}
	refused := []struct {
		name   string
		params []string
		msg    string
	}{
		{"300-byte q", []string{"q", strings.Repeat("p", 300)}, "q is 300 bytes long; at most 256"},
		{"40 terms", []string{"q", strings.Repeat("price ", 40)}, "q has 40 terms; at most 16"},
		{"only a quote", []string{"q", `"`}, "no words to search for"},
		{"only operators", []string{"q", `NEAR( * ) -:`[4:]}, "no words to search for"},
		{"empty", []string{"q", ""}, "q is empty"},
		{"limit not a number", []string{"q", "price", "limit", "ten"}, `limit "ten" is not a whole number`},
		{"limit too high", []string{"q", "price", "limit", "1000"}, "limit 1000 is out of range: give 1 to 100"},
		{"negative offset", []string{"q", "price", "offset", "-5"}, "offset -5 is out of range"},
		{"kind", []string{"q", "price", "kind", "view"}, `kind "view" is not product, table or column`},
		{"domain", []string{"q", "price", "domain", "Retail Shop"}, "is not a domain name"},
		{"tag with NUL", []string{"tag", "a\x00b"}, "tag must be at most 128 bytes"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			e.do(t, "GET", searchPath(tt.params...), nil).wantError(t, "GET /api/v1/search "+tt.name, http.StatusBadRequest, "invalid", tt.msg)
		})
	}
	// FTS5 syntax is searched for as text: the same hits as the plain word.
	for _, q := range []string{`"price"`, `"price`, `price*`, `-price`, `price:`, `name:price`[5:], `(price)`, `NEAR(price)`[4:], "price\x00", `price OR`[:5], `{price}`, `^price`} {
		t.Run("syntax "+q, func(t *testing.T) {
			if got := hitAddresses(e.search(t, "q", q)); !cmp.Equal(got, plain) {
				t.Errorf("search %q = %v, want the hits of price: %v", q, got, plain)
			}
		})
	}
	for _, q := range []string{`NEAR(price qty)`, `price NOT qty`, `items:price`, `price AND (qty OR "x")`} {
		t.Run("operators are words "+q, func(t *testing.T) {
			e.search(t, "q", q) // a 200 whatever it finds
		})
	}
	e.wantUnchanged(t, "bad searches", before)
	if got := hitAddresses(e.search(t, "q", "price")); !cmp.Equal(got, plain) {
		t.Errorf("search price after bad searches = %v, want %v", got, plain)
	}
}
