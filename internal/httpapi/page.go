package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/usage"
)

// The product page: one call with everything a consumer needs to decide
// whether to use a product. It reads only the registry, the access store,
// the usage statistics and the sources below, never the data: a page costs
// a few small SQLite reads, not a scan.
//
// Whoever may discover a product sees its page: metadata is discoverable,
// data is protected. A caller who may not read the product gets the same
// page without what the data itself yields (the values the quality rules
// measured), with every table marked Denied and Readable false.

// PageSources feed the sections of the product page that other components
// own. A nil source omits its section.
type PageSources struct {
	Usage     PageUsage
	Freshness PageFreshness
	Lineage   PageLineage
}

// PageUsage is what the page reads of the usage statistics (internal/usage).
type PageUsage interface {
	Summary(ctx context.Context, domain, product string, days int, now time.Time) (usage.Summary, error)
	Top(ctx context.Context, domain, product string, limit int) ([]usage.Frequent, error)
	// Totals is every product's use over days days, keyed domain.product,
	// for the catalog's listing.
	Totals(ctx context.Context, days int, now time.Time) (map[string]usage.Use, error)
}

// PageFreshness reports the freshness of a product's tables. The value is
// written as is as the page's freshness section, so it must be JSON-ready;
// the expected shape is one entry per table:
//
//	[{"table": "orders", "major": 1, "status": "fresh|late|stale|unknown",
//	  "lastCommit": "2026-12-05T06:00:00Z", "lagSeconds": 3600,
//	  "sla": {"latency": "1d", "frequency": "1d"}}]
//
// A nil value omits the section. It must not name other products.
type PageFreshness interface {
	ProductFreshness(ctx context.Context, domain, product string) (any, error)
}

// PageLineage returns a product's lineage neighbourhood up to depth hops in
// both directions. The page drops the nodes of products the caller may not
// read, so an implementation returns them all.
type PageLineage interface {
	Neighbours(ctx context.Context, domain, product string, depth int) ([]LineageNode, error)
}

// LineageNode is one neighbour of a product in its lineage.
type LineageNode struct {
	Direction string `json:"direction"` // upstream (what the product reads) or downstream (what reads it)
	Hops      int    `json:"hops"`      // 1: a direct neighbour
	Domain    string `json:"domain,omitempty"`
	Product   string `json:"product,omitempty"`
	Table     string `json:"table,omitempty"`
	// Dataset names a node outside the mesh (an OpenLineage namespace and
	// name); Domain and Product are then empty.
	Dataset string `json:"dataset,omitempty"`
	Source  string `json:"source,omitempty"` // how the edge is known: inputPorts, openlineage, ...
}

// Page is the product page.
type Page struct {
	Product        PageProduct   `json:"product"`
	Owners         PageOwners    `json:"owners"`
	Contract       PageContract  `json:"contract"`
	DataDictionary []PageTable   `json:"dataDictionary"`
	SampleQueries  PageSamples   `json:"sampleQueries"`
	QualityHistory []PageQuality `json:"qualityHistory"`
	Freshness      any           `json:"freshness,omitempty"`
	Lineage        []LineageNode `json:"lineage,omitempty"`
	Usage          *PageUsed     `json:"usage,omitempty"`
	// Readable says whether the caller may read the product's data; when
	// false the caller sees the metadata only and may request access.
	Readable bool `json:"readable"`
	// Unavailable names the sections left out because their source failed.
	Unavailable []string  `json:"unavailable,omitempty"`
	GeneratedAt time.Time `json:"generatedAt"`
}

// PageProduct is the product itself.
type PageProduct struct {
	ID          string          `json:"id"`
	Domain      string          `json:"domain"`
	Name        string          `json:"name"`
	Status      string          `json:"status"`
	Version     string          `json:"version,omitempty"`
	Description PageDescription `json:"description"`
	Tags        []string        `json:"tags"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// PageDescription is an ODPS or ODCS description.
type PageDescription struct {
	Purpose     string `json:"purpose,omitempty"`
	Usage       string `json:"usage,omitempty"`
	Limitations string `json:"limitations,omitempty"`
}

// PageOwners are who answers for the product and where to ask.
type PageOwners struct {
	Teams []PageTeam `json:"teams"`
	// Grants are the principals (or groups) holding the owner role on the
	// product or its domain.
	Grants  []PageOwnerGrant `json:"grants"`
	Support []PageSupport    `json:"support"`
}

// PageTeam is the team of the product (source "product") or of a contract
// (source the contract's id).
type PageTeam struct {
	Source      string       `json:"source"`
	Name        string       `json:"name,omitempty"`
	Description string       `json:"description,omitempty"`
	Members     []PageMember `json:"members"`
}

// PageMember is a member of a team.
type PageMember struct {
	Username    string `json:"username"`
	Name        string `json:"name,omitempty"`
	Role        string `json:"role,omitempty"`
	Description string `json:"description,omitempty"`
}

// PageOwnerGrant is an owner grant.
type PageOwnerGrant struct {
	Subject string `json:"subject"`
	Scope   string `json:"scope"` // domain or product
}

// PageSupport is a support channel of the product or one of its contracts.
type PageSupport struct {
	Channel     string `json:"channel"`
	URL         string `json:"url,omitempty"`
	Tool        string `json:"tool,omitempty"`
	Scope       string `json:"scope,omitempty"`
	Description string `json:"description,omitempty"`
	Source      string `json:"source"` // product, or the contract's id
}

// PageContract is what the product promises: the contract of each served
// major version. The documents are not repeated here: each major links to
// the contract endpoints that serve them.
type PageContract struct {
	Majors []PageMajor `json:"majors"`
}

// PageMajor is the contract a served major version of the product keeps.
// The documents themselves are at Versions and Document.
type PageMajor struct {
	Major    int        `json:"major"`
	ID       string     `json:"id"`
	Version  string     `json:"version"` // the version the major's tables follow
	Status   string     `json:"status"`
	Sunset   *time.Time `json:"sunset,omitempty"`
	Default  bool       `json:"default"` // what unpinned names read
	Versions string     `json:"versions"`
	Document string     `json:"document"`
}

// PageTable is a table of the data dictionary.
type PageTable struct {
	Name         string   `json:"name"`
	Major        int      `json:"major"`
	Address      string   `json:"address"` // the name to query it by
	BusinessName string   `json:"businessName,omitempty"`
	Description  string   `json:"description,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	// RowFiltered says the caller sees only some of the rows; Denied, that
	// a query of this table would be refused to the caller (with the
	// reason): by the query policy, or because the caller may not read the
	// product at all.
	RowFiltered bool         `json:"rowFiltered,omitempty"`
	Denied      string       `json:"denied,omitempty"`
	Columns     []PageColumn `json:"columns"`
}

// PageColumn is a column of the data dictionary.
type PageColumn struct {
	Name           string   `json:"name"`
	LogicalType    string   `json:"logicalType,omitempty"`
	Description    string   `json:"description,omitempty"`
	BusinessName   string   `json:"businessName,omitempty"`
	Classification string   `json:"classification,omitempty"`
	Required       bool     `json:"required"`
	PrimaryKey     bool     `json:"primaryKey"`
	Unique         bool     `json:"unique"`
	Tags           []string `json:"tags,omitempty"`
	Examples       []any    `json:"examples,omitempty"`
	// Masked says the caller's queries see this column masked, and how.
	Masked bool   `json:"masked"`
	Mask   string `json:"mask,omitempty"`
}

// PageSamples are ways to start querying the product.
type PageSamples struct {
	Usage                    string         `json:"usage,omitempty"` // the contract's description.usage
	AuthoritativeDefinitions []PageLink     `json:"authoritativeDefinitions"`
	Examples                 []PageExample  `json:"examples"`
	Frequent                 []PageFrequent `json:"frequent"` // the consumers' most frequent queries, anonymised
}

// PageLink is an ODCS authoritative definition.
type PageLink struct {
	Type        string `json:"type"`
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

// PageExample is a query to start from.
type PageExample struct {
	Table string `json:"table"`
	SQL   string `json:"sql"`
}

// PageFrequent is a frequent query shape: literals are ?, and nothing says who ran it.
type PageFrequent struct {
	Fingerprint string    `json:"fingerprint"`
	Queries     int64     `json:"queries"`
	LastSeen    time.Time `json:"lastSeen"`
}

// PageQuality is a table's recent publish runs, newest first.
type PageQuality struct {
	Table string    `json:"table"`
	Major int       `json:"major"`
	Runs  []PageRun `json:"runs"`
}

// PageRun is one publish run.
type PageRun struct {
	RunID      string     `json:"runId"`
	Time       time.Time  `json:"time"`
	Status     string     `json:"status"`
	Mode       string     `json:"mode"`
	RowsRead   int64      `json:"rowsRead"`
	RowsOK     int64      `json:"rowsAccepted"`
	RowsFailed int64      `json:"rowsRejected"`
	SnapshotID *int64     `json:"snapshotId,omitempty"`
	Rules      []PageRule `json:"rules"`
}

// PageRule is one rule's result in a run.
type PageRule struct {
	Kind      string `json:"kind"` // contract (the schema's constraints) or quality (the contract's rules)
	Name      string `json:"name"`
	Column    string `json:"column,omitempty"`
	Metric    string `json:"metric,omitempty"`
	Dimension string `json:"dimension,omitempty"`
	// Value is what the rule measured: null for a caller who may not read
	// the product, as a measure of the data may reveal its values.
	Value       *float64 `json:"value"`
	Unit        string   `json:"unit,omitempty"`
	Expectation string   `json:"expectation,omitempty"`
	Verdict     string   `json:"verdict"` // pass, fail, warn (a failed non-blocking rule) or error
}

// PageUsed is the product's use over the last Days days.
type PageUsed = usage.Summary

// Limits of the page.
const (
	pageRuns      = 30 // publish runs per table
	pageDays      = 30 // usage window
	pageFrequent  = 5  // frequent queries shown
	pageCandidate = 50 // frequent queries read, before those naming hidden products are dropped
	pageDepth     = 2  // lineage hops
)

func (s *Server) pageRoutes() {
	s.mux.HandleFunc("GET /api/v1/products/{domain}/{product}/page", s.handlePage)
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	const op = "http.page"
	id, major, err := ident(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if major != nil {
		s.fail(w, r, errs.E(errs.Invalid, op, "a product's page covers every major version: ask for /products/%s/%s/page", id.Domain, id.Product))
		return
	}
	// A product the caller may not discover does not exist: the answer is
	// the one for an unknown product, so the page does not confirm a name.
	missing := errs.E(errs.NotFound, op, "product %s.%s does not exist", id.Domain, id.Product)
	if err := s.authorize(r, access.ActionDiscover, id.Domain, id.Product); err != nil {
		if errs.Is(err, errs.Forbidden) {
			err = missing
		}
		s.fail(w, r, err)
		return
	}
	page, err := s.buildPage(r.Context(), id.Domain, id.Product, time.Now())
	if errs.Is(err, errs.NotFound) {
		err = missing
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// buildPage builds the page of a product the caller may discover.
func (s *Server) buildPage(ctx context.Context, domain, product string, now time.Time) (*Page, error) {
	p, err := s.reg.Product(ctx, domain, product)
	if err != nil {
		return nil, err
	}
	ts, err := s.reg.Tables(ctx, domain, product)
	if err != nil {
		return nil, err
	}
	who, _ := access.FromContext(ctx)
	visible := func(domain, product string) bool {
		return s.access.Can(ctx, who, access.ActionRead, access.Resource{Domain: domain, Product: product})
	}
	pg := &Page{GeneratedAt: now.UTC(), Contract: PageContract{Majors: []PageMajor{}}, DataDictionary: []PageTable{}, QualityHistory: []PageQuality{},
		Readable: visible(domain, product)}
	doc := decodeSpecDoc(p.Doc)
	pg.Product = PageProduct{ID: p.SpecID, Domain: p.Domain, Name: p.Name, Status: p.Status, Version: p.Version,
		Description: doc.Description.page(), Tags: nonNil(doc.Tags), UpdatedAt: p.UpdatedAt}
	pg.Owners = PageOwners{Teams: []PageTeam{}, Grants: []PageOwnerGrant{}, Support: []PageSupport{}}
	doc.addOwners(&pg.Owners, "product")
	if err := s.ownerGrants(ctx, domain, product, now, &pg.Owners); err != nil {
		return nil, err
	}
	pg.SampleQueries = PageSamples{AuthoritativeDefinitions: []PageLink{}, Examples: []PageExample{}, Frequent: []PageFrequent{}}

	// Served tables, newest major first: the default major's contract
	// speaks for the product.
	served := ts[:0:0]
	for _, t := range ts {
		if t.Served(now) {
			served = append(served, t)
		}
	}
	sort.SliceStable(served, func(i, j int) bool {
		if served[i].Major != served[j].Major {
			return served[i].Major > served[j].Major
		}
		return served[i].Name < served[j].Name
	})
	defaults, err := s.defaultMajors(ctx, served)
	if err != nil {
		return nil, err
	}
	type contractKey struct {
		major int
		id    string
	}
	seen := map[contractKey]bool{}
	// The contract whose usage and definitions the page shows: the first
	// one that unpinned names read, else the newest served.
	var speaker *specDoc
	speakerDefault := false
	for _, t := range served {
		k := contractKey{t.Major, t.ContractID}
		isDefault := defaults[t.Domain+"."+t.Product+"."+t.Name] == t.Major
		if !seen[k] {
			seen[k] = true
			c, err := s.reg.Contract(ctx, t.ContractID, t.ContractVersion)
			if err != nil {
				return nil, err
			}
			pg.Contract.Majors = append(pg.Contract.Majors, PageMajor{Major: t.Major, ID: c.ID, Version: c.Version, Status: t.Status, Sunset: t.Sunset,
				Default: isDefault, Versions: "/api/v1/contracts/" + c.ID + "/versions", Document: "/api/v1/contracts/" + c.ID + "/versions/" + c.Version})
			cdoc := decodeSpecDoc(c.Doc)
			cdoc.addOwners(&pg.Owners, c.ID)
			if speaker == nil || isDefault && !speakerDefault {
				speaker, speakerDefault = &cdoc, isDefault
			}
		}
		tbl, err := s.dictionary(ctx, &t, defaults)
		if err != nil {
			return nil, err
		}
		pg.DataDictionary = append(pg.DataDictionary, tbl)
		pg.SampleQueries.Examples = append(pg.SampleQueries.Examples,
			PageExample{Table: tbl.Address, SQL: "SELECT * FROM " + tbl.Address + " LIMIT 10"})
		runs, err := s.qualityHistory(ctx, &t, pg.Readable)
		if err != nil {
			return nil, err
		}
		pg.QualityHistory = append(pg.QualityHistory, PageQuality{Table: t.Name, Major: t.Major, Runs: runs})
	}
	if speaker != nil {
		pg.SampleQueries.Usage = speaker.Description.Usage
		pg.SampleQueries.AuthoritativeDefinitions = append(pg.SampleQueries.AuthoritativeDefinitions, speaker.Description.Definitions...)
		pg.SampleQueries.AuthoritativeDefinitions = append(pg.SampleQueries.AuthoritativeDefinitions, speaker.Definitions...)
	}
	if pg.SampleQueries.Usage == "" {
		pg.SampleQueries.Usage = doc.Description.Usage
	}
	s.pageSources(ctx, pg, domain, product, now, visible)
	return pg, nil
}

// pageSources fills the sections other components own. A source that fails
// leaves its section out (named in Unavailable) rather than the whole page.
func (s *Server) pageSources(ctx context.Context, pg *Page, domain, product string, now time.Time, visible func(d, p string) bool) {
	fail := func(section string, err error) {
		s.log.WarnContext(ctx, "product page section unavailable", "section", section, "product", domain+"."+product,
			"requestId", requestID(ctx), "err", err)
		pg.Unavailable = append(pg.Unavailable, section)
	}
	if u := s.page.Usage; u != nil {
		if sum, err := u.Summary(ctx, domain, product, pageDays, now); err != nil {
			fail("usage", err)
		} else {
			pg.Usage = &sum
		}
		if top, err := u.Top(ctx, domain, product, pageCandidate); err != nil {
			fail("sampleQueries.frequent", err)
		} else {
			pg.SampleQueries.Frequent = frequent(top, visible)
		}
	}
	if f := s.page.Freshness; f != nil {
		if v, err := f.ProductFreshness(ctx, domain, product); err != nil {
			fail("freshness", err)
		} else {
			pg.Freshness = v
		}
	}
	if l := s.page.Lineage; l != nil {
		if nodes, err := l.Neighbours(ctx, domain, product, pageDepth); err != nil {
			fail("lineage", err)
		} else {
			pg.Lineage = []LineageNode{}
			for _, n := range nodes {
				// A product the caller may not read is not named, not even as a neighbour.
				if n.Domain != "" && !visible(n.Domain, n.Product) {
					continue
				}
				pg.Lineage = append(pg.Lineage, n)
			}
		}
	}
}

// frequent keeps the first pageFrequent query shapes whose every product
// the caller may read: a shape names the tables of all it joined.
func frequent(top []usage.Frequent, visible func(d, p string) bool) []PageFrequent {
	out := []PageFrequent{}
	for _, f := range top {
		ok := true
		for _, p := range f.Products {
			d, pr, found := strings.Cut(p, ".")
			if !found || !visible(d, pr) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		out = append(out, PageFrequent{Fingerprint: f.Fingerprint, Queries: f.Queries, LastSeen: f.LastSeen})
		if len(out) == pageFrequent {
			break
		}
	}
	return out
}

// defaultMajors returns, per table ("domain.product.table"), the major an
// unpinned name reads.
func (s *Server) defaultMajors(ctx context.Context, ts []registry.Table) (map[string]int, error) {
	out := map[string]int{}
	for _, t := range ts {
		k := t.Domain + "." + t.Product + "." + t.Name
		if _, ok := out[k]; ok {
			continue
		}
		def, err := s.reg.Table(ctx, t.Domain, t.Product, t.Name)
		switch {
		case errs.Is(err, errs.NotFound):
			out[k] = -1
		case err != nil:
			return nil, err
		default:
			out[k] = def.Major
		}
	}
	return out, nil
}

// ownerGrants adds the unexpired owner grants on the product and its domain.
func (s *Server) ownerGrants(ctx context.Context, domain, product string, now time.Time, o *PageOwners) error {
	gs, err := s.access.Grants(ctx, domain, "")
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.Role != access.RoleOwner || (g.Product != "" && g.Product != product) || (g.ExpiresAt != nil && !now.Before(*g.ExpiresAt)) {
			continue
		}
		scope := "domain"
		if g.Product != "" {
			scope = "product"
		}
		o.Grants = append(o.Grants, PageOwnerGrant{Subject: g.Subject, Scope: scope})
	}
	return nil
}

// dictionary describes a table's columns as the caller would query them:
// the masks are the query policy's decision for the caller (the very one
// the engine applies), not a guess from the classification.
func (s *Server) dictionary(ctx context.Context, t *registry.Table, defaults map[string]int) (PageTable, error) {
	address := t.Address()
	if defaults[t.Domain+"."+t.Product+"."+t.Name] == t.Major {
		address = t.Domain + "." + t.Product + "." + t.Name
	}
	obj := t.Def.Object
	out := PageTable{Name: t.Name, Major: t.Major, Address: address, BusinessName: obj.BusinessName, Description: obj.Description,
		Tags: obj.Tags, Columns: make([]PageColumn, 0, len(obj.Properties))}
	gov, err := s.gov.Govern(ctx, t)
	switch {
	case errs.Is(err, errs.Forbidden):
		_, msg, _ := errs.Public(err)
		out.Denied = msg
	case err != nil:
		return out, err
	}
	out.RowFiltered = len(gov.Filters) > 0
	for _, p := range obj.Properties {
		c := PageColumn{Name: p.Name, LogicalType: p.LogicalType, Description: p.Description, BusinessName: p.BusinessName,
			Classification: p.Classification, Required: p.Required, PrimaryKey: p.PrimaryKey, Unique: p.Unique,
			Tags: p.Tags, Examples: p.Examples}
		if m, ok := gov.Masks[p.Name]; ok {
			c.Masked, c.Mask = true, m
		}
		out.Columns = append(out.Columns, c)
	}
	return out, nil
}

// runReport is what the page reads of a stored publish report: not the
// rejected rows, which quote the upload.
type runReport struct {
	RowsRead   int64        `json:"rowsRead"`
	RowsOK     int64        `json:"rowsAccepted"`
	RowsFailed int64        `json:"rowsRejected"`
	Contract   []ruleResult `json:"contractChecks"`
	Quality    []ruleResult `json:"qualityChecks"`
}

type ruleResult struct {
	Name        string   `json:"name"`
	Column      string   `json:"column"`
	Metric      string   `json:"metric"`
	Dimension   string   `json:"dimension"`
	Value       *float64 `json:"value"`
	Unit        string   `json:"unit"`
	Expectation string   `json:"expectation"`
	Passed      bool     `json:"passed"`
	Blocking    bool     `json:"blocking"`
	Error       string   `json:"error"`
}

func (r ruleResult) verdict() string {
	switch {
	case r.Error != "":
		return "error"
	case r.Passed:
		return "pass"
	case r.Blocking:
		return "fail"
	}
	return "warn"
}

// qualityHistory returns a table's last publish runs with each rule's
// result; the values measured only if the caller may read the data.
func (s *Server) qualityHistory(ctx context.Context, t *registry.Table, readable bool) ([]PageRun, error) {
	runs, err := s.reg.Runs(ctx, t.Domain, t.Namespace, t.Name, pageRuns)
	if err != nil {
		return nil, err
	}
	out := make([]PageRun, 0, len(runs))
	for _, run := range runs {
		pr := PageRun{RunID: run.RunID, Time: run.FinishedAt, Status: run.Status, Mode: run.Mode, SnapshotID: run.SnapshotID, Rules: []PageRule{}}
		var rep runReport
		if err := json.Unmarshal(run.Report, &rep); err != nil {
			// An unreadable report still tells when and how the run ended.
			s.log.WarnContext(ctx, "unreadable publish report", "run", run.RunID, "err", err)
		}
		pr.RowsRead, pr.RowsOK, pr.RowsFailed = rep.RowsRead, rep.RowsOK, rep.RowsFailed
		for _, r := range rep.Contract {
			pr.Rules = append(pr.Rules, r.page("contract", readable))
		}
		for _, r := range rep.Quality {
			pr.Rules = append(pr.Rules, r.page("quality", readable))
		}
		out = append(out, pr)
	}
	return out, nil
}

func (r ruleResult) page(kind string, withValue bool) PageRule {
	pr := PageRule{Kind: kind, Name: r.Name, Column: r.Column, Metric: r.Metric, Dimension: r.Dimension,
		Unit: r.Unit, Expectation: r.Expectation, Verdict: r.verdict()}
	if withValue {
		pr.Value = r.Value
	}
	return pr
}

// specDoc is what the page reads of an ODPS product or ODCS contract
// document (stored as JSON).
type specDoc struct {
	Description docDescription `json:"description"`
	Tags        []string       `json:"tags"`
	Definitions []PageLink     `json:"authoritativeDefinitions"`
	Team        *struct {
		Name        string       `json:"name"`
		Description string       `json:"description"`
		Members     []PageMember `json:"members"`
	} `json:"team"`
	Support []PageSupport `json:"support"`
}

type docDescription struct {
	Purpose     string     `json:"purpose"`
	Usage       string     `json:"usage"`
	Limitations string     `json:"limitations"`
	Definitions []PageLink `json:"authoritativeDefinitions"`
}

func (d docDescription) page() PageDescription {
	return PageDescription{Purpose: d.Purpose, Usage: d.Usage, Limitations: d.Limitations}
}

// decodeSpecDoc reads a stored document; one that does not decode (it was
// validated when applied) yields an empty one rather than a failed page.
func decodeSpecDoc(b json.RawMessage) specDoc {
	var d specDoc
	if len(b) > 0 && json.Unmarshal(b, &d) != nil {
		return specDoc{}
	}
	return d
}

func (d *specDoc) addOwners(o *PageOwners, source string) {
	if d.Team != nil {
		team := PageTeam{Source: source, Name: d.Team.Name, Description: d.Team.Description, Members: nonNil(d.Team.Members)}
		dup := false
		for _, t := range o.Teams {
			if t.Name == team.Name && len(t.Members) == len(team.Members) {
				dup = true // the contract restates the product's team
			}
		}
		if !dup {
			o.Teams = append(o.Teams, team)
		}
	}
	for _, sp := range d.Support {
		dup := false
		for _, have := range o.Support {
			if have.Channel == sp.Channel && have.URL == sp.URL {
				dup = true
			}
		}
		if !dup {
			sp.Source = source
			o.Support = append(o.Support, sp)
		}
	}
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
