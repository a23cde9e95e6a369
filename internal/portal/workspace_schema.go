package portal

import (
	"regexp"
	"strings"
	"sync"

	"github.com/meshwork/meshwork/internal/httpapi"
)

// schemaProducts caps the products whose tables the editor completes: the
// schema costs one API call per product, so a large mesh gets the first
// ones (the page says so) rather than a slow page.
const (
	schemaProducts = 200
	schemaWorkers  = 4
)

// workspaceSchema is what the editor completes: the tables the principal
// may query, with their columns as it would see them (masked or not).
// The page embeds it as JSON.
type workspaceSchema struct {
	Tables  []schemaTable `json:"tables"`
	Clipped bool          `json:"clipped,omitempty"` // more than schemaProducts products: only the first are here
	Failed  bool          `json:"failed,omitempty"`  // the API did not answer: nothing completes
}

type schemaTable struct {
	Domain      string         `json:"domain"`
	Product     string         `json:"product"`
	Name        string         `json:"name"`
	Address     string         `json:"address"` // the name to query it by
	Description string         `json:"description,omitempty"`
	RowFiltered bool           `json:"rowFiltered,omitempty"`
	Columns     []schemaColumn `json:"columns"`
}

type schemaColumn struct {
	Name           string `json:"name"`
	Type           string `json:"type,omitempty"`
	Description    string `json:"description,omitempty"`
	Classification string `json:"classification,omitempty"`
	Masked         bool   `json:"masked,omitempty"`
	Mask           string `json:"mask,omitempty"`
}

// SampleSQL is a query to start from, for the page's table list.
func (t schemaTable) SampleSQL() string { return "SELECT * FROM " + t.Address + " LIMIT 100" }

// schemaFor returns the principal's schema, built from the API's product
// pages (their data dictionaries say what the principal sees masked) and
// kept for schemaTTL.
func (p *Portal) schemaFor(v *view) *workspaceSchema {
	now := p.now()
	if sc := p.history.cachedSchema(v.Session.Principal, now); sc != nil {
		return sc
	}
	sc := &workspaceSchema{Tables: []schemaTable{}}
	ps, err := p.listProducts(v)
	if err != nil {
		if v.api.ctx.Err() == nil {
			p.log.WarnContext(v.api.ctx, "workspace schema: list products", "err", err)
		}
		return &workspaceSchema{Tables: []schemaTable{}, Failed: true}
	}
	if len(ps) > schemaProducts {
		ps, sc.Clipped = ps[:schemaProducts], true
	}
	tables := make([][]schemaTable, len(ps))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(schemaWorkers, len(ps)) {
		wg.Go(func() {
			for i := range next {
				tables[i] = p.productTables(v, ps[i])
			}
		})
	}
	for i := range ps {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, ts := range tables {
		sc.Tables = append(sc.Tables, ts...)
	}
	if v.api.ctx.Err() == nil {
		p.history.putSchema(v.Session.Principal, sc, now)
	}
	return sc
}

// productTables returns the tables of one product the principal may query.
// A product that fails (say, deleted meanwhile) is left out.
func (p *Portal) productTables(v *view, ps httpapi.ProductSummary) []schemaTable {
	var page struct {
		DataDictionary []httpapi.PageTable `json:"dataDictionary"`
	}
	path := productPath(ps.Domain, ps.Name, "/page")
	if err := v.api.call("GET", path, nil, nil, &page); err != nil {
		return nil
	}
	var out []schemaTable
	for _, t := range page.DataDictionary {
		if t.Denied != "" {
			continue
		}
		st := schemaTable{Domain: ps.Domain, Product: ps.Name, Name: t.Name, Address: t.Address, Description: t.Description,
			RowFiltered: t.RowFiltered, Columns: make([]schemaColumn, 0, len(t.Columns))}
		for _, c := range t.Columns {
			st.Columns = append(st.Columns, schemaColumn{Name: c.Name, Type: c.LogicalType, Description: c.Description,
				Classification: c.Classification, Masked: c.Masked, Mask: c.Mask})
		}
		out = append(out, st)
	}
	return out
}

// markMasked marks the result columns named like a column that is masked
// for the principal in a table sql names. It is a hint, not a proof: the
// API's result does not carry column lineage (an alias hides a mask, a
// computed column of the same name shows one), and the masking itself is
// the engine's, whatever this says.
func (sc *workspaceSchema) markMasked(sql string, cols []sqlColumn) {
	lower := strings.ToLower(sql)
	for _, t := range sc.Tables {
		if !t.namedIn(lower) {
			continue
		}
		for _, c := range t.Columns {
			if !c.Masked {
				continue
			}
			for i := range cols {
				if !cols[i].Masked && strings.EqualFold(cols[i].Name, c.Name) {
					cols[i].Masked, cols[i].Mask, cols[i].MaskedIn = true, c.Mask, t.Domain+"."+t.Product+"."+t.Name
				}
			}
		}
	}
}

var pinnedName = regexp.MustCompile(`@v[0-9]+\.`)

// namedIn reports whether lowered SQL names the table, unpinned or pinned
// to a major (domain.product@v2.table).
func (t schemaTable) namedIn(lower string) bool {
	dp := strings.ToLower(t.Domain + "." + t.Product)
	name := strings.ToLower(t.Name)
	for rest := lower; ; {
		i := strings.Index(rest, dp)
		if i < 0 {
			return false
		}
		rest = rest[i+len(dp):]
		after := rest
		if m := pinnedName.FindStringIndex(after); m != nil && m[0] == 0 {
			after = after[m[1]:]
		} else if strings.HasPrefix(after, ".") {
			after = after[1:]
		} else {
			continue
		}
		if strings.HasPrefix(after, name) && (len(after) == len(name) || !identByte(after[len(name)])) {
			return true
		}
	}
}

func identByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 'A' && b <= 'Z'
}
