package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/meshwork/meshwork/internal/spec"
)

// Builders for small contracts. A type is "logical/physical" or just "logical".

type compatOpt func(*spec.Property)

func ccol(name, typ string, opts ...compatOpt) spec.Property {
	logical, physical, _ := strings.Cut(typ, "/")
	return cwith(spec.Property{Name: name, LogicalType: logical, PhysicalType: physical}, opts...)
}

func cobj(name string, fields ...spec.Property) spec.Property {
	return spec.Property{Name: name, LogicalType: "object", Properties: fields}
}
func carr(name string, item spec.Property) spec.Property {
	return spec.Property{Name: name, LogicalType: "array", Items: &item}
}

func cwith(p spec.Property, opts ...compatOpt) spec.Property {
	for _, o := range opts {
		o(&p)
	}
	return p
}

func creq(p *spec.Property)     { p.Required = true }
func cid(s string) compatOpt    { return func(p *spec.Property) { p.ID = s } }
func cclass(c string) compatOpt { return func(p *spec.Property) { p.Classification = c } }
func cpk(pos int) compatOpt {
	return func(p *spec.Property) { p.PrimaryKey, p.PrimaryKeyPosition = true, pos }
}
func cnamed(n string) compatOpt { return func(p *spec.Property) { p.Name = n } }
func cdflt(v any) compatOpt     { return ccustomProp(defaultProperty, v) }
func ccustomProp(key string, v any) compatOpt {
	return func(p *spec.Property) {
		p.CustomProperties = append(p.CustomProperties, spec.CustomProperty{Property: key, Value: v})
	}
}

func cpart(pos int, transform string) compatOpt {
	return func(p *spec.Property) {
		p.Partitioned, p.PartitionKeyPosition = true, pos
		if transform != "" {
			ccustomProp(partitionTransformProperty, transform)(p)
		}
	}
}

func ctbl(name string, cols ...spec.Property) spec.Object {
	return spec.Object{Name: name, Properties: cols}
}
func ctblID(id, name string, cols ...spec.Property) spec.Object {
	return spec.Object{ID: id, Name: name, Properties: cols}
}

func cct(version string, tables ...spec.Object) *spec.Contract {
	return &spec.Contract{APIVersion: "v3.1.0", Kind: spec.KindDataContract, ID: "orders", Version: version,
		Status: "active", Domain: "sales", DataProduct: "orders", Schema: tables}
}

// cone is a contract with the single table orders.
func cone(version string, cols ...spec.Property) *spec.Contract {
	return cct(version, ctbl("orders", cols...))
}

func chist(cs ...*spec.Contract) []*spec.Contract { return cs }

// cv is an expected violation; To is filled in with the next version.
func cv(check, rule, table, column, from string) Violation {
	return Violation{Rule: rule, Check: check, Table: table, Column: column, From: from}
}

// compatMask is the platform's masking as a test sees it.
func compatMask(c string) string {
	switch c {
	case "pii":
		return "hash"
	case "restricted":
		return "redact"
	}
	return ""
}

var compatIgnoreMessage = cmpopts.IgnoreFields(Violation{}, "Message")

type compatCase struct {
	name    string
	mode    Mode
	history []*spec.Contract
	next    *spec.Contract
	noMask  bool
	want    []Violation
}

func runCompatCases(t *testing.T, tests []compatCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Mode: tt.mode, Mask: compatMask}
			if tt.noMask {
				opts.Mask = nil
			}
			var want []Violation
			for _, w := range tt.want {
				w.To = tt.next.Version
				want = append(want, w)
			}
			got := Check(tt.history, tt.next, opts)
			if diff := cmp.Diff(want, got, compatIgnoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Check(...) = %v, want %v\n(-want +got)\n%s", got, want, diff)
			}
		})
	}
}

// Columns shared by the cases: a key and a few ordinary columns.
var (
	ck     = ccol("k", "integer/int", cid("k"), cpk(1))
	cqty   = ccol("qty", "integer/int", cid("q"), creq)
	cprice = ccol("price", "number/float", cid("p"))
	ctotal = ccol("total", "number/decimal(12,2)", cid("t"), creq)
	cnote  = ccol("note", "string", cid("n"))
	cday   = ccol("day", "date", cid("d"), creq, cpart(1, "day"))
	caddr  = cobj("address", ccol("city", "string", cid("ci")), ccol("number", "integer/int", cid("nu")))
	ctags  = carr("tags", ccol("", "integer/int"))
)

func TestCheckRules(t *testing.T) {
	const o, from = "orders", "1.0.0"
	lines := ctbl("lines", ck, cqty)
	runCompatCases(t, []compatCase{
		{name: "no change", mode: ModeFullTransitive, history: chist(cone("1.0.0", ck, cqty, cnote)), next: cone("1.1.0", ck, cqty, cnote)},
		{name: "add table/backward", mode: ModeBackward, history: chist(cone("1.0.0", ck)), next: cct("1.1.0", ctbl(o, ck), lines)},
		{name: "add table/full transitive", mode: ModeFullTransitive, history: chist(cone("1.0.0", ck)), next: cct("1.1.0", ctbl(o, ck), lines)},
		{name: "drop table/backward", mode: ModeBackward, history: chist(cct("1.0.0", ctbl(o, ck), lines)), next: cone("1.1.0", ck),
			want: []Violation{cv("major", "drop-table", "lines", "", from)}},
		{name: "drop table/forward", mode: ModeForward, history: chist(cct("1.0.0", ctbl(o, ck), lines)), next: cone("1.1.0", ck),
			want: []Violation{cv("forward", "drop-table", "lines", "", from), cv("major", "drop-table", "lines", "", from)}},
		{name: "drop table/none", mode: ModeNone, history: chist(cct("1.0.0", ctbl(o, ck), lines)), next: cone("1.1.0", ck),
			want: []Violation{cv("major", "drop-table", "lines", "", from)}},
		{name: "rename table/full", mode: ModeFull, history: chist(cct("1.0.0", ctblID("T", o, ck))), next: cct("1.1.0", ctblID("T", "purchases", ck)),
			want: []Violation{cv("major", "rename-table", "purchases", "", from)}},
		{name: "rename table/none", mode: ModeNone, history: chist(cct("1.0.0", ctblID("T", o, ck))), next: cct("1.1.0", ctblID("T", "purchases", ck)),
			want: []Violation{cv("major", "rename-table", "purchases", "", from)}},
		{name: "table id added later is the same table", mode: ModeFull, history: chist(cct("1.0.0", ctbl(o, ck))), next: cct("1.1.0", ctblID("T", o, ck))},
		{name: "rename table without id is drop and add", mode: ModeForward, history: chist(cct("1.0.0", ctbl(o, ck))), next: cct("1.1.0", ctbl("purchases", ck)),
			want: []Violation{cv("forward", "drop-table", o, "", from), cv("major", "drop-table", o, "", from)}},
		{name: "add optional column/full transitive", mode: ModeFullTransitive, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, cnote)},
		{name: "add required column/backward", mode: ModeBackward, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, cqty),
			want: []Violation{cv("backward", "add-required-column", o, "qty", from)}},
		{name: "add required column/forward", mode: ModeForward, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, cqty)},
		{name: "add required column/full", mode: ModeFull, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, cqty),
			want: []Violation{cv("backward", "add-required-column", o, "qty", from)}},
		{name: "add required column/none", mode: ModeNone, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, cqty)},
		{name: "add required column with default/full", mode: ModeFull, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, cwith(cqty, cdflt(int64(0))))},
		{name: "add required column with string default/backward", mode: ModeBackward, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, cwith(cqty, cdflt("web")))},
		{name: "a null default is no default", mode: ModeBackward, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, cwith(cqty, cdflt(nil))),
			want: []Violation{cv("backward", "add-required-column", o, "qty", from)}},
		{name: "add key column", mode: ModeBackward, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, ccol("k2", "string", cpk(2))),
			want: []Violation{cv("major", "change-primary-key", o, "", from), cv("backward", "add-required-column", o, "k2", from)}},
		{name: "drop optional column/full", mode: ModeFull, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck),
			want: []Violation{cv("major", "drop-optional-column", o, "note", from)}},
		{name: "drop required column/backward", mode: ModeBackward, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck),
			want: []Violation{cv("major", "drop-required-column", o, "qty", from)}},
		{name: "drop required column/forward transitive", mode: ModeForwardTransitive, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck),
			want: []Violation{cv("forward", "drop-required-column", o, "qty", from), cv("major", "drop-required-column", o, "qty", from)}},
		{name: "drop partition column", mode: ModeFull, history: chist(cone("1.0.0", ck, cday)), next: cone("1.1.0", ck),
			want: []Violation{cv("forward", "drop-required-column", o, "day", from), cv("major", "drop-required-column", o, "day", from)}},
		{name: "rename column/backward", mode: ModeBackward, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, cwith(cnote, cnamed("remark"))),
			want: []Violation{cv("major", "rename-column", o, "remark", from)}},
		{name: "rename column/none", mode: ModeNone, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, cwith(cnote, cnamed("remark"))),
			want: []Violation{cv("major", "rename-column", o, "remark", from)}},
		{name: "rename without id is drop and add", mode: ModeBackward, history: chist(cone("1.0.0", ck, ccol("note", "string"))), next: cone("1.1.0", ck, ccol("remark", "string")),
			want: []Violation{cv("major", "drop-optional-column", o, "note", from)}},
		{name: "same name under another id is drop and add", mode: ModeBackward, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, cwith(cnote, cid("n2"))),
			want: []Violation{cv("major", "drop-optional-column", o, "note", from)}},
		{name: "id added to a column that had none", mode: ModeFull, history: chist(cone("1.0.0", ck, ccol("note", "string"))), next: cone("1.1.0", ck, cnote)},
		{name: "id removed from a column", mode: ModeFull, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, ccol("note", "string"))},
		{name: "two columns swap names by id", mode: ModeBackward,
			history: chist(cone("1.0.0", ck, ccol("a", "string", cid("A")), ccol("b", "string", cid("B")))),
			next:    cone("1.1.0", ck, ccol("b", "string", cid("A")), ccol("a", "string", cid("B"))),
			want:    []Violation{cv("major", "rename-column", o, "a", from), cv("major", "rename-column", o, "b", from)}},
		{name: "rename and retype report both", mode: ModeBackward, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, ccol("remark", "integer", cid("n"))),
			want: []Violation{cv("backward", "change-type", o, "remark", from), cv("major", "change-type", o, "remark", from), cv("major", "rename-column", o, "remark", from)}},
		{name: "promote int to long/backward", mode: ModeBackward, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck, ccol("qty", "integer/bigint", cid("q"), creq))},
		{name: "promote int to long/forward", mode: ModeForward, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck, ccol("qty", "integer/bigint", cid("q"), creq)),
			want: []Violation{cv("forward", "promote-type", o, "qty", from)}},
		{name: "promote float to double/full", mode: ModeFull, history: chist(cone("1.0.0", ck, cprice)), next: cone("1.1.0", ck, ccol("price", "number/double", cid("p"))),
			want: []Violation{cv("forward", "promote-type", o, "price", from)}},
		{name: "promote decimal precision/full", mode: ModeFull, history: chist(cone("1.0.0", ck, ctotal)), next: cone("1.1.0", ck, ccol("total", "number/decimal(15,2)", cid("t"), creq)),
			want: []Violation{cv("forward", "promote-type", o, "total", from)}},
		{name: "decimal scale change is a type change", mode: ModeBackward, history: chist(cone("1.0.0", ck, ctotal)), next: cone("1.1.0", ck, ccol("total", "number/decimal(15,3)", cid("t"), creq)),
			want: []Violation{cv("backward", "change-type", o, "total", from), cv("major", "change-type", o, "total", from)}},
		{name: "narrow decimal", mode: ModeBackward, history: chist(cone("1.0.0", ck, ctotal)), next: cone("1.1.0", ck, ccol("total", "number/decimal(10,2)", cid("t"), creq)),
			want: []Violation{cv("backward", "change-type", o, "total", from), cv("major", "change-type", o, "total", from)}},
		{name: "narrow long to int", mode: ModeForward, history: chist(cone("1.0.0", ck, ccol("qty", "integer/bigint", cid("q")))), next: cone("1.1.0", ck, ccol("qty", "integer/int", cid("q"))),
			want: []Violation{cv("forward", "change-type", o, "qty", from), cv("major", "change-type", o, "qty", from)}},
		{name: "int to double is no promotion", mode: ModeBackward, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck, ccol("qty", "number/double", cid("q"), creq)),
			want: []Violation{cv("backward", "change-type", o, "qty", from), cv("major", "change-type", o, "qty", from)}},
		{name: "string to integer/none", mode: ModeNone, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, ccol("note", "integer", cid("n"))),
			want: []Violation{cv("major", "change-type", o, "note", from)}},
		{name: "same type spelled differently", mode: ModeFull, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck, ccol("qty", "integer/INT32", cid("q"), creq))},
		{name: "logical integer is bigint", mode: ModeFull, history: chist(cone("1.0.0", ck, ccol("n", "integer"))), next: cone("1.1.0", ck, ccol("n", "integer/bigint"))},
		{name: "unresolvable type unchanged", mode: ModeFull, history: chist(cone("1.0.0", ck, ccol("g", "geometry"))), next: cone("1.1.0", ck, ccol("g", "Geometry "))},
		{name: "unresolvable type changed", mode: ModeBackward, history: chist(cone("1.0.0", ck, ccol("g", "geometry"))), next: cone("1.1.0", ck, ccol("g", "geography")),
			want: []Violation{cv("backward", "change-type", o, "g", from), cv("major", "change-type", o, "g", from)}},
		{name: "required to optional/backward", mode: ModeBackward, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck, ccol("qty", "integer/int", cid("q")))},
		{name: "required to optional/forward", mode: ModeForward, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck, ccol("qty", "integer/int", cid("q"))),
			want: []Violation{cv("forward", "required-to-optional", o, "qty", from)}},
		{name: "optional to required/backward", mode: ModeBackward, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, cwith(cnote, creq)),
			want: []Violation{cv("backward", "optional-to-required", o, "note", from)}},
		{name: "optional to required/forward", mode: ModeForward, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, cwith(cnote, creq))},
		{name: "optional to required with a default is still refused", mode: ModeBackward, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, cwith(cnote, creq, cdflt("x"))),
			want: []Violation{cv("backward", "optional-to-required", o, "note", from)}},
		{name: "change partition transform/full transitive", mode: ModeFullTransitive, history: chist(cone("1.0.0", ck, cday)), next: cone("1.1.0", ck, ccol("day", "date", cid("d"), creq, cpart(1, "month")))},
		{name: "add partition column/none", mode: ModeNone, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck, cwith(cqty, cpart(1, "")))},
		{name: "rename partition column", mode: ModeBackward, history: chist(cone("1.0.0", ck, cday)), next: cone("1.1.0", ck, cwith(cday, cnamed("dt"))),
			want: []Violation{cv("major", "rename-column", o, "dt", from)}},
		{name: "change primary key/backward", mode: ModeBackward, history: chist(cone("1.0.0", ck, cqty)), next: cone("1.1.0", ck, cwith(cqty, cpk(2))),
			want: []Violation{cv("major", "change-primary-key", o, "", from)}},
		{name: "reorder primary key", mode: ModeFull, history: chist(cone("1.0.0", ck, cwith(cqty, cpk(2)))), next: cone("1.1.0", cwith(ck, cpk(2)), cwith(cqty, cpk(1))),
			want: []Violation{cv("major", "change-primary-key", o, "", from)}},
		{name: "rename key column is only a rename", mode: ModeFull, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", cwith(ck, cnamed("key"))),
			want: []Violation{cv("major", "rename-column", o, "key", from)}},
		{name: "tighten none to hash", mode: ModeBackward, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, cwith(cnote, cclass("pii"))),
			want: []Violation{cv("major", "tighten-classification", o, "note", from)}},
		{name: "tighten hash to redact", mode: ModeNone, history: chist(cone("1.0.0", ck, cwith(cnote, cclass("pii")))), next: cone("1.1.0", ck, cwith(cnote, cclass("restricted"))),
			want: []Violation{cv("major", "tighten-classification", o, "note", from)}},
		{name: "loosen hash to none", mode: ModeFullTransitive, history: chist(cone("1.0.0", ck, cwith(cnote, cclass("pii")))), next: cone("1.1.0", ck, cwith(cnote, cclass("public")))},
		{name: "classification change without a mask", mode: ModeFull, history: chist(cone("1.0.0", ck, cwith(cnote, cclass("internal")))), next: cone("1.1.0", ck, cwith(cnote, cclass("confidential")))},
		{name: "no Mask func: nothing is masked", mode: ModeFull, noMask: true, history: chist(cone("1.0.0", ck, cnote)), next: cone("1.1.0", ck, cwith(cnote, cclass("pii")))},
		{name: "new classified column", mode: ModeFull, history: chist(cone("1.0.0", ck)), next: cone("1.1.0", ck, cwith(cnote, cclass("pii")))},
	})
}

func TestCheckNested(t *testing.T) {
	const o, from = "orders", "1.0.0"
	addrWith := func(fields ...spec.Property) spec.Property { return cobj("address", fields...) }
	city, number := caddr.Properties[0], caddr.Properties[1]
	runCompatCases(t, []compatCase{
		{name: "add optional nested field", mode: ModeFull, history: chist(cone("1.0.0", ck, caddr)), next: cone("1.1.0", ck, addrWith(city, number, ccol("zip", "string")))},
		{name: "add required nested field", mode: ModeBackward, history: chist(cone("1.0.0", ck, caddr)), next: cone("1.1.0", ck, addrWith(city, number, ccol("zip", "string", creq))),
			want: []Violation{cv("backward", "add-required-column", o, "address.zip", from)}},
		{name: "drop nested field", mode: ModeFull, history: chist(cone("1.0.0", ck, caddr)), next: cone("1.1.0", ck, addrWith(number)),
			want: []Violation{cv("major", "drop-optional-column", o, "address.city", from)}},
		{name: "promote nested type", mode: ModeForward, history: chist(cone("1.0.0", ck, caddr)), next: cone("1.1.0", ck, addrWith(city, ccol("number", "integer/bigint", cid("nu")))),
			want: []Violation{cv("forward", "promote-type", o, "address.number", from)}},
		{name: "rename nested field by id", mode: ModeBackward, history: chist(cone("1.0.0", ck, caddr)), next: cone("1.1.0", ck, addrWith(cwith(city, cnamed("town")), number)),
			want: []Violation{cv("major", "rename-column", o, "address.town", from)}},
		{name: "nested field of a renamed struct", mode: ModeBackward,
			history: chist(cone("1.0.0", ck, cwith(caddr, cid("A")))), next: cone("1.1.0", ck, cwith(cobj("location", number), cid("A"))),
			want: []Violation{cv("major", "rename-column", o, "location", from), cv("major", "drop-optional-column", o, "location.city", from)}},
		{name: "struct to primitive", mode: ModeBackward, history: chist(cone("1.0.0", ck, caddr)), next: cone("1.1.0", ck, ccol("address", "string")),
			want: []Violation{cv("backward", "change-type", o, "address", from), cv("major", "change-type", o, "address", from)}},
		{name: "primitive to array", mode: ModeForward, history: chist(cone("1.0.0", ck, ccol("tags", "string"))), next: cone("1.1.0", ck, ctags),
			want: []Violation{cv("forward", "change-type", o, "tags", from), cv("major", "change-type", o, "tags", from)}},
		{name: "promote array element", mode: ModeFull, history: chist(cone("1.0.0", ck, ctags)), next: cone("1.1.0", ck, carr("tags", ccol("", "integer/bigint"))),
			want: []Violation{cv("forward", "promote-type", o, "tags.element", from)}},
		{name: "array element becomes required", mode: ModeBackward, history: chist(cone("1.0.0", ck, ctags)), next: cone("1.1.0", ck, carr("tags", ccol("", "integer/int", creq))),
			want: []Violation{cv("backward", "optional-to-required", o, "tags.element", from)}},
		{name: "field of a struct in an array", mode: ModeBackward,
			history: chist(cone("1.0.0", ck, carr("lines", cobj("", ccol("sku", "string"))))),
			next:    cone("1.1.0", ck, carr("lines", cobj("", ccol("sku", "string"), ccol("qty", "integer", creq)))),
			want:    []Violation{cv("backward", "add-required-column", o, "lines.element.qty", from)}},
		{name: "array loses its element type", mode: ModeBackward, history: chist(cone("1.0.0", ck, ctags)), next: cone("1.1.0", ck, spec.Property{Name: "tags", LogicalType: "array"}),
			want: []Violation{cv("backward", "change-type", o, "tags", from), cv("major", "change-type", o, "tags", from)}},
		{name: "tighten a nested field", mode: ModeNone, history: chist(cone("1.0.0", ck, caddr)), next: cone("1.1.0", ck, addrWith(cwith(city, cclass("pii")), number)),
			want: []Violation{cv("major", "tighten-classification", o, "address.city", from)}},
	})
}

func TestCheckHistory(t *testing.T) {
	const o = "orders"
	// Only 1.0.0 lacks the required column channel: 1.1.0 added it with a default.
	channel := ccol("channel", "string", cid("ch"), creq)
	noDefault := chist(cone("1.0.0", ck), cone("1.1.0", ck, cwith(channel, cdflt("web"))), cone("1.2.0", ck, cwith(channel, cdflt("web"))))
	// Only 1.0.0 has cqty as an int; 1.1.0 promoted it.
	long := ccol("qty", "integer/bigint", cid("q"), creq)
	promoted := chist(cone("1.0.0", ck, cqty), cone("1.1.0", ck, long), cone("1.2.0", ck, long))
	// 1.1.0 dropped cnote; a change accepted within the major is not breaking again.
	dropped := chist(cone("1.0.0", ck, cnote), cone("1.1.0", ck), cone("1.2.0", ck))
	runCompatCases(t, []compatCase{
		{name: "empty history", mode: ModeFull, history: nil, next: cone("1.0.0", ck)},
		{name: "only nil history", mode: ModeFull, history: chist(nil, nil), next: cone("1.0.0", ck)},
		{name: "nil entries are skipped", mode: ModeBackward, history: chist(nil, cone("1.0.0", ck), nil), next: cone("1.1.0", ck, cqty),
			want: []Violation{cv("backward", "add-required-column", o, "qty", "1.0.0")}},
		{name: "backward: only the latest", mode: ModeBackward, history: noDefault, next: cone("1.3.0", ck, channel)},
		{name: "backward transitive: the oldest conflicts", mode: ModeBackwardTransitive, history: noDefault, next: cone("1.3.0", ck, channel),
			want: []Violation{cv("backward", "add-required-column", o, "channel", "1.0.0")}},
		{name: "default mode is backward transitive", mode: "", history: noDefault, next: cone("1.3.0", ck, channel),
			want: []Violation{cv("backward", "add-required-column", o, "channel", "1.0.0")}},
		{name: "forward transitive: the oldest conflicts", mode: ModeForwardTransitive, history: promoted, next: cone("1.3.0", ck, long),
			want: []Violation{cv("forward", "promote-type", o, "qty", "1.0.0")}},
		{name: "full: only the latest", mode: ModeFull, history: promoted, next: cone("1.3.0", ck, long)},
		{name: "full transitive: the oldest conflicts", mode: ModeFullTransitive, history: promoted, next: cone("1.3.0", ck, long),
			want: []Violation{cv("forward", "promote-type", o, "qty", "1.0.0")}},
		{name: "major is against the latest only", mode: ModeFullTransitive, history: dropped, next: cone("1.3.0", ck)},
		{name: "unknown mode is full transitive", mode: "SIDEWAYS", history: promoted, next: cone("1.3.0", ck, long),
			want: []Violation{cv("forward", "promote-type", o, "qty", "1.0.0")}},
		{name: "every version conflicts, numeric version order", mode: ModeFullTransitive,
			history: chist(cone("1.9.0", ck, cqty), cone("1.10.0", ck, cqty)), next: cone("1.11.0", ck),
			want: []Violation{cv("forward", "drop-required-column", o, "qty", "1.9.0"), cv("forward", "drop-required-column", o, "qty", "1.10.0"),
				cv("major", "drop-required-column", o, "qty", "1.10.0")}},
		{name: "violations are sorted by table, column, rule, check", mode: ModeFull,
			history: chist(cct("1.0.0", ctbl("lines", ck, cqty, cnote), ctbl(o, ck, cqty, cprice))),
			next:    cct("1.1.0", ctbl(o, ck, ccol("qty", "integer/int", cid("q")), ccol("price", "number/double", cid("p")), ctotal), ctbl("lines", ck, ccol("qty", "string", cid("q"), creq))),
			want: []Violation{
				cv("major", "drop-optional-column", "lines", "note", "1.0.0"),
				cv("backward", "change-type", "lines", "qty", "1.0.0"), cv("forward", "change-type", "lines", "qty", "1.0.0"), cv("major", "change-type", "lines", "qty", "1.0.0"),
				cv("forward", "promote-type", o, "price", "1.0.0"),
				cv("forward", "required-to-optional", o, "qty", "1.0.0"),
				cv("backward", "add-required-column", o, "total", "1.0.0"),
			}},
		{name: "renamed table carries its column changes", mode: ModeBackward,
			history: chist(cct("1.0.0", ctblID("T", o, ck, cnote))), next: cct("1.1.0", ctblID("T", "purchases", ck, cwith(cnote, creq))),
			want: []Violation{cv("major", "rename-table", "purchases", "", "1.0.0"), cv("backward", "optional-to-required", "purchases", "note", "1.0.0")}},
	})
}

// TestCheckMessages pins what people read, including the worked example of
// docs/compatibility.md.
func TestCheckMessages(t *testing.T) {
	orderkey, comment := ccol("o_orderkey", "integer/int", cpk(1)), ccol("o_comment", "string", cid("c"))
	v1 := cone("1.0.0", orderkey, ccol("o_total", "number/decimal(12,2)", creq), comment)
	v11 := cone("1.1.0", ccol("o_orderkey", "integer/bigint", cpk(1)), ccol("o_total", "number/decimal(15,2)", creq),
		ccol("o_channel", "string", creq, cdflt("web")), cwith(comment, cnamed("o_note")))
	keepLast := func(c *spec.Contract, last spec.Property) *spec.Contract {
		n := cone(c.Version, slices.Clone(c.Schema[0].Properties)...)
		n.Schema[0].Properties[len(n.Schema[0].Properties)-1] = last
		return n
	}
	tests := []struct {
		name          string
		history, next *spec.Contract
		mode          Mode
		want          []string
	}{
		{"worked example", v1, v11, "", []string{
			"major: column sales.orders.orders.o_comment would be renamed to o_note: this breaks consumers' SQL and needs a new major version (rule rename-column, 1.0.0 -> 1.1.0)",
		}},
		{"worked example under FULL, without the rename", v1, keepLast(v11, comment), ModeFull, []string{
			"forward: column sales.orders.orders.o_orderkey would be promoted from INTEGER to BIGINT: readers on 1.0.0 could not read data published under 1.1.0 (rule promote-type, 1.0.0 -> 1.1.0)",
			"forward: column sales.orders.orders.o_total would be promoted from DECIMAL(12,2) to DECIMAL(15,2): readers on 1.0.0 could not read data published under 1.1.0 (rule promote-type, 1.0.0 -> 1.1.0)",
		}},
		{"several rules", cone("1.0.0", ck, cnote, cqty, caddr), cone("1.1.0", ck, cwith(cnote, cnamed("remark")), ccol("qty", "integer/bigint", cid("q")), cobj("address", caddr.Properties[0])), ModeFull, []string{
			"major: optional column sales.orders.orders.address.number would be dropped: this breaks consumers' SQL and needs a new major version (rule drop-optional-column, 1.0.0 -> 1.1.0)",
			"forward: column sales.orders.orders.qty would be promoted from INTEGER to BIGINT: readers on 1.0.0 could not read data published under 1.1.0 (rule promote-type, 1.0.0 -> 1.1.0)",
			"forward: column sales.orders.orders.qty would become optional: readers on 1.0.0 could not read data published under 1.1.0 (rule required-to-optional, 1.0.0 -> 1.1.0)",
			"major: column sales.orders.orders.note would be renamed to remark: this breaks consumers' SQL and needs a new major version (rule rename-column, 1.0.0 -> 1.1.0)",
		}},
		{"table and classification", cct("1.0.0", ctbl("orders", ck, cnote), ctbl("lines", ck)), cone("1.1.0", ck, cwith(cnote, cclass("pii"))), ModeBackward, []string{
			"major: table sales.orders.lines would be dropped: this breaks consumers' SQL and needs a new major version (rule drop-table, 1.0.0 -> 1.1.0)",
			`major: column sales.orders.orders.note would be masked (hash, was none) for ordinary consumers: classification "" -> "pii": this breaks consumers' SQL and needs a new major version (rule tighten-classification, 1.0.0 -> 1.1.0)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range Check(chist(tt.history), tt.next, Options{Mode: tt.mode, Mask: compatMask}) {
				got = append(got, v.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check(...) = %q, want %q\n(-want +got)\n%s", got, tt.want, diff)
			}
		})
	}
}

// TestCheckDetects looks at the changes the differ finds, including those no
// mode refuses, which Check alone cannot show.
func TestCheckDetects(t *testing.T) {
	day2 := ccol("day2", "date", cid("d2"), creq)
	tests := []struct {
		name      string
		old, next *spec.Contract
		want      []string
	}{
		{"nothing", cone("1", ck, cday), cone("2", ck, cday), nil},
		{"partition on another column", cone("1", ck, cday, day2), cone("2", ck, cwith(cday, func(p *spec.Property) { p.Partitioned = false }), cwith(day2, cpart(1, "day"))), []string{"change-partitioning"}},
		{"partition transform", cone("1", ck, cday), cone("2", ck, ccol("day", "date", cid("d"), creq, cpart(1, "month"))), []string{"change-partitioning"}},
		{"partition added", cone("1", ck, cday, day2), cone("2", ck, cday, cwith(day2, cpart(2, ""))), []string{"change-partitioning"}},
		{"partition column renamed", cone("1", ck, cday), cone("2", ck, cwith(cday, cnamed("dt"))), []string{"rename-column"}},
		{"partition order", cone("1", ck, cday, cwith(day2, cpart(2, ""))), cone("2", ck, cwith(cday, cpart(2, "day")), cwith(day2, cpart(1, ""))), []string{"change-partitioning"}},
		{"key position numbers change, order does not", cone("1", ck, cwith(cqty, cpk(2))), cone("2", cwith(ck, cpk(5)), cwith(cqty, cpk(9))), nil},
		{"key on another column", cone("1", ck, cqty), cone("2", cwith(ck, func(p *spec.Property) { p.PrimaryKey = false; p.Required = true }), cwith(cqty, cpk(1))), []string{"change-primary-key"}},
		{"loosen classification", cone("1", ck, cwith(cnote, cclass("restricted"))), cone("2", ck, cnote), nil},
		{"add optional and defaulted", cone("1", ck), cone("2", ck, cnote, cwith(cqty, cdflt(1))), []string{"add-optional-column", "add-required-column-with-default"}},
		{"add table", cone("1", ck), cct("2", ctbl("orders", ck), ctbl("lines", ck)), []string{"add-table"}},
		{"description and unique flag", cone("1", ck, cnote), cone("2", ck, cwith(cnote, func(p *spec.Property) { p.Description, p.Unique = "free text", true })), nil},
		{"nested object gains a required field with a default", cone("1", ck, caddr), cone("2", ck, cobj("address", caddr.Properties[0], caddr.Properties[1], ccol("zip", "string", creq, cdflt("")))),
			[]string{"add-required-column-with-default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &differ{mask: compatMask}
			d.contract(buildContract(tt.old), buildContract(tt.next))
			var got []string
			for _, c := range d.out {
				got = append(got, c.rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check(...) detects %v, want %v\n%s", got, tt.want, diff)
			}
		})
	}
}

// ruleExamples gives, for every rule, a change that falls under it alone.
func ruleExamples() map[string][2]*spec.Contract {
	base := func(v string, cols ...spec.Property) *spec.Contract {
		return cone(v, append([]spec.Property{ck, cqty, cprice, ctotal, cnote, cday}, cols...)...)
	}
	edit := func(v string, i int, p spec.Property) *spec.Contract {
		c := base(v)
		c.Schema[0].Properties[i] = p
		return c
	}
	drop := func(v string, i int) *spec.Contract {
		c := base(v)
		c.Schema[0].Properties = slices.Delete(c.Schema[0].Properties, i, i+1)
		return c
	}
	withTable := func(c *spec.Contract, o spec.Object) *spec.Contract { c.Schema = append(c.Schema, o); return c }
	renamed := base("1.1.0")
	renamed.Schema[0].Name, renamed.Schema[0].ID = "purchases", "T"
	idd := base("1.0.0")
	idd.Schema[0].ID = "T"
	return map[string][2]*spec.Contract{
		ruleAddTable:                     {base("1.0.0"), withTable(base("1.1.0"), ctbl("lines", ck))},
		ruleDropTable:                    {withTable(base("1.0.0"), ctbl("lines", ck)), base("1.1.0")},
		ruleRenameTable:                  {idd, renamed},
		ruleAddOptionalColumn:            {base("1.0.0"), base("1.1.0", ccol("extra", "string"))},
		ruleAddRequiredColumn:            {base("1.0.0"), base("1.1.0", ccol("extra", "string", creq))},
		ruleAddRequiredColumnWithDefault: {base("1.0.0"), base("1.1.0", ccol("extra", "string", creq, cdflt("x")))},
		ruleDropOptionalColumn:           {base("1.0.0"), drop("1.1.0", 4)},
		ruleDropRequiredColumn:           {base("1.0.0"), drop("1.1.0", 1)},
		ruleRenameColumn:                 {base("1.0.0"), edit("1.1.0", 4, cwith(cnote, cnamed("remark")))},
		rulePromoteType:                  {base("1.0.0"), edit("1.1.0", 1, ccol("qty", "integer/bigint", cid("q"), creq))},
		ruleChangeType:                   {base("1.0.0"), edit("1.1.0", 4, ccol("note", "boolean", cid("n")))},
		ruleRequiredToOptional:           {base("1.0.0"), edit("1.1.0", 3, ccol("total", "number/decimal(12,2)", cid("t")))},
		ruleOptionalToRequired:           {base("1.0.0"), edit("1.1.0", 4, cwith(cnote, creq))},
		ruleChangePartitioning:           {base("1.0.0"), edit("1.1.0", 5, ccol("day", "date", cid("d"), creq, cpart(1, "month")))},
		ruleChangePrimaryKey:             {base("1.0.0"), edit("1.1.0", 1, cwith(cqty, cpk(2)))},
		ruleTightenClassification:        {base("1.0.0"), edit("1.1.0", 4, cwith(cnote, cclass("pii")))},
	}
}

// TestCheckEveryRuleEveryMode derives each verdict from the rule's row; the
// literal cases above pin the same verdicts by hand.
func TestCheckEveryRuleEveryMode(t *testing.T) {
	examples := ruleExamples()
	for _, r := range Rules() {
		ex := examples[r.ID]
		for _, m := range Modes() {
			t.Run(r.ID+"/"+string(m), func(t *testing.T) {
				var want []Violation
				add := func(check string) {
					want = append(want, Violation{Rule: r.ID, Check: check, Table: ex[1].Schema[0].Name, From: "1.0.0", To: "1.1.0"})
				}
				if m.Backward() && !r.Backward {
					add("backward")
				}
				if r.Breaking {
					add("major")
				}
				if m.Forward() && !r.Forward {
					add("forward")
				}
				got := Check(chist(ex[0]), ex[1], Options{Mode: m, Mask: compatMask})
				trim := cmpopts.IgnoreFields(Violation{}, "Column", "Message")
				if r.ID == ruleDropTable {
					for i := range want {
						want[i].Table = "lines"
					}
				}
				if diff := cmp.Diff(want, got, trim, cmpopts.SortSlices(func(a, b Violation) bool { return a.Check < b.Check })); diff != "" {
					t.Errorf("Check(...) = %v, want %v\n%s", got, want, diff)
				}
			})
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.9.0", "1.10.0", -1}, {"1.10.0", "1.9.0", 1}, {"1.2.3", "1.2.3", 0}, {"1.2", "1.2.0", -1},
		{"2.0.0", "10.0.0", -1}, {"1.0.0-rc.2", "1.0.0-rc.10", -1}, {"01.2", "1.2", 0}, {"", "1", -1}, {"a", "1", 1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"BACKWARD", ModeBackward, false}, {"BACKWARD_TRANSITIVE", ModeBackwardTransitive, false},
		{"FORWARD", ModeForward, false}, {"FORWARD_TRANSITIVE", ModeForwardTransitive, false},
		{"FULL", ModeFull, false}, {"FULL_TRANSITIVE", ModeFullTransitive, false}, {"NONE", ModeNone, false},
		{"full_transitive", ModeFullTransitive, false}, {"  Backward\n", ModeBackward, false},
		{"", "", true}, {"SIDEWAYS", "", true}, {"FULL-TRANSITIVE", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMode(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("ParseMode(%q) = %q, %v, want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE") {
				t.Errorf("ParseMode(%q) error = %v, want it to list the modes", tt.in, err)
			}
		})
	}
}

func TestModes(t *testing.T) {
	type flags struct{ Backward, Forward, Transitive bool }
	want := map[Mode]flags{
		ModeBackward: {true, false, false}, ModeBackwardTransitive: {true, false, true},
		ModeForward: {false, true, false}, ModeForwardTransitive: {false, true, true},
		ModeFull: {true, true, false}, ModeFullTransitive: {true, true, true}, ModeNone: {},
	}
	wantOrder := []Mode{ModeBackward, ModeBackwardTransitive, ModeForward, ModeForwardTransitive, ModeFull, ModeFullTransitive, ModeNone}
	if got := Modes(); !slices.Equal(got, wantOrder) {
		t.Errorf("Modes() = %v, want %v", got, wantOrder)
	}
	for m, w := range want {
		if got := (flags{m.Backward(), m.Forward(), m.Transitive()}); got != w {
			t.Errorf("%s flags = %+v, want %+v", m, got, w)
		}
	}
	if DefaultMode != ModeBackwardTransitive {
		t.Errorf("DefaultMode = %s, want %s", DefaultMode, ModeBackwardTransitive)
	}
}

func TestRulesComplete(t *testing.T) {
	seen := map[string]bool{}
	kebab := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	for _, r := range Rules() {
		if seen[r.ID] || !kebab.MatchString(r.ID) || r.Change == "" || r.Note == "" {
			t.Errorf("rule %+v: want a unique kebab-case id, a change and a note", r)
		}
		seen[r.ID] = true
		if got, ok := RuleByID(r.ID); !ok || got != r {
			t.Errorf("RuleByID(%q) = %+v, %v, want %+v", r.ID, got, ok, r)
		}
	}
	if _, ok := RuleByID("no-such-rule"); ok {
		t.Errorf("RuleByID(no-such-rule) found a rule")
	}
	// Every rule id the code can emit is a rule* constant; each must be a row.
	fset := token.NewFileSet()
	consts := 0
	for _, file := range []string{"compat.go", "compat_rules.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Values) != len(vs.Names) {
				return true
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || !strings.HasPrefix(name.Name, "rule") || lit.Kind != token.STRING {
					continue
				}
				consts++
				if id, _ := strconv.Unquote(lit.Value); !seen[id] {
					t.Errorf("%s: constant %s = %s is not in Rules()", file, name.Name, lit.Value)
				}
			}
			return true
		})
	}
	if consts != len(Rules()) {
		t.Errorf("found %d rule constants, want %d (one per row)", consts, len(Rules()))
	}
	// And each example is detected as its rule alone.
	examples := ruleExamples()
	for _, r := range Rules() {
		ex, ok := examples[r.ID]
		if !ok {
			t.Errorf("rule %s has no example", r.ID)
			continue
		}
		d := &differ{mask: compatMask}
		d.contract(buildContract(ex[0]), buildContract(ex[1]))
		var got []string
		for _, c := range d.out {
			got = append(got, c.rule)
		}
		if want := []string{r.ID}; !slices.Equal(got, want) {
			t.Errorf("changes of the %s example = %v, want %v", r.ID, got, want)
		}
	}
}
