package search

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/spec"
)

// Limits on paging.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	MaxOffset    = 10_000
)

// weights are the bm25 weights of the FTS5 columns, in their order: a
// match in a name counts most, in a description least.
const weights = "10.0, 6.0, 5.0, 3.0, 1.0"

// fieldNames names the FTS5 columns in results' Matched.
var fieldNames = [...]string{"name", "path", "businessName", "meta", "description"}

// Query is one search: text, filters and a page.
type Query struct {
	Text           string
	Domain         string
	Tag            string
	Classification string
	Status         string
	Kind           string
	Limit          int // 0: DefaultLimit
	Offset         int
}

// Hit is one result.
type Hit struct {
	Kind         string   `json:"kind"`
	Address      string   `json:"address"` // domain.product[.table[.column]]
	Domain       string   `json:"domain"`
	Product      string   `json:"product"`
	Table        string   `json:"table,omitempty"`
	Column       string   `json:"column,omitempty"`
	Name         string   `json:"name"`
	BusinessName string   `json:"businessName,omitempty"`
	Description  string   `json:"description,omitempty"` // clipped
	Score        float64  `json:"score"`                 // bm25 relevance, higher is better; 0 when browsing
	Matched      []string `json:"matched"`               // the fields the text matched in
	Snippet      string   `json:"snippet,omitempty"`     // the best matching passage, matches in **bold**
	// Readable says whether the searcher may read the hit's product; a
	// product it may only discover is found all the same, so that it can
	// ask for access.
	Readable bool `json:"readable"`
}

// Results is a page of hits and how many there are in all.
type Results struct {
	Query   string `json:"query"`
	Total   int    `json:"total"`
	Results []Hit  `json:"results"`
}

// check validates q's filters and page, filling in the default limit.
func (q *Query) check() error {
	const op = "search.Search"
	if q.Domain != "" {
		if !spec.ValidName(q.Domain) {
			return errs.E(errs.Invalid, op, "domain %q is not a domain name (lower-case letters, digits and underscores)", clip(q.Domain, 64))
		}
	}
	switch q.Kind {
	case "", KindProduct, KindTable, KindColumn:
	default:
		return errs.E(errs.Invalid, op, "kind %q is not product, table or column", clip(q.Kind, 64))
	}
	for _, f := range []struct{ name, v string }{{"tag", q.Tag}, {"classification", q.Classification}, {"status", q.Status}} {
		if len(f.v) > 128 || !utf8.ValidString(f.v) || strings.IndexFunc(f.v, unicode.IsControl) >= 0 {
			return errs.E(errs.Invalid, op, "%s must be at most 128 bytes of text without control characters", f.name)
		}
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 0 || q.Limit > MaxLimit:
		return errs.E(errs.Invalid, op, "limit %d is out of range: give 1 to %d", q.Limit, MaxLimit)
	}
	if q.Offset < 0 || q.Offset > MaxOffset {
		return errs.E(errs.Invalid, op, "offset %d is out of range: give 0 to %d", q.Offset, MaxOffset)
	}
	return nil
}

func (q *Query) filtered() bool {
	return q.Domain != "" || q.Tag != "" || q.Classification != "" || q.Status != "" || q.Kind != ""
}

// Search runs q for who: only documents of products who may discover are
// counted and returned, each saying whether who may also read it. Empty
// text with a filter browses what the filters select, in address order.
func (x *Index) Search(ctx context.Context, who access.Principal, q Query) (*Results, error) {
	const op = "search.Search"
	if err := q.check(); err != nil {
		return nil, err
	}
	terms, err := Parse(q.Text)
	if err != nil {
		return nil, err
	}
	if len(terms) == 0 && !q.filtered() {
		if strings.TrimSpace(q.Text) == "" {
			return nil, errs.E(errs.Invalid, op, "q is empty: give words to search for, or a filter (domain, tag, classification, status, kind) to browse")
		}
		return nil, errs.E(errs.Invalid, op, "q has no words to search for (only punctuation): give letters or digits, or a filter to browse")
	}
	out := &Results{Query: q.Text, Results: []Hit{}}
	vis, ok, err := x.visibility(ctx, who, q.Domain)
	if err != nil || !ok {
		return out, err // nothing visible: no hits, and no query
	}
	cond, args := filters(&q, vis, len(terms) > 0)
	if len(terms) == 0 {
		err = x.browse(ctx, &q, cond, args, out)
	} else {
		err = x.searchText(ctx, &q, terms, cond, args, out)
	}
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "search")
	}
	if err := x.markReadable(ctx, who, out.Results); err != nil {
		return nil, err
	}
	return out, nil
}

// markReadable sets Readable on the hits whose product who may read.
func (x *Index) markReadable(ctx context.Context, who access.Principal, hits []Hit) error {
	all, scopes, err := x.access.Scopes(ctx, who, access.ActionRead)
	if err != nil {
		return err
	}
	for i := range hits {
		h := &hits[i]
		h.Readable = all
		for _, s := range scopes {
			if s.Domain == h.Domain && (s.Product == "" || s.Product == h.Product) {
				h.Readable = true
				break
			}
		}
	}
	return nil
}

// filters returns the SQL condition over mesh_search_docs d for q's
// filters and the visibility check ("" for none), with its arguments.
func filters(q *Query, vis visible, text bool) (string, []any) {
	var where []string
	var args []any
	for _, f := range []struct{ col, v string }{{"d.domain", q.Domain}, {"d.kind", q.Kind}, {"d.status", strings.ToLower(q.Status)}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	for _, f := range []struct{ attr, col, v string }{{"tag", "d.tags", q.Tag}, {"class", "d.classes", q.Classification}} {
		v := strings.ToLower(strings.TrimSpace(f.v))
		if v == "" {
			continue
		}
		// With text, FTS drives and each hit's row, already read, is
		// checked; browsing, the attribute's documents drive.
		if text && !strings.Contains(v, "|") {
			where = append(where, "instr("+f.col+", ?) > 0")
			args = append(args, "|"+v+"|")
			continue
		}
		where = append(where, "d.id IN (SELECT doc FROM mesh_search_attrs WHERE attr = '"+f.attr+"' AND value = ?)")
		args = append(args, v)
	}
	if vis.sql != "" {
		where = append(where, vis.sql)
		args = append(args, vis.args...)
	}
	return strings.Join(where, " AND "), args
}

// browse lists what the filters select, in address order.
func (x *Index) browse(ctx context.Context, q *Query, cond string, args []any, out *Results) error {
	if cond == "" {
		cond = "1"
	}
	rows, err := x.rdb.QueryContext(ctx, `SELECT id, count(*) OVER () FROM mesh_search_docs d WHERE `+cond+`
		ORDER BY kind_rank, domain, product, tbl, col LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return err
	}
	var page []ranked
	for rows.Next() {
		var r ranked
		if err := rows.Scan(&r.id, &out.Total); err != nil {
			rows.Close()
			return err
		}
		page = append(page, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(page) == 0 && q.Offset > 0 {
		// Past the end: no row carried the total.
		if err := x.rdb.QueryRowContext(ctx, `SELECT count(*) FROM mesh_search_docs d WHERE `+cond, args...).Scan(&out.Total); err != nil {
			return err
		}
	}
	return x.fill(ctx, page, out)
}

// ranked is a hit before its details are read.
type ranked struct {
	id    int64
	score float64
}

// searchText finds the documents that have every term, best first: those
// whose own name equals a term, then those with a term in their own name,
// then the rest; by bm25 with column weights within each, and product
// before table before column at equal score.
//
// With many hits the tiers are separate MATCHes so that bm25, FTS5's
// costly part (it decodes each hit's positions and reads its column
// sizes), runs only on the tiers the page reaches: a common word matches
// tens of thousands of documents, but a page of 20 is nearly always filled
// by name matches. The total is a plain count of the hits, which costs a
// fraction of a ranking.
func (x *Index) searchText(ctx context.Context, q *Query, terms []string, cond string, args []any, out *Results) error {
	all := "(" + Match(terms) + ")"
	if q.Domain != "" {
		// A domain's documents are mostly written together: their rowid
		// range is a necessary condition that FTS5 seeks its doclists with,
		// so that fewer hits are looked up for the exact d.domain = ?. (The
		// domain's name as a phrase in path, tried too, costs FTS5 more in
		// position checks than it saves.)
		var lo, hi sql.NullInt64
		if err := x.rdb.QueryRowContext(ctx, `SELECT (SELECT id FROM mesh_search_docs WHERE domain = ?1 ORDER BY id LIMIT 1),
			(SELECT id FROM mesh_search_docs WHERE domain = ?1 ORDER BY id DESC LIMIT 1)`, q.Domain).Scan(&lo, &hi); err != nil {
			return err
		}
		if !lo.Valid {
			return nil
		}
		rng := "mesh_search_fts.rowid BETWEEN ? AND ?"
		if cond != "" {
			rng += " AND " + cond
		}
		cond, args = rng, append([]any{lo.Int64, hi.Int64}, args...)
	}
	var names []string
	for _, t := range terms {
		names = append(names, `"`+t+`"*`)
	}
	inName := "{name} : (" + strings.Join(names, " OR ") + ")"
	from := "mesh_search_fts"
	where := "mesh_search_fts MATCH ?"
	if cond != "" {
		// CROSS JOIN keeps FTS5 in the outer loop: the other order would run
		// the MATCH once per document.
		from = "mesh_search_fts CROSS JOIN mesh_search_docs d ON d.id = mesh_search_fts.rowid"
		where += " AND " + cond
	}
	if err := x.rdb.QueryRowContext(ctx, `SELECT count(*) FROM `+from+` WHERE `+where, append([]any{all}, args...)...).Scan(&out.Total); err != nil {
		return err
	}
	want := q.Offset + q.Limit
	if out.Total == 0 || q.Offset >= out.Total {
		return nil
	}
	var hits []ranked
	if out.Total <= smallTotal && len(terms) > 1 {
		// Few hits: rank them all in one MATCH, telling the tiers apart by
		// where highlight() finds a term. bm25 weighs each phrase of its
		// expression by reading all its documents first, and the tiers'
		// expressions have every term twice; with a few hundred hits that
		// costs more than highlighting them.
		page, err := x.rank(ctx, all, true, terms, cond, args, want)
		if err != nil {
			return err
		}
		hits = page
	} else {
		tiers := []string{all + " AND " + inName, all + " NOT " + inName}
		if len(terms) == 1 {
			tiers[0] = inName // the same, with half the phrases for bm25 to weigh
		}
		for _, expr := range tiers {
			page, err := x.rank(ctx, expr, false, terms, cond, args, want-len(hits))
			if err != nil {
				return err
			}
			hits = append(hits, page...)
			if len(hits) >= want {
				break
			}
		}
	}
	if q.Offset >= len(hits) {
		return nil
	}
	hits = hits[q.Offset:]
	if err := x.fill(ctx, hits, out); err != nil {
		return err
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	return x.annotate(ctx, Match(terms), ids, out.Results)
}

// smallTotal is the most hits searchText ranks in one MATCH (a variable
// for tests).
var smallTotal = 1000

// rank returns the first n hits of a MATCH expression: exact names first,
// then (byName) those with a term in their own name, then by bm25.
func (x *Index) rank(ctx context.Context, expr string, byName bool, terms []string, cond string, args []any, n int) ([]ranked, error) {
	qargs := make([]any, 0, len(terms)+len(args)+2)
	for _, t := range terms {
		qargs = append(qargs, t)
	}
	qargs = append(qargs, expr)
	qargs = append(qargs, args...)
	qargs = append(qargs, n)
	where := ""
	if cond != "" {
		where = " AND " + cond
	}
	inName := "0"
	if byName {
		inName = "instr(highlight(mesh_search_fts, 0, char(2), char(3)), char(2)) > 0"
	}
	rows, err := x.rdb.QueryContext(ctx, `SELECT d.id, bm25(mesh_search_fts, `+weights+`) AS score,
		d.name IN (`+placeholders(len(terms))+`) AS exact, `+inName+` AS in_name
		FROM mesh_search_fts CROSS JOIN mesh_search_docs d ON d.id = mesh_search_fts.rowid
		WHERE mesh_search_fts MATCH ?`+where+`
		ORDER BY exact DESC, in_name DESC, score, d.kind_rank, d.domain, d.product, d.tbl, d.col LIMIT ?`, qargs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ranked
	for rows.Next() {
		var r ranked
		var exact, inName bool
		if err := rows.Scan(&r.id, &r.score, &exact, &inName); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// fill reads the details of a page of hits into out.Results, in order.
func (x *Index) fill(ctx context.Context, page []ranked, out *Results) error {
	if len(page) == 0 {
		return nil
	}
	args := make([]any, len(page))
	for i, r := range page {
		args[i] = r.id
	}
	rows, err := x.rdb.QueryContext(ctx, `SELECT d.id, d.kind, d.domain, d.product, d.tbl, d.col, f.business, f.description
		FROM mesh_search_docs d JOIN mesh_search_fts f ON f.rowid = d.id WHERE d.id IN (`+placeholders(len(page))+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	byID := map[int64]Hit{}
	for rows.Next() {
		var h Hit
		var id int64
		if err := rows.Scan(&id, &h.Kind, &h.Domain, &h.Product, &h.Table, &h.Column, &h.BusinessName, &h.Description); err != nil {
			return err
		}
		h.Address, h.Name = address(&h)
		h.Description = clip(h.Description, 200)
		h.Matched = []string{}
		byID[id] = h
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range page {
		h, ok := byID[r.id]
		if !ok {
			continue // removed by a sync since it was ranked
		}
		h.Score = math.Round(-r.score*1000) / 1000
		out.Results = append(out.Results, h)
	}
	return nil
}

// annotate fills in which fields each hit matched and its snippet. It runs
// the MATCH again, calling FTS5's auxiliary functions for the page's rows
// only. The unary + keeps the rowids away from FTS5: given "rowid IN
// (...)" it would start the MATCH over once per rowid, and a prefix term's
// start (merging the doclists of every term it expands to) is the costly
// part of a MATCH.
func (x *Index) annotate(ctx context.Context, match string, ids []int64, hits []Hit) error {
	lo, hi := slices.Min(ids), slices.Max(ids)
	args := []any{match, lo, hi}
	for _, id := range ids {
		args = append(args, id)
	}
	// The range FTS5 does use: it seeks its doclists to it, which pays when
	// the page's hits are near each other (a domain's documents are).
	rows, err := x.rdb.QueryContext(ctx, `SELECT rowid, `+highlightCols+`, snippet(mesh_search_fts, 4, '**', '**', '…', 16)
		FROM mesh_search_fts WHERE mesh_search_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	at := map[int64]*Hit{}
	for i, id := range ids {
		at[id] = &hits[i]
	}
	for rows.Next() {
		var id int64
		var f [len(fieldNames)]string
		var snippet string
		if err := rows.Scan(&id, &f[0], &f[1], &f[2], &f[3], &f[4], &snippet); err != nil {
			return err
		}
		h := at[id]
		if h == nil {
			continue
		}
		matched := [len(fieldNames)]bool{}
		for i, text := range f {
			if strings.IndexByte(text, 2) >= 0 {
				matched[i] = true
				h.Matched = append(h.Matched, fieldNames[i])
			}
		}
		// The passage that shows why the hit matched, where the name and
		// address do not already: the description, else the business name,
		// else the tags and owners.
		switch {
		case matched[4]:
			h.Snippet = snippet
		case matched[2]:
			h.Snippet = marked.Replace(f[2])
		case matched[3]:
			h.Snippet = marked.Replace(f[3])
		}
		h.Snippet = clip(strings.Join(strings.Fields(h.Snippet), " "), 300)
	}
	return rows.Err()
}

// marked turns highlight's marks into the snippet's.
var marked = strings.NewReplacer("\x02", "**", "\x03", "**")

// highlightCols marks the matches of each FTS5 column with \x02...\x03.
var highlightCols = func() string {
	var xs []string
	for i := range fieldNames {
		xs = append(xs, fmt.Sprintf("highlight(mesh_search_fts, %d, char(2), char(3))", i))
	}
	return strings.Join(xs, ", ")
}()

// address returns a hit's mesh address and its own name.
func address(h *Hit) (string, string) {
	a := h.Domain + "." + h.Product
	switch {
	case h.Column != "":
		return a + "." + h.Table + "." + h.Column, h.Column
	case h.Table != "":
		return a + "." + h.Table, h.Table
	}
	return a, h.Product
}

// visible is the SQL condition (over mesh_search_docs d) that keeps the
// documents of products a principal may discover.
type visible struct {
	sql  string
	args []any
}

// smallSet is how many names are bound as parameters; a longer list is
// passed as one JSON array (json_each), which SQLite turns into a lookup
// table once per query.
const smallSet = 32

// visibility works out, once per query, what who may discover, narrowed to
// domain when given. ok is false when that is nothing.
func (x *Index) visibility(ctx context.Context, who access.Principal, domain string) (visible, bool, error) {
	all, scopes, err := x.access.Scopes(ctx, who, access.ActionDiscover)
	if err != nil {
		return visible{}, false, err
	}
	if all {
		return visible{}, true, nil
	}
	var domains, products []string
	for _, s := range scopes {
		if domain != "" && s.Domain != domain {
			continue
		}
		if s.Product == "" {
			domains = append(domains, s.Domain)
		} else {
			products = append(products, s.Domain+"."+s.Product)
		}
	}
	var parts []string
	var args []any
	for _, set := range []struct {
		col   string
		names []string
	}{{"d.domain", domains}, {"d.pkey", products}} {
		switch n := len(set.names); {
		case n == 0:
		case n <= smallSet:
			parts = append(parts, set.col+" IN ("+placeholders(n)+")")
			for _, v := range set.names {
				args = append(args, v)
			}
		default:
			b, _ := json.Marshal(set.names)
			parts = append(parts, set.col+" IN (SELECT value FROM json_each(?))")
			args = append(args, string(b))
		}
	}
	if len(parts) == 0 {
		return visible{}, false, nil
	}
	return visible{sql: "(" + strings.Join(parts, " OR ") + ")", args: args}, true, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
