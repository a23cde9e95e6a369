package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text layout knobs. Column names are padded to at least nameWidth so that
// the details of most tables start in the same place; values are cut at
// maxValueWidth because a diff line that wraps is hard to scan (the JSON form
// keeps them whole).
const (
	nameWidth     = 20
	maxValueWidth = 80
)

// WriteText writes d as plain text for people, e.g.
//
//	contract sales-orders: 1.0.0 -> 1.1.0
//	  status: draft -> active
//	  table orders (changed)
//	    + o_channel            string (optional)
//	    ~ o_totalprice         type: number (decimal(12,2)) -> number (decimal(15,2))
//	    quality: + rowCount mustBeGreaterThan 0
//	  + table returns (added, 4 columns)
//	  sla: ~ latency: 1 h -> 30 m
//	1 added, 0 removed, 1 changed columns
//
// An absent value shows as (none). The output depends only on d.
func (d *ContractDiff) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "contract %s: %s -> %s\n", orNone(d.ID), orNone(d.From), orNone(d.To))
	if d.Empty() {
		b.WriteString("no differences\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, c := range d.Changes {
		b.WriteString("  " + changeText(c) + "\n")
	}
	for _, t := range d.Tables {
		writeTable(&b, t)
	}
	for _, c := range d.SLA {
		b.WriteString("  " + changeText(c) + "\n")
	}
	added, removed, changed := d.Summary()
	fmt.Fprintf(&b, "%d added, %d removed, %d changed columns\n", added, removed, changed)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTable(b *strings.Builder, t TableDiff) {
	switch t.Op {
	case OpAdded, OpRemoved:
		// The table's columns come and go with it; listing them would bury
		// the rest of the diff.
		fmt.Fprintf(b, "  %s table %s (%s, %s)\n", opSymbol(t.Op), t.Name, t.Op, plural(len(t.Columns), "column"))
		return
	case OpRenamed:
		fmt.Fprintf(b, "  table %s (renamed from %s)\n", t.Name, t.RenamedFrom)
	default:
		fmt.Fprintf(b, "  table %s (%s)\n", t.Name, t.Op)
	}
	for _, c := range t.Changes {
		b.WriteString("    " + changeText(c) + "\n")
	}
	width := nameWidth
	for _, c := range t.Columns {
		width = max(width, utf8.RuneCountInString(c.Name))
	}
	indent := strings.Repeat(" ", 4+2+width)
	for _, c := range t.Columns {
		var details []string
		switch c.Op {
		case OpAdded, OpRemoved:
			details = append(details, columnType(c))
		case OpRenamed:
			details = append(details, "renamed from "+c.RenamedFrom)
		}
		for _, ch := range c.Changes {
			details = append(details, changeText(ch))
		}
		name := c.Name + strings.Repeat(" ", width-utf8.RuneCountInString(c.Name))
		line := "    " + opSymbol(c.Op) + " " + name
		for i, d := range details {
			if i > 0 {
				line = indent
			}
			b.WriteString(line + " " + d + "\n")
		}
		if len(details) == 0 { // cannot happen for a diff Diff built; keep the column visible anyway
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	for _, c := range t.Quality {
		b.WriteString("    " + changeText(c) + "\n")
	}
}

func columnType(c ColumnDiff) string {
	typ := c.Type
	if typ == "" {
		typ = "(untyped)"
	}
	if c.Required {
		return typ + " (required)"
	}
	return typ + " (optional)"
}

// changeText renders one Change. Keyed entries ("sla[latency]") read as
// "sla: ~ latency: 1 h -> 30 m"; quality rules leave the key out because
// their rendering already names the rule. Plain attributes read as
// "attr: from -> to".
func changeText(c Change) string {
	group, key, keyed := splitAttribute(c.Attribute)
	if !keyed {
		return c.Attribute + ": " + show(c.From) + " -> " + show(c.To)
	}
	label := key + ": "
	if group == "quality" {
		label = ""
	}
	switch c.Op {
	case OpAdded:
		return group + ": + " + label + show(c.To)
	case OpRemoved:
		return group + ": - " + label + show(c.From)
	}
	return group + ": ~ " + label + show(c.From) + " -> " + show(c.To)
}

// splitAttribute splits "group[key]".
func splitAttribute(attr string) (group, key string, ok bool) {
	i := strings.IndexByte(attr, '[')
	if i <= 0 || !strings.HasSuffix(attr, "]") {
		return "", "", false
	}
	return attr[:i], attr[i+1 : len(attr)-1], true
}

func opSymbol(op string) string {
	switch op {
	case OpAdded:
		return "+"
	case OpRemoved:
		return "-"
	}
	return "~"
}

func show(v string) string {
	if v == "" {
		return "(none)"
	}
	if v = oneLine(v); v == "" {
		return `""` // only white space: present, but nothing to show
	}
	if utf8.RuneCountInString(v) > maxValueWidth {
		r := []rune(v)
		v = string(r[:maxValueWidth-3]) + "..."
	}
	return v
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// The renderings below produce the values a Change holds (see ContractDiff
// for the rules). They live with the text because they are text: the JSON
// form carries them unchanged.

// primaryKey renders the key columns in key order, as internal/schema builds
// the table's key: by position, columns without one first in document order.
func primaryKey(ps []Property) string {
	return keyColumns(ps, func(p *Property) (bool, int, string) { return p.PrimaryKey, p.PrimaryKeyPosition, p.Name })
}

// partitioning renders the partition fields in order, with their transform
// (the partitionTransform custom property) when it is not identity, e.g.
// [month(o_orderdate), o_region].
func partitioning(ps []Property) string {
	return keyColumns(ps, func(p *Property) (bool, int, string) {
		name := p.Name
		if v, ok := Custom(p.CustomProperties, "partitionTransform"); ok {
			if s, ok := v.(string); ok {
				if tr := strings.ToLower(strings.TrimSpace(s)); tr != "" && tr != "identity" {
					name = tr + "(" + name + ")"
				}
			}
		}
		return p.Partitioned, p.PartitionKeyPosition, name
	})
}

func keyColumns(ps []Property, key func(*Property) (in bool, pos int, name string)) string {
	type keyed struct {
		pos  int
		name string
	}
	var ks []keyed
	for i := range ps {
		if in, pos, name := key(&ps[i]); in {
			ks = append(ks, keyed{pos, name})
		}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].pos < ks[j].pos })
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.name
	}
	return renderList(names)
}

func teamName(t *Team) string {
	if t == nil {
		return ""
	}
	return t.Name
}

// renderType renders a type as written: "integer (bigint)", "string".
func renderType(p *Property) string {
	switch {
	case p.LogicalType != "" && p.PhysicalType != "":
		return p.LogicalType + " (" + p.PhysicalType + ")"
	case p.LogicalType != "":
		return p.LogicalType
	}
	return p.PhysicalType
}

// renderList renders an ordered list of names; empty is absent.
func renderList(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// renderSet renders tags sorted: their order means nothing, so reordering
// them is no difference. It copies, as Diff must not touch its inputs.
func renderSet(tags []string) string {
	s := append([]string(nil), tags...)
	sort.Strings(s)
	return renderList(s)
}

// renderValue renders a document value (see ContractDiff). It never returns
// the empty string, which means absent.
func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if x == "" {
			return `""`
		}
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return renderFloat(x)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a rendering for people: keep < and & as written
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// renderFloat avoids exponents for whole numbers a person would write out.
func renderFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func ruleType(r Rule) string {
	if r.Type == "" {
		return "rule"
	}
	return r.Type
}

// renderRule renders a quality rule on one line. What the quality gate acts
// on is in it (what is measured, the threshold, the severity), so that two
// rules with the same rendering check the same thing; descriptive fields like
// dimension or schedule are left out.
func renderRule(r Rule) string {
	var parts []string
	if r.Name != "" {
		parts = append(parts, r.Name+":")
	}
	switch r.Type {
	case "sql":
		parts = append(parts, "sql:", r.Query)
	case "custom":
		head := "custom"
		if r.Engine != "" {
			head += " (" + r.Engine + ")"
		}
		body := r.Query
		if body == "" {
			body = r.Description
		}
		parts = append(parts, head+":", body)
	case "text":
		parts = append(parts, "text:", r.Description)
	default:
		switch {
		case r.Metric != "":
			parts = append(parts, r.Metric)
		case r.Query != "":
			parts = append(parts, ruleType(r)+":", r.Query)
		default:
			parts = append(parts, ruleType(r))
		}
		if len(r.Arguments) > 0 {
			for _, kv := range optionsKeyed(r.Arguments) {
				parts = append(parts, kv.key+"="+kv.val)
			}
		}
	}
	if r.MustBe != nil {
		parts = append(parts, "mustBe", renderValue(r.MustBe))
	}
	if r.MustNotBe != nil {
		parts = append(parts, "mustNotBe", renderValue(r.MustNotBe))
	}
	for _, op := range []struct {
		name string
		v    *float64
	}{{"mustBeGreaterThan", r.MustBeGreaterThan}, {"mustBeGreaterOrEqualTo", r.MustBeGreaterOrEqualTo},
		{"mustBeLessThan", r.MustBeLessThan}, {"mustBeLessOrEqualTo", r.MustBeLessOrEqualTo}} {
		if op.v != nil {
			parts = append(parts, op.name, renderFloat(*op.v))
		}
	}
	for _, op := range []struct {
		name string
		v    *[2]float64
	}{{"mustBeBetween", r.MustBeBetween}, {"mustNotBeBetween", r.MustNotBeBetween}} {
		if op.v != nil {
			parts = append(parts, op.name, "["+renderFloat(op.v[0])+", "+renderFloat(op.v[1])+"]")
		}
	}
	if r.Unit != "" {
		parts = append(parts, r.Unit)
	}
	if r.Severity != "" {
		parts = append(parts, "(severity "+r.Severity+")")
	}
	return oneLine(strings.Join(parts, " "))
}

// oneLine collapses runs of white space, so multi-line SQL fits a line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
