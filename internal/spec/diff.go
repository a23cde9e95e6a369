package spec

import (
	"slices"
	"sort"
	"strconv"
)

// Ops of a TableDiff, ColumnDiff or Change.
const (
	OpAdded   = "added"
	OpRemoved = "removed"
	OpChanged = "changed"
	OpRenamed = "renamed" // tables and columns only: same ODCS id, another name
)

// ContractDiff is what a reader of one contract version must know about
// another. It holds rendered values, not typed ones, so that it can be shown,
// stored or sent as is and still mean the same thing later.
//
// Values are rendered as follows, the same everywhere:
//   - absent is the empty string (so From is empty when Op is added, and To
//     when Op is removed); a present empty string is `""`;
//   - strings as written, booleans true/false, numbers without exponent or
//     trailing zeros (1, 0.5), null as null;
//   - lists of names (tags, key columns) as [a, b], other lists and maps as
//     compact JSON with sorted keys;
//   - a type as logicalType, plus " (physicalType)" when one is written;
//   - a quality rule on one line, e.g. "rowCount mustBeGreaterThan 0" or
//     "sql: SELECT count(*) FROM t mustBe 0", prefixed by "name: " when named;
//   - an SLA property as its value and unit, e.g. "30 m".
type ContractDiff struct {
	ID      string      `json:"id"`
	From    string      `json:"from"` // version
	To      string      `json:"to"`
	Changes []Change    `json:"changes,omitempty"` // contract-level
	Tables  []TableDiff `json:"tables,omitempty"`  // only tables that differ, in `to` order then removed ones
	SLA     []Change    `json:"sla,omitempty"`     // per SLA property, keyed by property and element
}

// TableDiff is how one schema object differs. Added and removed tables list
// all their top-level columns as added or removed, so that counts and
// consumers need no special case for them.
type TableDiff struct {
	Name        string       `json:"name"`
	Op          string       `json:"op"`
	RenamedFrom string       `json:"renamedFrom,omitempty"`
	Changes     []Change     `json:"changes,omitempty"` // physicalName, businessName, description, tags, primaryKey, partitioning
	Columns     []ColumnDiff `json:"columns,omitempty"` // added, then removed, then changed and renamed
	Quality     []Change     `json:"quality,omitempty"` // table-level quality rules
}

// ColumnDiff is how one column, nested field or array element differs.
type ColumnDiff struct {
	Name        string   `json:"name"` // dotted path: "address.city", array element "tags.element"
	Op          string   `json:"op"`
	RenamedFrom string   `json:"renamedFrom,omitempty"` // the old dotted path
	Type        string   `json:"type,omitempty"`        // for added/removed
	Required    bool     `json:"required,omitempty"`    // for added/removed
	Changes     []Change `json:"changes,omitempty"`
}

// Change is one attribute that differs.
type Change struct {
	Attribute string `json:"attribute"` // e.g. "type", "quality[rowCount]", "sla[latency]"
	Op        string `json:"op"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
}

// Diff compares two versions of a contract: what a reader of `from` must know
// about `to`. A nil contract is read as an empty one. The versions themselves
// are not a difference: Diff(x, x) is Empty whatever x's version.
func Diff(from, to *Contract) *ContractDiff {
	if from == nil {
		from = &Contract{}
	}
	if to == nil {
		to = &Contract{}
	}
	d := &ContractDiff{ID: to.ID, From: from.Version, To: to.Version}
	if d.ID == "" {
		d.ID = from.ID
	}
	var cs changes
	cs.value("id", from.ID, to.ID)
	cs.value("name", from.Name, to.Name)
	cs.value("status", from.Status, to.Status)
	cs.value("domain", from.Domain, to.Domain)
	cs.value("dataProduct", from.DataProduct, to.DataProduct)
	cs.value("description.purpose", from.Description.Purpose, to.Description.Purpose)
	cs.value("description.usage", from.Description.Usage, to.Description.Usage)
	cs.value("description.limitations", from.Description.Limitations, to.Description.Limitations)
	cs.value("tags", renderSet(from.Tags), renderSet(to.Tags))
	cs.value("team", teamName(from.Team), teamName(to.Team))
	cs.keyed(bracket("customProperties"), customKeyed(from.CustomProperties), customKeyed(to.CustomProperties))
	d.Changes = cs
	d.Tables = diffTables(from.Schema, to.Schema)
	var sla changes
	sla.keyed(bracket("sla"), slaKeyed(from.SLA), slaKeyed(to.SLA))
	d.SLA = sla
	return d
}

// Empty reports whether the two versions say the same thing.
func (d *ContractDiff) Empty() bool {
	return len(d.Changes) == 0 && len(d.Tables) == 0 && len(d.SLA) == 0
}

// Summary counts column-level ops, nested fields included; renames count as
// changed.
func (d *ContractDiff) Summary() (added, removed, changed int) {
	for _, t := range d.Tables {
		for _, c := range t.Columns {
			switch c.Op {
			case OpAdded:
				added++
			case OpRemoved:
				removed++
			default:
				changed++
			}
		}
	}
	return added, removed, changed
}

// changes collects Changes; the helpers skip what is equal.
type changes []Change

func (cs *changes) value(attr, from, to string) {
	if from == to {
		return
	}
	op := OpChanged
	switch {
	case from == "":
		op = OpAdded
	case to == "":
		op = OpRemoved
	}
	*cs = append(*cs, Change{Attribute: attr, Op: op, From: from, To: to})
}

func (cs *changes) flag(attr string, from, to bool) {
	cs.value(attr, strconv.FormatBool(from), strconv.FormatBool(to))
}

// keyedValue is one entry of a list whose entries have a stable key (quality
// rules, SLA and custom properties, type options).
type keyedValue struct{ key, val string }

// keyed compares two keyed lists: `to` order, then the removed entries, so
// the result does not depend on map iteration.
func (cs *changes) keyed(attr func(key string) string, from, to []keyedValue) {
	old := make(map[string]string, len(from))
	for _, f := range from {
		old[f.key] = f.val
	}
	kept := make(map[string]bool, len(to))
	for _, t := range to {
		kept[t.key] = true
		f, ok := old[t.key]
		switch {
		case !ok:
			*cs = append(*cs, Change{Attribute: attr(t.key), Op: OpAdded, To: t.val})
		case f != t.val:
			*cs = append(*cs, Change{Attribute: attr(t.key), Op: OpChanged, From: f, To: t.val})
		}
	}
	for _, f := range from {
		if !kept[f.key] {
			*cs = append(*cs, Change{Attribute: attr(f.key), Op: OpRemoved, From: f.val})
		}
	}
}

func bracket(group string) func(string) string {
	return func(key string) string { return group + "[" + key + "]" }
}

// uniqueKeys makes repeated keys distinct by occurrence ("x", "x#2"), so
// that two rules on the same metric are paired first with first, second with
// second, instead of one hiding the other.
func uniqueKeys(keys []string) {
	used := make(map[string]bool, len(keys))
	for i, k := range keys {
		c := k
		for n := 2; used[c]; n++ {
			c = k + "#" + strconv.Itoa(n)
		}
		used[c] = true
		keys[i] = c
	}
}

func customKeyed(cps []CustomProperty) []keyedValue {
	keys := make([]string, len(cps))
	for i, cp := range cps {
		keys[i] = cp.Property
	}
	uniqueKeys(keys)
	out := make([]keyedValue, len(cps))
	for i, cp := range cps {
		out[i] = keyedValue{keys[i], renderValue(cp.Value)}
	}
	return out
}

func slaKeyed(sla []SLAProperty) []keyedValue {
	keys := make([]string, len(sla))
	for i, s := range sla {
		keys[i] = s.Property
		if s.Element != "" {
			keys[i] += "@" + s.Element
		}
	}
	uniqueKeys(keys)
	out := make([]keyedValue, len(sla))
	for i, s := range sla {
		v := renderValue(s.Value)
		if s.Unit != "" {
			v += " " + s.Unit
		}
		if s.ValueExt != nil {
			v += " (valueExt " + renderValue(s.ValueExt) + ")"
		}
		if s.Driver != "" {
			v += " (driver " + s.Driver + ")"
		}
		out[i] = keyedValue{keys[i], v}
	}
	return out
}

func rulesKeyed(rules []Rule) []keyedValue {
	keys := make([]string, len(rules))
	for i, r := range rules {
		switch {
		case r.Name != "":
			keys[i] = r.Name
		case r.Metric != "":
			keys[i] = r.Metric
		case r.Query != "":
			keys[i] = oneLine(ruleType(r) + ": " + r.Query)
		default:
			keys[i] = "#" + strconv.Itoa(i+1)
		}
	}
	uniqueKeys(keys)
	out := make([]keyedValue, len(rules))
	for i, r := range rules {
		out[i] = keyedValue{keys[i], renderRule(r)}
	}
	return out
}

func optionsKeyed(opts map[string]any) []keyedValue {
	out := make([]keyedValue, 0, len(opts))
	for k, v := range opts {
		out = append(out, keyedValue{k, renderValue(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// ident is what matching looks at.
type ident struct{ id, name string }

func idents[T any](xs []T, id func(*T) ident) []ident {
	out := make([]ident, len(xs))
	for i := range xs {
		out[i] = id(&xs[i])
	}
	return out
}

// match pairs the elements of two lists: first by ODCS id where both have
// one, then by name where at most one has an id (two different ids are two
// different things, whatever their names). It returns, for each element of
// to, the index of its partner in from or -1. Partners are taken in order, so
// matching a against b and b against a pairs the same elements.
func match(from, to []ident) []int {
	toFrom := make([]int, len(to))
	used := make([]bool, len(from))
	byID := map[string][]int{}
	for i, f := range from {
		if f.id != "" {
			byID[f.id] = append(byID[f.id], i)
		}
	}
	for j, t := range to {
		toFrom[j] = -1
		if t.id == "" {
			continue
		}
		for _, i := range byID[t.id] {
			if !used[i] {
				used[i], toFrom[j] = true, i
				break
			}
		}
	}
	byName := map[string][]int{}
	for i, f := range from {
		if !used[i] {
			byName[f.name] = append(byName[f.name], i)
		}
	}
	for j, t := range to {
		if toFrom[j] >= 0 {
			continue
		}
		for _, i := range byName[t.name] {
			if !used[i] && (from[i].id == "" || t.id == "") {
				used[i], toFrom[j] = true, i
				break
			}
		}
	}
	return toFrom
}

func diffTables(from, to []Object) []TableDiff {
	id := func(o *Object) ident { return ident{o.ID, o.Name} }
	toFrom := match(idents(from, id), idents(to, id))
	matched := make([]bool, len(from))
	var out []TableDiff
	for j := range to {
		t := &to[j]
		i := toFrom[j]
		if i < 0 {
			out = append(out, TableDiff{Name: t.Name, Op: OpAdded, Columns: wholeColumns(t.Properties, OpAdded)})
			continue
		}
		matched[i] = true
		if td, differs := diffTable(&from[i], t); differs {
			out = append(out, td)
		}
	}
	for i := range from {
		if !matched[i] {
			out = append(out, TableDiff{Name: from[i].Name, Op: OpRemoved, Columns: wholeColumns(from[i].Properties, OpRemoved)})
		}
	}
	return out
}

func wholeColumns(ps []Property, op string) []ColumnDiff {
	var out []ColumnDiff
	for i := range ps {
		out = append(out, whole(&ps[i], op, ps[i].Name, nil).cd)
	}
	return out
}

func diffTable(f, t *Object) (TableDiff, bool) {
	td := TableDiff{Name: t.Name, Op: OpChanged}
	if f.Name != t.Name {
		td.Op, td.RenamedFrom = OpRenamed, f.Name
	}
	var cs changes
	cs.value("physicalName", f.PhysicalName, t.PhysicalName)
	cs.value("businessName", f.BusinessName, t.BusinessName)
	cs.value("description", f.Description, t.Description)
	cs.value("tags", renderSet(f.Tags), renderSet(t.Tags))
	cs.value("primaryKey", primaryKey(f.Properties), primaryKey(t.Properties))
	cs.value("partitioning", partitioning(f.Properties), partitioning(t.Properties))
	td.Changes = cs
	var cols []placed
	diffProps(f.Properties, t.Properties, where{}, &cols)
	// Grouped by op, so a reader sees what appeared and disappeared before
	// the details; removed fields in `from` order, the others in `to` order.
	sort.SliceStable(cols, func(a, b int) bool {
		if ra, rb := opRank(cols[a].cd.Op), opRank(cols[b].cd.Op); ra != rb {
			return ra < rb
		}
		return slices.Compare(cols[a].pos, cols[b].pos) < 0
	})
	for _, c := range cols {
		td.Columns = append(td.Columns, c.cd)
	}
	var q changes
	q.keyed(bracket("quality"), rulesKeyed(f.Quality), rulesKeyed(t.Quality))
	td.Quality = q
	return td, td.Op == OpRenamed || len(td.Changes)+len(td.Columns)+len(td.Quality) > 0
}

func opRank(op string) int {
	switch op {
	case OpAdded:
		return 0
	case OpRemoved:
		return 1
	}
	return 2
}

func dotted(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// where is a matched field's dotted path and position (indexes from the
// table down) on both sides.
type where struct {
	fromPath, toPath string
	fromPos, toPos   []int
}

func (w where) child(f, t *Property, i, j int) where {
	return where{dotted(w.fromPath, f.Name), dotted(w.toPath, t.Name),
		slices.Concat(w.fromPos, []int{i}), slices.Concat(w.toPos, []int{j})}
}

// placed is a ColumnDiff and its position on the side it is reported from.
type placed struct {
	cd  ColumnDiff
	pos []int
}

func whole(p *Property, op, path string, pos []int) placed {
	return placed{ColumnDiff{Name: path, Op: op, Type: renderType(p), Required: p.Required}, pos}
}

// diffProps compares one level of columns or nested fields under at. Added
// and removed fields are reported alone: their children come and go with
// them.
func diffProps(from, to []Property, at where, out *[]placed) {
	id := func(p *Property) ident { return ident{p.ID, p.Name} }
	toFrom := match(idents(from, id), idents(to, id))
	matched := make([]bool, len(from))
	for j := range to {
		t := &to[j]
		i := toFrom[j]
		if i < 0 {
			*out = append(*out, whole(t, OpAdded, dotted(at.toPath, t.Name), slices.Concat(at.toPos, []int{j})))
			continue
		}
		matched[i] = true
		diffProp(&from[i], t, at.child(&from[i], t, i, j), true, out)
	}
	for i := range from {
		if !matched[i] {
			*out = append(*out, whole(&from[i], OpRemoved, dotted(at.fromPath, from[i].Name), slices.Concat(at.fromPos, []int{i})))
		}
	}
}

// diffProp compares two matched properties and their children. Array
// elements have no name of their own, so named is false for them: whatever
// name they carry cannot make a rename.
func diffProp(f, t *Property, at where, named bool, out *[]placed) {
	cd := ColumnDiff{Name: at.toPath, Op: OpChanged}
	if named && f.Name != t.Name {
		cd.Op, cd.RenamedFrom = OpRenamed, at.fromPath
	}
	cd.Changes = propChanges(f, t)
	if cd.Op == OpRenamed || len(cd.Changes) > 0 {
		*out = append(*out, placed{cd, at.toPos})
	}
	diffProps(f.Properties, t.Properties, at, out)
	// The element sorts after the fields, should a property have both.
	elem := where{at.fromPath + ".element", at.toPath + ".element",
		slices.Concat(at.fromPos, []int{len(f.Properties)}), slices.Concat(at.toPos, []int{len(t.Properties)})}
	switch {
	case f.Items != nil && t.Items != nil:
		diffProp(f.Items, t.Items, elem, false, out)
	case t.Items != nil:
		*out = append(*out, whole(t.Items, OpAdded, elem.toPath, elem.toPos))
	case f.Items != nil:
		*out = append(*out, whole(f.Items, OpRemoved, elem.fromPath, elem.fromPos))
	}
}

func propChanges(f, t *Property) []Change {
	var cs changes
	cs.value("type", renderType(f), renderType(t))
	cs.flag("required", f.Required, t.Required)
	cs.flag("unique", f.Unique, t.Unique)
	cs.flag("primaryKey", f.PrimaryKey, t.PrimaryKey)
	cs.flag("partitioned", f.Partitioned, t.Partitioned)
	cs.flag("criticalDataElement", f.CriticalDataElement, t.CriticalDataElement)
	cs.value("classification", f.Classification, t.Classification)
	cs.value("physicalName", f.PhysicalName, t.PhysicalName)
	cs.value("businessName", f.BusinessName, t.BusinessName)
	cs.value("description", f.Description, t.Description)
	cs.keyed(func(k string) string { return "logicalTypeOptions." + k }, optionsKeyed(f.LogicalTypeOptions), optionsKeyed(t.LogicalTypeOptions))
	cs.value("tags", renderSet(f.Tags), renderSet(t.Tags))
	// default is named on its own: it is the custom property readers of a
	// column care about, the others are extensions like partitionTransform.
	cs.keyed(func(k string) string {
		if k == "default" {
			return k
		}
		return "customProperties[" + k + "]"
	}, customKeyed(f.CustomProperties), customKeyed(t.CustomProperties))
	cs.keyed(bracket("quality"), rulesKeyed(f.Quality), rulesKeyed(t.Quality))
	return cs
}
