package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the separate DuckDB that writes Parquet test bodies
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
)

// Media types of publish bodies.
const (
	ctCSV     = "text/csv"
	ctNDJSON  = "application/x-ndjson"
	ctParquet = "application/vnd.apache.parquet"
)

// env is a real platform over a temporary data directory, served by a real
// HTTP server.
type env struct {
	p     *platform.Platform
	srv   *httptest.Server
	cfg   platform.Config
	token string // sent as the bearer unless a request sets Authorization itself
}

// as returns the same platform seen by the holder of token ("": no credential).
func (e *env) as(token string) *env {
	c := *e
	c.token = token
	return &c
}

// newEnv builds a platform with small engine limits; edit changes the
// configuration before it is opened.
func newEnv(tb testing.TB, edit ...func(*platform.Config)) *env {
	tb.Helper()
	cfg := platform.Defaults(tb.TempDir())
	cfg.MemoryLimit = "1GB"
	cfg.Threads = 2
	for _, f := range edit {
		f(&cfg)
	}
	p, err := platform.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("platform.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Errorf("platform.Close: %v", err)
		}
	})
	srv := httptest.NewServer(p.API)
	tb.Cleanup(srv.Close) // runs before p.Close: cleanups are last in, first out
	return &env{p: p, srv: srv, cfg: cfg, token: p.AdminSecret}
}

// post sends a POST with the env's credential and leaves the answer to the caller; safe from many goroutines.
func (e *env) post(path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	return e.srv.Client().Do(req)
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request; hdr holds header names and values, in pairs.
func (e *env) do(tb testing.TB, method, path string, body io.Reader, hdr ...string) response {
	tb.Helper()
	return e.doCtx(tb, context.Background(), method, path, body, hdr...)
}

func (e *env) doCtx(tb testing.TB, ctx context.Context, method, path string, body io.Reader, hdr ...string) response {
	tb.Helper()
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, body)
	if err != nil {
		tb.Fatalf("new request %s %s: %v", method, path, err)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// decode unmarshals the body, failing the test if it is not the JSON of v.
func (r response) decode(tb testing.TB, what string, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("%s: body is not the expected JSON: %v\n%s", what, err, r.body)
	}
}

// wantStatus fails the test unless the answer has the given status.
func (r response) wantStatus(tb testing.TB, what string, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s = %d, want %d\n%s", what, r.status, want, clip(r.body))
	}
}

// wantError checks the status and the error envelope, whose message must
// contain msg; it returns the envelope.
func (r response) wantError(tb testing.TB, what string, status int, code, msg string) httpapi.ErrorDetail {
	tb.Helper()
	if r.status != status {
		tb.Errorf("%s = %d, want %d\n%s", what, r.status, status, clip(r.body))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("%s: Content-Type = %q, want application/json", what, ct)
	}
	var eb httpapi.ErrorBody
	dec := json.NewDecoder(bytes.NewReader(r.body))
	if err := dec.Decode(&eb); err != nil {
		tb.Fatalf("%s: body is not an error envelope: %v\n%s", what, err, clip(r.body))
	}
	if eb.Error.Code != code {
		tb.Errorf("%s: error code = %q, want %q (message %q)", what, eb.Error.Code, code, eb.Error.Message)
	}
	if !strings.Contains(eb.Error.Message, msg) {
		tb.Errorf("%s: error message = %q, want it to contain %q", what, eb.Error.Message, msg)
	}
	if op := opPrefix.FindString(eb.Error.Message); op != "" {
		tb.Errorf("%s: error message %q shows the internal operation %q", what, eb.Error.Message, op)
	}
	if eb.Error.RequestID == "" || eb.Error.RequestID != r.header.Get("X-Request-Id") {
		tb.Errorf("%s: requestId = %q, X-Request-Id = %q, want the same, not empty", what, eb.Error.RequestID, r.header.Get("X-Request-Id"))
	}
	return eb.Error
}

// opPrefix matches an errs.Error op ("spec.CheckName: "), which is for logs, not clients.
var opPrefix = regexp.MustCompile(`\b(http|spec|apply|publish|query|lake|registry|schema|quality)\.[A-Za-z]+: `)

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// testdata reads a file of testdata/.
func testdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// multipartBody encodes spec files as a multipart/form-data upload.
func multipartBody(tb testing.TB, srcs []apply.Source) (io.Reader, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, s := range srcs {
		w, err := mw.CreateFormFile("spec", s.Name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(s.Data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// apply applies spec files (one multipart upload) and returns the plan.
func (e *env) apply(tb testing.TB, query string, srcs ...apply.Source) apply.Plan {
	tb.Helper()
	body, ct := multipartBody(tb, srcs)
	r := e.do(tb, "POST", "/api/v1/apply"+query, body, "Content-Type", ct)
	r.wantStatus(tb, "POST /api/v1/apply"+query, http.StatusOK)
	var plan apply.Plan
	r.decode(tb, "apply plan", &plan)
	return plan
}

// applyFiles applies files of testdata/.
func (e *env) applyFiles(tb testing.TB, names ...string) apply.Plan {
	tb.Helper()
	var srcs []apply.Source
	for _, n := range names {
		srcs = append(srcs, apply.Source{Name: n, Data: testdata(tb, n)})
	}
	return e.apply(tb, "", srcs...)
}

// lakeIdent splits domain.product.table.
func lakeIdent(name string) lake.Ident {
	parts := strings.Split(name, ".")
	return lake.Ident{Domain: parts[0], Product: parts[1], Table: parts[2]}
}

func publishPath(table, mode string) string {
	parts := strings.Split(table, ".")
	return fmt.Sprintf("/api/v1/products/%s/%s/tables/%s/publish?mode=%s", parts[0], parts[1], parts[2], mode)
}

// publish sends one upload; hdr are extra headers in pairs.
func (e *env) publish(tb testing.TB, table, mode, ct string, body []byte, hdr ...string) response {
	tb.Helper()
	return e.do(tb, "POST", publishPath(table, mode), bytes.NewReader(body), append([]string{"Content-Type", ct}, hdr...)...)
}

// mustPublish publishes and wants a commit.
func (e *env) mustPublish(tb testing.TB, table, mode, ct string, body []byte, hdr ...string) publish.Report {
	tb.Helper()
	r := e.publish(tb, table, mode, ct, body, hdr...)
	r.wantStatus(tb, "POST "+publishPath(table, mode), http.StatusOK)
	var rep publish.Report
	r.decode(tb, "publish report", &rep)
	if rep.Status != publish.StatusCommitted || rep.SnapshotID == 0 {
		tb.Fatalf("publish %s: status %q, snapshot %d, want committed with a snapshot", table, rep.Status, rep.SnapshotID)
	}
	return rep
}

// gateFailure decodes the report carried in a 422's error details.
func gateFailure(tb testing.TB, r response) publish.Report {
	tb.Helper()
	var eb struct {
		Error struct {
			Code    string         `json:"code"`
			Details publish.Report `json:"details"`
		} `json:"error"`
	}
	r.decode(tb, "gate failure", &eb)
	return eb.Error.Details
}

// result is a JSON query answer; numbers stay json.Number.
type result struct {
	Columns []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"columns"`
	Rows      [][]any          `json:"rows"`
	RowCount  int64            `json:"rowCount"`
	Truncated bool             `json:"truncated"`
	Snapshots map[string]int64 `json:"snapshots"`
	Error     any              `json:"error"`
}

func (res result) columnNames() []string {
	var out []string
	for _, c := range res.Columns {
		out = append(out, c.Name)
	}
	return out
}

// text renders the rows as strings, for comparison.
func (res result) text() [][]string {
	out := [][]string{}
	for _, row := range res.Rows {
		var r []string
		for _, v := range row {
			if v == nil {
				r = append(r, "NULL")
				continue
			}
			r = append(r, fmt.Sprint(v))
		}
		out = append(out, r)
	}
	return out
}

func queryBody(sql string) io.Reader {
	b, _ := json.Marshal(map[string]string{"sql": sql})
	return bytes.NewReader(b)
}

// query runs SQL through the API and wants a complete JSON answer.
func (e *env) query(tb testing.TB, sql string) result {
	tb.Helper()
	r := e.do(tb, "POST", "/api/v1/query", queryBody(sql), "Content-Type", "application/json")
	if r.status != http.StatusOK {
		tb.Fatalf("POST /api/v1/query %q = %d, want 200\n%s", sql, r.status, clip(r.body))
	}
	var res result
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		tb.Fatalf("query %q: answer is not JSON: %v\n%s", sql, err, clip(r.body))
	}
	if res.Error != nil || res.Truncated {
		tb.Fatalf("query %q: error %v, truncated %v", sql, res.Error, res.Truncated)
	}
	return res
}

// wantRows runs SQL and compares the rows, rendered as text.
func (e *env) wantRows(tb testing.TB, sql string, want [][]string) {
	tb.Helper()
	got := e.query(tb, sql).text()
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Errorf("query %q: rows differ (-want +got):\n%s", sql, diff)
	}
}

// product fetches one product's catalog entry.
func (e *env) product(tb testing.TB, domain, name string) httpapi.ProductDetail {
	tb.Helper()
	path := "/api/v1/products/" + domain + "/" + name
	r := e.do(tb, "GET", path, nil)
	r.wantStatus(tb, "GET "+path, http.StatusOK)
	var d httpapi.ProductDetail
	r.decode(tb, "product", &d)
	return d
}

// table returns a table of a product's catalog entry.
func table(tb testing.TB, d httpapi.ProductDetail, name string) httpapi.TableDetail {
	tb.Helper()
	for _, t := range d.Tables {
		if t.Name == name {
			return t
		}
	}
	tb.Fatalf("product %s.%s has no table %s", d.Domain, d.Name, name)
	return httpapi.TableDetail{}
}

// snapshotIDs lists a table's snapshot ids, oldest first.
func snapshotIDs(t httpapi.TableDetail) []int64 {
	var ids []int64
	for _, s := range t.Snapshots {
		ids = append(ids, s.ID)
	}
	return ids
}

// products lists the catalog.
func (e *env) products(tb testing.TB) []httpapi.ProductSummary {
	tb.Helper()
	r := e.do(tb, "GET", "/api/v1/products", nil)
	r.wantStatus(tb, "GET /api/v1/products", http.StatusOK)
	var body struct {
		Products []httpapi.ProductSummary `json:"products"`
	}
	r.decode(tb, "products", &body)
	return body.Products
}

// state is everything a failed request must leave as it was: the catalog,
// every table's contract, columns and snapshots, and the files on disk.
type state struct {
	Products  []httpapi.ProductSummary
	Contracts []string // id version status, of every product
	Tables    map[string]tableState
	Files     []string
}

type tableState struct {
	Status          string
	ContractVersion string
	Columns         []string
	Current         int64
	Snapshots       []int64
}

func (e *env) state(tb testing.TB) state {
	tb.Helper()
	s := state{Products: e.products(tb), Tables: map[string]tableState{}}
	for _, p := range s.Products {
		d := e.product(tb, p.Domain, p.Name)
		for _, c := range d.Contracts {
			s.Contracts = append(s.Contracts, c.ID+" "+c.Version+" "+c.Status)
		}
		for _, t := range d.Tables {
			ts := tableState{Status: t.Status, ContractVersion: t.ContractVersion, Snapshots: snapshotIDs(t)}
			for _, c := range t.Columns {
				ts.Columns = append(ts.Columns, c.Name+" "+c.Type.String())
			}
			if t.CurrentSnapshotID != nil {
				ts.Current = *t.CurrentSnapshotID
			}
			s.Tables[t.PinnedName] = ts
		}
	}
	s.Files = append(files(tb, e.p.Lake.Warehouse()), files(tb, filepath.Join(e.cfg.Data, "spool"))...)
	return s
}

// wantUnchanged fails the test if the state differs from before.
func (e *env) wantUnchanged(tb testing.TB, what string, before state) {
	tb.Helper()
	if diff := cmp.Diff(before, e.state(tb)); diff != "" {
		tb.Errorf("%s changed the mesh (-before +after):\n%s", what, diff)
	}
}

// files lists the files under dir (the dir itself included in each path).
func files(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// healthy fails the test unless the server still answers.
func (e *env) healthy(tb testing.TB) {
	tb.Helper()
	r := e.do(tb, "GET", "/healthz", nil)
	r.wantStatus(tb, "GET /healthz", http.StatusOK)
}

// parquetOf converts CSV text to a Parquet file with a separate in-memory
// DuckDB; columns is read_csv's columns map, e.g. {'a': 'INTEGER'}.
func parquetOf(tb testing.TB, csvText, columns string) []byte {
	tb.Helper()
	dir := tb.TempDir()
	in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.parquet")
	if err := os.WriteFile(in, []byte(csvText), 0o600); err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	q := fmt.Sprintf("COPY (SELECT * FROM read_csv('%s', header = true, columns = %s)) TO '%s' (FORMAT parquet)", in, columns, out)
	if _, err := db.Exec(q); err != nil {
		tb.Fatalf("write parquet: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sendJSON sends v as a JSON body with the env's credential.
func (e *env) sendJSON(tb testing.TB, method, path string, v any) response {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("encode %s %s body: %v", method, path, err)
	}
	return e.do(tb, method, path, bytes.NewReader(b), "Content-Type", "application/json")
}

// mintToken has the env's credential (an admin) create a token and returns
// its secret and record.
func (e *env) mintToken(tb testing.TB, req httpapi.TokenRequest) (string, access.Token) {
	tb.Helper()
	r := e.sendJSON(tb, "POST", "/api/v1/tokens", req)
	r.wantStatus(tb, "POST /api/v1/tokens for "+req.Principal, http.StatusCreated)
	var out struct {
		Token  access.Token `json:"token"`
		Secret string       `json:"secret"`
	}
	r.decode(tb, "token", &out)
	if out.Secret == "" || out.Token.ID == "" {
		tb.Fatalf("POST /api/v1/tokens for %s: secret %q, id %q; want both", req.Principal, out.Secret, out.Token.ID)
	}
	return out.Secret, out.Token
}

// grantRole has the env's credential grant a role and returns the grant.
func (e *env) grantRole(tb testing.TB, req httpapi.GrantRequest) access.Grant {
	tb.Helper()
	r := e.sendJSON(tb, "POST", "/api/v1/grants", req)
	r.wantStatus(tb, fmt.Sprintf("POST /api/v1/grants %+v", req), http.StatusCreated)
	var out struct {
		Grant access.Grant `json:"grant"`
	}
	r.decode(tb, "grant", &out)
	return out.Grant
}

// principal makes a principal with a token of its own and the given grants
// (made by the env's credential), and returns the platform as it sees it.
func (e *env) principal(tb testing.TB, name string, grants ...httpapi.GrantRequest) *env {
	tb.Helper()
	secret, _ := e.mintToken(tb, httpapi.TokenRequest{Principal: name})
	for _, g := range grants {
		if g.Subject == "" {
			g.Subject = name
		}
		e.grantRole(tb, g)
	}
	return e.as(secret)
}
