package platform

import (
	"github.com/meshwork/meshwork/internal/pgcatalog"
)

// NewPGCatalog returns the catalog that answers the PostgreSQL wire
// protocol's metadata queries (psql's \dt, JDBC's DatabaseMetaData, ...) with
// the tables each caller may read. The platform closes it on Close.
func (p *Platform) NewPGCatalog() *pgcatalog.Catalog {
	c := pgcatalog.New(pgcatalog.Config{Registry: p.Registry, Gov: p.Gov, Audit: true, Logger: p.log})
	p.closers = append(p.closers, c.Close)
	return c
}
