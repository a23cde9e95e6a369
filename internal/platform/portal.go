package platform

import (
	"context"
	"net/http"
	"strings"

	"github.com/meshwork/meshwork/internal/portal"
)

// openPortal builds the web UI over the API.
func (p *Platform) openPortal(ctx context.Context, c Config) error {
	if c.NoPortal {
		return nil
	}
	var err error
	p.Portal, err = portal.New(ctx, portal.Config{API: p.API, Access: p.Access, Audit: p.Audit, Logger: c.Logger,
		OIDC: c.PortalOIDC, Secure: c.PortalSecure})
	return err
}

// Handler serves everything mesh serve offers on its HTTP address: the
// REST API (and the Iceberg REST catalog, /healthz and /metrics under it)
// and, for every other path, the portal.
func (p *Platform) Handler() http.Handler {
	if p.Portal == nil {
		return p.API
	}
	return Serve(p.API, p.Portal)
}

// Serve splits one HTTP address between api (/api/, /iceberg/, /healthz,
// /metrics) and ui (every other path), as mesh serve does.
func Serve(api, ui http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPIPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	})
}

func isAPIPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, icebergPath+"/") ||
		path == "/healthz" || path == "/metrics"
}

const icebergPath = "/iceberg"
