package restcatalog

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
)

// config answers GET /v1/config: no defaults or overrides, and the endpoints
// served.
func (s *server) config(w http.ResponseWriter, r *http.Request) {
	eps := []string{}
	for _, e := range s.served() {
		eps = append(eps, e.method+" "+e.path)
	}
	writeJSON(w, http.StatusOK, map[string]any{"defaults": map[string]string{}, "overrides": map[string]string{}, "endpoints": eps})
}

// readable reports whether the caller may read a product; it remembers the
// answers of one request.
type readable struct {
	s    *server
	ctx  context.Context
	seen map[[2]string]error
}

func (s *server) readable(ctx context.Context) *readable {
	return &readable{s: s, ctx: ctx, seen: map[[2]string]error{}}
}

// check returns nil if the caller may read domain.product, a Forbidden
// error if not, or the failure to decide.
func (rd *readable) check(domain, product string) error {
	k := [2]string{domain, product}
	if err, ok := rd.seen[k]; ok {
		return err
	}
	err := rd.s.gov.Readable(rd.ctx, domain, product)
	rd.seen[k] = err
	return err
}

// ok is check as a bool; a failure to decide is returned.
func (rd *readable) ok(domain, product string) (bool, error) {
	err := rd.check(domain, product)
	switch {
	case err == nil:
		return true, nil
	case errs.Is(err, errs.Forbidden):
		return false, nil
	}
	return false, err
}

// servedTables are the tables served now, of every product or of one.
// They are shared with other requests: never modify them.
func (s *server) servedTables(ctx context.Context, domain, product string) ([]*registry.Table, error) {
	ix, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	if domain == "" {
		return s.servedNow(ix.all), nil
	}
	return s.servedNow(ix.byDP[[2]string{domain, product}]), nil
}

// resolve returns the served tables of a namespace the caller may read: 403
// when it may not read the product (or anything in the domain), 404 when the
// namespace has no served tables. The tables are shared: never modify them.
func (s *server) resolve(ctx context.Context, rd *readable, ns namespace) ([]*registry.Table, error) {
	const op = "iceberg.namespace"
	if ns.Level != "" {
		if err := rd.check(ns.Domain, ns.product()); err != nil {
			return nil, err
		}
		ix, err := s.tables(ctx)
		if err != nil {
			return nil, err
		}
		ts := s.servedNow(ix.byNS[[2]string{ns.Domain, ns.Level}])
		if len(ts) == 0 {
			return nil, notFound(noSuchNamespace, op, "namespace %s does not exist", ns)
		}
		return ts, nil
	}
	all, err := s.servedTables(ctx, "", "")
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(t *registry.Table) bool { return t.Domain != ns.Domain })
	if len(all) == 0 {
		return nil, notFound(noSuchNamespace, op, "namespace %s does not exist", ns)
	}
	var out []*registry.Table
	for _, t := range all {
		ok, err := rd.ok(t.Domain, t.Product)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		p, _ := access.FromContext(ctx)
		return nil, errs.E(errs.Forbidden, op, "principal %q may not read any product of domain %s: it needs the consumer, publisher or owner role on one (or admin)", p.Name, ns.Domain)
	}
	return out, nil
}

// pathNamespace parses the {namespace} path parameter.
func pathNamespace(r *http.Request) (namespace, error) {
	return parseNamespace(r.PathValue("namespace"))
}

// GET /v1/namespaces[?parent=...]
func (s *server) listNamespaces(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg, err := pageOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rd := s.readable(ctx)
	seen := map[string]bool{}
	out := [][]string{}
	add := func(levels ...string) {
		if k := strings.Join(levels, unitSeparator); !seen[k] {
			seen[k] = true
			out = append(out, levels)
		}
	}
	// The spec treats an empty parent as absent, for older clients.
	if r.URL.Query().Get("parent") == "" {
		all, err := s.servedTables(ctx, "", "")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, t := range all {
			ok, err := rd.ok(t.Domain, t.Product)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if ok {
				add(t.Domain)
			}
		}
	} else {
		parent, err := parseNamespace(r.URL.Query().Get("parent"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ts, err := s.resolve(ctx, rd, parent)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if parent.Level == "" { // a product namespace has no children
			for _, t := range ts {
				add(t.Domain, t.Namespace)
			}
		}
	}
	slices.SortFunc(out, slices.Compare)
	from, to, next := pg.cut(len(out), func(i int) string { return strings.Join(out[i], unitSeparator) })
	writeJSON(w, http.StatusOK, listNamespacesResponse{Namespaces: out[from:to], Next: next})
}

// GET /v1/namespaces/{namespace}
func (s *server) loadNamespace(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	if err == nil {
		_, err = s.resolve(r.Context(), s.readable(r.Context()), ns)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"namespace": ns.levels(), "properties": map[string]string{}})
}

// HEAD /v1/namespaces/{namespace}
func (s *server) namespaceExists(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	if err == nil {
		_, err = s.resolve(r.Context(), s.readable(r.Context()), ns)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type tableIdent struct {
	Namespace []string `json:"namespace"`
	Name      string   `json:"name"`
}

// listNamespacesResponse and listTablesResponse are the spec's, with
// next-page-token only while more pages remain.
type listNamespacesResponse struct {
	Namespaces [][]string `json:"namespaces"`
	Next       string     `json:"next-page-token,omitempty"`
}

type listTablesResponse struct {
	Identifiers []tableIdent `json:"identifiers"`
	Next        string       `json:"next-page-token,omitempty"`
}

// GET /v1/namespaces/{namespace}/tables
func (s *server) listTables(w http.ResponseWriter, r *http.Request) {
	ns, err := pathNamespace(r)
	var pg page
	if err == nil {
		pg, err = pageOf(r)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := []tableIdent{}
	if ns.Level == "" {
		// A domain holds no tables, only products; it must still exist.
		if _, err := s.resolve(r.Context(), s.readable(r.Context()), ns); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, listTablesResponse{Identifiers: ids})
		return
	}
	ts, err := s.resolve(r.Context(), s.readable(r.Context()), ns)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, t := range ts {
		ids = append(ids, tableIdent{Namespace: ns.levels(), Name: t.Name})
	}
	slices.SortFunc(ids, func(a, b tableIdent) int { return strings.Compare(a.Name, b.Name) })
	from, to, next := pg.cut(len(ids), func(i int) string { return ids[i].Name })
	writeJSON(w, http.StatusOK, listTablesResponse{Identifiers: ids[from:to], Next: next})
}

// table resolves the {namespace} and {table} path parameters to a served
// table the caller may read. The table is shared: never modify it.
func (s *server) table(r *http.Request) (*registry.Table, error) {
	ns, err := pathNamespace(r)
	if err != nil {
		return nil, err
	}
	name, err := parseTable(r.PathValue("table"))
	if err != nil {
		return nil, err
	}
	if ns.Level == "" {
		return nil, notFound(noSuchTable, "iceberg.table", "table %s.%s does not exist: tables are in [domain, product] namespaces", ns, name)
	}
	ts, err := s.resolve(r.Context(), s.readable(r.Context()), ns)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.Name == name {
			return t, nil
		}
	}
	return nil, notFound(noSuchTable, "iceberg.table", "table %s.%s does not exist", ns, name)
}

// HEAD /v1/namespaces/{namespace}/tables/{table}
func (s *server) tableExists(w http.ResponseWriter, r *http.Request) {
	if _, err := s.table(r); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// GET /v1/namespaces/{namespace}/tables/{table}: the table's current
// metadata, unless the query policy masks or filters it for the caller.
// The encoded answer is reused while the table's metadata location is the
// same; its ETag is that location's, so a client that sends it back in
// If-None-Match gets a 304 once it is authorized again. snapshots=refs is
// answered with all snapshots, which the spec allows a client to get.
func (s *server) loadTable(w http.ResponseWriter, r *http.Request) {
	const op = "iceberg.loadTable"
	ctx := r.Context()
	t, err := s.table(r)
	if err == nil {
		switch snaps := r.URL.Query().Get("snapshots"); snaps {
		case "", "all", "refs":
		default:
			err = errs.E(errs.Invalid, op, "snapshots=%q: want all or refs", printable(snaps))
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := lake.Ident{Domain: t.Domain, Product: t.Namespace, Table: t.Name}
	err = s.governed(ctx, t)
	s.record(r, "iceberg.load", id.String(), err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tbl, err := s.lake.Cached(ctx, id)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			err = notFound(noSuchTable, op, "table %s does not exist in the lake", id)
		}
		s.fail(w, r, err)
		return
	}
	// Branches are for the table's publishers (write-audit-publish).
	p, _ := access.FromContext(ctx)
	published := !s.acc.Can(ctx, p, access.ActionPublish, access.Resource{Domain: t.Domain, Product: t.Product})
	res, err := s.reads.meta.get(tbl, published)
	if err != nil {
		s.fail(w, r, errs.Wrap(errs.Internal, op, err, "encode metadata of %s", id))
		return
	}
	h := w.Header()
	h.Set("ETag", res.etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && notModified(inm, res.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(res.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.body)
}

// governed refuses a table the policy masks or filters for the caller: an
// engine reading its files directly would see what the policy hides.
func (s *server) governed(ctx context.Context, t *registry.Table) error {
	g, err := s.gov.Govern(ctx, t)
	if err != nil {
		return err
	}
	if len(g.Masks) == 0 && len(g.Filters) == 0 {
		return nil
	}
	var what []string
	if len(g.Masks) > 0 {
		cols := make([]string, 0, len(g.Masks))
		for c := range g.Masks {
			cols = append(cols, c)
		}
		slices.Sort(cols)
		what = append(what, "masks "+strings.Join(cols, ", "))
	}
	if len(g.Filters) > 0 {
		what = append(what, "filters its rows")
	}
	return errs.E(errs.Forbidden, "iceberg.loadTable",
		"%s.%s.%s is governed for you (the policy %s): an engine reading its files would bypass that, so query it through Meshwork SQL instead (mesh query or POST /api/v1/query)",
		t.Domain, t.Namespace, t.Name, strings.Join(what, " and "))
}

// POST /v1/namespaces/{namespace}/tables/{table}/metrics: accepted and
// ignored, once the table is known and readable and the report is JSON.
func (s *server) reportMetrics(w http.ResponseWriter, r *http.Request) {
	if _, err := s.table(r); err != nil {
		s.fail(w, r, err)
		return
	}
	var report map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&report); err != nil {
		s.fail(w, r, bodyError("iceberg.reportMetrics", err, "the metrics report is not a JSON object"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// bodyError is TooLarge for a body over the limit, else Invalid with msg.
func bodyError(op string, err error, msg string) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return errs.Wrap(errs.TooLarge, op, err, "the request body is over %d bytes", mb.Limit)
	}
	if errors.Is(err, io.EOF) {
		return errs.Wrap(errs.Invalid, op, err, "%s: the body is empty", msg)
	}
	return errs.Wrap(errs.Invalid, op, err, "%s", msg)
}

// mutation refuses the changes the catalog does not serve.
func (s *server) mutation(w http.ResponseWriter, r *http.Request) {
	const op = "iceberg.mutation"
	p, _ := access.FromContext(r.Context())
	var err error
	if s.acc.Can(r.Context(), p, access.ActionAdmin, access.Resource{}) {
		// 406 is the spec's UnsupportedOperationResponse, the closest to
		// "not implemented yet" (501 is not among the spec's responses).
		err = errs.E(errs.Unsupported, op, "%s %s is not supported yet through the Iceberg REST catalog: namespaces and tables are created, renamed and dropped by `mesh apply` from the products' specs; %s", r.Method, r.Pattern[strings.IndexByte(r.Pattern, ' ')+1:], s.writes())
	} else {
		err = errs.E(errs.Forbidden, op, "namespaces and tables are not changed through the Iceberg REST catalog: products and tables are created by `mesh apply` (by their owners); %s", s.writes())
	}
	s.record(r, "iceberg.mutation", r.Method+" "+clip(r.URL.Path, 200), err)
	s.fail(w, r, err)
}

// writes says how data gets into a table.
func (s *server) writes() string {
	if s.commits == nil {
		return "data is published by `mesh publish`"
	}
	return "data is published by `mesh publish`, or committed onto a branch of a table through this catalog and published by Meshwork once it passes the gates"
}
