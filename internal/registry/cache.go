package registry

import (
	"context"
)

// TableSet is every table of the registry as of one generation, for
// readers that look tables up on every request (the Iceberg REST catalog)
// and cannot afford a query and a JSON decode of each table's definition
// each time. It is shared: never modify it or its tables.
type TableSet struct {
	Gen    uint64
	Tables []Table // ordered by domain, product, name, major
}

// Invalidate makes the next TableSet reload the tables. The registry
// invalidates itself after each of its write transactions; call this after
// changing the tables some other way (another process, a restore).
func (r *Registry) Invalidate() { r.gen.Add(1) }

// Generation is a number that changes whenever the registry may have
// changed; readers may key what they derive from a TableSet by it.
func (r *Registry) Generation() uint64 { return r.gen.Load() }

// TableSet returns every table, loading them again only when the registry
// changed since the last load.
func (r *Registry) TableSet(ctx context.Context) (*TableSet, error) {
	if ts := r.set.Load(); ts != nil && ts.Gen == r.gen.Load() {
		return ts, nil
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	// Read the generation before the tables: a change committed during the
	// load bumps it again, so this set is stale at once and reloaded.
	gen := r.gen.Load()
	if ts := r.set.Load(); ts != nil && ts.Gen == gen {
		return ts, nil
	}
	tables, err := r.Tables(ctx, "", "")
	if err != nil {
		return nil, err
	}
	ts := &TableSet{Gen: gen, Tables: tables}
	r.set.Store(ts)
	return ts, nil
}
