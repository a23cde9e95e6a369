package portal

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/observe"
)

// The SQL workspace: an editor, a results grid with paging, CSV export and
// a per-principal history. Queries go to the REST API's POST /api/v1/query
// in process, with the principal's own credential, so the guard, the
// policies (masks, row filters) and the audit log apply exactly as they do
// to any other client; the portal only pages and displays.
//
// The page works without JavaScript (a form posting to /sql renders the
// results on the server); static/workspace.js (built from web/, see
// scripts/build-assets.sh) replaces the textarea with CodeMirror and runs
// queries through /sql/run.

// Limits of the workspace.
const (
	sqlPageSize = 100    // rows per page of the grid
	sqlMaxPage  = 500    // the most rows a page may ask for
	sqlMaxSkip  = 10_000 // the grid pages this deep; export gives the rest
)

func (p *Portal) workspaceRoutes() {
	p.mux.HandleFunc("GET /sql", p.page(p.handleSQLPage))
	p.mux.HandleFunc("POST /sql", p.action(p.handleSQLForm))
	p.mux.HandleFunc("POST /sql/run", p.action(p.handleSQLRun))
	p.mux.HandleFunc("POST /sql/export", p.action(p.handleSQLExport))
}

// sqlData is the workspace page's.
type sqlData struct {
	SQL     string
	Schema  *workspaceSchema
	History []historyEntry
	Result  *sqlResult
	Error   *APIError // the query's refusal, shown by the results
	MaxSkip int
}

// sqlColumn is a result column.
type sqlColumn struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Numeric bool   `json:"numeric,omitempty"`
	// Masked says a column of this name is masked for the principal in a
	// table the query reads (the API's result does not say which source a
	// column came from, so this is a hint by name); Mask is how, MaskedIn where.
	Masked   bool   `json:"masked,omitempty"`
	Mask     string `json:"mask,omitempty"`
	MaskedIn string `json:"maskedIn,omitempty"`
}

// sqlResult is one page of a query's result, every value as text (nil: NULL).
type sqlResult struct {
	Columns   []sqlColumn      `json:"columns"`
	Rows      [][]*string      `json:"rows"`
	Offset    int              `json:"offset"`
	Limit     int              `json:"limit"`
	More      bool             `json:"more"`      // another page follows
	Cut       bool             `json:"cut"`       // the server's row limit ended the result
	ElapsedMs float64          `json:"elapsedMs"` // the engine's time
	Snapshots map[string]int64 `json:"snapshots,omitempty"`
}

// First and Last number the page's rows from 1, for display.
func (r *sqlResult) First() int { return r.Offset + 1 }
func (r *sqlResult) Last() int  { return r.Offset + len(r.Rows) }

// PrevOffset and NextOffset are the neighbouring pages' offsets.
func (r *sqlResult) PrevOffset() int { return max(0, r.Offset-r.Limit) }
func (r *sqlResult) NextOffset() int { return r.Offset + r.Limit }

// apiResult is the JSON answer of POST /api/v1/query.
type apiResult struct {
	Columns []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"columns"`
	Rows      [][]json.RawMessage `json:"rows"`
	RowCount  int64               `json:"rowCount"`
	Truncated bool                `json:"truncated"`
	ElapsedMs float64             `json:"elapsedMs"`
	Snapshots map[string]int64    `json:"snapshots"`
	// Error is set when the query failed after rows were sent.
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// runSQL runs one page of sql through the API. Paging asks the API for the
// rows up to the end of the page (max_rows) and skips those before it:
// the API has no offset, and wrapping the query in SELECT * FROM (...)
// LIMIT/OFFSET would answer a refused statement with a parse error instead
// of the guard's message, and need not keep the query's ORDER BY.
func (p *Portal) runSQL(v *view, sql string, offset, limit int) (*sqlResult, error) {
	if strings.TrimSpace(sql) == "" {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "invalid", Message: "Write a query first."}
	}
	if limit <= 0 {
		limit = sqlPageSize
	}
	limit = min(limit, sqlMaxPage)
	offset = max(0, offset)
	if offset > sqlMaxSkip {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "invalid", Message: "The grid pages through the first " +
			strconv.Itoa(sqlMaxSkip) + " rows; export the result as CSV to see all of it."}
	}
	want := offset + limit + 1 // one more than the page, to know whether another follows
	rec, err := v.api.raw("POST", "/api/v1/query", nil, httpapi.QueryRequest{SQL: sql, MaxRows: int64(want)})
	if err != nil {
		return nil, err
	}
	var res apiResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		return nil, err
	}
	if res.Error != nil {
		return nil, &APIError{Status: http.StatusBadRequest, Code: res.Error.Code, Message: res.Error.Message}
	}
	out := &sqlResult{Offset: offset, Limit: limit, ElapsedMs: res.ElapsedMs, Snapshots: res.Snapshots,
		Columns: make([]sqlColumn, len(res.Columns)), Rows: [][]*string{}}
	for i, c := range res.Columns {
		out.Columns[i] = sqlColumn{Name: c.Name, Type: c.Type, Numeric: numericType(c.Type)}
	}
	rows := res.Rows
	out.More = len(rows) > offset+limit
	out.Cut = res.Truncated && len(rows) < want
	rows = rows[min(offset, len(rows)):min(offset+limit, len(rows))]
	for _, row := range rows {
		cells := make([]*string, len(row))
		for i, raw := range row {
			cells[i] = cellText(raw)
		}
		out.Rows = append(out.Rows, cells)
	}
	if sc := p.schemaFor(v); sc != nil {
		sc.markMasked(sql, out.Columns)
	}
	return out, nil
}

// cellText renders a JSON value as the grid shows it: strings as they are,
// numbers as the API wrote them (no float rounding), lists and structs as
// JSON, null as nil.
func cellText(raw json.RawMessage) *string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return &s
	}
	s = string(raw)
	return &s
}

func numericType(t string) bool {
	t = strings.ToUpper(t)
	for _, p := range []string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
		"UBIGINT", "UHUGEINT", "DECIMAL", "DOUBLE", "FLOAT", "REAL"} {
		if strings.HasPrefix(t, p) && !strings.HasSuffix(t, "[]") {
			return true
		}
	}
	return false
}

// remember records a query in the principal's history.
func (p *Portal) remember(v *view, sql string, res *sqlResult, err error) historyEntry {
	e := historyEntry{SQL: sql, When: p.now(), OK: err == nil}
	if res != nil {
		e.Rows, e.More, e.Ms = int64(len(res.Rows)), res.More, res.ElapsedMs
	}
	if err != nil {
		e.Error = asAPIError(err).Message
	}
	return p.history.add(v.Session.Principal, e)
}

// queryFailed turns a failed query into what the page shows, logging what
// was not the API's refusal.
func (p *Portal) queryFailed(r *http.Request, err error) *APIError {
	ae := asAPIError(err)
	if ae.Status >= 500 && !errors.As(err, new(*APIError)) {
		p.log.ErrorContext(r.Context(), "query failed", "err", err)
	}
	return ae
}

func (p *Portal) sqlPage(w http.ResponseWriter, r *http.Request, v *view, code int, d sqlData) {
	d.Schema = p.schemaFor(v)
	d.History = p.history.list(v.Session.Principal)
	d.MaxSkip = sqlMaxSkip
	p.render(w, r, code, "sql", "", pageData{Title: "SQL workspace", Nav: "sql", View: v, Data: d})
}

// handleSQLPage shows the editor, preloaded with ?q= (the product page's
// "Run" links) or a history entry (?h=).
func (p *Portal) handleSQLPage(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	d := sqlData{SQL: q.Get("q")}
	if id, err := strconv.ParseInt(q.Get("h"), 10, 64); err == nil {
		if e, ok := p.history.get(v.Session.Principal, id); ok {
			d.SQL = e.SQL
		}
	}
	p.sqlPage(w, r, v, http.StatusOK, d)
}

// handleSQLForm runs a query for a browser without JavaScript and renders
// the page with its first (or ?offset=) page of results, or the refusal.
func (p *Portal) handleSQLForm(w http.ResponseWriter, r *http.Request, v *view) {
	sql := r.PostFormValue("sql")
	offset, _ := strconv.Atoi(r.PostFormValue("offset"))
	d := sqlData{SQL: sql}
	res, err := p.runSQL(v, sql, offset, sqlPageSize)
	if offset == 0 {
		p.remember(v, sql, res, err)
	}
	code := http.StatusOK
	if err != nil {
		d.Error = p.queryFailed(r, err)
		code = d.Error.Status
	}
	d.Result = res
	p.sqlPage(w, r, v, code, d)
}

// sqlRunRequest is the body of POST /sql/run.
type sqlRunRequest struct {
	SQL    string `json:"sql"`
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"`
}

// sqlRunAnswer is the answer of POST /sql/run.
type sqlRunAnswer struct {
	Result  *sqlResult    `json:"result,omitempty"`
	Error   *sqlRunError  `json:"error,omitempty"`
	History *historyEntry `json:"history,omitempty"` // the entry the run added, on a first page
}

type sqlRunError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId,omitempty"`
}

// handleSQLRun runs a query for the page's script. The request's context
// is the API call's: when the script aborts (Cancel), the query stops.
func (p *Portal) handleSQLRun(w http.ResponseWriter, r *http.Request, v *view) {
	var req sqlRunRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeWorkspaceJSON(w, http.StatusBadRequest, sqlRunAnswer{Error: &sqlRunError{Code: "invalid",
			Message: `The body must be JSON like {"sql": "SELECT ...", "offset": 0, "limit": 100}.`}})
		return
	}
	res, err := p.runSQL(v, req.SQL, req.Offset, req.Limit)
	if r.Context().Err() != nil {
		return // the script gave up; nobody reads an answer, and the run is not history
	}
	ans := sqlRunAnswer{Result: res}
	if req.Offset == 0 {
		e := p.remember(v, req.SQL, res, err)
		ans.History = &e
	}
	code := http.StatusOK
	if err != nil {
		ae := p.queryFailed(r, err)
		ans.Error = &sqlRunError{Code: ae.Code, Message: ae.Message, RequestID: ae.RequestID}
		code = ae.Status
	}
	writeWorkspaceJSON(w, code, ans)
}

func writeWorkspaceJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// handleSQLExport streams the API's CSV answer as a download. A refusal
// renders the workspace with the message.
func (p *Portal) handleSQLExport(w http.ResponseWriter, r *http.Request, v *view) {
	sql := r.PostFormValue("sql")
	if strings.TrimSpace(sql) == "" {
		p.sqlPage(w, r, v, http.StatusBadRequest, sqlData{Error: &APIError{Status: http.StatusBadRequest, Code: "invalid",
			Message: "Write a query first."}})
		return
	}
	name := "query-" + p.now().UTC().Format("20060102-150405") + ".csv"
	err := p.streamCSV(w, r, v, sql, name)
	if err != nil {
		p.sqlPage(w, r, v, asAPIError(err).Status, sqlData{SQL: sql, Error: p.queryFailed(r, err)})
	}
}

// streamCSV calls the API with Accept: text/csv and copies its answer to w
// as it comes, as an attachment. A refusal (before any byte is sent)
// comes back as an error and nothing is written. If the query fails
// midway, the API aborts the handler (http.ErrAbortHandler), which breaks
// the connection so that a partial file is not taken for a whole one.
func (p *Portal) streamCSV(w http.ResponseWriter, r *http.Request, v *view, sql, filename string) error {
	body, err := json.Marshal(httpapi.QueryRequest{SQL: sql})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(r.Context(), "POST", "/api/v1/query", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.RemoteAddr = "portal"
	req.Header.Set("Authorization", "Bearer "+v.Session.cred)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/csv")
	if id := observe.RequestID(r.Context()); id != "" {
		req.Header.Set("X-Request-Id", id)
	}
	cw := &csvWriter{w: w, filename: filename, h: http.Header{}}
	p.api.ServeHTTP(cw, req)
	if cw.status == 0 {
		cw.WriteHeader(http.StatusOK) // an empty answer
	}
	if cw.status < 200 || cw.status > 299 {
		return decodeAPIError(cw.status, cw.errBody.Bytes())
	}
	return nil
}

// csvWriter passes a successful API answer through to the browser and
// keeps a failed one for the caller. The API's own headers stay behind:
// only the content type is the browser's business.
type csvWriter struct {
	w        http.ResponseWriter
	filename string
	h        http.Header
	status   int
	errBody  bytes.Buffer
}

func (c *csvWriter) Header() http.Header { return c.h }

func (c *csvWriter) WriteHeader(code int) {
	if c.status != 0 {
		return
	}
	c.status = code
	if code < 200 || code > 299 {
		return
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+c.filename+`"`)
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(code)
}

func (c *csvWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if c.status < 200 || c.status > 299 {
		if c.errBody.Len() < 64<<10 {
			c.errBody.Write(b)
		}
		return len(b), nil
	}
	return c.w.Write(b)
}

// Flush lets the API's encoder push rows out as they come.
func (c *csvWriter) Flush() {
	if f, ok := c.w.(http.Flusher); ok && c.status >= 200 && c.status <= 299 {
		f.Flush()
	}
}
