package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/spec"
)

// The contract tab: the contract of one served major, rendered and as
// YAML, its version history, and the difference between two versions.

// contractView is the contract tab.
type contractView struct {
	Majors   []majorLink
	Major    httpapi.PageMajor // the major shown
	Version  string            // the version shown
	Versions []contractVersion
	Doc      *contractDoc
	YAML     string
	Diff     *contractDiff
	// DiffForm holds the versions offered by the compare form.
	From, To string
}

// majorLink is a served major, as a link to its contract.
type majorLink struct {
	httpapi.PageMajor
	Href    string
	Current bool
}

// contractVersion is one applied version of the contract.
type contractVersion struct {
	registry.Contract
	Href     string // shows this version
	DiffHref string // compares it with the version the tables follow
	Current  bool
}

// contractDiff is the difference between two versions: the API's own
// comparison and a line diff of the two documents.
type contractDiff struct {
	From, To  string
	Changes   []diffChange
	Lines     []diffLine
	TooLarge  bool // the documents are too large for a line diff
	Identical bool
}

// diffChange is one change of the API's comparison.
type diffChange struct {
	Where string // "contract", "table orders", "column orders.id", "SLA"
	spec.Change
}

// contractDoc is what the tab shows of a contract document.
type contractDoc struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Status      string   `json:"status"`
	Domain      string   `json:"domain"`
	DataProduct string   `json:"dataProduct"`
	Tags        []string `json:"tags"`
	Description struct {
		Purpose     string `json:"purpose"`
		Usage       string `json:"usage"`
		Limitations string `json:"limitations"`
	} `json:"description"`
	Schema []struct {
		Name         string           `json:"name"`
		BusinessName string           `json:"businessName"`
		Description  string           `json:"description"`
		PhysicalType string           `json:"physicalType"`
		Properties   []contractColumn `json:"properties"`
		Quality      []map[string]any `json:"quality"`
	} `json:"schema"`
	SLA []struct {
		Property string `json:"property"`
		Value    any    `json:"value"`
		Unit     string `json:"unit"`
		Element  string `json:"element"`
	} `json:"slaProperties"`
}

// contractColumn is a property of a schema object.
type contractColumn struct {
	Name           string           `json:"name"`
	LogicalType    string           `json:"logicalType"`
	PhysicalType   string           `json:"physicalType"`
	Description    string           `json:"description"`
	Classification string           `json:"classification"`
	Required       bool             `json:"required"`
	PrimaryKey     bool             `json:"primaryKey"`
	Unique         bool             `json:"unique"`
	Quality        []map[string]any `json:"quality"`
	Properties     []contractColumn `json:"properties"`
}

// Columns flattens nested properties to dotted names.
func (c contractColumn) flatten(prefix string, depth int, out *[]contractColumn) {
	c.Name = prefix + c.Name
	*out = append(*out, c)
	if depth < 5 {
		for _, n := range c.Properties {
			n.flatten(c.Name+".", depth+1, out)
		}
	}
}

// AllColumns is every column of an object, nested ones as dotted names.
func allColumns(ps []contractColumn) []contractColumn {
	var out []contractColumn
	for _, p := range ps {
		p.flatten("", 0, &out)
	}
	return out
}

// ruleText renders a quality rule on one line, e.g. "rowCount mustBeGreaterThan 0 (error)".
func ruleText(m map[string]any) string {
	str := func(k string) string {
		s, _ := m[k].(string)
		return s
	}
	var parts []string
	what := str("metric")
	if what == "" {
		what = str("rule")
	}
	switch {
	case what != "":
	case str("type") == "sql":
		what = "sql: " + strings.Join(strings.Fields(str("query")), " ")
	case str("description") != "":
		what = str("description")
	default:
		what = str("type")
	}
	if n := str("name"); n != "" {
		what = n + ": " + what
	}
	parts = append(parts, what)
	for _, op := range []string{"mustBe", "mustNotBe", "mustBeGreaterThan", "mustBeGreaterOrEqualTo", "mustBeLessThan",
		"mustBeLessOrEqualTo", "mustBeBetween", "mustNotBeBetween"} {
		if v, ok := m[op]; ok {
			b, _ := json.Marshal(v)
			parts = append(parts, op, string(b))
		}
	}
	if u := str("unit"); u != "" {
		parts = append(parts, u)
	}
	if s := str("severity"); s != "" {
		parts = append(parts, "("+s+")")
	}
	return strings.Join(parts, " ")
}

// slaText renders an SLA property's value.
func slaValue(v any, unit string) string {
	s := fmt.Sprint(v)
	if b, err := json.Marshal(v); err == nil && !strings.HasPrefix(string(b), `"`) {
		s = string(b)
	}
	if unit != "" {
		s += " " + unit
	}
	return s
}

func init() {
	funcs["ruleText"] = ruleText
	funcs["slaValue"] = slaValue
	funcs["allColumns"] = allColumns
}

// contractPath is the API path of a contract (suffix "/versions", ...).
func contractPath(id, suffix string) string {
	return "/api/v1/contracts/" + url.PathEscape(id) + suffix
}

// loadContract reads the contract tab's data: the chosen major's contract
// (?major=N, else the one unpinned names read), the chosen version
// (?version=V, else the one the major's tables follow) and, with ?from=X
// (and ?to=Y), a comparison. A failed call returns what was read so far.
func loadContract(v *view, pg httpapi.Page, q url.Values) (*contractView, error) {
	if len(pg.Contract.Majors) == 0 {
		return nil, nil
	}
	base := productHref(pg.Product.Domain, pg.Product.Name) + "?tab=contract"
	cv := &contractView{Major: pg.Contract.Majors[0]}
	for _, m := range pg.Contract.Majors {
		if m.Default {
			cv.Major = m
			break
		}
	}
	if s := q.Get("major"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			for _, m := range pg.Contract.Majors {
				if m.Major == n {
					cv.Major = m
				}
			}
		}
	}
	majorQ := "&major=" + strconv.Itoa(cv.Major.Major)
	for _, m := range pg.Contract.Majors {
		cv.Majors = append(cv.Majors, majorLink{PageMajor: m, Href: base + "&major=" + strconv.Itoa(m.Major), Current: m.Major == cv.Major.Major})
	}
	cv.Version = cv.Major.Version
	if s := q.Get("version"); s != "" {
		cv.Version = s
	}
	var vs struct {
		Versions []registry.Contract `json:"versions"`
	}
	if err := v.api.call("GET", contractPath(cv.Major.ID, "/versions"), nil, nil, &vs); err != nil {
		return cv, err
	}
	sort.SliceStable(vs.Versions, func(i, j int) bool { return vs.Versions[i].AppliedAt.After(vs.Versions[j].AppliedAt) })
	for _, c := range vs.Versions {
		cv.Versions = append(cv.Versions, contractVersion{Contract: c, Current: c.Version == cv.Version,
			Href:     base + majorQ + "&version=" + url.QueryEscape(c.Version),
			DiffHref: base + majorQ + "&" + url.Values{"from": {c.Version}, "to": {cv.Major.Version}}.Encode()})
	}
	doc, raw, err := contractDocument(v, cv.Major.ID, cv.Version)
	if err != nil {
		return cv, err
	}
	cv.Doc = doc
	cv.YAML = toYAML(raw)
	cv.From, cv.To = q.Get("from"), q.Get("to")
	if cv.To == "" {
		cv.To = cv.Major.Version
	}
	if cv.From == "" {
		// offer the previous version by default
		for i, c := range vs.Versions {
			if c.Version == cv.To && i+1 < len(vs.Versions) {
				cv.From = vs.Versions[i+1].Version
			}
		}
		return cv, nil
	}
	diff, err := loadDiff(v, cv.Major.ID, cv.From, cv.To)
	cv.Diff = diff
	return cv, err
}

// contractDocument reads one version's document.
func contractDocument(v *view, id, version string) (*contractDoc, json.RawMessage, error) {
	var c registry.Contract
	if err := v.api.call("GET", contractPath(id, "/versions/"+url.PathEscape(version)), nil, nil, &c); err != nil {
		return nil, nil, err
	}
	var doc contractDoc
	if len(c.Doc) > 0 {
		if err := json.Unmarshal(c.Doc, &doc); err != nil {
			// a document of an unexpected shape still shows as YAML
			doc = contractDoc{}
		}
	}
	if doc.Version == "" {
		doc.Version = c.Version
	}
	if doc.Status == "" {
		doc.Status = c.Status
	}
	return &doc, c.Doc, nil
}

// loadDiff compares two versions: the API's comparison, and the documents line by line.
func loadDiff(v *view, id, from, to string) (*contractDiff, error) {
	var d spec.ContractDiff
	if err := v.api.call("GET", contractPath(id, "/diff"), url.Values{"from": {from}, "to": {to}}, nil, &d); err != nil {
		return nil, err
	}
	out := &contractDiff{From: from, To: to}
	for _, c := range d.Changes {
		out.Changes = append(out.Changes, diffChange{Where: "contract", Change: c})
	}
	for _, t := range d.Tables {
		where := "table " + t.Name
		switch t.Op {
		case spec.OpAdded, spec.OpRemoved:
			out.Changes = append(out.Changes, diffChange{Where: where, Change: spec.Change{Attribute: "table", Op: t.Op}})
		case spec.OpRenamed:
			out.Changes = append(out.Changes, diffChange{Where: where, Change: spec.Change{Attribute: "name", Op: t.Op, From: t.RenamedFrom, To: t.Name}})
		}
		for _, c := range t.Changes {
			out.Changes = append(out.Changes, diffChange{Where: where, Change: c})
		}
		for _, c := range t.Columns {
			cw := "column " + t.Name + "." + c.Name
			switch c.Op {
			case spec.OpAdded:
				out.Changes = append(out.Changes, diffChange{Where: cw, Change: spec.Change{Attribute: "column", Op: c.Op, To: c.Type}})
			case spec.OpRemoved:
				out.Changes = append(out.Changes, diffChange{Where: cw, Change: spec.Change{Attribute: "column", Op: c.Op, From: c.Type}})
			case spec.OpRenamed:
				out.Changes = append(out.Changes, diffChange{Where: cw, Change: spec.Change{Attribute: "name", Op: c.Op, From: c.RenamedFrom, To: c.Name}})
			}
			for _, ch := range c.Changes {
				out.Changes = append(out.Changes, diffChange{Where: cw, Change: ch})
			}
		}
		for _, c := range t.Quality {
			out.Changes = append(out.Changes, diffChange{Where: where, Change: c})
		}
	}
	for _, c := range d.SLA {
		out.Changes = append(out.Changes, diffChange{Where: "SLA", Change: c})
	}
	_, a, err := contractDocument(v, id, from)
	if err != nil {
		return out, err
	}
	_, b, err := contractDocument(v, id, to)
	if err != nil {
		return out, err
	}
	out.Lines, out.TooLarge = lineDiff(splitLines(toYAML(a)), splitLines(toYAML(b)))
	out.Identical = len(out.Changes) == 0 && !out.TooLarge && !hasChanges(out.Lines)
	return out, nil
}

// toYAML renders a stored (JSON) document as block YAML, keys in document order.
func toYAML(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var n yaml.Node
	if err := yaml.Unmarshal(raw, &n); err != nil {
		return string(raw)
	}
	blockStyle(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return string(raw)
	}
	_ = enc.Close()
	return buf.String()
}

// blockStyle drops the flow style JSON parses into, so YAML comes out as blocks.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = 0
	}
	if n.Kind == yaml.ScalarNode && n.Style == yaml.DoubleQuotedStyle && n.Tag == "!!str" {
		n.Style = 0 // the encoder quotes again what needs it
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// diffLine is a line of a line diff: Op is " " (both), "-" (from only),
// "+" (to only) or "…" (unchanged lines left out; Text says how many).
type diffLine struct {
	Op, Text string
}

// Class is the line's CSS class.
func (l diffLine) Class() string {
	switch l.Op {
	case "+":
		return "add"
	case "-":
		return "del"
	case "…":
		return "skip"
	}
	return "same"
}

func hasChanges(ls []diffLine) bool {
	for _, l := range ls {
		if l.Op == "+" || l.Op == "-" {
			return true
		}
	}
	return false
}

// maxDiffCells bounds the LCS table of a line diff.
const maxDiffCells = 1 << 20

// diffContext is how many unchanged lines are kept around a change.
const diffContext = 3

// lineDiff compares a and b line by line (longest common subsequence),
// keeping diffContext unchanged lines around each change. tooLarge: the
// differing middle is too large to compare, and the lines are not given.
func lineDiff(a, b []string) (out []diffLine, tooLarge bool) {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if (len(ma)+1)*(len(mb)+1) > maxDiffCells {
		return nil, true
	}
	var all []diffLine
	for _, l := range a[:pre] {
		all = append(all, diffLine{" ", l})
	}
	// lcs[i][j]: the LCS length of ma[i:] and mb[j:]
	n, m := len(ma), len(mb)
	lcs := make([]int32, (n+1)*(m+1))
	at := func(i, j int) int32 { return lcs[i*(m+1)+j] }
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if ma[i] == mb[j] {
				lcs[i*(m+1)+j] = at(i+1, j+1) + 1
			} else {
				lcs[i*(m+1)+j] = max(at(i+1, j), at(i, j+1))
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case ma[i] == mb[j]:
			all = append(all, diffLine{" ", ma[i]})
			i++
			j++
		case at(i+1, j) >= at(i, j+1):
			all = append(all, diffLine{"-", ma[i]})
			i++
		default:
			all = append(all, diffLine{"+", mb[j]})
			j++
		}
	}
	for ; i < n; i++ {
		all = append(all, diffLine{"-", ma[i]})
	}
	for ; j < m; j++ {
		all = append(all, diffLine{"+", mb[j]})
	}
	for _, l := range a[len(a)-suf:] {
		all = append(all, diffLine{" ", l})
	}
	// keep the context around changes
	keep := make([]bool, len(all))
	for k, l := range all {
		if l.Op != " " {
			for c := max(0, k-diffContext); c <= min(len(all)-1, k+diffContext); c++ {
				keep[c] = true
			}
		}
	}
	for k := 0; k < len(all); {
		if keep[k] {
			out = append(out, all[k])
			k++
			continue
		}
		e := k
		for e < len(all) && !keep[e] {
			e++
		}
		out = append(out, diffLine{"…", fmt.Sprintf("%d unchanged line%s", e-k, svgPlural(e-k))})
		k = e
	}
	return out, false
}
