package schema

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/meshwork/meshwork/internal/spec"
)

// defaultProperty is the Meshwork custom property giving a column the value
// readers see in rows written before the column existed.
const defaultProperty = "default"

// Violation is one way a new version fails the rules.
type Violation struct {
	Rule  string `json:"rule"`  // Rule.ID
	Check string `json:"check"` // "backward", "forward" or "major"
	// Table and Column name the table and the column (a dotted path for
	// nested fields, "" for table-level rules) as the new version calls them;
	// what the new version no longer has keeps its old name.
	Table   string `json:"table"`
	Column  string `json:"column,omitempty"`
	From    string `json:"from"` // the earlier version compared against
	To      string `json:"to"`   // the new version
	Message string `json:"message"`
}

// String returns the message.
func (v Violation) String() string { return v.Message }

// Options tune Check.
type Options struct {
	Mode Mode // "" means DefaultMode
	// Mask returns the mask an ordinary consumer sees on a column with the
	// given classification ("" for none). Nil: no classification hides data.
	Mask func(classification string) string
}

// The checks a Violation can fail.
const (
	checkBackward = "backward"
	checkForward  = "forward"
	checkMajor    = "major"
)

// Check compares next with the earlier versions of its major (history, oldest
// first; the last one is what consumers read now) and returns every
// violation, sorted by table, column, rule, check and from. An empty history
// returns nil, and so does a nil next; nil entries in history are skipped.
//
// The mode checks run against the latest version, or against every version
// of history for a transitive mode. Consumer-breaking changes are checked
// against the latest version only, whatever the mode: a change already made
// within the major was accepted then, and consumers have moved on.
func Check(history []*spec.Contract, next *spec.Contract, opts Options) []Violation {
	var hist []*spec.Contract
	for _, c := range history {
		if c != nil {
			hist = append(hist, c)
		}
	}
	if len(hist) == 0 || next == nil {
		return nil
	}
	mode := opts.Mode.effective()
	d := &differ{mask: opts.Mask, qual: qualifier(next)}
	b := &builder{}
	nt := b.contract(next)
	latest := len(hist) - 1
	var out []Violation
	for i, old := range hist {
		modeCheck := mode != ModeNone && (mode.Transitive() || i == latest)
		if !modeCheck && i != latest {
			continue
		}
		d.out = d.out[:0]
		d.contract(b.contract(old), nt)
		for _, c := range d.out {
			r := rules[ruleIndex[c.rule]]
			if modeCheck && mode.Backward() && !r.Backward {
				out = append(out, violation(c, checkBackward, old.Version, next.Version,
					fmt.Sprintf("readers on %s could not read data published under %s", next.Version, old.Version)))
			}
			if modeCheck && mode.Forward() && !r.Forward {
				out = append(out, violation(c, checkForward, old.Version, next.Version,
					fmt.Sprintf("readers on %s could not read data published under %s", old.Version, next.Version)))
			}
			if i == latest && r.Breaking {
				out = append(out, violation(c, checkMajor, old.Version, next.Version,
					"this breaks consumers' SQL and needs a new major version"))
			}
		}
	}
	slices.SortFunc(out, compareViolations)
	return slices.Compact(out)
}

func violation(c change, check, from, to, why string) Violation {
	return Violation{
		Rule: c.rule, Check: check, Table: c.table, Column: c.column, From: from, To: to,
		Message: fmt.Sprintf("%s: %s: %s (rule %s, %s -> %s)", check, c.what, why, c.rule, from, to),
	}
}

func compareViolations(a, b Violation) int {
	return cmp.Or(
		cmp.Compare(a.Table, b.Table),
		cmp.Compare(a.Column, b.Column),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Check, b.Check),
		compareVersions(a.From, b.From),
		cmp.Compare(a.From, b.From),
		cmp.Compare(a.To, b.To),
		cmp.Compare(a.Message, b.Message),
	)
}

// compareVersions orders versions with their digit runs compared as numbers,
// so that 1.10.0 follows 1.9.0.
func compareVersions(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da != db {
			return cmp.Compare(a, b)
		}
		na, nb := run(a, da), run(b, db)
		pa, pb := a[:na], b[:nb]
		if da {
			pa, pb = strings.TrimLeft(pa, "0"), strings.TrimLeft(pb, "0")
			if c := cmp.Compare(len(pa), len(pb)); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(pa, pb); c != 0 {
			return c
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func run(s string, digits bool) int {
	n := 0
	for n < len(s) && isDigit(s[n]) == digits {
		n++
	}
	return n
}

// qualifier is the prefix that makes a table name readable in a message:
// "domain.product." when the contract names both.
func qualifier(c *spec.Contract) string {
	if c.Domain != "" && c.DataProduct != "" {
		return c.Domain + "." + c.DataProduct + "."
	}
	return ""
}

// The shapes of a field.
type nodeKind int

const (
	leafNode nodeKind = iota
	objectNode
	arrayNode
)

// node is one column or nested field, reduced to what the rules look at.
type node struct {
	id, name   string
	kind       nodeKind
	typ        Type
	typOK      bool // typ was resolved; otherwise types compare by raw()
	logical    string
	physical   string
	required   bool
	hasDefault bool
	class      string
	children   []*node // object fields; for an array, its element (at most one)
	match      *node   // on an old node: the node it became, once compared
}

type tableTree struct {
	id, name string
	cols     []*node
	pk       []*node // top-level key columns in primaryKeyPosition order
	part     []partKey
}

type partKey struct {
	col       *node
	transform string
}

// builder turns contracts into trees. It remembers resolved types because a
// wide table repeats a handful of types hundreds of times over.
type builder struct {
	types map[[2]string]resolved
}

type resolved struct {
	t  Type
	ok bool
}

func buildContract(c *spec.Contract) []*tableTree { return (&builder{}).contract(c) }

func (b *builder) contract(c *spec.Contract) []*tableTree {
	ts := make([]*tableTree, len(c.Schema))
	for i := range c.Schema {
		ts[i] = b.table(&c.Schema[i])
	}
	return ts
}

func (b *builder) table(o *spec.Object) *tableTree {
	t := &tableTree{id: o.ID, name: o.Name, cols: make([]*node, len(o.Properties))}
	type keyed struct {
		pos int
		n   *node
		tr  string
	}
	var pks, parts []keyed
	nodes := make([]node, len(o.Properties))
	for i := range o.Properties {
		p := &o.Properties[i]
		n := &nodes[i]
		b.node(p, n)
		t.cols[i] = n
		if p.PrimaryKey {
			pks = append(pks, keyed{pos: p.PrimaryKeyPosition, n: n})
		}
		if p.Partitioned {
			parts = append(parts, keyed{pos: p.PartitionKeyPosition, n: n, tr: partitionTransform(*p)})
		}
	}
	// The same stable order FromObject gives the keys of the table it builds.
	sort.SliceStable(pks, func(i, j int) bool { return pks[i].pos < pks[j].pos })
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].pos < parts[j].pos })
	for _, k := range pks {
		t.pk = append(t.pk, k.n)
	}
	for _, k := range parts {
		t.part = append(t.part, partKey{k.n, k.tr})
	}
	return t
}

func (b *builder) node(p *spec.Property, n *node) {
	*n = node{
		id: p.ID, name: p.Name, required: p.Required || p.PrimaryKey, class: p.Classification,
		logical: p.LogicalType, physical: p.PhysicalType,
	}
	if v, ok := spec.Custom(p.CustomProperties, defaultProperty); ok && v != nil {
		n.hasDefault = true
	}
	switch strings.ToLower(strings.TrimSpace(p.LogicalType)) {
	case "object":
		n.kind = objectNode
		n.children = make([]*node, len(p.Properties))
		for i := range p.Properties {
			n.children[i] = &node{}
			b.node(&p.Properties[i], n.children[i])
		}
	case "array":
		n.kind = arrayNode
		if p.Items != nil {
			e := &node{}
			b.node(p.Items, e)
			e.name = "element"
			n.children = []*node{e}
		}
	default:
		key := [2]string{p.LogicalType, p.PhysicalType}
		r, ok := b.types[key]
		if !ok {
			t, _, err := Resolve(p.LogicalType, p.PhysicalType)
			r = resolved{t, err == nil}
			if b.types == nil {
				b.types = map[[2]string]resolved{}
			}
			b.types[key] = r
		}
		n.typ, n.typOK = r.t, r.ok
	}
}

// raw is the type as written, to compare types Resolve does not know.
func (n *node) raw() string {
	return strings.ToLower(strings.TrimSpace(n.logical)) + "/" + strings.ToLower(strings.TrimSpace(n.physical))
}

// typeName shows a node's type in a message.
func (n *node) typeName() string {
	switch {
	case n.kind == objectNode:
		return "object"
	case n.kind == arrayNode:
		return "array"
	case n.typOK:
		return n.typ.String()
	}
	return n.raw()
}

// change is one detected difference, mapped to the rule it falls under.
type change struct {
	rule, table, column string
	what                string // the change in words, e.g. "column sales.orders.orders.o_comment would be dropped"
}

type differ struct {
	mask func(string) string
	qual string
	out  []change
}

func (d *differ) add(rule, table, column, format string, args ...any) {
	d.out = append(d.out, change{rule: rule, table: table, column: column, what: fmt.Sprintf(format, args...)})
}

func (d *differ) contract(old, next []*tableTree) {
	byNew := pair(old, next, func(t *tableTree) (string, string) { return t.id, t.name })
	matched := make([]bool, len(old))
	for i, nt := range next {
		j := byNew[i]
		if j < 0 {
			d.add(ruleAddTable, nt.name, "", "table %s%s would be added", d.qual, nt.name)
			continue
		}
		matched[j] = true
		ot := old[j]
		if ot.name != nt.name {
			d.add(ruleRenameTable, nt.name, "", "table %s%s would be renamed to %s", d.qual, ot.name, nt.name)
		}
		d.table(ot, nt)
	}
	for j, ot := range old {
		if !matched[j] {
			d.add(ruleDropTable, ot.name, "", "table %s%s would be dropped", d.qual, ot.name)
		}
	}
}

func (d *differ) table(ot, nt *tableTree) {
	d.fields(nt.name, "", "", ot.cols, nt.cols)
	// Keys compare by column identity, so renaming a key column is a rename
	// and nothing more: Iceberg's partition spec follows field ids too.
	samePK := len(ot.pk) == len(nt.pk)
	for k := 0; samePK && k < len(ot.pk); k++ {
		samePK = ot.pk[k].match == nt.pk[k]
	}
	if !samePK {
		d.add(ruleChangePrimaryKey, nt.name, "", "the primary key of table %s%s would change from (%s) to (%s)",
			d.qual, nt.name, keyNames(ot.pk), keyNames(nt.pk))
	}
	samePart := len(ot.part) == len(nt.part)
	for k := 0; samePart && k < len(ot.part); k++ {
		samePart = ot.part[k].col.match == nt.part[k].col && ot.part[k].transform == nt.part[k].transform
	}
	if !samePart {
		d.add(ruleChangePartitioning, nt.name, "", "the partitioning of table %s%s would change from %s to %s",
			d.qual, nt.name, partNames(ot.part), partNames(nt.part))
	}
}

func keyNames(ns []*node) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.name
	}
	return strings.Join(s, ", ")
}

func partNames(ps []partKey) string {
	if len(ps) == 0 {
		return "none"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.transform + "(" + p.col.name + ")"
	}
	return strings.Join(s, ", ")
}

// col names a column in a message.
func (d *differ) col(table, path string) string { return d.qual + table + "." + path }

// fields compares two lists of sibling fields under the parent paths each
// version gives them, setting match on each old field that has a successor.
func (d *differ) fields(table, oldParent, newParent string, old, next []*node) {
	byNew := pair(old, next, func(n *node) (string, string) { return n.id, n.name })
	for i, n := range next {
		path := join(newParent, n.name)
		j := byNew[i]
		if j < 0 {
			switch {
			case !n.required:
				d.add(ruleAddOptionalColumn, table, path, "optional column %s would be added", d.col(table, path))
			case n.hasDefault:
				d.add(ruleAddRequiredColumnWithDefault, table, path, "required column %s would be added with a default", d.col(table, path))
			default:
				d.add(ruleAddRequiredColumn, table, path, "required column %s would be added without a default", d.col(table, path))
			}
			continue
		}
		old[j].match = n
		d.node(table, join(oldParent, old[j].name), path, old[j], n)
	}
	for _, o := range old {
		if o.match != nil {
			continue
		}
		path := join(newParent, o.name)
		if o.required {
			d.add(ruleDropRequiredColumn, table, path, "required column %s would be dropped", d.col(table, path))
		} else {
			d.add(ruleDropOptionalColumn, table, path, "optional column %s would be dropped", d.col(table, path))
		}
	}
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// node compares one field with what it became. Every rule that applies is
// reported: a renamed column whose type also changed breaks for both reasons.
func (d *differ) node(table, oldPath, path string, o, n *node) {
	if o.name != n.name {
		d.add(ruleRenameColumn, table, path, "column %s would be renamed to %s", d.col(table, oldPath), path)
	}
	switch {
	case o.kind != n.kind:
		d.add(ruleChangeType, table, path, "column %s would change type from %s to %s", d.col(table, path), o.typeName(), n.typeName())
	case n.kind == objectNode:
		d.fields(table, oldPath, path, o.children, n.children)
	case n.kind == arrayNode:
		if len(o.children) == 1 && len(n.children) == 1 {
			d.node(table, oldPath+".element", path+".element", o.children[0], n.children[0])
		} else if len(o.children) != len(n.children) {
			d.add(ruleChangeType, table, path, "column %s would change its element type", d.col(table, path))
		}
	default:
		d.leafType(table, path, o, n)
	}
	switch {
	case o.required && !n.required:
		d.add(ruleRequiredToOptional, table, path, "column %s would become optional", d.col(table, path))
	case !o.required && n.required:
		d.add(ruleOptionalToRequired, table, path, "column %s would become required", d.col(table, path))
	}
	if o.class != n.class && d.mask != nil {
		om, nm := d.mask(o.class), d.mask(n.class)
		if nm != "" && nm != om {
			was := om
			if was == "" {
				was = "none"
			}
			d.add(ruleTightenClassification, table, path, "column %s would be masked (%s, was %s) for ordinary consumers: classification %q -> %q",
				d.col(table, path), nm, was, o.class, n.class)
		}
	}
}

func (d *differ) leafType(table, path string, o, n *node) {
	if o.typOK && n.typOK {
		if o.typ == n.typ {
			return
		}
		if o.typ.PromotesTo(n.typ) {
			d.add(rulePromoteType, table, path, "column %s would be promoted from %s to %s", d.col(table, path), o.typ, n.typ)
			return
		}
	} else if o.raw() == n.raw() {
		return
	}
	d.add(ruleChangeType, table, path, "column %s would change type from %s to %s", d.col(table, path), o.typeName(), n.typeName())
}

// pair matches old items to next ones: by ODCS id when both have one, else by
// name, an id match taking precedence. It returns, for each next item, the
// index of its old item or -1. Duplicates (an invalid contract) pair up in
// document order.
func pair[T any](old, next []T, key func(T) (id, name string)) []int {
	// Each map holds the first old index of a key; later duplicates chain
	// through dup, which keeps the common case at one map entry per item.
	byID := make(map[string]int, len(old))
	byName := make(map[string]int, len(old))
	dup := make([]int, 2*len(old)) // [2j]: next old with j's id, [2j+1]: with j's name
	last := func(m map[string]int, k string, j, slot int) {
		i, ok := m[k]
		if !ok {
			m[k] = j
			return
		}
		for dup[2*i+slot] >= 0 {
			i = dup[2*i+slot]
		}
		dup[2*i+slot] = j
	}
	for j, o := range old {
		dup[2*j], dup[2*j+1] = -1, -1
		id, name := key(o)
		if id != "" {
			last(byID, id, j, 0)
		}
		last(byName, name, j, 1)
	}
	out := make([]int, len(next))
	used := make([]bool, len(old))
	for i, n := range next {
		out[i] = -1
		id, _ := key(n)
		if id == "" {
			continue
		}
		for j, ok := byID[id]; ok && j >= 0; j = dup[2*j] {
			if !used[j] {
				out[i], used[j] = j, true
				break
			}
		}
	}
	for i, n := range next {
		if out[i] >= 0 {
			continue
		}
		id, name := key(n)
		for j, ok := byName[name]; ok && j >= 0; j = dup[2*j+1] {
			if oid, _ := key(old[j]); !used[j] && (id == "" || oid == "") {
				out[i], used[j] = j, true
				break
			}
		}
	}
	return out
}
