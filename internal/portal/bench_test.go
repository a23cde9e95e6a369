package portal_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// portalClient signs in to the demo mesh's portal as who and returns an
// HTTP client that carries the session cookie.
func portalClient(tb testing.TB, d *demoMesh, who string) *http.Client {
	tb.Helper()
	b, _ := signInTo(tb, d.srv, d.tokens[who])
	return b.c
}

// fetch GETs path with c and fails unless it answers 200.
func fetch(tb testing.TB, c *http.Client, req *http.Request) int {
	res, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("%s: %d", req.URL.Path, res.StatusCode)
	}
	return int(n)
}

// BenchmarkPages measures each portal page against the REST API call (or
// calls) it is built from, over loopback HTTP, on the demo mesh: the
// difference is the portal's own cost (session, whoami, templates).
//
//	go test -run '^$' -bench BenchmarkPages -benchtime 200x ./internal/portal/
func BenchmarkPages(b *testing.B) {
	d := newDemoMesh(b)
	web := portalClient(b, d, "analyst")
	api := &http.Client{}
	cases := []struct{ name, portal, api string }{
		{"home", "/", "/api/v1/products"},
		{"search", "/search?q=nation", "/api/v1/search?q=nation&limit=20"},
		{"product", "/products/customers/crm", "/api/v1/products/customers/crm/page"},
	}
	for _, c := range cases {
		b.Run(c.name+"/api", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest("GET", d.url+c.api, nil)
				req.Header.Set("Authorization", "Bearer "+d.tokens["analyst"])
				b.SetBytes(int64(fetch(b, api, req)))
			}
		})
		b.Run(c.name+"/portal", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest("GET", d.url+c.portal, nil)
				n := fetch(b, web, req)
				b.SetBytes(int64(n))
			}
		})
	}
}

// TestBenchmarkPagesAnswer keeps the benchmark honest: the pages it
// measures render the products, not an error or the sign-in form.
func TestBenchmarkPagesAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo mesh")
	}
	d := newDemoMesh(t)
	web := portalClient(t, d, "analyst")
	res, err := web.Get(d.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	for _, want := range []string{`href="/products/customers/crm"`, `href="/products/sales/orders"`, `href="/products/supply/parts"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("home lacks %s", want)
		}
	}
}
