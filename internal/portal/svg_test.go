package portal

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/usage"
)

// svgTokens parses s as XML and returns its start elements, failing the
// test when it is not well-formed.
func svgTokens(tb testing.TB, s string) []xml.StartElement {
	tb.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	var out []xml.StartElement
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			tb.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
		if se, ok := tok.(xml.StartElement); ok {
			out = append(out, se)
		}
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestXMLText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{`<script>"a" & 'b'</script>`, "&lt;script&gt;&#34;a&#34; &amp; &#39;b&#39;&lt;/script&gt;"},
		{"tab\tnew\nline", "tab new line"},
		{"nul\x00bell\x07del\x7f", "nulbelldel"},
		{"bad \xff utf8", "bad  utf8"},
		{"é ü 日本 🙂", "é ü 日本 🙂"},
		{"\ufffe\uffff", ""},
	} {
		if got := xmlText(tc.in); got != tc.want {
			t.Errorf("xmlText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLineageGraph(t *testing.T) {
	nodes := []httpapi.LineageNode{
		{Direction: "upstream", Hops: 1, Domain: "geo", Product: "places", Table: "countries", Source: "inputPorts"},
		{Direction: "upstream", Hops: 1, Domain: "geo", Product: "places", Table: "regions", Source: "inputPorts"},
		{Direction: "upstream", Hops: 2, Dataset: "postgres://crm/public.vendors", Source: "openlineage"},
		{Direction: "downstream", Hops: 1, Domain: "finance", Product: "report"},
		{Direction: "downstream", Hops: 1, Domain: "ops", Product: "a b/c"},
		{Direction: "sideways", Hops: 1, Domain: "x", Product: "y"},
	}
	svg := string(lineageGraph("market", "stalls", nodes))
	els := svgTokens(t, svg)
	if els[0].Name.Local != "svg" || attr(els[0], "id") != "lineage-graph" {
		t.Fatalf("root = %v, want svg#lineage-graph", els[0])
	}
	type box struct{ class, href, x string }
	var boxes []box
	var edges []string
	for i, se := range els {
		cls := attr(se, "class")
		switch {
		case strings.HasPrefix(cls, "node"):
			b := box{class: cls, href: attr(se, "href")}
			for _, r := range els[i+1:] {
				if r.Name.Local == "rect" {
					b.x = attr(r, "x")
					break
				}
			}
			boxes = append(boxes, b)
		case cls == "edge" || strings.HasPrefix(cls, "edge "):
			edges = append(edges, attr(se, "data-from")+">"+attr(se, "data-to")+" "+cls)
		}
	}
	want := []box{
		{"node center", "/products/market/stalls", "266"},
		{"node external", "", "16"},
		{"node upstream", "/products/geo/places", "266"},
		{"node downstream", "/products/finance/report", "516"},
		{"node downstream", "/products/ops/a%20b%2Fc", "516"},
	}
	// columns: upstream 2 hops, upstream 1 hop, the product, downstream
	want[0].x, want[2].x, want[3].x, want[4].x = "516", "266", "766", "766"
	if len(boxes) != len(want) {
		t.Fatalf("boxes = %+v, want %+v", boxes, want)
	}
	for i := range want {
		if boxes[i] != want[i] {
			t.Errorf("box %d = %+v, want %+v", i, boxes[i], want[i])
		}
	}
	wantEdges := []string{"n1>n2 edge inferred", "n2>n0 edge", "n0>n3 edge", "n0>n4 edge"}
	if strings.Join(edges, "|") != strings.Join(wantEdges, "|") {
		t.Errorf("edges = %q, want %q", edges, wantEdges)
	}
	for _, s := range []string{"countries, regions", "outside the mesh", "<title id=\"lineage-title\">Lineage of market.stalls</title>", `aria-current="page"`} {
		if !strings.Contains(svg, s) {
			t.Errorf("the graph lacks %q", s)
		}
	}
	if strings.Contains(svg, "x.y") {
		t.Error("a node of an unknown direction is drawn")
	}
}

func TestLineageGraphEmpty(t *testing.T) {
	els := svgTokens(t, string(lineageGraph("a", "b", nil)))
	n := 0
	for _, se := range els {
		if strings.HasPrefix(attr(se, "class"), "node") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d nodes without lineage, want the product alone", n)
	}
}

func TestQualityChart(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v := 1.0
	runs := []httpapi.PageRun{ // newest first
		{Time: t0.Add(2 * time.Hour), Status: "committed", Rules: []httpapi.PageRule{{Verdict: "pass"}, {Verdict: "pass"}}},
		{Time: t0.Add(time.Hour), Status: "gate_failed", Rules: []httpapi.PageRule{{Verdict: "pass"}, {Name: "neg", Verdict: "fail", Value: &v}}},
		{Time: t0, Status: "committed"},
	}
	svg := string(qualityChart("q", "vendors <b>", runs))
	els := svgTokens(t, svg)
	var classes, heights []string
	for i, se := range els {
		if strings.HasPrefix(attr(se, "class"), "run") {
			classes = append(classes, attr(se, "class"))
			for _, r := range els[i+1:] {
				if r.Name.Local == "rect" {
					heights = append(heights, attr(r, "height"))
					break
				}
			}
		}
	}
	if got, want := strings.Join(classes, ","), "run pass,run fail,run pass"; got != want {
		t.Errorf("bars = %s, want %s (oldest first)", got, want)
	}
	if got, want := strings.Join(heights, ","), "120,60,120"; got != want {
		t.Errorf("bar heights = %s, want %s", got, want)
	}
	for _, s := range []string{"Quality history of vendors &lt;b&gt;", "3 publish runs", "1 did not commit", "1 of 2 rules passed"} {
		if !strings.Contains(svg, s) {
			t.Errorf("the chart lacks %q", s)
		}
	}
	svgTokens(t, string(qualityChart("empty", "t", nil)))
}

func TestUsageChart(t *testing.T) {
	svg := string(usageChart("u", []usage.Day{{Day: "2026-03-01", Queries: 4, Consumers: 2}, {Day: "2026-03-02"}}))
	svgTokens(t, svg)
	if !strings.Contains(svg, "4 in all") || strings.Count(svg, `class="day"`) != 2 {
		t.Errorf("usage chart:\n%s", svg)
	}
}

func TestLineDiff(t *testing.T) {
	a := strings.Split("a b c d e f g h i j k", " ")
	b := strings.Split("a b c d X f g h i j k l", " ")
	got, tooLarge := lineDiff(a, b)
	var s []string
	for _, l := range got {
		s = append(s, l.Op+l.Text)
	}
	want := "…1 unchanged line| b| c| d|-e|+X| f| g| h| i| j| k|+l"
	if tooLarge || strings.Join(s, "|") != want {
		t.Errorf("lineDiff = %q (too large %v), want %q", strings.Join(s, "|"), tooLarge, want)
	}
	if got, _ := lineDiff(a, a); hasChanges(got) {
		t.Errorf("lineDiff(a, a) has changes: %v", got)
	}
	big := make([]string, 3000)
	other := make([]string, 3000)
	for i := range big {
		big[i], other[i] = "x"+svgItoa(i), "y"+svgItoa(i)
	}
	if _, tooLarge := lineDiff(big, other); !tooLarge {
		t.Error("a 3000×3000 line diff is not refused")
	}
}

func TestToYAML(t *testing.T) {
	got := toYAML([]byte(`{"id":"c","schema":[{"name":"t","properties":[{"name":"<x>"}]}],"version":"1.0.0"}`))
	want := "id: c\nschema:\n  - name: t\n    properties:\n      - name: <x>\nversion: 1.0.0\n"
	if got != want {
		t.Errorf("toYAML =\n%s\nwant\n%s", got, want)
	}
}

func TestRuleText(t *testing.T) {
	for _, tc := range []struct {
		in   map[string]any
		want string
	}{
		{map[string]any{"metric": "rowCount", "mustBeGreaterThan": 0.0, "severity": "error"}, "rowCount mustBeGreaterThan 0 (error)"},
		{map[string]any{"type": "sql", "name": "neg", "query": "SELECT\n  1", "mustBe": 0.0}, "neg: sql: SELECT 1 mustBe 0"},
		{map[string]any{"metric": "nullValues", "mustBeBetween": []any{0.0, 5.0}, "unit": "percent"}, "nullValues mustBeBetween [0,5] percent"},
	} {
		if got := ruleText(tc.in); got != tc.want {
			t.Errorf("ruleText(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzLineageGraph: whatever the names, the graph is well-formed XML whose
// only links are product pages.
func FuzzLineageGraph(f *testing.F) {
	f.Add("market", "stalls", "upstream", 1, "geo", "places", "countries", "")
	f.Add("a", "b", "downstream", 3, "", "", "", "s3://x/<y>&\"z\"")
	f.Add("<script>", "x\x00y", "upstream", -4, "]]>", "\xff\xfe", "</svg>", "\ufffe")
	f.Fuzz(func(t *testing.T, domain, product, dir string, hops int, nd, np, nt, dataset string) {
		nodes := []httpapi.LineageNode{
			{Direction: dir, Hops: hops, Domain: nd, Product: np, Table: nt, Dataset: dataset},
			{Direction: "upstream", Hops: hops + 1, Domain: np, Product: nd, Dataset: dataset},
			{Direction: "downstream", Hops: 1, Domain: nd, Product: nt, Source: dataset},
		}
		for _, se := range svgTokens(t, string(lineageGraph(domain, product, nodes))) {
			if n := se.Name.Local; n == "script" || n == "foreignObject" || n == "iframe" {
				t.Fatalf("the graph holds a %s element", n)
			}
			if h := attr(se, "href"); h != "" && !strings.HasPrefix(h, "/products/") {
				t.Fatalf("a link to %q", h)
			}
			for _, a := range se.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					t.Fatalf("an event handler attribute %s", a.Name.Local)
				}
			}
		}
	})
}

// FuzzQualityChart: whatever the table name, statuses and rule names, the
// chart is well-formed XML.
func FuzzQualityChart(f *testing.F) {
	f.Add("vendors", "committed", "rule", "pass", int64(3))
	f.Add("<b>", "gate_failed", "x\x00", "fail", int64(-1))
	f.Fuzz(func(t *testing.T, table, status, rule, verdict string, rows int64) {
		runs := []httpapi.PageRun{{Status: status, RowsRead: rows, Rules: []httpapi.PageRule{{Name: rule, Verdict: verdict}}},
			{Status: rule, Time: time.Unix(rows, 0)}}
		for _, se := range svgTokens(t, string(qualityChart(table, table, runs))) {
			if se.Name.Local == "script" {
				t.Fatal("the chart holds a script element")
			}
		}
	})
}
