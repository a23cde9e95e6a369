package portal

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/httpapi"
)

// The product page: everything a consumer needs to decide whether to use a
// data product, in tabs that are plain links (?tab=...), so that each tab
// works without scripts and can be bookmarked. All data comes from the REST
// API with the signed-in principal's credential: the page shows what the
// API lets that principal see, nothing more.

func (p *Portal) productRoutes() {
	p.mux.HandleFunc("GET /products/{domain}/{product}", p.page(p.handleProduct))
}

// productTabs are the tabs of the product page, in order.
var productTabs = []struct{ ID, Label string }{
	{"overview", "Overview"},
	{"dictionary", "Data dictionary"},
	{"contract", "Contract"},
	{"quality", "Quality"},
	{"lineage", "Lineage"},
	{"snapshots", "Snapshots"},
}

// tabLink is one tab of the page.
type tabLink struct {
	ID, Label, Href string
	Current         bool
}

// productPage is the API's page, with whether the caller may read the data.
// The API may not say yet (nil): the page then counts as readable, since
// the API answers the page only to those who may read the product.
type productPage struct {
	httpapi.Page
	Readable *bool `json:"readable"`
}

// productData is what the product template gets.
type productData struct {
	Domain, Name string // as in the address
	Tab          string
	Tabs         []tabLink
	Page         httpapi.Page
	Readable     bool
	RequestHref  string // the access request form for this product
	Unavailable  string // sections the API could not fill, joined

	// overview
	Freshness []freshRow
	Samples   []sampleQuery
	Frequent  []sampleQuery
	UsageSVG  template.HTML
	LastRuns  []lastRun

	// lineage (overview and lineage tabs)
	LineageSVG template.HTML
	Upstream   []*lineageBox
	Downstream []*lineageBox

	Tables    []dictTable // dictionary
	Quality   []qualityView
	Contract  *contractView
	Snapshots []snapTable
}

// dictTable is a table of the data dictionary with its anchor.
type dictTable struct {
	httpapi.PageTable
	Anchor string
	Masked int
}

// sampleQuery is a query to start from, with the link that runs it.
type sampleQuery struct {
	Label, SQL, RunHref string
	Count               int64
	LastSeen            time.Time
}

// lastRun is a table's latest publish run, for the overview.
type lastRun struct {
	Table  string
	Major  int
	Run    *httpapi.PageRun
	Class  string
	Failed int
}

// freshRow is the freshness of one table. The API passes its freshness
// source's value through as is, so only the fields the page shows are read,
// leniently.
type freshRow struct {
	Table       string     `json:"table"`
	Major       int        `json:"major"`
	Address     string     `json:"address"`
	Status      string     `json:"status"`
	LastPublish *time.Time `json:"lastPublish"`
	LastCommit  *time.Time `json:"lastCommit"`
	AgeSeconds  *float64   `json:"ageSeconds"`
	LagSeconds  *float64   `json:"lagSeconds"`
	Due         *time.Time `json:"due"`
	SLA         *struct {
		Text             string  `json:"text"`
		Latency          any     `json:"latency"`
		Frequency        any     `json:"frequency"`
		ThresholdSeconds float64 `json:"thresholdSeconds"`
	} `json:"sla"`
}

// Last is when the table was last published.
func (f freshRow) Last() *time.Time {
	if f.LastPublish != nil {
		return f.LastPublish
	}
	return f.LastCommit
}

// Age is how long ago that was, in words ("" when unknown).
func (f freshRow) Age() string {
	s := f.AgeSeconds
	if s == nil {
		s = f.LagSeconds
	}
	if s == nil {
		return ""
	}
	return humanDuration(time.Duration(*s * float64(time.Second)))
}

// SLAText is the SLA in words.
func (f freshRow) SLAText() string {
	if f.SLA == nil {
		return ""
	}
	if f.SLA.Text != "" {
		return f.SLA.Text
	}
	var parts []string
	if f.SLA.Frequency != nil {
		parts = append(parts, fmt.Sprint("frequency ", f.SLA.Frequency))
	}
	if f.SLA.Latency != nil {
		parts = append(parts, fmt.Sprint("latency ", f.SLA.Latency))
	}
	if len(parts) == 0 && f.SLA.ThresholdSeconds > 0 {
		parts = append(parts, "within "+humanDuration(time.Duration(f.SLA.ThresholdSeconds*float64(time.Second))))
	}
	return strings.Join(parts, ", ")
}

// Class is the badge class of the status.
func (f freshRow) Class() string {
	switch f.Status {
	case "fresh", "late", "stale":
		return f.Status
	case "never":
		return "stale"
	}
	return "none"
}

// humanDuration says d coarsely: "45 s", "12 min", "5 h 20 min", "3 days".
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 && h < 10 {
			return fmt.Sprintf("%d h %d min", h, m)
		}
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// qualityView is a table's quality history.
type qualityView struct {
	Table string
	Major int
	Chart template.HTML
	Runs  []runView
}

// runView is one publish run with the rules that did not pass.
type runView struct {
	httpapi.PageRun
	Class         string
	Passed, Total int
	NotPassed     []httpapi.PageRule
}

// sqlHref is the workspace address that opens sql.
func sqlHref(sql string) string { return "/sql?q=" + url.QueryEscape(sql) }

// productPath is the API path of a product (suffix: "", "/page").
func productPath(domain, product, suffix string) string {
	return "/api/v1/products/" + url.PathEscape(domain) + "/" + url.PathEscape(product) + suffix
}

func (p *Portal) handleProduct(w http.ResponseWriter, r *http.Request, v *view) {
	domain, name := r.PathValue("domain"), r.PathValue("product")
	q := r.URL.Query()
	tab := q.Get("tab")
	if tab == "" {
		tab = "overview"
	}
	known := false
	for _, t := range productTabs {
		known = known || t.ID == tab
	}
	if !known {
		p.fail(w, r, v, &APIError{Status: http.StatusNotFound, Code: "not_found",
			Message: "The product page has no such tab: choose overview, dictionary, contract, quality, lineage or snapshots."})
		return
	}
	var pg productPage
	if err := v.api.call("GET", productPath(domain, name, "/page"), nil, nil, &pg); err != nil {
		p.fail(w, r, v, err)
		return
	}
	d := &productData{Domain: domain, Name: name, Tab: tab, Page: pg.Page, Readable: pg.Readable == nil || *pg.Readable,
		RequestHref: "/access/request?" + url.Values{"domain": {domain}, "product": {name}}.Encode(),
		Unavailable: strings.Join(pg.Unavailable, ", ")}
	base := productHref(domain, name)
	for _, t := range productTabs {
		href := base
		if t.ID != "overview" {
			href += "?tab=" + t.ID
		}
		d.Tabs = append(d.Tabs, tabLink{ID: t.ID, Label: t.Label, Href: href, Current: t.ID == tab})
	}
	var flash *APIError
	switch tab {
	case "overview":
		d.overview()
		d.lineage()
	case "dictionary":
		d.dictionary()
	case "contract":
		cv, err := loadContract(v, pg.Page, q)
		if err != nil {
			// The page still shows what it has; the API's refusal says why the rest is missing.
			flash = asAPIError(err)
			if flash.Status >= 500 {
				p.log.ErrorContext(r.Context(), "contract tab failed", "path", r.URL.Path, "err", err)
			}
		}
		d.Contract = cv
	case "quality":
		d.quality()
	case "lineage":
		d.lineage()
	case "snapshots":
		var pd httpapi.ProductDetail
		if err := v.api.call("GET", productPath(domain, name, ""), nil, nil, &pd); err != nil {
			flash = asAPIError(err)
		} else {
			d.Snapshots = snapshotTables(pd)
		}
	}
	title := pg.Product.Domain + "." + pg.Product.Name
	p.render(w, r, http.StatusOK, "product", "", pageData{Title: title, Nav: "home", View: v, Data: d, Error: flash})
}

// overview fills the overview tab.
func (d *productData) overview() {
	if d.Page.Freshness != nil {
		if b, err := json.Marshal(d.Page.Freshness); err == nil {
			var rows []freshRow
			if json.Unmarshal(b, &rows) == nil {
				d.Freshness = rows
			}
		}
	}
	for _, e := range d.Page.SampleQueries.Examples {
		d.Samples = append(d.Samples, sampleQuery{Label: e.Table, SQL: e.SQL, RunHref: sqlHref(e.SQL)})
	}
	for _, f := range d.Page.SampleQueries.Frequent {
		d.Frequent = append(d.Frequent, sampleQuery{SQL: f.Fingerprint, RunHref: sqlHref(f.Fingerprint), Count: f.Queries, LastSeen: f.LastSeen})
	}
	if u := d.Page.Usage; u != nil && len(u.PerDay) > 0 {
		d.UsageSVG = usageChart("usage-chart", u.PerDay)
	}
	for _, qh := range d.Page.QualityHistory {
		lr := lastRun{Table: qh.Table, Major: qh.Major}
		if len(qh.Runs) > 0 {
			lr.Run = &qh.Runs[0]
			lr.Class = runClass(lr.Run.Status)
			for _, x := range lr.Run.Rules {
				if x.Verdict != "pass" {
					lr.Failed++
				}
			}
		}
		d.LastRuns = append(d.LastRuns, lr)
	}
	d.dictionary() // the overview lists the tables, with the anchors search links to
}

// dictionary fills the data dictionary.
func (d *productData) dictionary() {
	d.Tables = nil
	for _, t := range d.Page.DataDictionary {
		dt := dictTable{PageTable: t, Anchor: tableAnchor(t)}
		for _, c := range t.Columns {
			if c.Masked {
				dt.Masked++
			}
		}
		d.Tables = append(d.Tables, dt)
	}
}

// tableAnchor is the id of a table on the page: "table-NAME" for the major
// that unpinned names read (where search results link), "table-NAME-vN"
// for others.
func tableAnchor(t httpapi.PageTable) string {
	if strings.Contains(t.Address, "@v") {
		return "table-" + t.Name + "-v" + strconv.Itoa(t.Major)
	}
	return "table-" + t.Name
}

// lineage fills the lineage graph and its list.
func (d *productData) lineage() {
	d.LineageSVG = lineageGraph(d.Page.Product.Domain, d.Page.Product.Name, d.Page.Lineage)
	for _, b := range lineageBoxes(d.Page.Product.Domain, d.Page.Product.Name, d.Page.Lineage)[1:] {
		if b.Col < 0 {
			d.Upstream = append(d.Upstream, b)
		} else {
			d.Downstream = append(d.Downstream, b)
		}
	}
	// nearest first
	sort.SliceStable(d.Upstream, func(i, j int) bool { return d.Upstream[i].Hops < d.Upstream[j].Hops })
}

// quality fills the quality tab.
func (d *productData) quality() {
	for i, qh := range d.Page.QualityHistory {
		qv := qualityView{Table: qh.Table, Major: qh.Major,
			Chart: qualityChart("quality-chart-"+strconv.Itoa(i), qh.Table, qh.Runs)}
		for _, run := range qh.Runs {
			rv := runView{PageRun: run, Class: runClass(run.Status)}
			rv.Passed, rv.Total = rulesPassed(run)
			for _, x := range run.Rules {
				if x.Verdict != "pass" {
					rv.NotPassed = append(rv.NotPassed, x)
				}
			}
			qv.Runs = append(qv.Runs, rv)
		}
		d.Quality = append(d.Quality, qv)
	}
}

// snapTable is a table's snapshot history, newest first.
type snapTable struct {
	Name, SQLName string
	Major         int
	Default       bool
	Current       *int64
	Snapshots     []snapView
}

// snapView is one snapshot.
type snapView struct {
	ID        int64
	Time      time.Time
	Operation string
	Summary   []string // "key: value", sorted
	Current   bool
	QueryHref string
}

// snapshotSummaryKeys are the summary properties worth showing, in order.
var snapshotSummaryKeys = []string{"added-records", "deleted-records", "total-records", "added-data-files",
	"deleted-data-files", "total-data-files", "added-files-size", "total-files-size"}

func snapshotTables(pd httpapi.ProductDetail) []snapTable {
	var out []snapTable
	for _, t := range pd.Tables {
		st := snapTable{Name: t.Name, SQLName: t.SQLName, Major: t.Major, Default: t.Default, Current: t.CurrentSnapshotID}
		for i := len(t.Snapshots) - 1; i >= 0; i-- {
			s := t.Snapshots[i]
			sv := snapView{ID: s.ID, Time: time.UnixMilli(s.TimestampMs), Operation: s.Operation,
				Current:   t.CurrentSnapshotID != nil && *t.CurrentSnapshotID == s.ID,
				QueryHref: sqlHref(fmt.Sprintf("SELECT * FROM %s AT (VERSION => %d) LIMIT 100", t.SQLName, s.ID))}
			for _, k := range snapshotSummaryKeys {
				if v, ok := s.Summary[k]; ok {
					sv.Summary = append(sv.Summary, k+": "+v)
				}
			}
			st.Snapshots = append(st.Snapshots, sv)
		}
		out = append(out, st)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Major > out[j].Major
	})
	return out
}
