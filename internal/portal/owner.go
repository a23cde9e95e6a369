package portal

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/meshwork/meshwork/internal/freshness"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/publish"
)

// The owner view: for each domain where the principal may publish or
// apply, its products' health (freshness against the SLA, the latest
// quality verdict) and the publishes that the gates refused, with the
// rules that failed. It reads only the API, as the principal.

func (p *Portal) ownerRoutes() {
	p.mux.HandleFunc("GET /owner", p.page(p.handleOwner))
}

// ownerDomain is one domain of the owner view.
type ownerDomain struct {
	Domain   string
	Products []ownerProduct
	Failed   []failedRun // newest first
}

// ownerProduct is a product's health.
type ownerProduct struct {
	httpapi.ProductSummary
	Freshness string // the worst of its tables': fresh, late, stale, never, none ("" unknown)
	Tables    []freshness.TableStatus
	Quality   string     // the latest runs' verdict: pass, warn, fail ("" no run yet)
	LastRun   *time.Time // the newest publish run of any table
	Problem   string     // why the quality history could not be read
}

// failedRun is a publish the gates (or the pipeline) refused.
type failedRun struct {
	Domain, Product, Table string
	Major                  int
	Run                    httpapi.PageRun
	Failing                []httpapi.PageRule // the rules that did not pass
}

type ownerData struct {
	Domains []ownerDomain
}

// Limits of the owner view, which reads one product page per product.
const (
	ownerProducts = 200 // products read per view
	ownerFailed   = 20  // failed runs listed per domain
)

func (p *Portal) handleOwner(w http.ResponseWriter, r *http.Request, v *view) {
	ps, err := p.listProducts(v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	var fr struct {
		Tables []freshness.TableStatus `json:"tables"`
	}
	pd := pageData{Title: "My domains", Nav: "owner", View: v}
	if err := v.api.call("GET", "/api/v1/freshness", nil, nil, &fr); err != nil {
		// Freshness may not be served (no monitor): the rest still helps.
		pd.Error = p.refusal(r, err)
		pd.Error.Message = "Freshness is unavailable: " + pd.Error.Message
	}
	tables := map[string][]freshness.TableStatus{}
	for _, t := range fr.Tables {
		k := t.Domain + "." + t.Product
		tables[k] = append(tables[k], t)
	}
	d := ownerData{}
	byDomain := map[string]int{}
	n := 0
	for _, x := range ps {
		if !v.Me.Can("publish", x.Domain, x.Name) && !v.Me.Can("apply", x.Domain, x.Name) {
			continue
		}
		if n++; n > ownerProducts {
			break
		}
		i, ok := byDomain[x.Domain]
		if !ok {
			i = len(d.Domains)
			byDomain[x.Domain] = i
			d.Domains = append(d.Domains, ownerDomain{Domain: x.Domain})
		}
		op := ownerProduct{ProductSummary: x, Tables: tables[x.Domain+"."+x.Name]}
		op.Freshness = worstFreshness(op.Tables)
		failed := p.productQuality(v, &op)
		d.Domains[i].Products = append(d.Domains[i].Products, op)
		d.Domains[i].Failed = append(d.Domains[i].Failed, failed...)
	}
	// A domain the principal may publish to or apply in, but with no
	// product yet, is listed too: the place to start.
	for _, a := range []string{"publish", "apply"} {
		for _, sc := range v.Me.May[a].Scopes {
			if _, ok := byDomain[sc.Domain]; !ok && sc.Domain != "" && sc.Product == "" {
				byDomain[sc.Domain] = len(d.Domains)
				d.Domains = append(d.Domains, ownerDomain{Domain: sc.Domain})
			}
		}
	}
	sort.Slice(d.Domains, func(i, j int) bool { return d.Domains[i].Domain < d.Domains[j].Domain })
	for i := range d.Domains {
		od := &d.Domains[i]
		sort.Slice(od.Products, func(a, b int) bool { return od.Products[a].Name < od.Products[b].Name })
		sort.SliceStable(od.Failed, func(a, b int) bool { return od.Failed[a].Run.Time.After(od.Failed[b].Run.Time) })
		if len(od.Failed) > ownerFailed {
			od.Failed = od.Failed[:ownerFailed]
		}
	}
	pd.Data = d
	p.render(w, r, http.StatusOK, "owner", "", pd)
}

// productQuality reads the product's quality history from its page: it
// sets the latest verdict and returns the failed runs.
func (p *Portal) productQuality(v *view, op *ownerProduct) []failedRun {
	var pg httpapi.Page
	path := productPath(op.Domain, op.Name, "/page")
	if err := v.api.call("GET", path, nil, nil, &pg); err != nil {
		op.Problem = asAPIError(err).Message
		return nil
	}
	var failed []failedRun
	for _, q := range pg.QualityHistory {
		for i, run := range q.Runs {
			if i == 0 { // runs are newest first: the first is the table's latest
				op.Quality = worseVerdict(op.Quality, runVerdict(run))
				if op.LastRun == nil || run.Time.After(*op.LastRun) {
					t := run.Time
					op.LastRun = &t
				}
			}
			if run.Status == publish.StatusCommitted {
				continue
			}
			f := failedRun{Domain: op.Domain, Product: op.Name, Table: q.Table, Major: q.Major, Run: run}
			for _, rule := range run.Rules {
				if rule.Verdict != "pass" {
					f.Failing = append(f.Failing, rule)
				}
			}
			failed = append(failed, f)
		}
	}
	return failed
}

// runVerdict is a run's quality verdict: fail when it did not commit or a
// rule failed, warn when a non-blocking rule failed, else pass.
func runVerdict(run httpapi.PageRun) string {
	if run.Status != publish.StatusCommitted {
		return "fail"
	}
	v := "pass"
	for _, r := range run.Rules {
		switch r.Verdict {
		case "fail", "error":
			v = worseVerdict(v, "fail")
		case "warn":
			v = worseVerdict(v, "warn")
		}
	}
	return v
}

var verdictRank = map[string]int{"": 0, "pass": 1, "warn": 2, "fail": 3}

func worseVerdict(a, b string) string {
	if verdictRank[b] > verdictRank[a] {
		return b
	}
	return a
}

// freshnessRank orders statuses from best to worst.
var freshnessRank = map[freshness.Status]int{freshness.None: 1, freshness.Fresh: 2, freshness.Late: 3, freshness.Never: 4, freshness.Stale: 5}

// worstFreshness is the worst status of a product's tables ("" when none
// is known).
func worstFreshness(ts []freshness.TableStatus) string {
	var worst freshness.Status
	for _, t := range ts {
		if freshnessRank[t.Status] > freshnessRank[worst] {
			worst = t.Status
		}
	}
	return string(worst)
}

func init() {
	funcs["num"] = func(f *float64) string {
		if f == nil {
			return "—"
		}
		return strconv.FormatFloat(*f, 'g', 6, 64)
	}
}
