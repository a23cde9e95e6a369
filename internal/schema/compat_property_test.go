package schema

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/spec"
)

const compatPropertyCases = 2500

// compatGen makes random contracts and random successors of them. Names come
// from a small pool so that matching by name, duplicate names and ids that
// move between names all happen.
type compatGen struct {
	r      *rand.Rand
	nextID int
}

var compatGenTypes = []string{"integer/int", "integer/bigint", "number/float", "number/double", "number/decimal(10,2)",
	"number/decimal(12,2)", "number/decimal(12,3)", "string", "date", "timestamp", "boolean", "geometry"}

var compatGenClasses = []string{"", "", "pii", "restricted", "internal"}

func (g *compatGen) name(prefix string) string { return fmt.Sprintf("%s%d", prefix, g.r.IntN(8)) }

func (g *compatGen) id() string {
	if g.r.IntN(10) < 3 {
		return ""
	}
	g.nextID++
	return fmt.Sprintf("id%d", g.nextID)
}

func (g *compatGen) prop(depth int) spec.Property {
	p := spec.Property{ID: g.id(), Name: g.name("c"), Required: g.r.IntN(3) == 0, Classification: compatGenClasses[g.r.IntN(len(compatGenClasses))]}
	switch n := g.r.IntN(12); {
	case n == 0 && depth < 2:
		p.LogicalType = "object"
		for range g.r.IntN(4) {
			p.Properties = append(p.Properties, g.prop(depth+1))
		}
	case n == 1 && depth < 2:
		p.LogicalType = "array"
		item := g.prop(depth + 1)
		item.Name, item.ID = "", ""
		p.Items = &item
	default:
		g.setType(&p)
	}
	if g.r.IntN(4) == 0 {
		p.CustomProperties = append(p.CustomProperties, spec.CustomProperty{Property: defaultProperty, Value: "x"})
	}
	return p
}

func (g *compatGen) setType(p *spec.Property) {
	t := compatGenTypes[g.r.IntN(len(compatGenTypes))]
	p.LogicalType, p.PhysicalType, p.Properties, p.Items = t, "", nil, nil
	for i := range t {
		if t[i] == '/' {
			p.LogicalType, p.PhysicalType = t[:i], t[i+1:]
		}
	}
}

func (g *compatGen) table() spec.Object {
	o := spec.Object{ID: g.id(), Name: g.name("t")}
	for range 1 + g.r.IntN(8) {
		p := g.prop(0)
		if g.r.IntN(5) == 0 {
			p.PrimaryKey, p.PrimaryKeyPosition = true, g.r.IntN(3)
		}
		if g.r.IntN(6) == 0 && p.LogicalType != "object" && p.LogicalType != "array" {
			p.Partitioned, p.PartitionKeyPosition = true, g.r.IntN(3)
		}
		o.Properties = append(o.Properties, p)
	}
	return o
}

func (g *compatGen) contract(version string) *spec.Contract {
	c := &spec.Contract{ID: "c", Version: version, Domain: "d", DataProduct: "p"}
	for range 1 + g.r.IntN(3) {
		c.Schema = append(c.Schema, g.table())
	}
	return c
}

// evolve returns a changed copy of c.
func (g *compatGen) evolve(c *spec.Contract, version string) *spec.Contract {
	n := compatClone(c)
	n.Version = version
	for range g.r.IntN(5) {
		switch g.r.IntN(10) {
		case 0:
			n.Schema = append(n.Schema, g.table())
		case 1:
			if len(n.Schema) > 1 {
				i := g.r.IntN(len(n.Schema))
				n.Schema = slices.Delete(n.Schema, i, i+1)
			}
		case 2:
			if len(n.Schema) > 0 {
				n.Schema[g.r.IntN(len(n.Schema))].Name = g.name("t")
			}
		default:
			if len(n.Schema) > 0 {
				o := &n.Schema[g.r.IntN(len(n.Schema))]
				o.Properties = g.evolveFields(o.Properties, 0)
			}
		}
	}
	return n
}

func (g *compatGen) evolveFields(ps []spec.Property, depth int) []spec.Property {
	if len(ps) == 0 || g.r.IntN(6) == 0 {
		return append(ps, g.prop(depth))
	}
	i := g.r.IntN(len(ps))
	p := &ps[i]
	switch g.r.IntN(11) {
	case 0:
		return slices.Delete(ps, i, i+1)
	case 1:
		p.Name = g.name("c")
	case 2: // promote, or a narrowing the other way
		swaps := map[string]string{"int": "bigint", "float": "double", "decimal(10,2)": "decimal(12,2)", "bigint": "int", "decimal(12,2)": "decimal(12,3)"}
		if t, ok := swaps[p.PhysicalType]; ok {
			p.PhysicalType = t
		}
	case 3:
		g.setType(p)
	case 4:
		p.Required = !p.Required
	case 5:
		p.Partitioned, p.PartitionKeyPosition = !p.Partitioned, g.r.IntN(3)
		if g.r.IntN(2) == 0 {
			p.CustomProperties = append(p.CustomProperties, spec.CustomProperty{Property: partitionTransformProperty, Value: "month"})
		}
	case 6:
		p.PrimaryKey, p.PrimaryKeyPosition = !p.PrimaryKey, g.r.IntN(3)
	case 7:
		p.Classification = compatGenClasses[g.r.IntN(len(compatGenClasses))]
	case 8:
		if p.Items != nil {
			items := g.evolveFields([]spec.Property{*p.Items}, depth+1)
			if len(items) > 0 {
				items[0].Name = ""
				p.Items = &items[0]
			}
		} else if p.LogicalType == "object" {
			p.Properties = g.evolveFields(p.Properties, depth+1)
		}
	case 9:
		p.ID = g.id()
	default:
		*p = g.prop(depth)
	}
	return ps
}

// history returns 1 to 4 versions of a contract and a successor.
func (g *compatGen) history() ([]*spec.Contract, *spec.Contract) {
	h := []*spec.Contract{g.contract("1.0.0")}
	for i := range g.r.IntN(4) {
		h = append(h, g.evolve(h[len(h)-1], fmt.Sprintf("1.%d.0", i+1)))
	}
	return h, g.evolve(h[len(h)-1], fmt.Sprintf("1.%d.0", len(h)))
}

func compatClone(c *spec.Contract) *spec.Contract {
	n := *c
	n.Schema = slices.Clone(c.Schema)
	for i := range n.Schema {
		n.Schema[i].Properties = compatCloneProps(n.Schema[i].Properties)
	}
	return &n
}

func compatCloneProps(ps []spec.Property) []spec.Property {
	if ps == nil {
		return nil
	}
	out := slices.Clone(ps)
	for i := range out {
		out[i].Properties = compatCloneProps(out[i].Properties)
		out[i].CustomProperties = slices.Clone(out[i].CustomProperties)
		if out[i].Items != nil {
			item := compatCloneProps([]spec.Property{*out[i].Items})[0]
			out[i].Items = &item
		}
	}
	return out
}

// compatUnion is the sorted set of violations in a and b, as Check would list them.
func compatUnion(a, b []Violation) []Violation {
	u := append(slices.Clone(a), b...)
	slices.SortFunc(u, compareViolations)
	return slices.Compact(u)
}

func compatCheck(h []*spec.Contract, next *spec.Contract, m Mode) []Violation {
	return Check(h, next, Options{Mode: m, Mask: compatMask})
}

func TestPropertyFullIsBackwardAndForward(t *testing.T) {
	g := &compatGen{r: rand.New(rand.NewPCG(1, 2))}
	pairs := [][3]Mode{{ModeFull, ModeBackward, ModeForward}, {ModeFullTransitive, ModeBackwardTransitive, ModeForwardTransitive}}
	seen := map[string]int{}
	for i := range compatPropertyCases {
		h, next := g.history()
		d := &differ{mask: compatMask}
		d.contract(buildContract(h[len(h)-1]), buildContract(next))
		for _, c := range d.out {
			seen[c.rule]++
		}
		for _, p := range pairs {
			got, want := compatCheck(h, next, p[0]), compatUnion(compatCheck(h, next, p[1]), compatCheck(h, next, p[2]))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("case %d: Check(%s) = %v, want %s ∪ %s = %v\n%s", i, p[0], got, p[1], p[2], want, diff)
			}
		}
	}
	// The property means little unless the generator makes every kind of change.
	for _, r := range Rules() {
		if seen[r.ID] == 0 {
			t.Errorf("the generator never made a %s change in %d cases", r.ID, compatPropertyCases)
		}
	}
	t.Logf("changes made: %v", seen)
}

func TestPropertyTransitiveOnlyAddsOlderConflicts(t *testing.T) {
	g := &compatGen{r: rand.New(rand.NewPCG(3, 4))}
	extra := 0
	for i := range compatPropertyCases {
		h, next := g.history()
		latest := h[len(h)-1].Version
		for _, m := range []Mode{ModeBackward, ModeForward, ModeFull} {
			mt := Mode(string(m) + "_TRANSITIVE")
			plain, trans := compatCheck(h, next, m), compatCheck(h, next, mt)
			for _, v := range plain {
				if !slices.Contains(trans, v) {
					t.Fatalf("case %d: Check(%s) = %v, want it to contain %v reported by %s", i, mt, trans, v, m)
				}
			}
			for _, v := range trans {
				if slices.Contains(plain, v) {
					continue
				}
				extra++
				if v.From == latest {
					t.Fatalf("case %d: Check(%s) = %v reports %v against the latest version %s, which %s does not", i, mt, trans, v, latest, m)
				}
				k := slices.IndexFunc(h, func(c *spec.Contract) bool { return c.Version == v.From })
				if alone := compatCheck(h[k:k+1], next, m); !slices.Contains(alone, v) {
					t.Fatalf("case %d: Check([%s], next, %s) = %v, want it to contain %v", i, v.From, m, alone, v)
				}
			}
		}
	}
	if extra == 0 {
		t.Fatalf("no transitive-only violation in %d cases: the generator does not exercise the property", compatPropertyCases)
	}
}

func TestPropertyNoneIsMajorOnly(t *testing.T) {
	g := &compatGen{r: rand.New(rand.NewPCG(5, 6))}
	for i := range compatPropertyCases {
		h, next := g.history()
		var want []Violation
		for _, v := range compatCheck(h, next, ModeFullTransitive) {
			if v.Check == checkMajor {
				want = append(want, v)
			}
		}
		if got := compatCheck(h, next, ModeNone); !cmp.Equal(want, got) {
			t.Fatalf("case %d: Check(NONE) = %v, want the major violations of FULL_TRANSITIVE %v", i, got, want)
		}
	}
}

func TestPropertyDeterministicAndPure(t *testing.T) {
	g := &compatGen{r: rand.New(rand.NewPCG(7, 8))}
	for i := range compatPropertyCases {
		h, next := g.history()
		hc := make([]*spec.Contract, len(h))
		for j := range h {
			hc[j] = compatClone(h[j])
		}
		nc := compatClone(next)
		m := Modes()[i%len(Modes())]
		first, second := compatCheck(h, next, m), compatCheck(h, next, m)
		if !cmp.Equal(first, second) {
			t.Fatalf("case %d: Check(%s) = %v, then %v", i, m, first, second)
		}
		// reflect first: cmp.Diff on every case would dominate the test's time.
		if !reflect.DeepEqual(hc, h) || !reflect.DeepEqual(nc, next) {
			t.Fatalf("case %d: Check modified its input:\n%s%s", i, cmp.Diff(hc, h), cmp.Diff(nc, next))
		}
		if !slices.IsSortedFunc(first, compareViolations) {
			t.Fatalf("case %d: Check(%s) = %v, not sorted", i, m, first)
		}
	}
}

// TestRuleTableInDocs keeps the rule table of docs/compatibility.md and
// Rules() equal, so that neither drifts.
func TestRuleTableInDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	yes := map[string]bool{"yes": true, "no": false}
	var got []Rule
	for line := range strings.Lines(string(b)) {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 7 || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		bw, ok1 := yes[cells[2]]
		fw, ok2 := yes[cells[3]]
		full, ok3 := yes[cells[4]]
		none, ok4 := yes[cells[5]]
		br, ok5 := yes[cells[6]]
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			t.Errorf("docs row %q: want yes/no cells", line)
			continue
		}
		if full != (bw && fw) || !none {
			t.Errorf("docs row %q: FULL must be BACKWARD and FORWARD, NONE must be yes", line)
		}
		got = append(got, Rule{ID: strings.Trim(cells[0], "`"), Change: cells[1], Backward: bw, Forward: fw, Breaking: br})
	}
	var want []Rule
	for _, r := range Rules() {
		r.Note = ""
		want = append(want, r)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rule table in docs/compatibility.md = %v, want Rules() = %v\n(-want +got)\n%s", got, want, diff)
	}
}

// compatByteSource feeds a generator from fuzz input, then from a fixed sequence:
// a source stuck at zero would make rand's unbiasing loop spin forever.
type compatByteSource struct {
	b []byte
	n uint64
}

func (s *compatByteSource) Uint64() uint64 {
	if len(s.b) == 0 {
		s.n += 0x9e3779b97f4a7c15 // splitmix64
		z := s.n
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	var buf [8]byte
	n := copy(buf[:], s.b)
	s.b = s.b[n:]
	return binary.LittleEndian.Uint64(buf[:])
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("rename then promote the key column"))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<63|12345))
	seed := rand.New(rand.NewPCG(9, 10))
	for range 8 {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(seed.UintN(256))
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &compatGen{r: rand.New(&compatByteSource{b: data})}
		h, next := g.history()
		for _, tr := range []bool{false, true} {
			full, bw, fw := ModeFull, ModeBackward, ModeForward
			if tr {
				full, bw, fw = ModeFullTransitive, ModeBackwardTransitive, ModeForwardTransitive
			}
			got, want := compatCheck(h, next, full), compatUnion(compatCheck(h, next, bw), compatCheck(h, next, fw))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("Check(%s) = %v, want %s ∪ %s = %v\n%s", full, got, bw, fw, want, diff)
			}
		}
	})
}
