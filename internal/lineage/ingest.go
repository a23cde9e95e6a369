package lineage

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
)

var meshName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Ingested is what an accepted event added.
type Ingested struct {
	EventType string `json:"eventType"`
	Job       string `json:"job"`
	RunID     string `json:"runId"`
	Edges     int    `json:"edges"` // 0 unless the event is COMPLETE
	// Datasets are the node ids of the event's inputs and outputs.
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
}

// meshRef is a dataset of the mesh namespace resolved to its table.
type meshRef struct {
	domain, product, table string
	t                      *registry.Table
}

func (m meshRef) id() string { return m.domain + "." + m.product + "." + m.table }

// Ingest checks a parsed event against the mesh and the caller's rights
// (the principal of ctx) and records its edges. Deny by default: an event
// that writes a mesh table needs publish rights on its product, one that
// reads a mesh table needs read rights, and any event an authenticated
// principal. Only COMPLETE events add edges: a START or RUNNING event says
// what a run means to do, a FAIL or ABORT one that it did not; lineage is
// what was written. Nothing is written unless the whole event is accepted.
func (s *Store) Ingest(ctx context.Context, e *Event) (Ingested, error) {
	const op = "lineage.Ingest"
	who, _ := access.FromContext(ctx)
	if who.Name == "" {
		return Ingested{}, errs.E(errs.Unauthenticated, op, "lineage events need an authenticated principal")
	}
	in := Ingested{EventType: e.EventType, Job: e.Job.Namespace + "/" + e.Job.Name, RunID: e.Run.RunID, Inputs: []string{}, Outputs: []string{}}
	if in.EventType == "" {
		in.EventType = EventOther
	}
	tables := map[string]*registry.Table{} // cache by id, nil: not a mesh table
	// resolve turns a dataset into its node id, checking the right it needs.
	resolve := func(at, namespace, name string, action access.Action) (string, *meshRef, error) {
		if namespace != s.ns {
			return datasetID(namespace, name, ""), nil, nil
		}
		parts := strings.Split(name, ".")
		if len(parts) != 3 || !meshName.MatchString(parts[0]) || !meshName.MatchString(parts[1]) || !meshName.MatchString(parts[2]) {
			return "", nil, errs.E(errs.Invalid, op, "%s.name: a dataset of namespace %q must name a mesh table domain.product.table, not %q", at, s.ns, clip(name))
		}
		m := &meshRef{domain: parts[0], product: parts[1], table: parts[2]}
		if !s.acc.Can(ctx, who, action, access.Resource{Domain: m.domain, Product: m.product}) {
			verb := "read"
			if action == access.ActionPublish {
				verb = "add lineage into"
			}
			return "", nil, errs.E(errs.Forbidden, op, "%s: principal %q may not %s %s.%s", at, who.Name, verb, m.domain, m.product)
		}
		t, ok := tables[m.id()]
		if !ok {
			ts, err := s.cat.Tables(ctx, m.domain, m.product)
			if err != nil {
				return "", nil, err
			}
			for i := range ts {
				if ts[i].Name == m.table {
					t = &ts[i] // the last major: the current schema
				}
			}
			tables[m.id()] = t
		}
		if t == nil {
			return "", nil, errs.E(errs.Invalid, op, "%s.name: no mesh table %s", at, m.id())
		}
		m.t = t
		return m.id(), m, nil
	}
	type side struct {
		id   string
		mesh *meshRef
		d    *Dataset
	}
	var ins, outs []side
	var ds []dataset
	external := func(namespace, name, field string) {
		ds = append(ds, dataset{id: datasetID(namespace, name, field), namespace: namespace, name: name, field: field})
	}
	for i, d := range e.Inputs {
		id, m, err := resolve(fmt.Sprintf("inputs[%d]", i), d.Namespace, d.Name, access.ActionRead)
		if err != nil {
			return Ingested{}, err
		}
		if m == nil {
			external(d.Namespace, d.Name, "")
		}
		ins = append(ins, side{id, m, d})
		in.Inputs = append(in.Inputs, id)
	}
	for i, d := range e.Outputs {
		id, m, err := resolve(fmt.Sprintf("outputs[%d]", i), d.Namespace, d.Name, access.ActionPublish)
		if err != nil {
			return Ingested{}, err
		}
		if m == nil {
			external(d.Namespace, d.Name, "")
		}
		outs = append(outs, side{id, m, d})
		in.Outputs = append(in.Outputs, id)
	}
	// Column edges: every field the columnLineage facets name is checked
	// like a dataset of the event, whether or not it is also listed.
	var cols [][2]string
	for i, o := range outs {
		keys := make([]string, 0, len(o.d.columns))
		for k := range o.d.columns {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			at := fmt.Sprintf("outputs[%d].facets.columnLineage.fields[%q]", i, k)
			to := datasetID(o.d.Namespace, o.d.Name, k)
			if o.mesh != nil {
				if !meshName.MatchString(k) || !hasColumn(o.mesh.t, k) {
					return Ingested{}, errs.E(errs.Invalid, op, "%s: no column %s in %s", at, clip(k), o.id)
				}
				to = o.id + "." + k
			} else {
				external(o.d.Namespace, o.d.Name, k)
			}
			for j, f := range o.d.columns[k] {
				fat := fmt.Sprintf("%s.inputFields[%d]", at, j)
				id, m, err := resolve(fat, f.Namespace, f.Name, access.ActionRead)
				if err != nil {
					return Ingested{}, err
				}
				from := datasetID(f.Namespace, f.Name, f.Field)
				if m != nil {
					if !meshName.MatchString(f.Field) || !hasColumn(m.t, f.Field) {
						return Ingested{}, errs.E(errs.Invalid, op, "%s.field: no column %s in %s", fat, clip(f.Field), id)
					}
					from = id + "." + f.Field
				} else {
					external(f.Namespace, f.Name, "")
					external(f.Namespace, f.Name, f.Field)
				}
				cols = append(cols, [2]string{from, to})
			}
		}
	}
	if e.EventType != EventComplete {
		return in, nil
	}
	job := e.Job.Namespace + "/" + e.Job.Name
	var edges []Edge
	seen := map[[2]string]bool{}
	add := func(from, to string) {
		k := [2]string{from, to}
		if from == to || seen[k] {
			return
		}
		seen[k] = true
		edges = append(edges, Edge{From: from, To: to, Source: SourceOpenLineage, Origin: job, Job: e.Job.Name, RunID: e.Run.RunID, LastSeen: e.time})
	}
	// up is what a node rolls up to at product level: its product for a
	// mesh table, the dataset itself outside the mesh.
	up := func(sd side) string {
		if sd.mesh != nil {
			return sd.mesh.domain + "." + sd.mesh.product
		}
		return sd.id
	}
	for _, i := range ins {
		for _, o := range outs {
			add(i.id, o.id)
			if i.mesh != nil || o.mesh != nil {
				add(up(i), up(o))
			}
		}
	}
	for _, c := range cols {
		add(c[0], c[1])
	}
	if err := s.upsert(ctx, edges, ds); err != nil {
		return Ingested{}, err
	}
	in.Edges = len(edges)
	return in, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
