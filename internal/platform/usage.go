package platform

import (
	"context"
	"database/sql"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/usage"
)

// openUsage starts the usage statistics over db and counts every successful
// query in them. The aggregator is closed (a last flush) before db.
func (p *Platform) openUsage(ctx context.Context, db *sql.DB) error {
	u, err := usage.Open(ctx, usage.Config{DB: db, Logger: p.log})
	if err != nil {
		return err
	}
	p.Usage = u
	p.closers = append(p.closers, u.Close)
	p.hooks.query = append(p.hooks.query, func(ctx context.Context, r query.Record) {
		if r.Err != nil {
			return
		}
		who, _ := access.FromContext(ctx)
		u.Observe(who.Name, time.Now(), r.SQL, r.Tables)
	})
	return nil
}
