package portal_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/portal"
)

// Specs of the product page tests: geo.places feeds market.stalls (the
// product under test), which feeds finance.report.
const (
	geoSpec = `apiVersion: v1.0.0
kind: DataProduct
id: geo-places
name: places
version: 1.0.0
status: active
domain: geo
description:
  purpose: Country reference data.
team:
  name: Geo
outputPorts:
  - name: places
    type: tables
    version: 1.0.0
    contractId: geo-places-contract
---
apiVersion: v3.1.0
kind: DataContract
id: geo-places-contract
name: Places
version: 1.0.0
status: active
domain: geo
dataProduct: places
schema:
  - name: countries
    physicalType: table
    properties:
      - name: code
        logicalType: string
        physicalType: varchar
        required: true
        primaryKey: true
        primaryKeyPosition: 1
slaProperties:
  - property: frequency
    value: 1
    unit: d
  - property: retention
    value: 1
    unit: y
`
	stallsProduct = `apiVersion: v1.0.0
kind: DataProduct
id: market-stalls
name: stalls
version: 1.0.0
status: active
domain: market
description:
  purpose: The market's vendors and what they earn.
  limitations: Revenue is self-reported.
tags: [market, vendors]
team:
  name: Market Ops
  members:
    - username: ada@market.example
      name: Ada Lovelace
      role: owner
support:
  - channel: '#market-data'
    url: https://chat.market.example/market-data
    tool: slack
inputPorts:
  - name: countries
    version: 1.0.0
    contractId: geo-places-contract
outputPorts:
  - name: stalls
    type: tables
    version: 1.0.0
    contractId: market-stalls-contract
`
	stallsContract = `apiVersion: v3.1.0
kind: DataContract
id: market-stalls-contract
name: Stalls
version: VERSION
status: active
domain: market
dataProduct: stalls
schema:
  - name: vendors
    physicalType: table
    businessName: Vendor
    description: One row per vendor.
    properties:
      - name: id
        logicalType: integer
        physicalType: integer
        required: true
        primaryKey: true
        primaryKeyPosition: 1
        classification: internal
      - name: email
        description: Where to write to the vendor.
        logicalType: string
        physicalType: varchar
        classification: pii
      - name: revenue
        logicalType: number
        physicalType: double
        classification: internal
EXTRA    quality:
      - type: sql
        name: revenue_not_negative
        query: SELECT COUNT(*) FROM ${table} WHERE revenue < 0
        mustBe: 0
        severity: error
slaProperties:
  - property: frequency
    value: 1
    unit: d
  - property: retention
    value: 1
    unit: y
`
	reportSpec = `apiVersion: v1.0.0
kind: DataProduct
id: finance-report
name: report
version: 1.0.0
status: active
domain: finance
description:
  purpose: Revenue per vendor.
team:
  name: Finance
inputPorts:
  - name: stalls
    version: 1.0.0
    contractId: market-stalls-contract
outputPorts:
  - name: report
    type: tables
    version: 1.0.0
    contractId: finance-report-contract
---
apiVersion: v3.1.0
kind: DataContract
id: finance-report-contract
name: Report
version: 1.0.0
status: active
domain: finance
dataProduct: report
schema:
  - name: totals
    physicalType: table
    properties:
      - name: vendor
        logicalType: integer
        physicalType: integer
slaProperties:
  - property: frequency
    value: 1
    unit: d
  - property: retention
    value: 1
    unit: y
`
	xssPayload = `<script>alert(1)</script><img src=x onerror=alert(1)>`
	xssSpec    = `apiVersion: v1.0.0
kind: DataProduct
id: evil-xss
name: xss
version: 1.0.0
status: active
domain: evil
description:
  purpose: '` + xssPayload + `'
  usage: '` + xssPayload + `'
team:
  name: '` + xssPayload + `'
support:
  - channel: '` + xssPayload + `'
    url: 'javascript:alert(1)'
outputPorts:
  - name: xss
    type: tables
    version: 1.0.0
    contractId: evil-xss-contract
---
apiVersion: v3.1.0
kind: DataContract
id: evil-xss-contract
name: '` + xssPayload + `'
version: 1.0.0
status: active
domain: evil
dataProduct: xss
schema:
  - name: t
    physicalType: table
    description: '` + xssPayload + `'
    properties:
      - name: c
        description: '` + xssPayload + `'
        logicalType: string
        physicalType: varchar
slaProperties:
  - property: frequency
    value: 1
    unit: d
  - property: retention
    value: 1
    unit: y
`
)

func stalls(version string, extra bool) string {
	c := strings.Replace(stallsContract, "VERSION", version, 1)
	add := ""
	if extra {
		add = "      - name: city\n        logicalType: string\n        physicalType: varchar\n"
	}
	return stallsProduct + "---\n" + strings.Replace(c, "EXTRA", add, 1)
}

// stallsMesh is the mesh of most tests, with a consumer of market signed in.
func stallsMesh(t *testing.T) (e *productEnv, admin, consumer *http.Cookie) {
	t.Helper()
	e = productMesh(t, geoSpec, stalls("1.0.0", false), reportSpec)
	publish := func(mode, csv string, want int) {
		if code := e.publish(t, "market.stalls.vendors", mode, csv); code != want {
			t.Fatalf("publish %q = %d, want %d", csv, code, want)
		}
	}
	publish("replace", "id,email,revenue\n1,ada@market.example,10.5\n2,bob@market.example,20\n", http.StatusOK)
	publish("append", "id,email,revenue\n9,neg@market.example,-5\n", http.StatusUnprocessableEntity) // fails revenue_not_negative
	e.apply(t, "stalls2.yaml", stalls("1.1.0", true))
	publish("append", "id,email,revenue,city\n3,cy@market.example,7,Lyon\n", http.StatusOK)
	reader := e.principal(t, "market-reader", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "market"})
	return e, e.signIn(t, e.admin), e.signIn(t, reader)
}

func wantContains(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s: the page lacks %q", what, s)
		}
	}
}

func getOK(t *testing.T, e *productEnv, c *http.Cookie, path string) string {
	t.Helper()
	code, body := e.get(t, c, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200\n%s", path, code, body)
	}
	return body
}

// svgOf returns the inline svg element with id, checked to be well-formed XML.
func svgOf(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("the page has no svg #%s", id)
	}
	start := strings.LastIndex(body[:i], "<svg")
	end := strings.Index(body[i:], "</svg>")
	if start < 0 || end < 0 {
		t.Fatalf("svg #%s is not closed", id)
	}
	svg := body[start : i+end+len("</svg>")]
	if err := wellFormed(svg); err != nil {
		t.Errorf("svg #%s is not well-formed XML: %v\n%s", id, err, svg)
	}
	return svg
}

func wellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func TestProductPage(t *testing.T) {
	e, admin, consumer := stallsMesh(t)
	const page = "/products/market/stalls"

	t.Run("overview", func(t *testing.T) {
		body := getOK(t, e, consumer, page)
		wantContains(t, "overview", body,
			"market.stalls", "The market&#39;s vendors and what they earn.", "Revenue is self-reported.",
			`class="badge status-active"`, "Market Ops", "Ada Lovelace", `href="https://chat.market.example/market-data"`,
			`id="table-vendors"`, // search results link here
			`href="/sql?q=SELECT&#43;%2A&#43;FROM&#43;market.stalls.vendors&#43;LIMIT&#43;10"`, // Run
			"Freshness", `aria-current="page">Overview</a>`, `id="lineage-graph"`)
		if strings.Contains(body, "Request access") {
			t.Error("a reader is asked to request access")
		}
	})

	t.Run("dictionary: masks for the consumer, none for the admin", func(t *testing.T) {
		body := getOK(t, e, consumer, page+"?tab=dictionary")
		wantContains(t, "dictionary", body, `id="table-vendors"`, "<code>email</code>", "Where to write to the vendor.",
			`<span class="badge class-pii">pii</span>`, `class="badge masked"`, "masked: hash", `class="badge class-internal"`)
		if body := getOK(t, e, admin, page+"?tab=dictionary"); strings.Contains(body, `class="badge masked"`) {
			t.Error("the admin's dictionary marks masked columns")
		}
	})

	t.Run("lineage graph links neighbours", func(t *testing.T) {
		body := getOK(t, e, admin, page+"?tab=lineage")
		svg := svgOf(t, body, "lineage-graph")
		for _, href := range []string{"/products/geo/places", "/products/finance/report", "/products/market/stalls"} {
			if !regexp.MustCompile(`<a class="node[^"]*" href="` + regexp.QuoteMeta(href) + `"`).MatchString(svg) {
				t.Errorf("the lineage graph has no node linking %s\n%s", href, svg)
			}
		}
		// upstream left of the product, downstream right of it
		x := func(href string) string {
			m := regexp.MustCompile(`href="` + regexp.QuoteMeta(href) + `"[^>]*>(?:<title>[^<]*</title>)<rect x="(\d+)"`).FindStringSubmatch(svg)
			if m == nil {
				t.Fatalf("no box for %s", href)
			}
			return m[1]
		}
		if up, mid, down := x("/products/geo/places"), x("/products/market/stalls"), x("/products/finance/report"); !(len(up) <= len(mid) && up < mid && mid < down) && !(len(up) < len(mid)) {
			t.Errorf("boxes at x %s (upstream), %s (product), %s (downstream): want left to right", up, mid, down)
		}
		wantContains(t, "lineage list", body, `<a href="/products/geo/places">geo.places</a>`, `<a href="/products/finance/report">finance.report</a>`)
	})

	t.Run("quality chart and runs", func(t *testing.T) {
		body := getOK(t, e, admin, page+"?tab=quality")
		svg := svgOf(t, body, "quality-chart-0")
		if n, f := strings.Count(svg, `<g class="run pass">`), strings.Count(svg, `<g class="run fail">`); n != 2 || f != 1 {
			t.Errorf("the chart has %d committed and %d failed runs, want 2 and 1\n%s", n, f, svg)
		}
		wantContains(t, "quality", body, "<title", "Quality history of vendors", "committed", "gate_failed",
			`<span class="badge fail">fail</span> revenue_not_negative`)
	})

	t.Run("contract: rendered, YAML, versions, diff", func(t *testing.T) {
		body := getOK(t, e, admin, page+"?tab=contract")
		wantContains(t, "contract", body, "Stalls", "version 1.1.0", "<code>city</code>", "revenue_not_negative: sql:",
			"frequency", "1 d", `<pre class="yaml">`, "id: market-stalls-contract", "1.0.0", "compare with 1.1.0")
		body = getOK(t, e, admin, page+"?tab=contract&from=1.0.0&to=1.1.0")
		wantContains(t, "diff", body, "Changes from 1.0.0 to 1.1.0", "column vendors.city", `<span class="add">&#43;`, "name: city")
	})

	t.Run("snapshots with time travel links", func(t *testing.T) {
		body := getOK(t, e, admin, page+"?tab=snapshots")
		if n := strings.Count(body, "Query at this snapshot"); n < 2 {
			t.Errorf("%d snapshot query links, want at least 2", n)
		}
		if !regexp.MustCompile(`href="/sql\?q=SELECT&#43;%2A&#43;FROM&#43;market.stalls.vendors&#43;AT&#43;%28VERSION&#43;%3D%3E&#43;\d+%29`).MatchString(body) {
			t.Error("no snapshot link uses AT (VERSION => id)")
		}
	})

	t.Run("unknown product shows the API's message", func(t *testing.T) {
		code, body := e.get(t, consumer, "/products/market/nope")
		if code != http.StatusNotFound {
			t.Errorf("unknown product = %d, want 404", code)
		}
		wantContains(t, "404", body, "product market.nope does not exist")
	})

	t.Run("a product the caller may not read is unknown", func(t *testing.T) {
		code, body := e.get(t, consumer, "/products/geo/places")
		if code != http.StatusNotFound || strings.Contains(body, "Country reference data") {
			t.Errorf("geo.places for a market consumer = %d, want a 404 that says nothing of it", code)
		}
	})

	t.Run("unknown tab", func(t *testing.T) {
		if code, _ := e.get(t, consumer, page+"?tab=nope"); code != http.StatusNotFound {
			t.Errorf("unknown tab = %d, want 404", code)
		}
	})
}

func TestProductPageEscapes(t *testing.T) {
	e := productMesh(t, xssSpec)
	admin := e.signIn(t, e.admin)
	for _, tab := range []string{"overview", "dictionary", "contract", "quality", "lineage", "snapshots"} {
		body := getOK(t, e, admin, "/products/evil/xss?tab="+tab)
		for _, bad := range []string{"<script>alert", "<img src=x", "onerror=alert(1)>", "javascript:alert"} {
			if strings.Contains(body, bad) {
				t.Errorf("tab %s: the page contains %q unescaped", tab, bad)
			}
		}
		if tab == "overview" || tab == "dictionary" || tab == "contract" {
			wantContains(t, tab, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
		}
	}
}

// TestProductPageNotReadable: when the API says the caller may not read the
// data, the page says so and offers an access request instead of Run links.
func TestProductPageNotReadable(t *testing.T) {
	e := productMesh(t, geoSpec)
	// The API in front adds "readable": false to the product page.
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/page") {
			e.p.API.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.p.API.ServeHTTP(rec, r)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		m["readable"] = false
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(m)
	})
	p, err := portal.New(context.Background(), portal.Config{API: api, Access: e.p.Access, Audit: e.p.Audit})
	if err != nil {
		t.Fatal(err)
	}
	e.ui = p
	body := getOK(t, e, e.signIn(t, e.admin), "/products/geo/places")
	wantContains(t, "not readable", body, "You may not read this product", `href="/access/request?domain=geo&amp;product=places"`)
	if strings.Contains(body, `href="/sql?q=`) {
		t.Error("a caller who may not read gets Run links")
	}
	body = getOK(t, e, e.signIn(t, e.admin), "/products/geo/places?tab=snapshots")
	if strings.Contains(body, "Query at this snapshot") {
		t.Error("a caller who may not read gets snapshot query links")
	}
}
