package portal

import (
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/usage"
)

// The product page's charts and its lineage graph are inline SVG built here
// on the server, so they work without scripts. Every text node and every
// attribute value goes through xmlText, which drops what XML cannot hold and
// escapes the rest: the markup is ours, the strings never are. That is why
// the result may be a template.HTML.

// svgWriter writes SVG markup.
type svgWriter struct{ b strings.Builder }

// xmlText makes s safe as XML character data or a quoted attribute value:
// invalid UTF-8 and characters XML forbids are dropped, markup is escaped.
func xmlText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				continue // invalid byte
			}
		}
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&#34;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF, r >= 0x7F && r <= 0x9F:
			// not an XML character (or a control one): dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// open writes a start tag; attrs are name, value pairs whose names are
// constants of this file and whose values are escaped.
func (w *svgWriter) open(tag string, attrs ...string) { w.start(tag, false, attrs) }

// empty writes a self-closed element.
func (w *svgWriter) empty(tag string, attrs ...string) { w.start(tag, true, attrs) }

func (w *svgWriter) start(tag string, selfClose bool, attrs []string) {
	w.b.WriteByte('<')
	w.b.WriteString(tag)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		w.b.WriteString(xmlText(attrs[i+1]))
		w.b.WriteByte('"')
	}
	if selfClose {
		w.b.WriteString("/>")
		return
	}
	w.b.WriteByte('>')
}

func (w *svgWriter) close(tag string) {
	w.b.WriteString("</")
	w.b.WriteString(tag)
	w.b.WriteByte('>')
}

// elem writes an element holding text.
func (w *svgWriter) elem(tag, text string, attrs ...string) {
	w.open(tag, attrs...)
	w.b.WriteString(xmlText(text))
	w.close(tag)
}

func (w *svgWriter) html() template.HTML { return template.HTML(w.b.String()) } //nolint:gosec // every string is escaped by xmlText

func svgNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
func svgItoa(n int) string    { return strconv.Itoa(n) }

// clip shortens s to at most n runes, marking the cut.
func svgClip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// productHref is the portal address of a product's page.
func productHref(domain, product string) string {
	return "/products/" + url.PathEscape(domain) + "/" + url.PathEscape(product)
}

// runClass is the badge class of a publish run's status.
func runClass(status string) string {
	switch {
	case status == "committed":
		return "pass"
	case strings.Contains(status, "fail"), status == "error":
		return "fail"
	}
	return "warn"
}

// rulesPassed counts a run's rules that passed.
func rulesPassed(r httpapi.PageRun) (passed, total int) {
	for _, x := range r.Rules {
		if x.Verdict == "pass" {
			passed++
		}
	}
	return passed, len(r.Rules)
}

// Sizes of the quality chart.
const (
	qcHeight = 160
	qcTop    = 12
	qcBottom = 28
	qcLeft   = 44
	qcBar    = 18
	qcGap    = 8
)

// qualityChart draws a table's publish runs, oldest on the left: one bar per
// run, as tall as the share of its rules that passed and coloured by how the
// run ended. runs are newest first, as the API gives them.
func qualityChart(id, table string, runs []httpapi.PageRun) template.HTML {
	var w svgWriter
	n := len(runs)
	width := qcLeft + max(n, 1)*(qcBar+qcGap) + qcGap
	width = max(width, 240)
	plot := float64(qcHeight - qcTop - qcBottom)
	failed := 0
	for _, r := range runs {
		if runClass(r.Status) == "fail" {
			failed++
		}
	}
	w.open("svg", "xmlns", "http://www.w3.org/2000/svg", "class", "chart quality-chart", "id", id,
		"viewBox", fmt.Sprintf("0 0 %d %d", width, qcHeight), "width", svgItoa(width), "height", svgItoa(qcHeight),
		"role", "img", "aria-labelledby", id+"-title "+id+"-desc")
	w.elem("title", "Quality history of "+table, "id", id+"-title")
	w.elem("desc", fmt.Sprintf("%d publish runs, oldest on the left; %d did not commit. "+
		"Each bar is as tall as the share of rules that passed.", n, failed), "id", id+"-desc")
	// axis and gridlines at 0, 50 and 100 %
	for _, pct := range []int{0, 50, 100} {
		y := float64(qcTop) + plot*(1-float64(pct)/100)
		w.empty("line", "class", "grid", "x1", svgItoa(qcLeft-4), "x2", svgItoa(width), "y1", svgNum(y), "y2", svgNum(y))
		w.elem("text", svgItoa(pct)+"%", "class", "axis", "x", svgItoa(qcLeft-8), "y", svgNum(y+4), "text-anchor", "end")
	}
	if n == 0 {
		w.elem("text", "No publish runs yet", "class", "axis", "x", svgItoa(qcLeft+8), "y", svgItoa(qcHeight/2))
	}
	for i := range runs {
		r := runs[n-1-i] // oldest first
		passed, total := rulesPassed(r)
		share := 1.0
		if total > 0 {
			share = float64(passed) / float64(total)
		}
		h := max(plot*share, 3) // a run with every rule failed still shows
		x := qcLeft + qcGap + i*(qcBar+qcGap)
		w.open("g", "class", "run "+runClass(r.Status))
		w.elem("title", fmt.Sprintf("%s: %s, %d of %d rules passed, %d rows read, %d rejected",
			r.Time.UTC().Format("2006-01-02 15:04 UTC"), r.Status, passed, total, r.RowsRead, r.RowsFailed))
		w.empty("rect", "x", svgItoa(x), "y", svgNum(float64(qcTop)+plot-h), "width", svgItoa(qcBar), "height", svgNum(h), "rx", "2")
		w.close("g")
	}
	if n > 0 {
		y := svgItoa(qcHeight - 8)
		w.elem("text", runs[n-1].Time.UTC().Format("Jan 2"), "class", "axis", "x", svgItoa(qcLeft+qcGap), "y", y)
		if n > 1 {
			w.elem("text", runs[0].Time.UTC().Format("Jan 2"), "class", "axis", "x", svgItoa(width-qcGap), "y", y, "text-anchor", "end")
		}
	}
	w.close("svg")
	return w.html()
}

// usageChart draws queries per day as small bars.
func usageChart(id string, days []usage.Day) template.HTML {
	var w svgWriter
	const height, bar = 48, 6
	width := max(len(days)*(bar+2), 60)
	var top int64 = 1
	var total int64
	for _, d := range days {
		top = max(top, d.Queries)
		total += d.Queries
	}
	w.open("svg", "xmlns", "http://www.w3.org/2000/svg", "class", "chart usage-chart", "id", id,
		"viewBox", fmt.Sprintf("0 0 %d %d", width, height), "width", svgItoa(width), "height", svgItoa(height),
		"role", "img", "aria-labelledby", id+"-title")
	w.elem("title", fmt.Sprintf("Queries per day over %d days: %d in all, at most %d in a day", len(days), total, top), "id", id+"-title")
	w.empty("line", "class", "grid", "x1", "0", "x2", svgItoa(width), "y1", svgItoa(height-1), "y2", svgItoa(height-1))
	for i, d := range days {
		h := float64(height-2) * float64(d.Queries) / float64(top)
		if d.Queries > 0 {
			h = max(h, 2)
		}
		w.open("rect", "class", "day", "x", svgItoa(i*(bar+2)), "y", svgNum(float64(height-1)-h), "width", svgItoa(bar), "height", svgNum(h))
		w.elem("title", fmt.Sprintf("%s: %d queries by %d consumers", d.Day, d.Queries, d.Consumers))
		w.close("rect")
	}
	w.close("svg")
	return w.html()
}

// lineageBox is one box of the lineage graph: a product (or a dataset
// outside the mesh) at some distance from the product shown.
type lineageBox struct {
	Key       string // "n0"...; the centre is "n0"
	Col       int    // -hops upstream, 0 the product, +hops downstream
	Domain    string
	Product   string
	Dataset   string
	Tables    []string
	Sources   []string
	Href      string // "" for a dataset outside the mesh
	Label     string
	Direction string
	Hops      int
	x, y      int
}

// lineageEdge joins two boxes; Inferred edges join a box two or more hops
// away to every box one hop closer, as the page says only how far a
// neighbour is, not through which.
type lineageEdge struct {
	From, To *lineageBox
	Inferred bool
}

// maxHops bounds the columns the graph draws each way.
const maxHops = 6

// lineageBoxes groups a product's lineage neighbours into boxes, one per
// product (or dataset) per direction and distance, in a stable order. The
// first box is the product itself.
func lineageBoxes(domain, product string, nodes []httpapi.LineageNode) []*lineageBox {
	center := &lineageBox{Key: "n0", Domain: domain, Product: product, Href: productHref(domain, product),
		Label: domain + "." + product}
	out := []*lineageBox{center}
	byKey := map[string]*lineageBox{}
	for _, n := range nodes {
		var col int
		switch n.Direction {
		case "upstream":
			col = -1
		case "downstream":
			col = 1
		default:
			continue
		}
		hops := min(max(n.Hops, 1), maxHops)
		col *= hops
		name := n.Dataset
		if n.Domain != "" || n.Product != "" {
			name = n.Domain + "." + n.Product
		}
		k := strconv.Itoa(col) + "\x00" + n.Domain + "\x00" + n.Product + "\x00" + n.Dataset
		b := byKey[k]
		if b == nil {
			b = &lineageBox{Col: col, Domain: n.Domain, Product: n.Product, Dataset: n.Dataset, Label: name,
				Direction: n.Direction, Hops: hops}
			if n.Domain != "" && n.Product != "" {
				b.Href = productHref(n.Domain, n.Product)
			}
			byKey[k] = b
			out = append(out, b)
		}
		if n.Table != "" && !svgContains(b.Tables, n.Table) {
			b.Tables = append(b.Tables, n.Table)
		}
		if n.Source != "" && !svgContains(b.Sources, n.Source) {
			b.Sources = append(b.Sources, n.Source)
		}
	}
	rest := out[1:]
	sort.SliceStable(rest, func(i, j int) bool {
		if rest[i].Col != rest[j].Col {
			return rest[i].Col < rest[j].Col
		}
		return rest[i].Label < rest[j].Label
	})
	for i, b := range out {
		b.Key = "n" + strconv.Itoa(i)
	}
	return out
}

func svgContains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// lineageEdges joins each box to the boxes one hop closer to the product.
func lineageEdges(boxes []*lineageBox) []lineageEdge {
	byCol := map[int][]*lineageBox{}
	for _, b := range boxes {
		byCol[b.Col] = append(byCol[b.Col], b)
	}
	var out []lineageEdge
	for _, b := range boxes[1:] {
		step := 1
		if b.Col > 0 {
			step = -1
		}
		closer := byCol[b.Col+step]
		inferred := b.Col+step != 0
		if len(closer) == 0 { // a gap: join to the product
			closer, inferred = boxes[:1], true
		}
		for _, c := range closer {
			if b.Col < 0 {
				out = append(out, lineageEdge{From: b, To: c, Inferred: inferred})
			} else {
				out = append(out, lineageEdge{From: c, To: b, Inferred: inferred})
			}
		}
	}
	return out
}

// Sizes of the lineage graph.
const (
	lgBoxW = 190
	lgBoxH = 46
	lgColW = 250
	lgRowH = 62
	lgPad  = 16
)

// lineageGraph draws a product's lineage: upstream on the left by distance,
// the product in the middle, downstream on the right. Each product is a
// link to its page.
func lineageGraph(domain, product string, nodes []httpapi.LineageNode) template.HTML {
	boxes := lineageBoxes(domain, product, nodes)
	edges := lineageEdges(boxes)
	minCol, maxCol, rows := 0, 0, map[int]int{}
	for _, b := range boxes {
		minCol, maxCol = min(minCol, b.Col), max(maxCol, b.Col)
		rows[b.Col]++
	}
	tallest := 1
	for _, n := range rows {
		tallest = max(tallest, n)
	}
	width := (maxCol-minCol)*lgColW + lgBoxW + 2*lgPad
	height := tallest*lgRowH - (lgRowH - lgBoxH) + 2*lgPad
	placed := map[int]int{}
	for _, b := range boxes {
		i := placed[b.Col]
		placed[b.Col]++
		colH := rows[b.Col]*lgRowH - (lgRowH - lgBoxH)
		b.x = lgPad + (b.Col-minCol)*lgColW
		b.y = lgPad + (height-2*lgPad-colH)/2 + i*lgRowH
	}
	up, down := 0, 0
	for _, b := range boxes[1:] {
		if b.Col < 0 {
			up++
		} else {
			down++
		}
	}
	var w svgWriter
	w.open("svg", "xmlns", "http://www.w3.org/2000/svg", "id", "lineage-graph", "class", "lineage",
		"viewBox", fmt.Sprintf("0 0 %d %d", width, height), "width", svgItoa(width), "height", svgItoa(height),
		"aria-labelledby", "lineage-title lineage-desc")
	w.elem("title", "Lineage of "+domain+"."+product, "id", "lineage-title")
	w.elem("desc", fmt.Sprintf("%d upstream and %d downstream neighbours. Upstream on the left, "+
		"downstream on the right; each product links to its page. Dashed lines are inferred from the distance.", up, down),
		"id", "lineage-desc")
	w.open("defs")
	w.open("marker", "id", "lineage-arrow", "viewBox", "0 0 10 10", "refX", "10", "refY", "5",
		"markerWidth", "7", "markerHeight", "7", "orient", "auto-start-reverse")
	w.empty("path", "class", "arrow", "d", "M 0 0 L 10 5 L 0 10 z")
	w.close("marker")
	w.close("defs")
	w.open("g", "class", "edges")
	for _, e := range edges {
		x1, y1 := e.From.x+lgBoxW, e.From.y+lgBoxH/2
		x2, y2 := e.To.x, e.To.y+lgBoxH/2
		mx := (x1 + x2) / 2
		cls := "edge"
		if e.Inferred {
			cls += " inferred"
		}
		w.empty("path", "class", cls, "data-from", e.From.Key, "data-to", e.To.Key, "marker-end", "url(#lineage-arrow)",
			"d", fmt.Sprintf("M %d %d C %d %d, %d %d, %d %d", x1, y1, mx, y1, mx, y2, x2, y2))
	}
	w.close("g")
	for _, b := range boxes {
		cls := "node"
		switch {
		case b.Col == 0:
			cls += " center"
		case b.Href == "":
			cls += " external"
		default:
			cls += " " + b.Direction
		}
		sub := strings.Join(b.Tables, ", ")
		switch {
		case b.Col == 0:
			sub = "this product"
		case b.Href == "":
			sub = "outside the mesh"
		case sub == "":
			sub = fmt.Sprintf("%s, %d hop%s", b.Direction, b.Hops, svgPlural(b.Hops))
		}
		title := b.Label
		if b.Col != 0 {
			title = fmt.Sprintf("%s: %s, %d hop%s", b.Label, b.Direction, b.Hops, svgPlural(b.Hops))
			if len(b.Tables) > 0 {
				title += "; tables " + strings.Join(b.Tables, ", ")
			}
			if len(b.Sources) > 0 {
				title += "; known from " + strings.Join(b.Sources, ", ")
			}
		}
		if b.Href != "" {
			attrs := []string{"class", cls, "href", b.Href, "data-key", b.Key, "aria-label", title}
			if b.Col == 0 {
				attrs = append(attrs, "aria-current", "page")
			}
			w.open("a", attrs...)
		} else {
			w.open("g", "class", cls, "data-key", b.Key)
		}
		w.elem("title", title)
		w.empty("rect", "x", svgItoa(b.x), "y", svgItoa(b.y), "width", svgItoa(lgBoxW), "height", svgItoa(lgBoxH), "rx", "6")
		w.elem("text", svgClip(b.Label, 26), "class", "label", "x", svgItoa(b.x+10), "y", svgItoa(b.y+19))
		w.elem("text", svgClip(sub, 30), "class", "sub", "x", svgItoa(b.x+10), "y", svgItoa(b.y+36))
		if b.Href != "" {
			w.close("a")
		} else {
			w.close("g")
		}
	}
	w.close("svg")
	return w.html()
}

func svgPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
