package lineage

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
)

// RebuildAll rebuilds the spec edges of every product, and drops those of
// products that no longer exist. The platform runs it once at start, so
// lineage catches up with applies made by an older binary.
func (s *Store) RebuildAll(ctx context.Context) error {
	ps, err := s.cat.Products(ctx)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, p := range ps {
		id := p.Domain + "." + p.Name
		keep[id] = true
		if err := s.rebuild(ctx, p.Domain, p.Name); err != nil {
			return err
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT origin FROM mesh_lineage_edges WHERE source = ?
		UNION SELECT DISTINCT origin FROM mesh_lineage_ports`, SourceInputPort)
	if err != nil {
		return errs.Wrap(errs.Internal, "lineage.RebuildAll", err, "read lineage")
	}
	var gone []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return errs.Wrap(errs.Internal, "lineage.RebuildAll", err, "read lineage")
		}
		if !keep[o] {
			gone = append(gone, o)
		}
	}
	rows.Close()
	for _, o := range gone {
		if err := s.replaceSpec(ctx, o, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// Rebuild rebuilds the spec edges of the products changed by an apply
// ("domain.product") and of every product with an input port on one of
// their contracts: a new table upstream is a new table edge downstream.
func (s *Store) Rebuild(ctx context.Context, products []string) error {
	todo := map[string]bool{}
	var ids []string
	for _, p := range products {
		todo[p] = true
		d, n, ok := strings.Cut(p, ".")
		if !ok {
			continue
		}
		cs, err := s.cat.ContractsOf(ctx, d, n)
		if err != nil {
			return err
		}
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
	}
	readers, err := s.readers(ctx, ids)
	if err != nil {
		return err
	}
	for _, r := range readers {
		todo[r] = true
	}
	names := make([]string, 0, len(todo))
	for p := range todo {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		d, n, _ := strings.Cut(p, ".")
		if err := s.rebuild(ctx, d, n); err != nil {
			return err
		}
	}
	return nil
}

// odps is what lineage reads of a product document.
type odps struct {
	InputPorts []struct {
		ContractID string `json:"contractId"`
	} `json:"inputPorts"`
}

// odcs is what lineage reads of a contract document. transformSourceObjects
// is an ODCS v3.1.0 schema property field the parser does not model.
type odcs struct {
	Schema []struct {
		Name       string `json:"name"`
		Properties []struct {
			Name                   string   `json:"name"`
			TransformSourceObjects []string `json:"transformSourceObjects"`
		} `json:"properties"`
	} `json:"schema"`
}

// upstream is one input port resolved to the product owning its contract.
type upstream struct {
	product string
	tables  map[string]*registry.Table // of the port's contract, by name
	order   []string
}

// rebuild replaces the spec edges of one product.
func (s *Store) rebuild(ctx context.Context, domain, product string) error {
	self := domain + "." + product
	p, err := s.cat.Product(ctx, domain, product)
	if errs.Is(err, errs.NotFound) {
		return s.replaceSpec(ctx, self, nil, nil)
	}
	if err != nil {
		return err
	}
	var doc odps
	if err := json.Unmarshal(p.Doc, &doc); err != nil {
		return errs.Wrap(errs.Internal, "lineage.rebuild", err, "read the spec of %s", self)
	}
	own, err := s.cat.Tables(ctx, domain, product)
	if err != nil {
		return err
	}
	ownNames := tableNames(own)
	now := s.now()
	var edges []Edge
	seen := map[[2]string]bool{}
	add := func(from, to string) {
		k := [2]string{from, to}
		if from == to || seen[k] {
			return
		}
		seen[k] = true
		edges = append(edges, Edge{From: from, To: to, Source: SourceInputPort, Origin: self, LastSeen: now})
	}
	var ports []string
	var ups []upstream
	for _, ip := range doc.InputPorts {
		if ip.ContractID == "" {
			continue
		}
		ports = append(ports, ip.ContractID)
		c, err := s.cat.ContractByID(ctx, ip.ContractID)
		if err != nil {
			return err
		}
		if c == nil {
			// Not applied yet: the owner's apply rebuilds this product.
			s.log.InfoContext(ctx, "input port names an unknown contract", "product", self, "contract", ip.ContractID)
			continue
		}
		up := c.Domain + "." + c.Product
		if up == self {
			continue
		}
		add(up, self)
		ts, err := s.cat.Tables(ctx, c.Domain, c.Product)
		if err != nil {
			return err
		}
		u := upstream{product: up, tables: map[string]*registry.Table{}}
		for i := range ts {
			t := &ts[i]
			if t.ContractID != ip.ContractID {
				continue
			}
			if _, dup := u.tables[t.Name]; !dup {
				u.order = append(u.order, t.Name)
			}
			u.tables[t.Name] = t // later majors win: their schema is the current one
		}
		for _, ut := range u.order {
			for _, ot := range ownNames {
				add(up+"."+ut, self+"."+ot)
			}
		}
		ups = append(ups, u)
	}
	cols, err := s.columnEdges(ctx, domain, product, ups)
	if err != nil {
		return err
	}
	for _, c := range cols {
		add(c[0], c[1])
	}
	return s.replaceSpec(ctx, self, ports, edges)
}

// columnEdges derives column edges from the transformSourceObjects of the
// product's contracts (the latest version of each): an entry names a column
// of an input port's contract as domain.product.table.column, or as
// table.column when that table name is unambiguous among the input ports.
// Entries naming anything else are ignored: they may name systems outside
// the mesh, which ODCS allows.
func (s *Store) columnEdges(ctx context.Context, domain, product string, ups []upstream) ([][2]string, error) {
	if len(ups) == 0 {
		return nil, nil
	}
	cs, err := s.cat.ContractsOf(ctx, domain, product) // newest first
	if err != nil {
		return nil, err
	}
	self := domain + "." + product
	done := map[string]bool{}
	var out [][2]string
	for _, c := range cs {
		if done[c.ID] {
			continue
		}
		done[c.ID] = true
		var doc odcs
		if err := json.Unmarshal(c.Doc, &doc); err != nil {
			continue
		}
		for _, o := range doc.Schema {
			for _, pr := range o.Properties {
				for _, src := range pr.TransformSourceObjects {
					if from, ok := resolveColumn(src, ups); ok {
						out = append(out, [2]string{from, self + "." + o.Name + "." + pr.Name})
					}
				}
			}
		}
	}
	return out, nil
}

// resolveColumn resolves a transformSourceObjects entry to an upstream
// column node id.
func resolveColumn(src string, ups []upstream) (string, bool) {
	parts := strings.Split(src, ".")
	var cands []string
	switch len(parts) {
	case 4:
		for _, u := range ups {
			if u.product != parts[0]+"."+parts[1] {
				continue
			}
			if t, ok := u.tables[parts[2]]; ok && hasColumn(t, parts[3]) {
				return src, true
			}
		}
	case 2:
		for _, u := range ups {
			if t, ok := u.tables[parts[0]]; ok && hasColumn(t, parts[1]) {
				cands = append(cands, u.product+"."+src)
			}
		}
	}
	if len(cands) == 1 {
		return cands[0], true
	}
	return "", false
}

func hasColumn(t *registry.Table, name string) bool {
	_, ok := t.Def.Schema.Column(name)
	return ok
}

// tableNames lists the distinct table names of ts (every major), sorted.
func tableNames(ts []registry.Table) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range ts {
		if !seen[t.Name] {
			seen[t.Name] = true
			out = append(out, t.Name)
		}
	}
	sort.Strings(out)
	return out
}
