package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// TestWorkspaceBundle fails when the built editor bundle is missing or
// empty. CI does not run npm: the bundle is built by
// scripts/build-assets.sh and committed with the change to web/.
func TestWorkspaceBundle(t *testing.T) {
	for _, name := range []string{"static/workspace.js", "static/workspace.css"} {
		b, err := staticFS.ReadFile(name)
		if err != nil || len(bytes.TrimSpace(b)) == 0 {
			t.Errorf("%s: %d bytes (%v); run scripts/build-assets.sh and commit the bundle", name, len(b), err)
		}
	}
	b, _ := staticFS.ReadFile("static/workspace.js")
	if len(b) < 100<<10 || !bytes.Contains(b, []byte("sql-form")) || !bytes.Contains(b, []byte("cm-editor")) {
		t.Errorf("static/workspace.js (%d bytes) does not look like the built workspace (CodeMirror and the page's hooks)", len(b))
	}
}

func TestHistories(t *testing.T) {
	t.Run("newest first, capped, per principal", func(t *testing.T) {
		h := newHistories()
		for i := range historyLen + 7 {
			h.add("cora", historyEntry{SQL: fmt.Sprintf("SELECT %d", i), OK: true})
		}
		h.add("olga", historyEntry{SQL: "SELECT 'olga'"})
		got := h.list("cora")
		if len(got) != historyLen {
			t.Fatalf("len(list(cora)) = %d, want %d", len(got), historyLen)
		}
		if got[0].SQL != fmt.Sprintf("SELECT %d", historyLen+6) || got[historyLen-1].SQL != "SELECT 7" {
			t.Errorf("list(cora) runs from %q to %q, want newest (SELECT %d) to SELECT 7", got[0].SQL, got[historyLen-1].SQL, historyLen+6)
		}
		if o := h.list("olga"); len(o) != 1 || o[0].SQL != "SELECT 'olga'" {
			t.Errorf("list(olga) = %+v, want only her query", o)
		}
		if n := h.list("nobody"); len(n) != 0 {
			t.Errorf("list(nobody) = %+v, want none", n)
		}
		if _, ok := h.get("olga", got[0].ID); ok {
			t.Errorf("get(olga, an id of cora's) found it; want entries private to their principal")
		}
		if e, ok := h.get("cora", got[3].ID); !ok || e.SQL != got[3].SQL {
			t.Errorf("get(cora, %d) = %+v, %v; want %q", got[3].ID, e, ok, got[3].SQL)
		}
		got[0].SQL = "changed"
		if h.list("cora")[0].SQL == "changed" {
			t.Errorf("list returns the store's own slice")
		}
	})

	t.Run("long SQL is clipped on a rune boundary", func(t *testing.T) {
		h := newHistories()
		e := h.add("cora", historyEntry{SQL: "SELECT '" + strings.Repeat("é", historySQLBytes) + "'"})
		if !e.Clipped || len(e.SQL) > historySQLBytes || !utf8.ValidString(e.SQL) {
			t.Errorf("clipped = %v, len %d, valid UTF-8 %v; want clipped to at most %d bytes of valid UTF-8",
				e.Clipped, len(e.SQL), utf8.ValidString(e.SQL), historySQLBytes)
		}
	})

	t.Run("forgets the least recently active principal", func(t *testing.T) {
		h := newHistories()
		for i := range historyPrincipals {
			h.add(fmt.Sprint("p", i), historyEntry{SQL: "SELECT 1"})
		}
		h.add("p0", historyEntry{SQL: "SELECT 2"}) // p0 is active again; p1 is now the oldest
		h.add("newcomer", historyEntry{SQL: "SELECT 3"})
		if len(h.by) != historyPrincipals {
			t.Errorf("principals remembered = %d, want %d", len(h.by), historyPrincipals)
		}
		if len(h.list("p1")) != 0 || len(h.list("p0")) != 2 || len(h.list("newcomer")) != 1 {
			t.Errorf("after eviction: p1 %d, p0 %d, newcomer %d entries; want 0, 2, 1",
				len(h.list("p1")), len(h.list("p0")), len(h.list("newcomer")))
		}
	})

	t.Run("concurrent use", func(t *testing.T) {
		h := newHistories()
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 100 {
					h.add(fmt.Sprint("p", g%3), historyEntry{SQL: fmt.Sprint(i)})
					h.list(fmt.Sprint("p", g%3))
				}
			})
		}
		wg.Wait()
		seen := map[int64]bool{}
		for p := range 3 {
			for _, e := range h.list(fmt.Sprint("p", p)) {
				if seen[e.ID] {
					t.Fatalf("id %d given twice", e.ID)
				}
				seen[e.ID] = true
			}
		}
	})

	t.Run("schema cache expires", func(t *testing.T) {
		h := newHistories()
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		sc := &workspaceSchema{}
		h.putSchema("cora", sc, now)
		if h.cachedSchema("cora", now.Add(schemaTTL-time.Second)) != sc {
			t.Errorf("schema not reused within its TTL")
		}
		if h.cachedSchema("cora", now.Add(schemaTTL)) != nil || h.cachedSchema("olga", now) != nil {
			t.Errorf("schema reused after its TTL or for another principal")
		}
	})
}

func TestHistoryPreview(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"SELECT\n  id\nFROM   t", "SELECT id FROM t"},
		{strings.Repeat("ab ", 40), strings.Repeat("ab ", 29) + "ab…"}, // 89 runes and an ellipsis
		{"é" + strings.Repeat("x", 100), "é" + strings.Repeat("x", 88) + "…"},
	} {
		if got := (historyEntry{SQL: tc.sql}).Preview(); got != tc.want {
			t.Errorf("Preview(%q) = %q, want %q", tc.sql, got, tc.want)
		}
	}
}

func TestMarkMasked(t *testing.T) {
	sc := &workspaceSchema{Tables: []schemaTable{
		{Domain: "hr", Product: "people", Name: "employees", Columns: []schemaColumn{
			{Name: "id"}, {Name: "name", Masked: true, Mask: "hash"}, {Name: "email", Masked: true, Mask: "partial"}}},
		{Domain: "hr", Product: "people", Name: "employees_archive", Columns: []schemaColumn{{Name: "id", Masked: true, Mask: "hash"}}},
	}}
	for _, tc := range []struct {
		sql  string
		cols []string
		want []string // the mask of each column, "" for none
	}{
		{"SELECT id, name FROM hr.people.employees", []string{"id", "name"}, []string{"", "hash"}},
		{"select ID, EMAIL from HR.People.Employees", []string{"ID", "EMAIL"}, []string{"", "partial"}},
		{"SELECT name FROM hr.people@v2.employees", []string{"name"}, []string{"hash"}},
		// employees_archive masks id; employees is not named, so name is not marked.
		{"SELECT id, name FROM hr.people.employees_archive", []string{"id", "name"}, []string{"hash", ""}},
		{"SELECT 'hr.people.employees' AS name", []string{"name"}, []string{"hash"}}, // a hint by name: a literal fools it
		{"SELECT 1 AS name", []string{"name"}, []string{""}},
	} {
		cols := make([]sqlColumn, len(tc.cols))
		for i, c := range tc.cols {
			cols[i].Name = c
		}
		sc.markMasked(tc.sql, cols)
		var got []string
		for _, c := range cols {
			got = append(got, c.Mask)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("markMasked(%q): masks differ (-want +got):\n%s", tc.sql, diff)
		}
	}
}

func TestCellText(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want any // string, or nil for NULL
	}{
		{`null`, nil},
		{`"a\u003cb"`, "a<b"},
		{`12345678901234567890`, "12345678901234567890"}, // no float rounding
		{`1.5`, "1.5"},
		{`true`, "true"},
		{`[1,"x"]`, `[1,"x"]`},
		{`{"k":null}`, `{"k":null}`},
	} {
		got := cellText(json.RawMessage(tc.raw))
		switch want := tc.want.(type) {
		case nil:
			if got != nil {
				t.Errorf("cellText(%s) = %q, want NULL", tc.raw, *got)
			}
		case string:
			if got == nil || *got != want {
				t.Errorf("cellText(%s) = %v, want %q", tc.raw, got, want)
			}
		}
	}
}

func TestNumericType(t *testing.T) {
	for typ, want := range map[string]bool{"INTEGER": true, "DECIMAL(10,2)": true, "DOUBLE": true, "BIGINT": true,
		"VARCHAR": false, "INTEGER[]": false, "DATE": false, "TIMESTAMP WITH TIME ZONE": false} {
		if got := numericType(typ); got != want {
			t.Errorf("numericType(%q) = %v, want %v", typ, got, want)
		}
	}
}
