package access

import (
	"crypto/sha256"
	"sync"
	"time"
)

// The token cache spares a bearer's every request the database: the
// Iceberg catalog authenticates each call an engine makes, thousands a
// second. It maps a secret's SHA-256 to what the database said of it, and
// is emptied whenever the Store's generation moves, which every write
// transaction of the Store (a token created or revoked, a principal's
// groups or attributes replaced, a grant changed) does once committed. An
// entry read at an older generation than the cache's is never stored. An
// entry also ages out after tokenCacheTTL, which bounds how long a change
// made behind the Store's back (another process, without Invalidate) goes
// unseen. Expiry is checked on every hit. Unknown secrets are not cached,
// so a flood of bad ones cannot grow it.

// tokenCacheTTL is the longest an entry is trusted.
const tokenCacheTTL = 10 * time.Second

// maxTokenCache bounds the entries; past it the cache starts over.
const maxTokenCache = 4096

type tokenCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	p       Principal
	id      string
	expires *time.Time
	at      time.Time // when it was read
}

// get returns the entry for key if it is of generation gen and younger than
// the TTL at now.
func (c *tokenCache) get(key [sha256.Size]byte, gen uint64, now time.Time) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		c.gen, c.m = gen, nil
		return cachedToken{}, false
	}
	e, ok := c.m[key]
	if !ok || now.Sub(e.at) >= tokenCacheTTL || now.Before(e.at) {
		return cachedToken{}, false
	}
	return e, true
}

// put stores an entry read at generation gen, unless the cache has moved
// past gen (the entry may predate a change).
func (c *tokenCache) put(key [sha256.Size]byte, gen uint64, e cachedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case gen < c.gen:
		return
	case gen > c.gen:
		c.gen, c.m = gen, nil
	}
	if c.m == nil || len(c.m) >= maxTokenCache {
		c.m = map[[sha256.Size]byte]cachedToken{}
	}
	c.m[key] = e
}
