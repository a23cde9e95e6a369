package portal

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of what the SQL workspace remembers. History lives in memory only:
// a restart forgets it, and it never holds results, only the query text.
const (
	historyLen        = 50     // queries kept per principal
	historyPrincipals = 10_000 // principals remembered; the least recently active is forgotten first
	historySQLBytes   = 64 << 10
	schemaTTL         = time.Minute // how long a principal's completion schema is reused
)

// historyEntry is one query a principal ran in the workspace.
type historyEntry struct {
	ID      int64     `json:"id"`
	SQL     string    `json:"sql"`
	Clipped bool      `json:"clipped,omitempty"` // SQL was longer than historySQLBytes and is cut
	When    time.Time `json:"when"`
	Rows    int64     `json:"rows"`           // rows on the first page
	More    bool      `json:"more,omitempty"` // and more followed
	Ms      float64   `json:"ms"`             // the engine's time
	OK      bool      `json:"ok"`
	Error   string    `json:"error,omitempty"` // the API's message, safe to show
}

// histories is what the workspace remembers per principal: the last
// queries it ran and, briefly, the schema its editor completes from.
// Keyed by principal, not session, so two browsers of one person share it.
type histories struct {
	mu   sync.Mutex
	seq  int64
	by   map[string]*principalState
	tick int64 // orders principals by last use, for eviction
}

type principalState struct {
	entries []historyEntry // newest first
	used    int64
	schema  *workspaceSchema
	built   time.Time
}

func newHistories() *histories { return &histories{by: map[string]*principalState{}} }

// state returns principal's state, creating it (and forgetting the least
// recently used principal when full). Call with h.mu held.
func (h *histories) state(principal string) *principalState {
	h.tick++
	s, ok := h.by[principal]
	if !ok {
		if len(h.by) >= historyPrincipals {
			oldest, at := "", int64(-1)
			for k, v := range h.by {
				if at < 0 || v.used < at {
					oldest, at = k, v.used
				}
			}
			delete(h.by, oldest)
		}
		s = &principalState{}
		h.by[principal] = s
	}
	s.used = h.tick
	return s
}

// add records a query and returns the entry as stored.
func (h *histories) add(principal string, e historyEntry) historyEntry {
	if len(e.SQL) > historySQLBytes {
		cut := historySQLBytes
		for cut > 0 && !utf8.RuneStart(e.SQL[cut]) {
			cut--
		}
		e.SQL, e.Clipped = e.SQL[:cut], true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	e.ID = h.seq
	s := h.state(principal)
	s.entries = append([]historyEntry{e}, s.entries...)
	if len(s.entries) > historyLen {
		s.entries = s.entries[:historyLen]
	}
	return e
}

// list returns principal's queries, newest first.
func (h *histories) list(principal string) []historyEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.by[principal]
	if !ok {
		return nil
	}
	return append([]historyEntry(nil), s.entries...)
}

// get returns one of principal's queries by id.
func (h *histories) get(principal string, id int64) (historyEntry, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.by[principal]; ok {
		for _, e := range s.entries {
			if e.ID == id {
				return e, true
			}
		}
	}
	return historyEntry{}, false
}

// cachedSchema returns principal's schema if it was built after now-schemaTTL.
func (h *histories) cachedSchema(principal string, now time.Time) *workspaceSchema {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.by[principal]; ok && s.schema != nil && now.Sub(s.built) < schemaTTL && !now.Before(s.built) {
		return s.schema
	}
	return nil
}

func (h *histories) putSchema(principal string, sc *workspaceSchema, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.state(principal)
	s.schema, s.built = sc, now
}

// Preview is the start of the query, on one line, for the history list.
func (e historyEntry) Preview() string {
	s := strings.Join(strings.Fields(e.SQL), " ")
	if utf8.RuneCountInString(s) > 90 {
		s = string([]rune(s)[:89]) + "…"
	}
	return s
}
