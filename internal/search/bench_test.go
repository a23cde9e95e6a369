package search_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/search"
)

// The generated catalog of BenchmarkSearch.
const (
	benchDomains  = 20
	benchProducts = 10_000 // 500 per domain
	benchTables   = 2
	benchColumns  = 25 // per table: 50 per product
)

// words is the business vocabulary names and descriptions are made of.
var words = strings.Fields(`customer order invoice payment shipment supplier product price amount quantity discount tax
currency region country city address phone email account balance ledger journal entry transaction contract policy claim
premium risk score rating campaign channel session click visit page device browser employee salary department manager
project task ticket incident asset inventory warehouse stock batch lot vendor purchase requisition budget forecast plan
target revenue cost margin profit loss refund return carrier route delivery parcel package label barcode sku catalog
category brand model variant color size weight volume unit measure sensor reading meter tariff subscription plan_tier
license seat user group role permission audit event log metric alert threshold sla latency throughput error failure
retry queue topic partition offset cluster node region_code store branch outlet terminal register receipt cashier shift
schedule calendar holiday leave absence timesheet payroll bonus commission quota territory lead opportunity pipeline
stage forecast_line quote proposal tender bid auction lease rent mortgage loan interest rate fee charge penalty fine
dispute chargeback fraud alertness identity document passport license_plate vehicle fleet fuel mileage maintenance
repair part component assembly bom routing workcenter machine downtime yield scrap defect inspection quality sample
lab test result patient visit_note diagnosis procedure prescription pharmacy dosage insurer member beneficiary
provider network facility bed admission discharge referral appointment survey response question answer feedback
review complaint case resolution agent call chat email_thread sentiment nps churn retention cohort segment persona
household income age gender education occupation marital language nationality weather temperature humidity wind
energy consumption emission carbon waste recycling water supply demand capacity utilization occupancy booking
reservation flight seat_map airport hotel room guest loyalty points tier reward voucher coupon promotion markdown`)

var suffixes = []string{"id", "key", "date", "ts", "amount", "code", "name", "status", "type", "count", "flag", "pct", "desc", "ref"}

var tagWords = strings.Fields(`pii gdpr finance master-data reference kpi daily hourly realtime curated raw gold silver bronze
certified experimental deprecated-soon sensitive public internal-only regulatory sox hipaa pci marketing sales ops
logistics hr audit-trail snapshot slowly-changing event-stream aggregated forecast ml-feature golden-record shared`)

var classes = []string{"public", "public", "public", "public", "internal", "internal", "internal", "confidential", "pii", "pii"}

// genCatalog makes the documents of the generated catalog, deterministically.
func genCatalog() []search.ProductDocs {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return words[r.IntN(len(words))] }
	sentence := func() string {
		return fmt.Sprintf("The %s %s of each %s, used for %s and %s reporting by the %s team.", pick(), suffixes[r.IntN(len(suffixes))],
			pick(), pick(), pick(), pick())
	}
	title := func(s string) string { return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "_", " ") }
	var out []search.ProductDocs
	for d := range benchDomains {
		domain := fmt.Sprintf("%s_%d", words[d*7%len(words)], d)
		team := title(domain) + " Data"
		seen := map[string]bool{}
		for range benchProducts / benchDomains {
			name := pick() + "_" + pick()
			for seen[name] {
				name = pick() + "_" + pick()
			}
			seen[name] = true
			var tags []string
			for range 1 + r.IntN(3) {
				tags = append(tags, tagWords[r.IntN(len(tagWords))])
			}
			tags = slices.Compact(slices.Sorted(slices.Values(tags)))
			owners := fmt.Sprintf("%s person%d@meshwork.example person%d@meshwork.example", team, r.IntN(2000), r.IntN(2000))
			pd := search.ProductDocs{Domain: domain, Product: name}
			status := "active"
			if r.IntN(10) == 0 {
				status = "draft"
			}
			prod := search.Document{Kind: search.KindProduct, Domain: domain, Product: name, BusinessName: title(name),
				Description: sentence() + " " + sentence(), Status: status, Meta: strings.Join(tags, " ") + " " + owners, Tags: tags}
			var productClasses []string
			var docs []search.Document
			for ti := range benchTables {
				table := pick() + "s"
				if ti > 0 {
					table = strings.TrimSuffix(table, "s") + "_lines"
				}
				var tableClasses []string
				var cols []search.Document
				colSeen := map[string]bool{}
				for range benchColumns {
					col := pick() + "_" + suffixes[r.IntN(len(suffixes))]
					for colSeen[col] {
						col = pick() + "_" + suffixes[r.IntN(len(suffixes))]
					}
					colSeen[col] = true
					class := classes[r.IntN(len(classes))]
					tableClasses = append(tableClasses, class)
					cols = append(cols, search.Document{Kind: search.KindColumn, Domain: domain, Product: name, Table: table, Column: col,
						BusinessName: title(col), Description: sentence(), Status: status, Meta: class, Tags: tags, Classifications: []string{class}})
				}
				tableClasses = slices.Compact(slices.Sorted(slices.Values(tableClasses)))
				productClasses = append(productClasses, tableClasses...)
				docs = append(docs, search.Document{Kind: search.KindTable, Domain: domain, Product: name, Table: table,
					BusinessName: title(table), Description: sentence(), Status: status, Tags: tags, Classifications: tableClasses})
				docs = append(docs, cols...)
			}
			prod.Classifications = slices.Compact(slices.Sorted(slices.Values(productClasses)))
			pd.Docs = append([]search.Document{prod}, docs...)
			out = append(out, pd)
		}
	}
	return out
}

// benchIndex is the generated catalog, indexed once per test binary.
var benchIndex struct {
	once    sync.Once
	dir     string
	path    string
	f       *fixture
	catalog []search.ProductDocs
	build   time.Duration
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchIndex.dir != "" {
		os.RemoveAll(benchIndex.dir)
	}
	os.Exit(code)
}

func loadBench(b testing.TB) *fixture {
	benchIndex.once.Do(func() {
		ctx := context.Background()
		// SEARCH_BENCH_DB keeps the generated index between runs (it is
		// built when the file does not exist); by default it is temporary.
		path := os.Getenv("SEARCH_BENCH_DB")
		built := false
		if path == "" {
			dir, err := os.MkdirTemp("", "search-bench-")
			if err != nil {
				benchIndex.err = err
				return
			}
			benchIndex.dir = dir
			path = filepath.Join(dir, "mesh.db")
		} else if _, err := os.Stat(path); err == nil {
			built = true
		}
		benchIndex.path = path
		db, err := registry.OpenSQLite(path)
		if err != nil {
			benchIndex.err = err
			return
		}
		acc, err := access.Open(ctx, db, access.Config{})
		if err != nil {
			benchIndex.err = err
			return
		}
		idx, err := search.Open(ctx, search.Config{DB: db, Path: path, Access: acc}) // as the platform opens it
		if err != nil {
			benchIndex.err = err
			return
		}
		benchIndex.f = &fixture{db: db, acc: acc, idx: idx}
		benchIndex.catalog = genCatalog()
		if built {
			return
		}
		start := time.Now()
		const batch = 500
		for i := 0; i < len(benchIndex.catalog); i += batch {
			if _, err := idx.Write(ctx, benchIndex.catalog[i:min(i+batch, len(benchIndex.catalog))], nil); err != nil {
				benchIndex.err = err
				return
			}
		}
		// No FTS5 'optimize' and no ANALYZE: the platform runs neither, so
		// the index is measured as incremental writes leave it.
		benchIndex.build = time.Since(start)
	})
	if benchIndex.err != nil {
		b.Fatal(benchIndex.err)
	}
	return benchIndex.f
}

// benchMix is the fixed mix of queries: exact names, prefixes, stems,
// several terms, and filters, taken from the generated catalog.
func benchMix(cat []search.ProductDocs) []search.Query {
	p := cat[4321]
	col := p.Docs[7]
	tbl := p.Docs[1]
	other := cat[8765]
	return []search.Query{
		// exact names
		{Text: p.Product}, {Text: tbl.Table}, {Text: col.Column}, {Text: other.Product},
		// prefixes
		{Text: "invo"}, {Text: "warehou"}, {Text: "subscr"}, {Text: "loya"},
		// stems
		{Text: "payments"}, {Text: "shipping"}, {Text: "delivered"}, {Text: "reviews"},
		// several terms
		{Text: "customer address"}, {Text: "loyalty points balance"}, {Text: "invoice amount date"}, {Text: "patient diagnosis"},
		// filtered
		{Text: "amount", Domain: other.Domain}, {Text: "customer", Tag: "pii"}, {Text: "price", Kind: search.KindTable},
		{Text: "revenue", Classification: "confidential"}, {Text: "refund", Status: "draft"},
	}
}

// BenchmarkSearch runs the query mix over a generated catalog of 10,000
// products of 50 columns (530,000 documents) as a consumer of half the
// domains and a few products elsewhere (the visibility check in SQL) and
// as an admin, and beside it the bare FTS5 query on the same index:
// MATCH ... ORDER BY bm25 LIMIT 20, no join, no filter, no count.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	f := loadBench(b)
	cat := benchIndex.catalog
	b.Logf("catalog: %d products, built in %s", len(cat), benchIndex.build.Round(time.Second))
	consumer := access.Principal{Name: "bench-consumer"}
	grantOnce.Do(func() {
		for d := 0; d < benchDomains; d += 2 {
			f.grant(b, consumer.Name, access.RoleConsumer, cat[d*(benchProducts/benchDomains)].Domain, "")
		}
		for i := 1; i < len(cat); i += 997 {
			f.grant(b, consumer.Name, access.RoleConsumer, cat[i].Domain, cat[i].Product)
		}
		f.grant(b, "bench-admin", access.RoleAdmin, "", "")
	})
	mix := benchMix(cat)
	// The reference reads through a pool set up as the index's own search
	// pool (Config.Path): the same page cache and memory map.
	refDB, err := sql.Open("sqlite", "file:"+benchIndex.path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=cache_size(-32768)&_pragma=mmap_size(4294967296)")
	if err != nil {
		b.Fatal(err)
	}
	defer refDB.Close()
	refDB.SetMaxOpenConns(1)
	ref, err := refDB.PrepareContext(ctx, `SELECT rowid FROM mesh_search_fts WHERE mesh_search_fts MATCH ?
		ORDER BY bm25(mesh_search_fts, 10.0, 6.0, 5.0, 3.0, 1.0) LIMIT 20`)
	if err != nil {
		b.Fatal(err)
	}
	defer ref.Close()
	for _, who := range []access.Principal{consumer, {Name: "bench-admin"}} {
		b.Run(strings.TrimPrefix(who.Name, "bench-"), func(b *testing.B) {
			var lat []time.Duration
			hits := 0
			b.ReportAllocs()
			for b.Loop() {
				q := mix[len(lat)%len(mix)]
				start := time.Now()
				res, err := f.idx.Search(ctx, who, q)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				hits += res.Total
			}
			b.StopTimer()
			// The reference, over the same sequence of texts.
			var refLat []time.Duration
			for i := range lat {
				terms, _ := search.Parse(mix[i%len(mix)].Text)
				start := time.Now()
				rows, err := ref.QueryContext(ctx, search.Match(terms))
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
				refLat = append(refLat, time.Since(start))
			}
			p50, p99 := percentile(lat, 50), percentile(lat, 99)
			r50, r99 := percentile(refLat, 50), percentile(refLat, 99)
			b.ReportMetric(ms(p50), "p50-ms")
			b.ReportMetric(ms(p99), "p99-ms")
			b.ReportMetric(ms(r50), "ref-p50-ms")
			b.ReportMetric(ms(r99), "ref-p99-ms")
			b.ReportMetric(ms(p99)/ms(r99), "p99-ratio")
			b.ReportMetric(float64(hits)/float64(len(lat)), "hits/op")
		})
	}
}

var grantOnce sync.Once

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TestBenchMixHits logs how many documents each query of the benchmark
// mix matches (as an admin), for the report; it runs only with SEARCH_BENCH_HITS set.
func TestBenchMixHits(t *testing.T) {
	if os.Getenv("SEARCH_BENCH_HITS") == "" {
		t.Skip("set SEARCH_BENCH_HITS=1 to index the generated catalog and list the mix's hit counts")
	}
	f := loadBench(t)
	f.grant(t, "hits-admin", access.RoleAdmin, "", "")
	for _, q := range benchMix(benchIndex.catalog) {
		start := time.Now()
		res := f.search(t, access.Principal{Name: "hits-admin"}, q)
		t.Logf("%-60s total %6d  %s", fmt.Sprintf("%+v", q), res.Total, time.Since(start).Round(time.Microsecond))
	}
}
