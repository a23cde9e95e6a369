package restcatalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/registry"
)

// readCache is what the read endpoints reuse across requests.
type readCache struct {
	index atomic.Pointer[tableIndex]
	meta  metaCache
}

// tableIndex is the registry's tables arranged for the catalog's lookups.
// It is built once per registry TableSet (which is reloaded only after the
// registry changes), so a request neither queries the registry nor decodes
// a table definition. The tables are the TableSet's, shared by every
// request: never modify them.
type tableIndex struct {
	set  *registry.TableSet
	all  []*registry.Table               // in registry order: domain, product, name, major
	byNS map[[2]string][]*registry.Table // by domain and namespace level
	byDP map[[2]string][]*registry.Table // by domain and product
}

func newTableIndex(set *registry.TableSet) *tableIndex {
	ix := &tableIndex{set: set, all: make([]*registry.Table, len(set.Tables)),
		byNS: map[[2]string][]*registry.Table{}, byDP: map[[2]string][]*registry.Table{}}
	for i := range set.Tables {
		t := &set.Tables[i]
		ix.all[i] = t
		ix.byNS[[2]string{t.Domain, t.Namespace}] = append(ix.byNS[[2]string{t.Domain, t.Namespace}], t)
		ix.byDP[[2]string{t.Domain, t.Product}] = append(ix.byDP[[2]string{t.Domain, t.Product}], t)
	}
	return ix
}

// tables returns the index of the registry's current tables.
func (s *server) tables(ctx context.Context) (*tableIndex, error) {
	set, err := s.reg.TableSet(ctx)
	if err != nil {
		return nil, err
	}
	if ix := s.reads.index.Load(); ix != nil && ix.set == set {
		return ix, nil
	}
	ix := newTableIndex(set)
	s.reads.index.Store(ix)
	return ix, nil
}

// servedNow filters ts to the tables served now, in a new slice.
func (s *server) servedNow(ts []*registry.Table) []*registry.Table {
	now := s.now()
	out := make([]*registry.Table, 0, len(ts))
	for _, t := range ts {
		if t.Served(now) {
			out = append(out, t)
		}
	}
	return out
}

// maxMetaCache bounds the encoded metadata kept; past it the cache starts
// over (the live tables' entries come back on their next load).
const maxMetaCache = 1024

// metaCache holds the encoded LoadTableResult of each metadata file: a
// metadata file never changes once written, so neither does its encoding,
// and a new commit has a new location.
type metaCache struct {
	mu sync.Mutex
	m  map[string]*loadResult
}

// loadResult is a LoadTableResult ready to send.
type loadResult struct {
	body []byte // JSON, with a final newline
	etag string // quoted, for the ETag header
}

// get returns the encoded result for tbl's metadata: all of it, or with
// published only what has passed the gates (see published).
func (c *metaCache) get(tbl *table.Table, published bool) (*loadResult, error) {
	loc := tbl.MetadataLocation()
	key := loc
	if published {
		key = "published\x00" + loc
	}
	c.mu.Lock()
	res := c.m[key]
	c.mu.Unlock()
	if res != nil {
		return res, nil
	}
	meta, err := json.Marshal(tbl.Metadata())
	if err == nil && published {
		meta, err = publishedOnly(tbl.Metadata(), meta)
	}
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(loadTableResult{Location: loc, Metadata: meta, Config: map[string]string{}})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	res = &loadResult{body: append(body, '\n'), etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxMetaCache {
		c.m = map[string]*loadResult{}
	}
	c.m[key] = res
	c.mu.Unlock()
	return res, nil
}

// publishedOnly removes from the encoded metadata enc of meta what has not
// passed the gates: the refs but main, and the snapshots main has never
// been (with their statistics). A branch may hold a snapshot the gates
// rejected; a reader who may not publish the table is not served it.
func publishedOnly(meta table.Metadata, enc []byte) ([]byte, error) {
	pub := map[int64]bool{}
	if cur := meta.CurrentSnapshot(); cur != nil {
		pub[cur.SnapshotID] = true
	}
	for e := range meta.SnapshotLogs() {
		pub[e.SnapshotID] = true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(enc, &m); err != nil {
		return nil, err
	}
	keep := func(key string) error {
		raw, ok := m[key]
		if !ok {
			return nil
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return err
		}
		out := items[:0]
		for _, it := range items {
			var s struct {
				ID int64 `json:"snapshot-id"`
			}
			if err := json.Unmarshal(it, &s); err != nil {
				return err
			}
			if pub[s.ID] {
				out = append(out, it)
			}
		}
		b, err := json.Marshal(out)
		m[key] = b
		return err
	}
	for _, key := range []string{"snapshots", "statistics", "partition-statistics"} {
		if err := keep(key); err != nil {
			return nil, err
		}
	}
	if raw, ok := m["refs"]; ok {
		var refs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &refs); err != nil {
			return nil, err
		}
		for name := range refs {
			if name != table.MainBranch {
				delete(refs, name)
			}
		}
		b, err := json.Marshal(refs)
		if err != nil {
			return nil, err
		}
		m["refs"] = b
	}
	return json.Marshal(m)
}

// loadTableResult is the spec's LoadTableResult as the catalog fills it.
type loadTableResult struct {
	Location string            `json:"metadata-location"`
	Metadata json.RawMessage   `json:"metadata"`
	Config   map[string]string `json:"config"`
}

// notModified reports whether an If-None-Match header names etag.
func notModified(ifNoneMatch, etag string) bool {
	for _, v := range strings.Split(ifNoneMatch, ",") {
		v = strings.TrimSpace(v)
		if v == "*" || strings.TrimPrefix(v, "W/") == etag {
			return true
		}
	}
	return false
}
