package portal_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/platform"
)

const wsOrders = "SELECT id, email, amount FROM sales.orders.orders ORDER BY id"

// wsRun is the JSON answer of POST /sql/run.
type wsRun struct {
	Result *struct {
		Columns []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			Masked   bool   `json:"masked"`
			MaskedIn string `json:"maskedIn"`
		} `json:"columns"`
		Rows      [][]*string `json:"rows"`
		Offset    int         `json:"offset"`
		More      bool        `json:"more"`
		ElapsedMs float64     `json:"elapsedMs"`
	} `json:"result"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	History *struct {
		ID  int64  `json:"id"`
		SQL string `json:"sql"`
		OK  bool   `json:"ok"`
	} `json:"history"`
}

func (a wsAnswer) run(t *testing.T) wsRun {
	t.Helper()
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("POST /sql/run: Content-Type %q, want JSON\n%.1000s", ct, a.body)
	}
	var r wsRun
	if err := json.Unmarshal(a.body, &r); err != nil {
		t.Fatalf("POST /sql/run: %v\n%.1000s", err, a.body)
	}
	return r
}

func (r wsRun) column(t *testing.T, i int) []string {
	t.Helper()
	var out []string
	for _, row := range r.Result.Rows {
		if row[i] == nil {
			out = append(out, "NULL")
		} else {
			out = append(out, *row[i])
		}
	}
	return out
}

var wsHex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestWorkspaceRun(t *testing.T) {
	m := workspaceMesh(t)
	admin, cora := m.signIn(t, m.admin), m.signIn(t, m.consumer)
	ctx := context.Background()

	t.Run("no CSRF token", func(t *testing.T) {
		a := cora.run(t, ctx, "", map[string]any{"sql": wsOrders})
		if a.status != http.StatusForbidden {
			t.Errorf("POST /sql/run without X-CSRF-Token = %d, want 403", a.status)
		}
		if a = cora.run(t, ctx, admin.csrf, map[string]any{"sql": wsOrders}); a.status != http.StatusForbidden {
			t.Errorf("POST /sql/run with another session's token = %d, want 403", a.status)
		}
	})

	t.Run("consumer sees the email masked", func(t *testing.T) {
		a := cora.run(t, ctx, cora.csrf, map[string]any{"sql": wsOrders})
		if a.status != http.StatusOK {
			t.Fatalf("POST /sql/run = %d, want 200\n%s", a.status, a.body)
		}
		r := a.run(t)
		if r.Error != nil || r.Result == nil {
			t.Fatalf("POST /sql/run: error %+v, result %v", r.Error, r.Result)
		}
		if got := r.column(t, 0); !slices.Equal(got, []string{"1", "2", "3"}) {
			t.Errorf("ids = %v, want [1 2 3]", got)
		}
		for _, e := range r.column(t, 1) {
			if slices.Contains(wsEmails, e) || !wsHex64.MatchString(e) {
				t.Errorf("masked email = %q, want a 64-hex-digit hash", e)
			}
		}
		if got := r.column(t, 2); !slices.Equal(got, []string{"10.50", "11.50", "12.50"}) {
			t.Errorf("amounts = %v, want the API's exact decimals", got)
		}
		if c := r.Result.Columns[1]; !c.Masked || c.MaskedIn != "sales.orders.orders" {
			t.Errorf("email column = %+v, want marked masked in sales.orders.orders", c)
		}
		if c := r.Result.Columns[0]; c.Masked {
			t.Errorf("id column = %+v, want not marked masked", c)
		}
		if bytes.Contains(a.body, []byte(wsEmails[0])) {
			t.Errorf("the answer quotes a clear email:\n%s", a.body)
		}
		if r.History == nil || r.History.SQL != wsOrders || !r.History.OK {
			t.Errorf("history entry = %+v, want the query, ok", r.History)
		}
	})

	t.Run("admin sees the email in clear", func(t *testing.T) {
		r := admin.run(t, ctx, admin.csrf, map[string]any{"sql": wsOrders}).run(t)
		if r.Result == nil {
			t.Fatalf("error %+v", r.Error)
		}
		if got := r.column(t, 1); !slices.Equal(got, wsEmails) {
			t.Errorf("emails = %v, want %v", got, wsEmails)
		}
		if r.Result.Columns[1].Masked {
			t.Errorf("email column marked masked for the admin")
		}
	})

	t.Run("paging", func(t *testing.T) {
		const q = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 250) SELECT i FROM r ORDER BY i"
		for _, tc := range []struct {
			offset, n int
			first     string
			more      bool
		}{{0, 100, "1", true}, {100, 100, "101", true}, {200, 50, "201", false}} {
			a := cora.run(t, ctx, cora.csrf, map[string]any{"sql": q, "offset": tc.offset, "limit": 100})
			r := a.run(t)
			if r.Result == nil {
				t.Fatalf("offset %d: error %+v", tc.offset, r.Error)
			}
			if got := r.column(t, 0); len(got) != tc.n || got[0] != tc.first || r.Result.More != tc.more {
				t.Errorf("offset %d: %d rows from %s, more %v; want %d from %s, more %v", tc.offset, len(got), got[0], r.Result.More,
					tc.n, tc.first, tc.more)
			}
			if (r.History != nil) != (tc.offset == 0) {
				t.Errorf("offset %d: history entry %+v; want one only for the first page", tc.offset, r.History)
			}
		}
	})

	t.Run("refusals carry the API's message", func(t *testing.T) {
		for _, q := range []string{
			"COPY (SELECT 1) TO '/tmp/out.csv'",
			"SELECT * FROM read_csv('/etc/passwd')",
			"SELECT * FROM sales.orders.nosuchtable",
			"DROP TABLE sales.orders.orders",
		} {
			var api struct {
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			req, _ := http.NewRequest("POST", m.srv.URL+"/api/v1/query", jsonBody(t, map[string]string{"sql": q}))
			req.Header.Set("Authorization", "Bearer "+m.consumer)
			res, err := m.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(res.Body).Decode(&api)
			res.Body.Close()
			if res.StatusCode < 400 || api.Error.Message == "" {
				t.Fatalf("API %q = %d %q; want a refusal to compare with", q, res.StatusCode, api.Error.Message)
			}
			a := cora.run(t, ctx, cora.csrf, map[string]any{"sql": q})
			r := a.run(t)
			if a.status != res.StatusCode || r.Error == nil || r.Error.Message != api.Error.Message {
				t.Errorf("POST /sql/run %q = %d %+v; want %d with the API's message %q", q, a.status, r.Error, res.StatusCode, api.Error.Message)
			}
			if r.History == nil || r.History.OK {
				t.Errorf("POST /sql/run %q: history %+v, want a failed entry", q, r.History)
			}
		}
	})

	t.Run("bad body", func(t *testing.T) {
		a := cora.run(t, ctx, cora.csrf, map[string]any{"sql": "SELECT 1", "nonsense": true})
		if r := a.run(t); a.status != http.StatusBadRequest || r.Error == nil {
			t.Errorf("POST /sql/run with an unknown field = %d %+v, want 400 with an error", a.status, r.Error)
		}
		a = cora.run(t, ctx, cora.csrf, map[string]any{"sql": "   "})
		if r := a.run(t); a.status != http.StatusBadRequest || r.Error == nil {
			t.Errorf("POST /sql/run with no SQL = %d %+v, want 400 with an error", a.status, r.Error)
		}
	})
}

// TestWorkspaceForm is the page without JavaScript: the form posts to /sql
// and the server renders the results or the refusal.
func TestWorkspaceForm(t *testing.T) {
	m := workspaceMesh(t)
	cora := m.signIn(t, m.consumer)

	t.Run("results", func(t *testing.T) {
		a := cora.form(t, "/sql", url.Values{"sql": {wsOrders}}, false)
		if a.status != http.StatusOK {
			t.Fatalf("POST /sql = %d\n%.2000s", a.status, a.body)
		}
		for _, want := range []string{`<th scope="col">email`, `badge masked`, `<td class="num">10.50</td>`, "Rows 1–3"} {
			if !bytes.Contains(a.body, []byte(want)) {
				t.Errorf("POST /sql: page lacks %q", want)
			}
		}
		if bytes.Contains(a.body, []byte(wsEmails[0])) {
			t.Errorf("POST /sql: the page quotes a clear email")
		}
	})

	t.Run("next page", func(t *testing.T) {
		const q = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 150) SELECT i FROM r ORDER BY i"
		a := cora.form(t, "/sql", url.Values{"sql": {q}}, false)
		if !bytes.Contains(a.body, []byte(`name="offset" value="100"`)) {
			t.Fatalf("first page has no Next button to offset 100")
		}
		a = cora.form(t, "/sql", url.Values{"sql": {q}, "offset": {"100"}}, false)
		if !bytes.Contains(a.body, []byte("<td class=\"num\">101</td>")) || bytes.Contains(a.body, []byte("<td class=\"num\">100</td>")) ||
			!bytes.Contains(a.body, []byte("Rows 101–150")) {
			t.Errorf("second page does not hold rows 101 to 150:\n%.3000s", a.body)
		}
	})

	t.Run("refusal", func(t *testing.T) {
		a := cora.form(t, "/sql", url.Values{"sql": {"SELECT * FROM read_csv('/etc/passwd')"}}, false)
		if a.status != http.StatusBadRequest && a.status != http.StatusForbidden {
			t.Errorf("POST /sql with read_csv = %d, want 400 or 403", a.status)
		}
		alert := regexp.MustCompile(`(?s)<div class="flash error" role="alert"><strong>([^<]+)</strong>`).FindSubmatch(a.body)
		if alert == nil || len(bytes.TrimSpace(alert[1])) == 0 {
			t.Errorf("POST /sql with read_csv: no role=alert box with the message\n%.3000s", a.body)
		}
		if !bytes.Contains(a.body, []byte("read_csv(&#39;/etc/passwd&#39;)</textarea>")) {
			t.Errorf("POST /sql with read_csv: the editor lost the query")
		}
	})

	t.Run("no CSRF token", func(t *testing.T) {
		if a := cora.form(t, "/sql", url.Values{"sql": {wsOrders}}, true); a.status != http.StatusForbidden {
			t.Errorf("POST /sql without csrf = %d, want 403", a.status)
		}
	})

	t.Run("XSS in a result", func(t *testing.T) {
		const payload = "<script>alert(1)</script>"
		a := cora.form(t, "/sql", url.Values{"sql": {"SELECT '" + payload + "' AS x"}}, false)
		if a.status != http.StatusOK {
			t.Fatalf("POST /sql = %d\n%.2000s", a.status, a.body)
		}
		if bytes.Contains(a.body, []byte(payload)) || bytes.Contains(a.body, []byte("<script>alert")) {
			t.Errorf("the page renders the payload unescaped:\n%s", a.body)
		}
		if !bytes.Contains(a.body, []byte("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>")) {
			t.Errorf("the page does not show the payload as text in the grid")
		}
		// It is in the history now: GET /sql lists it, escaped too.
		g := cora.get(t, "/sql")
		if bytes.Contains(g.body, []byte("<script>alert")) {
			t.Errorf("GET /sql renders the history's payload unescaped")
		}
	})
}

// TestWorkspacePage is GET /sql: preloading, the schema the editor
// completes from and the history list.
func TestWorkspacePage(t *testing.T) {
	m := workspaceMesh(t)
	admin, cora := m.signIn(t, m.admin), m.signIn(t, m.consumer)

	t.Run("preload", func(t *testing.T) {
		a := cora.get(t, "/sql?q="+url.QueryEscape("SELECT 1 AS \"</textarea><b>x\""))
		if a.status != http.StatusOK {
			t.Fatalf("GET /sql = %d", a.status)
		}
		if !bytes.Contains(a.body, []byte(`SELECT 1 AS &#34;&lt;/textarea&gt;&lt;b&gt;x&#34;</textarea>`)) {
			t.Errorf("GET /sql?q= does not preload the editor with the query, escaped:\n%.3000s", a.body)
		}
		if !bytes.Contains(a.body, []byte(`<a href="/sql" aria-current="page">SQL</a>`)) {
			t.Errorf("GET /sql does not mark SQL as the current page")
		}
		if !bytes.Contains(a.body, []byte(`/static/workspace.js?v=`)) {
			t.Errorf("GET /sql does not load the workspace script")
		}
	})

	t.Run("schema", func(t *testing.T) {
		a := cora.get(t, "/sql")
		sub := regexp.MustCompile(`(?s)<script type="application/json" id="schema">(.*?)</script>`).FindSubmatch(a.body)
		if sub == nil {
			t.Fatalf("GET /sql has no schema element")
		}
		var sc struct {
			Tables []struct {
				Address     string `json:"address"`
				Description string `json:"description"`
				Columns     []struct {
					Name        string `json:"name"`
					Description string `json:"description"`
					Masked      bool   `json:"masked"`
				} `json:"columns"`
			} `json:"tables"`
		}
		// The element ends at the first "</script>": if a description's
		// "</script>" were not escaped, this would be cut JSON.
		if err := json.Unmarshal(sub[1], &sc); err != nil {
			t.Fatalf("schema element is not JSON: %v\n%s", err, sub[1])
		}
		if len(sc.Tables) != 1 || sc.Tables[0].Address != "sales.orders.orders" {
			t.Fatalf("schema tables = %+v, want sales.orders.orders", sc.Tables)
		}
		tb := sc.Tables[0]
		if !strings.Contains(tb.Description, "</script><script>alert(1)</script>") {
			t.Errorf("table description = %q, want the original text back", tb.Description)
		}
		var masked []string
		for _, c := range tb.Columns {
			if c.Masked {
				masked = append(masked, c.Name)
			}
		}
		if !slices.Equal(masked, []string{"email"}) || len(tb.Columns) != 3 {
			t.Errorf("columns %+v: masked %v, want 3 columns with email masked", tb.Columns, masked)
		}
		if bytes.Contains(a.body, []byte("<script>alert")) || bytes.Contains(a.body, []byte("<img src=x")) {
			t.Errorf("GET /sql renders a description unescaped")
		}
		// The admin sees the email in clear, so it is not marked for it.
		a = admin.get(t, "/sql")
		if sub := regexp.MustCompile(`(?s)id="schema">(.*?)</script>`).FindSubmatch(a.body); sub == nil || bytes.Contains(sub[1], []byte(`"masked":true`)) {
			t.Errorf("admin's schema marks a masked column (or is missing): %s", sub)
		}
	})

	t.Run("history per principal", func(t *testing.T) {
		cora.run(t, context.Background(), cora.csrf, map[string]any{"sql": "SELECT 'cora-1' AS x"})
		cora.run(t, context.Background(), cora.csrf, map[string]any{"sql": "SELECT 'cora-2' AS x"})
		admin.run(t, context.Background(), admin.csrf, map[string]any{"sql": "SELECT 'admin-1' AS x"})
		c, ad := string(cora.get(t, "/sql").body), string(admin.get(t, "/sql").body)
		if !strings.Contains(c, "cora-1") || !strings.Contains(c, "cora-2") || strings.Contains(c, "admin-1") {
			t.Errorf("cora's history: want her two queries and not the admin's")
		}
		if i, j := strings.Index(c, "cora-2"), strings.Index(c, "cora-1"); i > j {
			t.Errorf("cora's history is not newest first")
		}
		if !strings.Contains(ad, "admin-1") || strings.Contains(ad, "cora-1") {
			t.Errorf("admin's history: want its query and not cora's")
		}
		// A second browser of cora's shares it; ?h= loads an entry.
		other := m.signIn(t, m.consumer)
		page := string(other.get(t, "/sql").body)
		h := regexp.MustCompile(`href="/sql\?h=(\d+)" data-sql="SELECT &#39;cora-2&#39; AS x"`).FindStringSubmatch(page)
		if h == nil {
			t.Fatalf("cora's other browser does not list cora-2 with a link:\n%.3000s", page)
		}
		if got := string(other.get(t, "/sql?h="+h[1]).body); !strings.Contains(got, "SELECT &#39;cora-2&#39; AS x</textarea>") {
			t.Errorf("GET /sql?h=%s does not load the entry into the editor", h[1])
		}
		if got := string(admin.get(t, "/sql?h="+h[1]).body); strings.Contains(got, "cora-2") {
			t.Errorf("GET /sql?h= loads another principal's query")
		}
	})
}

func TestWorkspaceExport(t *testing.T) {
	m := workspaceMesh(t)
	cora := m.signIn(t, m.consumer)

	a := cora.form(t, "/sql/export", url.Values{"sql": {wsOrders}}, false)
	if a.status != http.StatusOK {
		t.Fatalf("POST /sql/export = %d\n%.2000s", a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type = %q, want text/csv", ct)
	}
	if cd := a.header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="query-\d{8}-\d{6}\.csv"$`).MatchString(cd) {
		t.Errorf("Content-Disposition = %q, want an attachment named query-....csv", cd)
	}
	if csp := a.header.Get("Content-Security-Policy"); csp == "" {
		t.Errorf("the export lacks the portal's security headers")
	}
	recs, err := csv.NewReader(bytes.NewReader(a.body)).ReadAll()
	if err != nil || len(recs) != 4 || !slices.Equal(recs[0], []string{"id", "email", "amount"}) {
		t.Fatalf("export = %q (%v), want a header and 3 rows", recs, err)
	}
	for _, r := range recs[1:] {
		if !wsHex64.MatchString(r[1]) {
			t.Errorf("exported email = %q, want it masked", r[1])
		}
	}

	if a := cora.form(t, "/sql/export", url.Values{"sql": {wsOrders}}, true); a.status != http.StatusForbidden {
		t.Errorf("POST /sql/export without csrf = %d, want 403", a.status)
	}
	a = cora.form(t, "/sql/export", url.Values{"sql": {"COPY (SELECT 1) TO '/tmp/x.csv'"}}, false)
	if a.status < 400 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || a.header.Get("Content-Disposition") != "" ||
		!bytes.Contains(a.body, []byte(`role="alert"`)) {
		t.Errorf("POST /sql/export refused = %d %q, want the page with the message in an alert", a.status, a.header.Get("Content-Type"))
	}
}

// TestWorkspaceCancel: when the page's script aborts the fetch, the query
// the portal runs in process stops with it.
func TestWorkspaceCancel(t *testing.T) {
	m := workspaceMesh(t, func(c *platform.Config) { c.QueryTimeout = 10 * time.Minute })
	cora := m.signIn(t, m.consumer)
	entered, done := make(chan struct{}, 1), make(chan struct{})
	h := m.p.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sql/run" {
			entered <- struct{}{}
			defer close(done)
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cora.m = &wsMesh{p: m.p, srv: srv}
	// The session cookie belongs to the first server's host; carry it over.
	u, _ := url.Parse(m.srv.URL)
	su, _ := url.Parse(srv.URL)
	cora.c.Jar.SetCookies(su, cora.c.Jar.Cookies(u))

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		time.Sleep(200 * time.Millisecond) // let the query start
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/sql/run", jsonBody(t, map[string]any{
		"sql": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"}))
	req.Header.Set("X-CSRF-Token", cora.csrf)
	req.Header.Set("Content-Type", "application/json")
	_, err := cora.c.Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("POST /sql/run: %v, want the client to give up", err)
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the query still runs a minute after the page cancelled it (its own timeout is 10 minutes)")
	}
	if n := m.p.DuckDB.Stats().InUse; n != 0 {
		t.Errorf("DuckDB connections in use after cancel = %d, want 0", n)
	}
	// A cancelled run is no history.
	if page := cora.get(t, "/sql").body; bytes.Contains(page, []byte("WITH RECURSIVE")) {
		t.Errorf("the cancelled query is in the history")
	}
}
