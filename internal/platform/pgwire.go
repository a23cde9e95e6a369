package platform

import (
	"crypto/tls"
	"fmt"

	"github.com/meshwork/meshwork/internal/pgwire"
)

// PGWireConfig configures the PostgreSQL wire-protocol server.
type PGWireConfig struct {
	TLSCert, TLSKey string          // PEM files; both or neither
	MaxConns        int             // 0: 64
	Metadata        pgwire.Metadata // answers pg_catalog/information_schema queries; nil: none
}

// PGWire builds the PostgreSQL wire-protocol server over the platform's
// engine, tokens and audit log: the same governance as the HTTP API.
// Start it with Serve; Close it before the platform.
func (p *Platform) PGWire(c PGWireConfig) (*pgwire.Server, error) {
	var tc *tls.Config
	if c.TLSCert != "" || c.TLSKey != "" {
		if c.TLSCert == "" || c.TLSKey == "" {
			return nil, fmt.Errorf("the wire protocol's TLS needs both a certificate and a key")
		}
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load the wire protocol's TLS certificate: %w", err)
		}
		tc = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return pgwire.New(pgwire.Config{Engine: p.Engine, Auth: p.Access, Audit: p.Audit, Metadata: c.Metadata,
		TLS: tc, MaxConns: c.MaxConns, MaxRows: p.maxRows, Logger: p.log})
}
