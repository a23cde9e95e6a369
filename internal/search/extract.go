package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/spec"
)

// extractVersion is part of every source fingerprint: bump it when what is
// indexed of a product changes, so that the next Sync rebuilds everything.
const extractVersion = "1"

// odps is what the index reads of a product's ODPS document.
type odps struct {
	Description struct {
		Purpose     string `json:"purpose"`
		Limitations string `json:"limitations"`
	} `json:"description"`
	Tags []string        `json:"tags"`
	Team json.RawMessage `json:"team"`
}

// odcs is what the index reads of a contract's ODCS document.
type odcs struct {
	Name string          `json:"name"`
	Tags []string        `json:"tags"`
	Team json.RawMessage `json:"team"`
}

// member is a team member; ODCS before 3.1 wrote a team as a bare list of them.
type member struct {
	Username string `json:"username"`
	Name     string `json:"name"`
}

// owners returns a team's name and its members' usernames and names.
func owners(raw json.RawMessage) []string {
	var team struct {
		Name    string   `json:"name"`
		Members []member `json:"members"`
	}
	var list []member
	if json.Unmarshal(raw, &team) != nil {
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		team.Members = list
	}
	out := []string{team.Name}
	for _, m := range team.Members {
		out = append(out, m.Username, m.Name)
	}
	return nonEmpty(out)
}

func nonEmpty(xs []string) []string {
	out := xs[:0]
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// fields reads a document's top-level fields; each is then decoded on its
// own, so that one of an unexpected shape is left out rather than failing
// the product (the registry validated the document against its standard).
func fields(doc []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(doc, &m)
	return m
}

func readProduct(doc []byte) (o odps) {
	m := fields(doc)
	_ = json.Unmarshal(m["description"], &o.Description)
	_ = json.Unmarshal(m["tags"], &o.Tags)
	o.Team = m["team"]
	return o
}

func readContract(doc []byte) (o odcs) {
	m := fields(doc)
	_ = json.Unmarshal(m["name"], &o.Name)
	_ = json.Unmarshal(m["tags"], &o.Tags)
	o.Team = m["team"]
	return o
}

// current picks, for each table name, the major an unpinned name reads (as
// registry.Resolve does): the latest active, else the latest served that
// is not a draft, else the latest draft. Tables retired in every major are
// not indexed.
func current(ts []registry.Table, now time.Time) []registry.Table {
	byName := map[string][]registry.Table{}
	var names []string
	for _, t := range ts {
		if byName[t.Name] == nil {
			names = append(names, t.Name)
		}
		byName[t.Name] = append(byName[t.Name], t)
	}
	sort.Strings(names)
	var out []registry.Table
	for _, n := range names {
		majors := byName[n]
		sort.Slice(majors, func(i, j int) bool { return majors[i].Major > majors[j].Major })
		pick := func() *registry.Table {
			for _, ok := range []func(*registry.Table) bool{
				func(t *registry.Table) bool { return t.Status == "active" },
				func(t *registry.Table) bool { return t.Status != "draft" && t.Status != "proposed" },
				func(*registry.Table) bool { return true },
			} {
				for i := range majors {
					if ok(&majors[i]) && majors[i].Served(now) {
						return &majors[i]
					}
				}
			}
			return nil
		}
		if t := pick(); t != nil {
			out = append(out, *t)
		}
	}
	return out
}

// fingerprint identifies the registry rows a product's documents are
// built from: if it is unchanged, so are the documents.
func fingerprint(p *registry.Product, tables []registry.Table, now time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%s\n", extractVersion, p.Hash, p.Status, p.Team, p.UpdatedAt.UTC().Format(time.RFC3339Nano))
	for _, t := range tables {
		sunset := ""
		if t.Sunset != nil {
			sunset = t.Sunset.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(h, "%s|%d|%s|%s|%s|%s|%s\n", t.Name, t.Major, t.ContractID, t.ContractVersion, t.Status, sunset,
			t.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	// Which major is current depends on the time (sunsets).
	for _, t := range current(tables, now) {
		fmt.Fprintf(h, "current %s %d\n", t.Name, t.Major)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// build makes the documents of one product from its registry rows.
func (x *Index) build(ctx context.Context, p *registry.Product, tables []registry.Table, now time.Time) (ProductDocs, error) {
	out := ProductDocs{Domain: p.Domain, Product: p.Name, Source: fingerprint(p, tables, now)}
	prod := readProduct(p.Doc)
	// The contracts of the current tables: their names, tags and teams.
	contracts := map[string]*odcs{}
	var contractNames, productTags []string
	teams := owners(prod.Team)
	productTags = append(productTags, prod.Tags...)
	cur := current(tables, now)
	for _, t := range cur {
		key := t.ContractID + " " + t.ContractVersion
		if _, ok := contracts[key]; ok {
			continue
		}
		var doc odcs
		c, err := x.cat.Contract(ctx, t.ContractID, t.ContractVersion)
		switch {
		case err == nil:
			doc = readContract(c.Doc)
		case !errs.Is(err, errs.NotFound):
			return out, err
		}
		contracts[key] = &doc
		contractNames = append(contractNames, doc.Name)
		productTags = append(productTags, doc.Tags...)
		teams = append(teams, owners(doc.Team)...)
	}
	var productClasses []string
	var docs []Document
	for _, t := range cur {
		c := contracts[t.ContractID+" "+t.ContractVersion]
		obj := &t.Def.Object
		tableTags := uniqueSorted(append(append(append([]string{}, obj.Tags...), c.Tags...), prod.Tags...))
		props := map[string]*spec.Property{}
		for i := range obj.Properties {
			props[obj.Properties[i].Name] = &obj.Properties[i]
		}
		var tableClasses []string
		var cols []Document
		for _, col := range t.Def.Schema.Columns {
			var own []string
			if pr := props[col.Name]; pr != nil {
				own = pr.Tags
			}
			var classes []string
			if col.Classification != "" {
				classes = []string{strings.ToLower(col.Classification)}
				tableClasses = append(tableClasses, classes...)
			}
			cols = append(cols, Document{Kind: KindColumn, Domain: t.Domain, Product: t.Product, Table: t.Name, Column: col.Name,
				BusinessName: col.BusinessName, Description: col.Description, Status: t.Status,
				Meta:            strings.Join(append(append([]string{}, own...), col.Classification), " "),
				Tags:            uniqueSorted(append(append([]string{}, own...), tableTags...)),
				Classifications: classes})
		}
		tableClasses = uniqueSorted(tableClasses)
		productClasses = append(productClasses, tableClasses...)
		docs = append(docs, Document{Kind: KindTable, Domain: t.Domain, Product: t.Product, Table: t.Name,
			BusinessName: obj.BusinessName, Description: joinText(obj.Description, obj.DataGranularityDescription), Status: t.Status,
			Meta: strings.Join(obj.Tags, " "), Tags: tableTags, Classifications: tableClasses})
		docs = append(docs, cols...)
	}
	pd := Document{Kind: KindProduct, Domain: p.Domain, Product: p.Name,
		BusinessName: strings.Join(uniqueText(contractNames), "; "),
		Description:  joinText(prod.Description.Purpose, prod.Description.Limitations), Status: p.Status,
		Meta: strings.Join(uniqueText(append(append([]string{}, prod.Tags...), teams...)), " "),
		Tags: uniqueSorted(productTags), Classifications: uniqueSorted(productClasses)}
	out.Docs = append([]Document{pd}, docs...)
	return out, nil
}

// joinText joins the non-empty texts as sentences.
func joinText(xs ...string) string {
	return strings.Join(nonEmpty(append([]string{}, xs...)), "\n")
}

// uniqueText drops blanks and repeats, keeping the first occurrence's place.
func uniqueText(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
