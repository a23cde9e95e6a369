package lineage

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
)

// Direction is which way a traversal follows edges.
type Direction string

// The directions.
const (
	Up   Direction = "up"   // what the node reads from
	Down Direction = "down" // what reads from the node: impact analysis
	Both Direction = "both"
)

// MaxDepth bounds a traversal.
const MaxDepth = 10

// The node kinds.
const (
	KindProduct = "product" // domain.product
	KindTable   = "table"   // domain.product.table
	KindColumn  = "column"  // domain.product.table.column
	KindDataset = "dataset" // namespace/name, outside the mesh
	KindField   = "field"   // namespace/name#field, a field of a dataset outside the mesh
)

// Node is a node of a traversal's answer.
type Node struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Domain    string `json:"domain,omitempty"`
	Product   string `json:"product,omitempty"`
	Table     string `json:"table,omitempty"`
	Column    string `json:"column,omitempty"`
	Namespace string `json:"namespace,omitempty"` // of a dataset outside the mesh
	Name      string `json:"name,omitempty"`
	Field     string `json:"field,omitempty"`
	// Direction is upstream or downstream of the root ("" for the root),
	// Hops the distance from it.
	Direction string `json:"direction,omitempty"`
	Hops      int    `json:"hops"`
	// Team and Owners are the ODPS team of the node's product and its
	// members: who to tell when an upstream change breaks it.
	Team   string   `json:"team,omitempty"`
	Owners []string `json:"owners,omitempty"`
}

// Graph is the answer to a traversal.
type Graph struct {
	Root  string `json:"root"`
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
	// Hidden counts the nodes left out because the caller may not read
	// their product.
	Hidden int `json:"hidden"`
}

// ParseDirection reads a direction; "" is Both.
func ParseDirection(s string) (Direction, error) {
	switch Direction(s) {
	case "":
		return Both, nil
	case Up, Down, Both:
		return Direction(s), nil
	}
	return "", errs.E(errs.Invalid, "lineage.ParseDirection", "direction: must be up, down or both, not %q", clip(s))
}

// parseID splits a node id. Mesh ids are dotted mesh names; anything with a
// slash is a dataset outside the mesh, looked up in the store.
func (s *Store) parseID(ctx context.Context, id string) (Node, error) {
	missing := errs.E(errs.NotFound, "lineage.node", "no lineage node %q", clip(id))
	n := Node{ID: id}
	if strings.Contains(id, "/") {
		d, err := s.dataset(ctx, id)
		if err != nil {
			return Node{}, err
		}
		if d == nil {
			return Node{}, missing
		}
		n.Kind, n.Namespace, n.Name, n.Field = KindDataset, d.namespace, d.name, d.field
		if d.field != "" {
			n.Kind = KindField
		}
		return n, nil
	}
	parts := strings.Split(id, ".")
	if len(parts) < 2 || len(parts) > 4 {
		return Node{}, missing
	}
	for _, p := range parts {
		if !meshName.MatchString(p) {
			return Node{}, missing
		}
	}
	n.Domain, n.Product = parts[0], parts[1]
	n.Kind = KindProduct
	if len(parts) > 2 {
		n.Table, n.Kind = parts[2], KindTable
	}
	if len(parts) > 3 {
		n.Column, n.Kind = parts[3], KindColumn
	}
	return n, nil
}

// exists reports whether a mesh node is in the registry.
func (s *Store) exists(ctx context.Context, n Node) (bool, error) {
	if n.Domain == "" {
		return true, nil // a dataset: parseID found it
	}
	if n.Table == "" {
		_, err := s.cat.Product(ctx, n.Domain, n.Product)
		if errs.Is(err, errs.NotFound) {
			return false, nil
		}
		return err == nil, err
	}
	ts, err := s.cat.Tables(ctx, n.Domain, n.Product)
	if err != nil {
		return false, err
	}
	for i := range ts {
		if ts[i].Name == n.Table && (n.Column == "" || hasColumn(&ts[i], n.Column)) {
			return true, nil
		}
	}
	return false, nil
}

// step is a node reached by a walk.
type step struct {
	id   string
	hops int
	dir  string
}

// walk follows edges from root up to depth hops in one direction. Each node
// is visited once, so cycles end; edges between reached nodes are all kept.
func (g *graph) walk(root string, down bool, depth int, visit func(step), edge func(int32)) {
	r, ok := g.ids[root]
	if !ok {
		return
	}
	dir := "upstream"
	if down {
		dir = "downstream"
	}
	seen := map[int32]bool{r: true}
	frontier := []int32{r}
	for hop := 1; hop <= depth && len(frontier) > 0; hop++ {
		var next []int32
		for _, n := range frontier {
			adj := g.in[n]
			if down {
				adj = g.out[n]
			}
			for _, k := range adj {
				e := &g.edges[k]
				other := e.From
				if down {
					other = e.To
				}
				edge(k)
				o := g.ids[other]
				if seen[o] {
					continue
				}
				seen[o] = true
				visit(step{id: other, hops: hop, dir: dir})
				next = append(next, o)
			}
		}
		frontier = next
	}
}

// Walk returns the nodes and edges around root, unfiltered: the caller
// decides what its reader may see. Unknown nodes are NotFound.
func (s *Store) Walk(ctx context.Context, root string, dir Direction, depth int) (*Graph, error) {
	rn, err := s.parseID(ctx, root)
	if err != nil {
		return nil, err
	}
	g, err := s.graph(ctx)
	if err != nil {
		return nil, err
	}
	if _, inGraph := g.ids[root]; !inGraph {
		ok, err := s.exists(ctx, rn)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errs.E(errs.NotFound, "lineage.Walk", "no lineage node %q", clip(root))
		}
	}
	if depth < 1 {
		depth = 1
	}
	if depth > MaxDepth {
		depth = MaxDepth
	}
	out := &Graph{Root: root, Nodes: []Node{rn}, Edges: []Edge{}}
	var steps []step
	seenNode := map[string]bool{root: true}
	seenEdge := map[int32]bool{}
	for _, down := range []bool{false, true} {
		if (down && dir == Up) || (!down && dir == Down) {
			continue
		}
		g.walk(root, down, depth, func(st step) {
			if !seenNode[st.id] {
				seenNode[st.id] = true
				steps = append(steps, st)
			}
		}, func(k int32) {
			if !seenEdge[k] {
				seenEdge[k] = true
				out.Edges = append(out.Edges, g.edges[k])
			}
		})
	}
	for _, st := range steps {
		n, err := s.parseID(ctx, st.id)
		if err != nil {
			// An edge to a dataset whose row is gone: show the bare id.
			n = Node{ID: st.id, Kind: KindDataset}
		}
		n.Hops, n.Direction = st.hops, st.dir
		out.Nodes = append(out.Nodes, n)
	}
	return out, nil
}

// Query is Walk for the principal of ctx: the nodes of products it may not
// read are left out (and counted in Hidden), with their edges; a root it
// may not read is NotFound, like an unknown one. Mesh nodes carry the team
// and owners of their product.
func (s *Store) Query(ctx context.Context, root string, dir Direction, depth int) (*Graph, error) {
	who, _ := access.FromContext(ctx)
	full, err := s.Walk(ctx, root, dir, depth)
	if err != nil {
		return nil, err
	}
	type info struct {
		visible bool
		team    string
		owners  []string
	}
	products := map[string]*info{}
	lookup := func(n Node) *info {
		if n.Domain == "" {
			return &info{visible: true}
		}
		k := n.Domain + "." + n.Product
		if in, ok := products[k]; ok {
			return in
		}
		in := &info{visible: s.acc.Can(ctx, who, access.ActionRead, access.Resource{Domain: n.Domain, Product: n.Product})}
		if in.visible {
			in.team, in.owners = s.owners(ctx, n.Domain, n.Product)
		}
		products[k] = in
		return in
	}
	out := &Graph{Root: full.Root, Nodes: []Node{}, Edges: []Edge{}}
	shown := map[string]bool{}
	for i, n := range full.Nodes {
		in := lookup(n)
		if !in.visible {
			if i == 0 {
				return nil, errs.E(errs.NotFound, "lineage.Query", "no lineage node %q", clip(root))
			}
			out.Hidden++
			continue
		}
		n.Team, n.Owners = in.team, in.owners
		shown[n.ID] = true
		out.Nodes = append(out.Nodes, n)
	}
	for _, e := range full.Edges {
		if shown[e.From] && shown[e.To] {
			out.Edges = append(out.Edges, e)
		}
	}
	return out, nil
}

// owners reads the ODPS team of a product: its name and member usernames.
func (s *Store) owners(ctx context.Context, domain, product string) (string, []string) {
	p, err := s.cat.Product(ctx, domain, product)
	if err != nil {
		return "", nil
	}
	var doc struct {
		Team struct {
			Name    string `json:"name"`
			Members []struct {
				Username string `json:"username"`
			} `json:"members"`
		} `json:"team"`
	}
	if json.Unmarshal(p.Doc, &doc) != nil {
		return p.Team, nil
	}
	team := doc.Team.Name
	if team == "" {
		team = p.Team
	}
	var out []string
	for _, m := range doc.Team.Members {
		if m.Username != "" {
			out = append(out, m.Username)
		}
	}
	return team, out
}
