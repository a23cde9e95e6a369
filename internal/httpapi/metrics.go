package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/access"
)

// Observer is told of every request the server answers (metrics).
type Observer interface {
	// ObserveHTTP gets the request's method, the route pattern that served
	// it (never the raw path: it would make label values unbounded), the
	// status code and the duration.
	ObserveHTTP(method, route string, code int, d time.Duration)
}

// icebergRoute is the one route label of every Iceberg catalog request.
const icebergRoute = icebergPrefix + "/"

// routeOf is the route label of a served request: the ServeMux pattern that
// matched it, the Iceberg catalog's fixed label, or "" when the request was
// answered before routing (authentication failed).
func routeOf(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, icebergPrefix+"/") {
		return icebergRoute
	}
	return r.Pattern
}

func (s *Server) observeRoutes() {
	if s.metrics != nil {
		s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	}
	if s.fresh != nil {
		s.freshnessRoutes()
	}
}

// handleMetrics serves the Prometheus metrics to admins: they name every
// domain, product and table of the mesh. A scraper without an admin token
// uses the separate listener (mesh serve --metrics-addr) instead.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if err := s.authorize(r, access.ActionAdmin, "", ""); err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.ServeHTTP(w, r)
}
