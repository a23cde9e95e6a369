package httpapi

import (
	"net/http"
	"strconv"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/search"
)

// searchRoutes serves catalog search.
func (s *Server) searchRoutes() {
	s.mux.HandleFunc("GET /api/v1/search", s.handleSearch)
}

// handleSearch answers GET /api/v1/search?q=&domain=&tag=&classification=&status=&kind=&limit=&offset=
// with the products, tables and columns the caller may read that match.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	const op = "http.search"
	if s.search == nil {
		s.fail(w, r, errs.E(errs.Unavailable, op, "search is not enabled on this server"))
		return
	}
	v := r.URL.Query()
	q := search.Query{Text: v.Get("q"), Domain: v.Get("domain"), Tag: v.Get("tag"), Classification: v.Get("classification"),
		Status: v.Get("status"), Kind: v.Get("kind")}
	for _, p := range []struct {
		name string
		to   *int
	}{{"limit", &q.Limit}, {"offset", &q.Offset}} {
		raw := v.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			s.fail(w, r, errs.E(errs.Invalid, op, "%s %q is not a whole number", p.name, clipText(raw, 32)))
			return
		}
		*p.to = n
	}
	who, _ := access.FromContext(r.Context())
	res, err := s.search.Search(r.Context(), who, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
