package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/platform"
)

const (
	vendors     = "market.stalls.vendors"
	vendorsPage = "/api/v1/products/market/stalls/page"
	vendorsCSV  = "id,name,email,revenue\n1,Ada Stall,ada@market.example,10.5\n2,Bob Stall,bob@market.example,20\n"
	// secretLiteral is a value consumers filter on: no page may show it.
	secretLiteral = "Vendor Secret 8841"
)

// pageMesh is the page test mesh: market.stalls (the product under test)
// and geo.places (another domain), a consumer of market only, and three
// publish runs of vendors: committed, gate failed, committed.
func pageMesh(t *testing.T) (e, consumer *env) {
	t.Helper()
	e = newEnv(t)
	e.applyFiles(t, "page.yaml", "geo.yaml")
	e.mustPublish(t, "geo.places.countries", "replace", ctCSV, []byte("code,country_name\nfr,France\n"))
	e.mustPublish(t, vendors, "replace", ctCSV, []byte(vendorsCSV))
	r := e.publish(t, vendors, "append", ctCSV, []byte("id,name,email,revenue\n3,Cy Stall,cy@market.example,-5\n"))
	r.wantStatus(t, "publishing a negative revenue", http.StatusUnprocessableEntity)
	e.mustPublish(t, vendors, "append", ctCSV, []byte("id,name,email,revenue\n4,Di Stall,di@market.example,7\n"))
	e.principal(t, "market-boss", httpapi.GrantRequest{Role: access.RoleOwner, Domain: "market"})
	consumer = e.principal(t, "market-reader", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "market"})
	return e, consumer
}

func (e *env) page(tb testing.TB, path string) (httpapi.Page, []byte) {
	tb.Helper()
	r := e.do(tb, "GET", path, nil)
	r.wantStatus(tb, "GET "+path, http.StatusOK)
	var p httpapi.Page
	r.decode(tb, "page", &p)
	return p, r.body
}

func TestPage(t *testing.T) {
	e, reader := pageMesh(t)
	admin, _ := e.page(t, vendorsPage)
	page, body := reader.page(t, vendorsPage)

	t.Run("product", func(t *testing.T) {
		want := httpapi.PageProduct{ID: "market-stalls", Domain: "market", Name: "stalls", Status: "active", Version: "1.2.0",
			Description: httpapi.PageDescription{Purpose: "The market's vendors and what they earn.", Usage: "Join on id.", Limitations: "Revenue is self-reported."},
			Tags:        []string{"market", "vendors"}, UpdatedAt: page.Product.UpdatedAt}
		if diff := cmp.Diff(want, page.Product); diff != "" {
			t.Errorf("page.product differs (-want +got):\n%s", diff)
		}
	})

	t.Run("owners", func(t *testing.T) {
		var teams []string
		for _, tm := range page.Owners.Teams {
			var members []string
			for _, m := range tm.Members {
				members = append(members, m.Username+" "+m.Role)
			}
			teams = append(teams, fmt.Sprintf("%s: %s [%s]", tm.Source, tm.Name, strings.Join(members, ", ")))
		}
		wantTeams := []string{"product: Market Ops [ada@market.example owner, grace@market.example data steward]",
			"market-stalls-contract: Market Data [alan@market.example engineer]"}
		if diff := cmp.Diff(wantTeams, teams); diff != "" {
			t.Errorf("page.owners.teams differ (-want +got):\n%s", diff)
		}
		if want := []httpapi.PageOwnerGrant{{Subject: "market-boss", Scope: "domain"}}; !cmp.Equal(want, page.Owners.Grants) {
			t.Errorf("page.owners.grants = %+v, want %+v", page.Owners.Grants, want)
		}
		var support []string
		for _, s := range page.Owners.Support {
			support = append(support, strings.Join([]string{s.Source, s.Channel, s.URL, s.Tool, s.Scope}, " "))
		}
		wantSupport := []string{"product #market-data https://chat.market.example/market-data slack interactive",
			"market-stalls-contract market-issues https://issues.market.example/stalls ticket issues"}
		if diff := cmp.Diff(wantSupport, support); diff != "" {
			t.Errorf("page.owners.support differs (-want +got):\n%s", diff)
		}
	})

	t.Run("contract", func(t *testing.T) {
		want := []httpapi.PageMajor{{Major: 1, ID: "market-stalls-contract", Version: "1.0.0", Status: "active", Default: true,
			Versions: "/api/v1/contracts/market-stalls-contract/versions", Document: "/api/v1/contracts/market-stalls-contract/versions/1.0.0"}}
		if diff := cmp.Diff(want, page.Contract.Majors); diff != "" {
			t.Errorf("page.contracts differ (-want +got):\n%s", diff)
		}
		// The links lead to the documents, for the same caller.
		for _, path := range []string{want[0].Versions, want[0].Document} {
			reader.do(t, "GET", path, nil).wantStatus(t, "GET "+path+" as the reader", http.StatusOK)
		}
	})

	t.Run("masked columns: analyst vs admin", func(t *testing.T) {
		masks := func(p httpapi.Page) map[string]string {
			out := map[string]string{}
			for _, c := range p.DataDictionary[0].Columns {
				if c.Masked {
					out[c.Name] = c.Mask
				}
			}
			return out
		}
		if got, want := masks(page), map[string]string{"name": "hash", "email": "hash"}; !cmp.Equal(got, want) {
			t.Errorf("masked columns for a consumer = %v, want %v", got, want)
		}
		if got := masks(admin); len(got) != 0 {
			t.Errorf("masked columns for the admin = %v, want none", got)
		}
		// The page says what the engine does: the consumer's query sees hashes.
		rows := reader.query(t, "SELECT name, id FROM market.stalls.vendors WHERE id = 1").text()
		if len(rows) != 1 || rows[0][0] == "Ada Stall" || !hex64.MatchString(rows[0][0]) {
			t.Errorf("the consumer's query of name = %v, want a hash as the page says", rows)
		}
		tbl := page.DataDictionary[0]
		id := tbl.Columns[0]
		if tbl.Address != vendors || tbl.BusinessName != "Vendor" || id.Name != "id" || !id.PrimaryKey || !id.Required || !id.Unique ||
			id.LogicalType != "integer" || id.BusinessName != "Vendor number" || id.Classification != "internal" ||
			!cmp.Equal(id.Tags, []string{"key"}) || len(id.Examples) != 2 {
			t.Errorf("dataDictionary[0] = %+v, column id %+v; want vendors with id as declared", tbl, id)
		}
	})

	t.Run("quality history, newest first", func(t *testing.T) {
		if len(page.QualityHistory) != 1 || page.QualityHistory[0].Table != "vendors" {
			t.Fatalf("qualityHistory = %+v, want vendors", page.QualityHistory)
		}
		runs := page.QualityHistory[0].Runs
		var got []string
		for _, r := range runs {
			got = append(got, fmt.Sprintf("%s read %d accepted %d", r.Status, r.RowsRead, r.RowsOK))
		}
		want := []string{"committed read 1 accepted 1", "gate_failed read 1 accepted 1", "committed read 2 accepted 2"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("qualityHistory runs differ (-want +got):\n%s", diff)
		}
		for i := 1; i < len(runs); i++ {
			if runs[i].Time.After(runs[i-1].Time) {
				t.Errorf("run %d at %v is newer than run %d at %v: want newest first", i, runs[i].Time, i-1, runs[i-1].Time)
			}
		}
		rule := func(r httpapi.PageRun, name string) httpapi.PageRule {
			for _, x := range r.Rules {
				if x.Name == name {
					return x
				}
			}
			t.Fatalf("run %s has no rule %s: %+v", r.RunID, name, r.Rules)
			return httpapi.PageRule{}
		}
		failed := rule(runs[1], "revenue_not_negative")
		if failed.Value == nil || *failed.Value != 1 || failed.Verdict != "fail" || failed.Kind != "quality" {
			t.Errorf("gate-failed run's revenue_not_negative = %+v, want value 1, verdict fail", failed)
		}
		ok := rule(runs[0], "revenue_not_negative")
		if ok.Value == nil || *ok.Value != 0 || ok.Verdict != "pass" {
			t.Errorf("committed run's revenue_not_negative = %+v, want value 0, verdict pass", ok)
		}
		if runs[0].SnapshotID == nil || runs[1].SnapshotID != nil {
			t.Errorf("snapshot ids = %v, %v; want one for the commit, none for the gate failure", runs[0].SnapshotID, runs[1].SnapshotID)
		}
		// Rejected rows quote the upload: the page never carries them.
		if bytes.Contains(body, []byte("cy@market.example")) {
			t.Error("the page quotes a rejected row of an upload")
		}
	})

	t.Run("sample queries", func(t *testing.T) {
		s := page.SampleQueries
		if !strings.Contains(s.Usage, "Top earners") {
			t.Errorf("sampleQueries.usage = %q, want the contract's description.usage", s.Usage)
		}
		wantDefs := []httpapi.PageLink{
			{Type: "businessDefinition", URL: "https://wiki.market.example/vendor", Description: "What counts as a vendor."},
			{Type: "tutorial", URL: "https://wiki.market.example/stalls-tutorial", Description: "Querying the stalls product."}}
		if diff := cmp.Diff(wantDefs, s.AuthoritativeDefinitions); diff != "" {
			t.Errorf("sampleQueries.authoritativeDefinitions differ (-want +got):\n%s", diff)
		}
		wantEx := []httpapi.PageExample{{Table: vendors, SQL: "SELECT * FROM market.stalls.vendors LIMIT 10"}}
		if diff := cmp.Diff(wantEx, s.Examples); diff != "" {
			t.Errorf("sampleQueries.examples differ (-want +got):\n%s", diff)
		}
		if res := reader.query(t, s.Examples[0].SQL); res.RowCount != 3 {
			t.Errorf("the example query returned %d rows, want 3", res.RowCount)
		}
	})

	t.Run("freshness comes from the platform's monitor", func(t *testing.T) {
		var got struct {
			Freshness []struct {
				Table  string `json:"table"`
				Status string `json:"status"`
			} `json:"freshness"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Freshness) != 1 || got.Freshness[0].Table != "vendors" || got.Freshness[0].Status == "" {
			t.Errorf("freshness = %+v, want one status for vendors", got.Freshness)
		}
		if bytes.Contains(body, []byte(`"unavailable"`)) {
			t.Errorf("the page lists unavailable sections, want none: every source answered")
		}
	})
}

// A product with two served majors: each has its contract, its tables (the
// default one unpinned) and its own publish history.
func TestPageMajors(t *testing.T) {
	e, reader := pageMesh(t)
	docs := strings.SplitN(string(testdata(t, "page.yaml")), "\n---\n", 2)
	v2 := strings.NewReplacer("version: 1.0.0", "version: 2.0.0", "name: revenue", "name: turnover", "revenue < 0", "turnover < 0").Replace(docs[1])
	e.applyYAML(t, docs[0]+"\n", v2).wantStatus(t, "apply contract 2.0.0", http.StatusOK)
	e.mustPublish(t, "market.stalls@v2.vendors", "append", ctCSV, []byte("id,name,email,turnover\n9,Ed Stall,ed@market.example,3\n"))

	page, _ := reader.page(t, vendorsPage)
	var majors []string
	for _, m := range page.Contract.Majors {
		majors = append(majors, fmt.Sprintf("v%d %s %s default=%t", m.Major, m.ID, m.Version, m.Default))
	}
	wantMajors := []string{"v2 market-stalls-contract 2.0.0 default=true", "v1 market-stalls-contract 1.0.0 default=false"}
	if diff := cmp.Diff(wantMajors, majors); diff != "" {
		t.Errorf("contract.majors differ (-want +got):\n%s", diff)
	}
	var tables []string
	for _, tb := range page.DataDictionary {
		tables = append(tables, fmt.Sprintf("%s %s", tb.Address, tb.Columns[len(tb.Columns)-1].Name))
	}
	wantTables := []string{"market.stalls.vendors turnover", "market.stalls@v1.vendors revenue"}
	if diff := cmp.Diff(wantTables, tables); diff != "" {
		t.Errorf("dataDictionary differs (-want +got):\n%s", diff)
	}
	var runs []string
	for _, q := range page.QualityHistory {
		runs = append(runs, fmt.Sprintf("v%d %d runs", q.Major, len(q.Runs)))
	}
	if diff := cmp.Diff([]string{"v2 1 runs", "v1 3 runs"}, runs); diff != "" {
		t.Errorf("qualityHistory per major differs (-want +got):\n%s", diff)
	}
	// Both addresses are queryable as the page says.
	for _, tb := range page.DataDictionary {
		reader.query(t, "SELECT count(*) FROM "+tb.Address)
	}
}

func TestPageInvisible(t *testing.T) {
	e, reader := pageMesh(t)
	// The admin's join names geo's table in its fingerprint.
	e.query(t, "SELECT v.id, c.country_name FROM market.stalls.vendors v JOIN geo.places.countries c ON c.code = 'fr' WHERE v.name <> '"+secretLiteral+"'")
	reader.query(t, "SELECT count(*) FROM market.stalls.vendors WHERE name = '"+secretLiteral+"'")
	if err := e.p.Usage.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	hidden := reader.do(t, "GET", "/api/v1/products/geo/places/page", nil)
	unknown := reader.do(t, "GET", "/api/v1/products/geo/nothing/page", nil)
	hidden.wantError(t, "the page of a product the caller may not read", http.StatusNotFound, "not_found", "does not exist")
	unknown.wantError(t, "the page of a product that does not exist", http.StatusNotFound, "not_found", "does not exist")

	_, body := reader.page(t, vendorsPage)
	for _, name := range []string{"geo", "countries", "country_name", secretLiteral, "8841"} {
		if bytes.Contains(body, []byte(name)) {
			t.Errorf("the consumer's page of market.stalls contains %q:\n%s", name, clip(body))
		}
	}
	adminPage, adminBody := e.page(t, vendorsPage)
	if !bytes.Contains(adminBody, []byte("geo.places.countries")) {
		t.Errorf("the admin's page does not show the join with geo.places, which the admin may read: %+v", adminPage.SampleQueries.Frequent)
	}
	if bytes.Contains(adminBody, []byte(secretLiteral)) || bytes.Contains(adminBody, []byte("'fr'")) {
		t.Errorf("the admin's page shows a literal of a query:\n%s", clip(adminBody))
	}
}

func TestPageUsage(t *testing.T) {
	ctx := context.Background()
	e, reader := pageMesh(t)
	const shape = "SELECT id FROM market.stalls.vendors WHERE revenue > ?"
	reader.query(t, "SELECT id FROM market.stalls.vendors WHERE revenue > 5")
	reader.query(t, "SELECT id FROM market.stalls.vendors  WHERE revenue > 15")
	e.query(t, "SELECT id FROM market.stalls.vendors WHERE revenue > 1")
	// A failed query does not count.
	r := reader.do(t, "POST", "/api/v1/query", queryBody("SELECT nope FROM market.stalls.vendors"), "Content-Type", "application/json")
	if r.status == http.StatusOK {
		t.Fatalf("a query of an unknown column = 200, want an error")
	}

	// Through the PostgreSQL wire protocol, with a parameter and a literal.
	srv, err := e.p.PGWire(platform.PGWireConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		<-done
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, fmt.Sprintf("host=%s port=%s user=market-reader password=%s dbname=mesh sslmode=disable", host, port, reader.token))
	if err != nil {
		t.Fatalf("pgx.Connect: %v", err)
	}
	var n int64
	if err := conn.QueryRow(cctx, "SELECT count(*) FROM market.stalls.vendors WHERE revenue > $1 AND name <> '"+secretLiteral+"'", 3).Scan(&n); err != nil {
		t.Fatalf("query over pgwire: %v", err)
	}
	conn.Close(cctx)
	if err := e.p.Usage.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	page, body := reader.page(t, vendorsPage)
	u := page.Usage
	if u == nil {
		t.Fatal("the page has no usage section")
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if u.Days != 30 || len(u.PerDay) != 30 || u.PerDay[29].Day != today {
		t.Fatalf("usage = %d days, %d entries, last %+v; want 30 ending today %s", u.Days, len(u.PerDay), u.PerDay[len(u.PerDay)-1], today)
	}
	if u.TotalQueries != 4 || u.Consumers != 2 || u.PerDay[29].Queries != 4 || u.PerDay[29].Consumers != 2 || u.PerDay[28].Queries != 0 {
		t.Errorf("usage = %d queries by %d consumers, today %+v, yesterday %+v; want 4 by 2 today, 0 yesterday",
			u.TotalQueries, u.Consumers, u.PerDay[29], u.PerDay[28])
	}
	var got []string
	for _, f := range page.SampleQueries.Frequent {
		got = append(got, fmt.Sprintf("%d %s", f.Queries, f.Fingerprint))
	}
	want := []string{"3 " + shape, "1 SELECT count(*) FROM market.stalls.vendors WHERE revenue > ? AND name <> ?"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sampleQueries.frequent differ (-want +got):\n%s", diff)
	}
	for _, f := range page.SampleQueries.Frequent {
		if time.Since(f.LastSeen) > time.Minute {
			t.Errorf("frequent %q last seen %v, want within the last minute", f.Fingerprint, f.LastSeen)
		}
	}
	// The listing ranks products by the same counts.
	var list struct {
		Products []httpapi.ProductSummary `json:"products"`
	}
	lr := reader.do(t, "GET", "/api/v1/products", nil)
	if err := json.Unmarshal(lr.body, &list); err != nil || lr.status != http.StatusOK {
		t.Fatalf("GET /api/v1/products = %d, %v", lr.status, err)
	}
	for _, p := range list.Products {
		if p.Domain+"."+p.Name == "market.stalls" && (p.Usage == nil || p.Usage.Queries != 4 || p.Usage.Consumers != 2) {
			t.Errorf("listing usage of market.stalls = %+v, want 4 queries by 2", p.Usage)
		}
	}

	// Anonymised: no principal and no literal.
	for _, s := range []string{"market-reader", `"admin"`, secretLiteral, "8841"} {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("the page contains %q", s)
		}
	}
}

// pageStubs are freshness and lineage sources for the sections other
// components fill.
type pageStubs struct{ err error }

func (s pageStubs) ProductFreshness(ctx context.Context, domain, product string) (any, error) {
	if s.err != nil {
		return nil, s.err
	}
	return []map[string]any{{"table": "vendors", "status": "late", "lagSeconds": 90000}}, nil
}

func (s pageStubs) Neighbours(ctx context.Context, domain, product string, depth int) ([]httpapi.LineageNode, error) {
	if s.err != nil {
		return nil, s.err
	}
	return []httpapi.LineageNode{
		{Direction: "upstream", Hops: 1, Domain: "geo", Product: "places", Table: "countries", Source: "inputPorts"},
		{Direction: "upstream", Hops: 2, Dataset: "postgres://crm/public.vendors", Source: "openlineage"},
		{Direction: "downstream", Hops: 1, Domain: "market", Product: "stalls", Table: "vendors", Source: "openlineage"},
	}, nil
}

func TestPageSources(t *testing.T) {
	e, reader := pageMesh(t)
	serve := func(src httpapi.PageSources) *env {
		api := httpapi.New(httpapi.Config{Registry: e.p.Registry, Lake: e.p.Lake, Applier: e.p.Applier, Publisher: e.p.Publisher,
			Engine: e.p.Engine, Gov: e.p.Gov, Audit: e.p.Audit, Page: src, Logger: slog.New(slog.DiscardHandler)})
		srv := httptest.NewServer(api)
		t.Cleanup(srv.Close)
		c := *reader
		c.srv = srv
		return &c
	}
	t.Run("filled, hidden neighbours dropped", func(t *testing.T) {
		page, body := serve(httpapi.PageSources{Freshness: pageStubs{}, Lineage: pageStubs{}}).page(t, vendorsPage)
		var nodes []string
		for _, n := range page.Lineage {
			nodes = append(nodes, fmt.Sprintf("%s %d %s.%s.%s%s", n.Direction, n.Hops, n.Domain, n.Product, n.Table, n.Dataset))
		}
		want := []string{"upstream 2 ..postgres://crm/public.vendors", "downstream 1 market.stalls.vendors"}
		if diff := cmp.Diff(want, nodes); diff != "" {
			t.Errorf("lineage differs (-want +got):\n%s", diff)
		}
		if bytes.Contains(body, []byte("geo")) {
			t.Errorf("the consumer's page names geo, which it may not read")
		}
		if !bytes.Contains(body, []byte(`"status": "late"`)) {
			t.Errorf("the freshness section is not the source's value:\n%s", clip(body))
		}
		if page.Usage != nil {
			t.Errorf("usage = %+v without a usage source, want none", page.Usage)
		}
	})
	t.Run("failing sources leave their sections out", func(t *testing.T) {
		failing := pageStubs{err: errors.New("store down")}
		page, body := serve(httpapi.PageSources{Freshness: failing, Lineage: failing}).page(t, vendorsPage)
		if want := []string{"freshness", "lineage"}; !slices.Equal(page.Unavailable, want) {
			t.Errorf("unavailable = %v, want %v", page.Unavailable, want)
		}
		if bytes.Contains(body, []byte("store down")) {
			t.Error("the page shows a source's internal error")
		}
		if len(page.DataDictionary) != 1 {
			t.Errorf("the rest of the page is missing: %d tables", len(page.DataDictionary))
		}
	})
}

func TestPageBadInput(t *testing.T) {
	e, _ := pageMesh(t)
	tests := []struct {
		path, msg string
		status    int
	}{
		{"/api/v1/products/Market/stalls/page", "", http.StatusBadRequest},
		{"/api/v1/products/market/stalls@v1/page", "every major", http.StatusBadRequest},
		{"/api/v1/products/market/nothing/page", "does not exist", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := e.do(t, "GET", tt.path, nil)
			code := "invalid"
			if tt.status == http.StatusNotFound {
				code = "not_found"
			}
			r.wantError(t, "GET "+tt.path, tt.status, code, tt.msg)
		})
	}
	e.as("").do(t, "GET", vendorsPage, nil).wantStatus(t, "GET the page without a token", http.StatusUnauthorized)
}

// BenchmarkPage measures the page handler over a product whose table has
// 30 publish runs, with the product's catalog entry (GET
// /products/{domain}/{product}) measured in the same run as the reference.
func BenchmarkPage(b *testing.B) {
	e := newEnv(b)
	e.applyFiles(b, "page.yaml")
	for i := range 30 {
		e.mustPublish(b, vendors, "append", ctCSV, []byte(fmt.Sprintf("id,name,email,revenue\n%d,S%d,s%d@market.example,%d\n", i+1, i, i, i)))
	}
	for i := range 20 {
		e.query(b, fmt.Sprintf("SELECT id FROM market.stalls.vendors WHERE revenue > %d AND id < %d", i, i%3))
	}
	if err := e.p.Usage.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	call := func(path string) time.Duration {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		w := httptest.NewRecorder()
		start := time.Now()
		e.p.API.ServeHTTP(w, req)
		d := time.Since(start)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s = %d\n%s", path, w.Code, clip(w.Body.Bytes()))
		}
		return d
	}
	const refN = 200
	var ref time.Duration
	for range refN {
		ref += call("/api/v1/products/market/stalls")
	}
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		lat = append(lat, call(vendorsPage))
	}
	b.StopTimer()
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	mean := float64(sum) / float64(len(lat))
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(ref.Nanoseconds())/refN, "product-ns/op")
	b.ReportMetric(mean/(float64(ref.Nanoseconds())/refN), "x-product")
}

// BenchmarkPageDemo measures the page of sales.orders on the demo mesh
// (scale 0.01) as the admin, beside its catalog entry.
func BenchmarkPageDemo(b *testing.B) {
	e := newEnv(b)
	seedDemo(b, e)
	for i := range 20 {
		e.query(b, fmt.Sprintf("SELECT count(*) FROM sales.orders.lineitem WHERE l_quantity > %d", i))
	}
	if err := e.p.Usage.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	get := func(path string) time.Duration {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		w := httptest.NewRecorder()
		start := time.Now()
		e.p.API.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s = %d\n%s", path, w.Code, clip(w.Body.Bytes()))
		}
		return time.Since(start)
	}
	const refN = 100
	var ref time.Duration
	for range refN {
		ref += get("/api/v1/products/sales/orders")
	}
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		lat = append(lat, get("/api/v1/products/sales/orders/page"))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(ref.Nanoseconds())/refN, "product-ns/op")
}
