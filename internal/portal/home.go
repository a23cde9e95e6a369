package portal

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/meshwork/meshwork/internal/httpapi"
)

// domainProducts is a domain with its products, for the home page.
type domainProducts struct {
	Domain   string
	Products []httpapi.ProductSummary
}

type homeData struct {
	Domains  []domainProducts
	Recent   []httpapi.ProductSummary
	MostUsed []httpapi.ProductSummary // queried in the last 30 days, most queries first
	Search   searchForm
}

func (p *Portal) listProducts(v *view) ([]httpapi.ProductSummary, error) {
	var out struct {
		Products []httpapi.ProductSummary `json:"products"`
	}
	err := v.api.call("GET", "/api/v1/products", nil, nil, &out)
	return out.Products, err
}

func (p *Portal) handleHome(w http.ResponseWriter, r *http.Request, v *view) {
	ps, err := p.listProducts(v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	d := homeData{}
	byDomain := map[string]int{}
	for _, x := range ps {
		i, ok := byDomain[x.Domain]
		if !ok {
			i = len(d.Domains)
			byDomain[x.Domain] = i
			d.Domains = append(d.Domains, domainProducts{Domain: x.Domain})
		}
		d.Domains[i].Products = append(d.Domains[i].Products, x)
	}
	sort.Slice(d.Domains, func(i, j int) bool { return d.Domains[i].Domain < d.Domains[j].Domain })
	d.Recent = append([]httpapi.ProductSummary(nil), ps...)
	sort.SliceStable(d.Recent, func(i, j int) bool { return d.Recent[i].UpdatedAt.After(d.Recent[j].UpdatedAt) })
	if len(d.Recent) > 5 {
		d.Recent = d.Recent[:5]
	}
	for _, x := range ps {
		if x.Usage != nil && x.Usage.Queries > 0 {
			d.MostUsed = append(d.MostUsed, x)
		}
	}
	sort.SliceStable(d.MostUsed, func(i, j int) bool { return d.MostUsed[i].Usage.Queries > d.MostUsed[j].Usage.Queries })
	if len(d.MostUsed) > 5 {
		d.MostUsed = d.MostUsed[:5]
	}
	p.render(w, r, http.StatusOK, "home", "", pageData{Title: "Data products", Nav: "home", View: v, Data: d})
}

// searchForm is the search box and its filters.
type searchForm struct {
	Q, Domain, Tag, Classification, Status, Kind string
	Offset                                       int
}

func (f searchForm) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Q, "domain": f.Domain, "tag": f.Tag, "classification": f.Classification,
		"status": f.Status, "kind": f.Kind} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(f.Offset))
	}
	return q
}

// searchHit is one result of GET /api/v1/search.
type searchHit struct {
	Kind         string   `json:"kind"`
	Address      string   `json:"address"`
	Domain       string   `json:"domain"`
	Product      string   `json:"product"`
	Table        string   `json:"table"`
	Column       string   `json:"column"`
	Name         string   `json:"name"`
	BusinessName string   `json:"businessName"`
	Description  string   `json:"description"`
	Matched      []string `json:"matched"`
	Snippet      string   `json:"snippet"`
}

type searchData struct {
	Form    searchForm
	Total   int
	Results []searchHit
	Next    string // the next page's query, "" when none
	Prev    string
	Asked   bool      // a query or a filter was given
	Err     *APIError // the search API's refusal, shown in place of results
}

const searchPage = 20

// handleSearch renders results: the whole page, or only the results
// fragment when the page's script asks for it as the user types.
func (p *Portal) handleSearch(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	f := searchForm{Q: q.Get("q"), Domain: q.Get("domain"), Tag: q.Get("tag"), Classification: q.Get("classification"),
		Status: q.Get("status"), Kind: q.Get("kind")}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	if f.Offset < 0 || f.Offset > 10_000 {
		f.Offset = 0
	}
	fragment := ""
	if q.Get("fragment") == "1" {
		fragment = "results"
	}
	d := searchData{Form: f}
	api := f.values()
	api.Set("limit", strconv.Itoa(searchPage))
	var res struct {
		Total   int         `json:"total"`
		Results []searchHit `json:"results"`
	}
	pd := pageData{Title: "Search", Nav: "home", View: v}
	code := http.StatusOK
	d.Asked = len(f.values()) > 0
	if d.Asked {
		if err := v.api.call("GET", "/api/v1/search", api, nil, &res); err != nil {
			d.Err = asAPIError(err)
			code = d.Err.Status
		}
	}
	d.Total, d.Results = res.Total, res.Results
	if f.Offset+len(d.Results) < d.Total {
		n := f
		n.Offset += searchPage
		d.Next = n.values().Encode()
	}
	if f.Offset > 0 {
		n := f
		n.Offset = max(0, f.Offset-searchPage)
		d.Prev = n.values().Encode()
	}
	pd.Data = d
	p.render(w, r, code, "search", fragment, pd)
}
