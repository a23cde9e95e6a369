package query

import (
	"context"
	"database/sql"
	"sync"
)

// rewriteCache remembers the guard's verdict on recent query texts, so that
// a query a dashboard repeats is not parsed and rewritten by DuckDB each
// time. An entry is only reused if every table it reads still binds to the
// same view (same snapshot and schema); otherwise the query is rewritten
// afresh. Queries with a time-travel timestamp are never cached, because
// their timestamp may be an expression of the current time.
type rewriteCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cachedRewrite
}

type cachedRewrite struct {
	rw    Rewritten
	views []string // schema.name each table bound to, in rw.Tables order
}

func newRewriteCache(max int) *rewriteCache {
	return &rewriteCache{max: max, entries: map[string]cachedRewrite{}}
}

// recordingBinder notes what each table bound to.
type recordingBinder struct {
	Binder
	views []string
	refs  []TableRef
}

func (r *recordingBinder) Bind(ctx context.Context, ref TableRef) (string, string, error) {
	s, n, err := r.Binder.Bind(ctx, ref)
	if err == nil {
		r.views = append(r.views, s+"."+n)
		r.refs = append(r.refs, ref)
	}
	return s, n, err
}

// rewrite returns the checked, rewritten SQL, from the cache when it is
// still valid.
func (e *Engine) rewrite(ctx context.Context, conn *sql.Conn, sqlText string, b Binder) (Rewritten, error) {
	c := e.rewrites
	c.mu.Lock()
	hit, ok := c.entries[sqlText]
	c.mu.Unlock()
	if ok && len(hit.views) == len(hit.rw.Tables) {
		valid := true
		for i, ref := range hit.rw.Tables {
			s, n, err := b.Bind(ctx, ref)
			if err != nil || s+"."+n != hit.views[i] {
				valid = false
				break
			}
		}
		if valid {
			return hit.rw, nil
		}
	}
	rb := &recordingBinder{Binder: b}
	rw, err := e.guard.Rewrite(ctx, conn, sqlText, rb)
	if err != nil {
		return rw, err
	}
	// The guard binds each distinct table once, in first-appearance order;
	// keep the entry only if that lines up with rw.Tables.
	cacheable := len(rb.refs) == len(rw.Tables)
	for i, ref := range rw.Tables {
		if ref.Timestamp != nil || (cacheable && rb.refs[i].String() != ref.String()) {
			cacheable = false
		}
	}
	if cacheable {
		c.mu.Lock()
		if len(c.entries) >= c.max {
			for k := range c.entries { // evict an arbitrary entry
				delete(c.entries, k)
				break
			}
		}
		c.entries[sqlText] = cachedRewrite{rw: rw, views: rb.views}
		c.mu.Unlock()
	}
	return rw, nil
}
