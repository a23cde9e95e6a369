package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/platform"
)

// server runs a platform in a temporary directory behind a real HTTP server.
// The environment it returns holds the admin token of the fresh data
// directory in MESH_TOKEN; as(getenv, token) runs as someone else.
func server(t *testing.T) (*platform.Platform, func(string) string) {
	t.Helper()
	c := platform.Defaults(t.TempDir())
	c.MemoryLimit, c.Threads = "1GB", 2
	p, err := platform.Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.API)
	t.Cleanup(func() {
		srv.Close()
		p.Close()
	})
	if p.AdminSecret == "" {
		t.Fatal("platform.Open of a fresh data directory made no admin token")
	}
	return p, env(srv.URL+"/", p.AdminSecret)
}

// env is an environment with MESH_URL and MESH_TOKEN ("": unset).
func env(url, token string) func(string) string {
	return func(k string) string {
		switch k {
		case "MESH_URL":
			return url
		case "MESH_TOKEN":
			return token
		}
		return ""
	}
}

// as is getenv with MESH_TOKEN set to token ("": unset).
func as(getenv func(string) string, token string) func(string) string {
	return func(k string) string {
		if k == "MESH_TOKEN" {
			return token
		}
		return getenv(k)
	}
}

// mesh runs the CLI in-process.
func mesh(t *testing.T, getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, getenv)
	return code, out.String(), errb.String()
}

func mustMesh(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	code, out, errOut := mesh(t, getenv, args...)
	if code != 0 {
		t.Fatalf("mesh %s = exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fields splits output lines into whitespace-separated fields.
func fields(s string) [][]string {
	var out [][]string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		out = append(out, strings.Fields(l))
	}
	return out
}

func TestApply(t *testing.T) {
	_, getenv := server(t)
	out := mustMesh(t, getenv, "apply", "--dry-run", "-f", "testdata/specs")
	want := [][]string{
		{"create", "domain", "retail"},
		{"create", "product", "retail.shop"},
		{"create", "contract", "retail-shop-contract", "1.0.0"},
		{"create", "table", "retail.shop@v1.orders"},
		{"dry", "run:", "nothing", "was", "changed"},
	}
	if diff := cmp.Diff(want, fields(out)); diff != "" {
		t.Errorf("mesh apply --dry-run (-want +got):\n%s", diff)
	}
	if out := mustMesh(t, getenv, "products"); len(fields(out)) != 1 {
		t.Errorf("after a dry run, mesh products =\n%s\nwant only the header", out)
	}

	out = mustMesh(t, getenv, "apply", "-f", "testdata/specs")
	if diff := cmp.Diff(want[:4], fields(out)); diff != "" {
		t.Errorf("mesh apply (-want +got):\n%s", diff)
	}
	// A file named directly, and the same specs again: nothing changes.
	out = mustMesh(t, getenv, "apply", "-f", "testdata/specs/shop.yaml")
	want = [][]string{
		{"unchanged", "product", "retail.shop"},
		{"unchanged", "contract", "retail-shop-contract", "1.0.0"},
		{"unchanged", "table", "retail.shop@v1.orders"},
	}
	if diff := cmp.Diff(want, fields(out)); diff != "" {
		t.Errorf("mesh apply again (-want +got):\n%s", diff)
	}
}

func TestApplyErrors(t *testing.T) {
	_, getenv := server(t)
	bad := writeFile(t, "bad.yaml", "apiVersion: v1.0.0\nkind: DataProduct\nid: x\nname: Bad-Name\nstatus: active\ndomain: retail\n")
	code, out, errOut := mesh(t, getenv, "apply", "-f", bad)
	if code != 1 {
		t.Errorf("mesh apply of an invalid spec = exit %d, want 1", code)
	}
	if !strings.Contains(errOut, "mesh apply:") || !strings.Contains(errOut, "(400 invalid)") {
		t.Errorf("stderr = %q, want the server's message with its status", errOut)
	}
	if !strings.Contains(out, `"file"`) || !strings.Contains(out, "Bad-Name") {
		t.Errorf("stdout = %q, want the diagnostics printed", out)
	}
	empty := t.TempDir()
	if code, _, errOut := mesh(t, getenv, "apply", "-f", empty); code == 0 || !strings.Contains(errOut, "no *.yaml or *.yml files found") {
		t.Errorf("mesh apply -f EMPTYDIR = exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := mesh(t, getenv, "apply", "-f", filepath.Join(empty, "missing.yaml")); code == 0 || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("mesh apply -f MISSING = exit %d, stderr %q", code, errOut)
	}
}

func TestPublishAndQuery(t *testing.T) {
	p, getenv := server(t)
	mustMesh(t, getenv, "apply", "-f", "testdata/specs")

	first := writeFile(t, "orders.csv", "order_id,customer,amount,order_date\n1,ada,12.50,2026-01-05\n2,bob,7,\n")
	out := mustMesh(t, getenv, "publish", "retail.shop.orders", first)
	re := regexp.MustCompile(`^retail\.shop@v1\.orders: committed snapshot (\d+) \(2 rows accepted, 0 rejected, \d+ ms\)\n$`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("mesh publish output = %q, want it to match %s", out, re)
	}
	firstSnap, _ := strconv.ParseInt(m[1], 10, 64)

	// Flags after the positional arguments, as users type them.
	second := writeFile(t, "more.csv", "order_id,customer,amount\n3,cy,1.00\n")
	out = mustMesh(t, getenv, "publish", "retail.shop.orders", second, "--mode", "replace")
	if !strings.Contains(out, "committed") || !strings.Contains(out, "(1 rows accepted, 0 rejected") {
		t.Errorf("mesh publish --mode replace = %q", out)
	}
	// An NDJSON file, with an explicit format, and an idempotency key replayed.
	nd := writeFile(t, "more.data", `{"order_id": 4, "customer": "dee", "amount": 4}`+"\n")
	out = mustMesh(t, getenv, "publish", "--format", "ndjson", "--idempotency-key", "k1", "retail.shop.orders", nd)
	if !strings.Contains(out, "committed") {
		t.Errorf("mesh publish --format ndjson = %q", out)
	}
	out = mustMesh(t, getenv, "publish", "--format", "ndjson", "--idempotency-key", "k1", "retail.shop.orders", nd)
	if !strings.Contains(out, "replayed: this idempotency key was already published") {
		t.Errorf("mesh publish with a used idempotency key = %q, want the replay noted", out)
	}

	out = mustMesh(t, getenv, "query", "SELECT order_id, customer, amount FROM retail.shop.orders ORDER BY order_id")
	want := [][]string{{"order_id", "customer", "amount"}, {"3", "cy", "1.00"}, {"4", "dee", "4.00"}}
	got := fields(out)
	if len(got) < 1 || diffRows(want, got[:len(got)-1]) != "" {
		t.Errorf("mesh query (table) =\n%s\nwant rows %v", out, want)
	}
	if last := got[len(got)-1]; len(last) < 2 || last[0] != "(2" || last[1] != "rows," {
		t.Errorf("mesh query footer = %v, want (2 rows, ...)", last)
	}

	out = mustMesh(t, getenv, "query", "--format", "csv", "SELECT order_id, amount, order_date FROM retail.shop.orders ORDER BY 1")
	if want := "order_id,amount,order_date\n3,1.00,\n4,4.00,\n"; out != want {
		t.Errorf("mesh query --format csv = %q, want %q", out, want)
	}

	out = mustMesh(t, getenv, "query", "SELECT count(*) AS n FROM retail.shop.orders", "--format", "json")
	var res struct {
		Columns []struct{ Name string } `json:"columns"`
		Rows    [][]any                 `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("mesh query --format json output is not JSON: %v\n%s", err, out)
	}
	if len(res.Columns) != 1 || res.Columns[0].Name != "n" || len(res.Rows) != 1 || res.Rows[0][0] != float64(2) {
		t.Errorf("mesh query --format json = %s, want one column n with 2", out)
	}

	// Time travel to the first publish.
	out = mustMesh(t, getenv, "query", "--format", "csv", "SELECT order_id FROM retail.shop.orders AT (VERSION => "+strconv.FormatInt(firstSnap, 10)+") ORDER BY 1")
	if want := "order_id\n1\n2\n"; out != want {
		t.Errorf("mesh query AT (VERSION => first) = %q, want %q", out, want)
	}
	tbl, err := p.Lake.Load(context.Background(), lake.Ident{Domain: "retail", Product: "shop", Table: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	ts := lake.Snapshots(tbl)[0].TimestampMs
	out = mustMesh(t, getenv, "query", "--format", "csv", "SELECT count(*) AS n FROM retail.shop.orders AT (TIMESTAMP => epoch_ms("+strconv.FormatInt(ts, 10)+"))")
	if want := "n\n2\n"; out != want {
		t.Errorf("mesh query AT (TIMESTAMP => first) = %q, want %q", out, want)
	}

	// A refused query.
	code, _, errOut := mesh(t, getenv, "query", "SELECT * FROM read_csv('/etc/passwd')")
	if code != 1 || !strings.Contains(errOut, "mesh query:") || !strings.Contains(errOut, "400") {
		t.Errorf("mesh query of a file = exit %d, stderr %q, want 1 and a 400", code, errOut)
	}
	code, _, errOut = mesh(t, getenv, "query", "SELECT * FROM retail.shop.nope")
	if code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("mesh query of an unknown table = exit %d, stderr %q, want 1 and a 404", code, errOut)
	}
}

func diffRows(want, got [][]string) string { return cmp.Diff(want, got) }

func TestPublishFailure(t *testing.T) {
	_, getenv := server(t)
	mustMesh(t, getenv, "apply", "-f", "testdata/specs")
	bad := writeFile(t, "bad.csv", "order_id,customer,amount\n1,ada,-5\n2,,1\n")
	code, out, errOut := mesh(t, getenv, "publish", "retail.shop.orders", bad)
	if code != 1 {
		t.Errorf("mesh publish of bad data = exit %d, want 1", code)
	}
	if !strings.Contains(errOut, "mesh publish:") || !strings.Contains(errOut, "nothing was published") || !strings.Contains(errOut, "gate_failed") {
		t.Errorf("stderr = %q, want the gate failure", errOut)
	}
	var rep struct {
		Status     string `json:"status"`
		RowsFailed int    `json:"rowsRejected"`
		Rejects    []struct {
			Reason string `json:"reason"`
		} `json:"rejectedExamples"`
		Quality []struct {
			Name   string  `json:"name"`
			Value  float64 `json:"value"`
			Passed bool    `json:"passed"`
		} `json:"qualityChecks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not the report: %v\n%s", err, out)
	}
	if rep.Status != "gate_failed" || rep.RowsFailed != 1 || len(rep.Rejects) != 1 || rep.Rejects[0].Reason != "customer: a value is required" {
		t.Errorf("report = %+v, want gate_failed with the row missing its customer", rep)
	}
	var sqlRule bool
	for _, q := range rep.Quality {
		if q.Name == "amount.sql" {
			sqlRule = true
			if q.Passed || q.Value != 1 {
				t.Errorf("amount.sql = %+v, want 1 negative amount, failed", q)
			}
		}
	}
	if !sqlRule {
		t.Errorf("report quality checks = %+v, want amount.sql", rep.Quality)
	}
	code, _, errOut = mesh(t, getenv, "publish", "retail.shop.nope", bad)
	if code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("mesh publish to an unknown table = exit %d, stderr %q", code, errOut)
	}
}

func TestProductsAndDescribe(t *testing.T) {
	_, getenv := server(t)
	mustMesh(t, getenv, "apply", "-f", "testdata/specs")
	mustMesh(t, getenv, "publish", "retail.shop.orders", writeFile(t, "o.csv", "order_id,customer,amount\n1,ada,1\n"))

	out := mustMesh(t, getenv, "products")
	want := [][]string{
		{"PRODUCT", "STATUS", "TEAM", "TABLES", "DESCRIPTION"},
		{"retail.shop", "active", "Retail", "1", "Orders", "of", "the", "web", "shop,", "for", "the", "CLI", "tests."},
	}
	if diff := cmp.Diff(want, fields(out)); diff != "" {
		t.Errorf("mesh products (-want +got):\n%s", diff)
	}

	out = mustMesh(t, getenv, "describe", "retail.shop")
	for _, w := range []string{
		"retail.shop (active), owned by Retail",
		"contract retail-shop-contract 1.0.0 (active)",
		"table retail.shop.orders — One row per order.",
		"primary key (order_id)",
		"snapshots: 1, latest ",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("mesh describe output lacks %q:\n%s", w, out)
		}
	}
	var cols [][]string
	for _, f := range fields(out) {
		if len(f) >= 3 && (f[0] == "COLUMN" || f[0] == "order_id" || f[0] == "customer" || f[0] == "amount" || f[0] == "order_date") {
			cols = append(cols, f[:3])
		}
	}
	wantCols := [][]string{{"COLUMN", "TYPE", "REQUIRED"}, {"order_id", "BIGINT", "true"}, {"customer", "VARCHAR", "true"}, {"amount", "DECIMAL(10,2)", "true"}, {"order_date", "DATE", "false"}}
	if diff := cmp.Diff(wantCols, cols); diff != "" {
		t.Errorf("mesh describe columns (-want +got):\n%s", diff)
	}

	code, _, errOut := mesh(t, getenv, "describe", "retail.nope")
	if code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("mesh describe of an unknown product = exit %d, stderr %q", code, errOut)
	}
}

func TestUsage(t *testing.T) {
	getenv := env("http://127.0.0.1:1", "") // never reached
	tests := []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{nil, 2, "", "Usage:"},
		{[]string{"frobnicate"}, 2, "", `mesh: unknown command "frobnicate"`},
		{[]string{"help"}, 0, "Usage:", ""},
		{[]string{"--help"}, 0, "Usage:", ""},
		{[]string{"version"}, 0, "mesh " + version, ""},
		{[]string{"apply"}, 2, "", "name the spec files with -f FILE|DIR"},
		{[]string{"apply", "--bogus"}, 2, "", ""},
		{[]string{"publish", "retail.shop.orders"}, 2, "", "usage: mesh publish"},
		{[]string{"publish", "retail.shop", "x.csv"}, 2, "", "name the table as DOMAIN.PRODUCT.TABLE"},
		{[]string{"publish", "a.b.c", "x.xlsx"}, 1, "", `format ".xlsx" is not supported`},
		{[]string{"publish", "a.b.c", "x.csv", "--mode"}, 2, "", ""},
		{[]string{"query"}, 2, "", "usage: mesh query"},
		{[]string{"query", "SELECT 1", "SELECT 2"}, 2, "", "usage: mesh query"},
		{[]string{"query", "SELECT 1", "--format", "xml"}, 2, "", `--format "xml": use table, csv or json`},
		{[]string{"describe"}, 2, "", "usage: mesh describe DOMAIN.PRODUCT"},
		{[]string{"describe", "a.b.c"}, 2, "", "name the product as DOMAIN.PRODUCT"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := mesh(t, getenv, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("mesh %v = exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout with %q, stderr with %q", tt.args, code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

func TestUnreachableServer(t *testing.T) {
	// A listener that is closed at once: nothing answers on its port.
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	for _, args := range [][]string{{"products"}, {"describe", "a.b"}, {"query", "SELECT 1"}, {"apply", "-f", "testdata/specs"}} {
		code, _, errOut := mesh(t, env(url, "mesh_x"), args...)
		want := "cannot reach Meshwork at " + url + " (set MESH_URL)"
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("mesh %v against a dead server = exit %d, stderr %q, want 1 and %q", args, code, errOut, want)
		}
		if strings.Contains(errOut, "mesh_x") {
			t.Errorf("mesh %v against a dead server printed the token: %q", args, errOut)
		}
	}
	// Without MESH_URL the default address is used (and named if nothing answers there).
	code, _, errOut := mesh(t, func(string) string { return "" }, "products")
	if code == 1 && !strings.Contains(errOut, "http://127.0.0.1:8080") {
		t.Errorf("mesh products without MESH_URL = exit %d, stderr %q", code, errOut)
	}
}

func TestReorder(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"a.b.c", "f.csv", "--mode", "replace"}, []string{"--mode", "replace", "a.b.c", "f.csv"}},
		{[]string{"--mode=replace", "a.b.c", "f.csv"}, []string{"--mode=replace", "a.b.c", "f.csv"}},
		{[]string{"SELECT 1", "--format", "csv"}, []string{"--format", "csv", "SELECT 1"}},
		{[]string{"a", "--dry-run", "b"}, []string{"--dry-run", "a", "b"}},
		{[]string{"a", "-"}, []string{"a", "-"}},
	}
	for _, tt := range tests {
		if got := reorder(tt.in); !cmp.Equal(tt.want, got) {
			t.Errorf("reorder(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
