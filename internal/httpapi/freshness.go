package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/freshness"
)

// Freshness is what the API reads of the freshness monitor.
type Freshness interface {
	Statuses(ctx context.Context, f freshness.Filter) ([]freshness.TableStatus, error)
	Breaches(ctx context.Context, f freshness.BreachFilter) ([]freshness.Breach, error)
}

func (s *Server) freshnessRoutes() {
	s.mux.HandleFunc("GET /api/v1/freshness", s.handleFreshness)
	s.mux.HandleFunc("GET /api/v1/sla/breaches", s.handleBreaches)
}

// scopeParams reads the domain and product filters, refusing names that
// cannot be mesh names.
func scopeParams(r *http.Request, op string) (domain, product string, err error) {
	q := r.URL.Query()
	domain, product = q.Get("domain"), q.Get("product")
	for _, p := range []struct{ field, v string }{{"domain", domain}, {"product", product}} {
		if p.v != "" && !meshName(p.v) {
			return "", "", errs.WithDetails(errs.E(errs.Invalid, op, "%s %q is not a mesh name ([a-z][a-z0-9_]*)", p.field, clipText(p.v, 64)),
				map[string]any{"field": p.field})
		}
	}
	if product != "" && domain == "" {
		return "", "", errs.WithDetails(errs.E(errs.Invalid, op, "product needs a domain"), map[string]any{"field": "domain"})
	}
	return domain, product, nil
}

func meshName(s string) bool {
	if len(s) == 0 || len(s) > 128 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// visible reports whether the caller may read the product: what it may not
// read is not listed, not even its name.
func (s *Server) visible(r *http.Request, domain, product string) bool {
	who, _ := access.FromContext(r.Context())
	return s.access.Can(r.Context(), who, access.ActionRead, access.Resource{Domain: domain, Product: product})
}

func (s *Server) handleFreshness(w http.ResponseWriter, r *http.Request) {
	const op = "http.freshness"
	domain, product, err := scopeParams(r, op)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := freshness.Filter{Domain: domain, Product: product}
	if st := r.URL.Query().Get("status"); st != "" {
		f.Status = freshness.Status(st)
		if !slices.Contains(freshness.Statuses, f.Status) {
			s.fail(w, r, errs.WithDetails(errs.E(errs.Invalid, op, "status %q is not one of fresh, late, stale, never, none", clipText(st, 64)),
				map[string]any{"field": "status"}))
			return
		}
	}
	all, err := s.fresh.Statuses(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]freshness.TableStatus, 0, len(all))
	for _, t := range all {
		if s.visible(r, t.Domain, t.Product) {
			out = append(out, t)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": out})
}

func (s *Server) handleBreaches(w http.ResponseWriter, r *http.Request) {
	const op = "http.breaches"
	domain, product, err := scopeParams(r, op)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := freshness.BreachFilter{Domain: domain, Product: product}
	if o := r.URL.Query().Get("open"); o != "" {
		if f.Open, err = strconv.ParseBool(o); err != nil {
			s.fail(w, r, errs.WithDetails(errs.E(errs.Invalid, op, "open %q is not true or false", clipText(o, 64)), map[string]any{"field": "open"}))
			return
		}
	}
	all, err := s.fresh.Breaches(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]freshness.Breach, 0, len(all))
	for _, b := range all {
		if s.visible(r, b.Domain, b.Product) {
			out = append(out, b)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"breaches": out})
}
