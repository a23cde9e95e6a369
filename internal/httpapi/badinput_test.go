package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/spec"
)

// badCase is one request that must fail with a clear error and change nothing.
type badCase struct {
	name   string
	method string
	path   string
	hdr    []string
	body   []byte
	status int
	code   string
	msg    string                                                // the error message contains this
	check  func(t *testing.T, d httpapi.ErrorDetail, r response) // more checks, optional
}

// runBad sends each case and checks the answer, that the mesh is as it was and
// that the server still answers.
func (e *env) runBad(t *testing.T, cases []badCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.state(t)
			what := c.method + " " + c.path + " (" + c.name + ")"
			r := e.do(t, c.method, c.path, bytes.NewReader(c.body), c.hdr...)
			d := r.wantError(t, what, c.status, c.code, c.msg)
			if c.check != nil {
				c.check(t, d, r)
			}
			e.wantUnchanged(t, what, before)
			e.healthy(t)
		})
	}
}

// seededShop is a mesh with retail.shop and geo.places applied and published once.
func seededShop(t *testing.T, edit ...func(*platform.Config)) *env {
	t.Helper()
	e := newEnv(t, edit...)
	e.applyFiles(t, "shop.yaml", "geo.yaml")
	e.mustPublish(t, countries, "replace", ctCSV, []byte(countriesCSV))
	e.mustPublish(t, items, "replace", ctCSV, []byte(itemsCSV))
	return e
}

func TestBadSpecs(t *testing.T) {
	e := seededShop(t)
	shop, geo := string(testdata(t, "shop.yaml")), string(testdata(t, "geo.yaml"))
	yaml := []string{"Content-Type", "application/yaml"}
	applyCase := func(name, doc string, status int, code, msg string) badCase {
		return badCase{name: name, method: "POST", path: "/api/v1/apply", hdr: yaml, body: []byte(doc), status: status, code: code, msg: msg}
	}
	// renamed returns geo.yaml with one name changed (in the product and its contract).
	renamed := func(from, to string) string {
		doc := strings.ReplaceAll(geo, from, to)
		if doc == geo {
			t.Fatalf("%q is not in geo.yaml", from)
		}
		return doc
	}
	schemaInvalid := applyCase("fails the ODCS JSON Schema",
		strings.Replace(shop, "        required: true\n        primaryKey: true", "        required: yes please\n        primaryKey: true", 1),
		http.StatusBadRequest, "invalid", "error(s) in the specs")
	schemaInvalid.check = func(t *testing.T, d httpapi.ErrorDetail, r response) {
		var body struct {
			Error struct {
				Details []spec.Diagnostic `json:"details"`
			} `json:"error"`
		}
		r.decode(t, "diagnostics", &body)
		ds := body.Error.Details
		if len(ds) == 0 {
			t.Fatalf("details = %s, want located diagnostics", r.body)
		}
		// The bad value is line 41 of shop.yaml, property 0 of schema object 0.
		if ds[0].Line != 41 || ds[0].Path != "/schema/0/properties/0/required" || ds[0].Severity != "error" {
			t.Errorf("diagnostic = %+v, want line 41, path /schema/0/properties/0/required, severity error", ds[0])
		}
	}
	cases := []badCase{
		schemaInvalid,
		applyCase("ODPS without status", strings.Replace(geo, "status: active\ndomain: geo", "domain: geo", 1),
			http.StatusBadRequest, "invalid", "status"),
		applyCase("not YAML", "kind: [DataProduct\n  id: {", http.StatusBadRequest, "invalid", ""),
		applyCase("empty body", "", http.StatusBadRequest, "invalid", "no documents"),
		applyCase("neither product nor contract", "apiVersion: v1\nkind: Pod\n", http.StatusBadRequest, "invalid", ""),
		applyCase("product declared twice", geo+"\n---\n"+strings.SplitN(geo, "---\n", 2)[0],
			http.StatusBadRequest, "invalid", "product geo.places is declared twice"),
		applyCase("contract id twice", geo+"\n---\n"+strings.Replace(strings.SplitN(geo, "---\n", 2)[1], "version: 1.0.0", "version: 9.0.0", 1),
			http.StatusBadRequest, "invalid", `contract id "geo-places-contract" appears twice`),
		applyCase("unknown contract", strings.Replace(strings.SplitN(geo, "---\n", 2)[0], "contractId: geo-places-contract", "contractId: no-such-contract", 1),
			http.StatusBadRequest, "invalid", `references contract "no-such-contract", which is neither in these files nor applied before`),
		applyCase("path traversal domain", renamed("domain: geo", "domain: ../x"), http.StatusBadRequest, "invalid", `"../x" is not a valid mesh name`),
		applyCase("upper-case domain", renamed("domain: geo", "domain: Geo"), http.StatusBadRequest, "invalid", `"Geo" is not a valid mesh name`),
		applyCase("quoted product", renamed("name: places", `name: pla"ces`), http.StatusBadRequest, "invalid", "is not a valid mesh name"),
		applyCase("unicode product", renamed("name: places", "name: plaçes"), http.StatusBadRequest, "invalid", "is not a valid mesh name"),
		applyCase("reserved domain", renamed("domain: geo", "domain: main"), http.StatusBadRequest, "invalid", `domain "main" is reserved`),
		applyCase("path traversal table", renamed("  - name: countries", "  - name: ../../countries"), http.StatusBadRequest, "invalid", "is not a valid mesh name"),
		applyCase("bad column name", renamed("      - name: country_name", "      - name: \"Country Name\""), http.StatusBadRequest, "invalid", "is not a valid mesh name"),
		applyCase("SQL in a column name", renamed("      - name: country_name", "      - name: \"x; DROP TABLE y\""), http.StatusBadRequest, "invalid", "is not a valid mesh name"),
		applyCase("duplicate column", renamed("      - name: country_name", "      - name: code"), http.StatusBadRequest, "invalid", "code"),
		applyCase("duplicate table", strings.Replace(shop, "  - name: items\n", "  - name: items\n    physicalType: table\n    properties:\n      - name: a\n        logicalType: string\n  - name: items\n", 1),
			http.StatusBadRequest, "invalid", "items"),
		{name: "bad dry_run", method: "POST", path: "/api/v1/apply?dry_run=maybe", hdr: yaml, body: []byte(geo),
			status: http.StatusBadRequest, code: "invalid", msg: "dry_run must be true or false"},
	}
	e.runBad(t, cases)
}

func TestBadPaths(t *testing.T) {
	e := seededShop(t)
	csv := []string{"Content-Type", ctCSV}
	body := []byte("item_id,name,price\n20,x,1\n")
	get := func(name, path string, status int, code, msg string) badCase {
		return badCase{name: name, method: "GET", path: path, status: status, code: code, msg: msg}
	}
	pub := func(name, path string, status int, code, msg string) badCase {
		return badCase{name: name, method: "POST", path: path, hdr: csv, body: body, status: status, code: code, msg: msg}
	}
	e.runBad(t, []badCase{
		get("upper case", "/api/v1/products/Retail/shop", http.StatusBadRequest, "invalid", `domain "Retail" is not a valid mesh name`),
		get("encoded traversal", "/api/v1/products/retail/..%2F..%2Fetc", http.StatusBadRequest, "invalid", `product "../../etc" is not a valid mesh name`),
		get("quote", "/api/v1/products/retail/sh%22op", http.StatusBadRequest, "invalid", "is not a valid mesh name"),
		get("unicode", "/api/v1/products/r%C3%A9tail/shop", http.StatusBadRequest, "invalid", `\u00e9`),
		get("NUL", "/api/v1/products/retail/shop%00", http.StatusBadRequest, "invalid", `\x00`),
		get("unknown product", "/api/v1/products/retail/nope", http.StatusNotFound, "not_found", "nope"),
		get("unknown domain", "/api/v1/products/nowhere/shop", http.StatusNotFound, "not_found", ""),
		get("unknown endpoint", "/api/v1/nope", http.StatusNotFound, "not_found", "no such endpoint"),
		pub("publish: traversal table", "/api/v1/products/retail/shop/tables/..%2F..%2F..%2Fetc/publish?mode=append", http.StatusBadRequest, "invalid", `table "../../../etc" is not a valid mesh name`),
		pub("publish: upper-case table", "/api/v1/products/retail/shop/tables/Items/publish?mode=append", http.StatusBadRequest, "invalid", "is not a valid mesh name"),
		pub("publish: quoted domain", "/api/v1/products/ret'ail/shop/tables/items/publish?mode=append", http.StatusBadRequest, "invalid", "is not a valid mesh name"),
		pub("publish: too long", "/api/v1/products/retail/shop/tables/"+strings.Repeat("a", 64)+"/publish?mode=append", http.StatusBadRequest, "invalid", "at most 63 characters"),
		pub("publish: unknown table", "/api/v1/products/retail/shop/tables/nope/publish?mode=append", http.StatusNotFound, "not_found", "nope"),
		pub("publish: unknown product", "/api/v1/products/retail/nope/tables/items/publish?mode=append", http.StatusNotFound, "not_found", ""),
		pub("publish: table of another product", "/api/v1/products/retail/shop/tables/countries/publish?mode=append", http.StatusNotFound, "not_found", ""),
		pub("publish: bad mode", "/api/v1/products/retail/shop/tables/items/publish?mode=upsert", http.StatusBadRequest, "invalid", "upsert"),
		pub("publish: bad max_rejects", "/api/v1/products/retail/shop/tables/items/publish?mode=append&max_rejects=-1", http.StatusBadRequest, "invalid", "max_rejects"),
		{name: "publish: GET", method: "GET", path: publishPath(items, "append"), status: http.StatusNotFound, code: "not_found", msg: "no such endpoint"},
	})
}

func TestBadUploads(t *testing.T) {
	e := seededShop(t)
	parquet := parquetOf(t, itemsParquetCSV, itemsParquetCols)
	upload := func(name, ct string, body []byte, status int, code, msg string) badCase {
		return badCase{name: name, method: "POST", path: publishPath(items, "append"), hdr: []string{"Content-Type", ct},
			body: body, status: status, code: code, msg: msg}
	}
	// gate expects a 422 whose report has these problems or rejected rows.
	gate := func(c badCase, rejected int64, want ...string) badCase {
		c.check = func(t *testing.T, _ httpapi.ErrorDetail, r response) {
			rep := gateFailure(t, r)
			if rep.RowsFailed != rejected {
				t.Errorf("rowsRejected = %d, want %d", rep.RowsFailed, rejected)
			}
			var got []string
			got = append(got, rep.Problems...)
			for _, x := range rep.Rejects {
				got = append(got, x.Column+": "+x.Reason)
			}
			all := strings.Join(got, "\n")
			for _, w := range want {
				if !strings.Contains(all, w) {
					t.Errorf("problems and rejected examples:\n%s\nwant one containing %q", all, w)
				}
			}
			if len(rep.Problems) == 0 && len(failedChecks(rep)) == 0 {
				t.Errorf("a gate failure without problems or failed checks: %s", r.body)
			}
		}
		return c
	}
	huge := "item_id,name,price\n20,\"" + strings.Repeat("x", 10<<20) + "\",1.00\n21,ok,2.00\n"
	halfParquet := parquet[:len(parquet)/2]
	cases := []badCase{
		upload("JSON is not an upload format", "application/json", []byte(`{"item_id":1}`), http.StatusUnsupportedMediaType, "unsupported", `content type "application/json" is not supported`),
		upload("no content type", "", []byte("item_id,name,price\n20,x,1\n"), http.StatusUnsupportedMediaType, "unsupported", "send text/csv"),
		upload("empty CSV", ctCSV, nil, http.StatusBadRequest, "invalid", "the upload is empty"),
		upload("empty NDJSON", ctNDJSON, nil, http.StatusBadRequest, "invalid", "the upload is empty"),
		upload("empty Parquet", ctParquet, nil, http.StatusBadRequest, "invalid", "the upload is empty"),
		gate(upload("CSV unterminated quote", ctCSV, []byte("item_id,name,price\n20,\"never closed,1.00\n21,ok,2.00\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 1, "unterminated quote"),
		upload("CSV header with unterminated quote", ctCSV, []byte("item_id,\"name,price\n20,x,1\n"), http.StatusBadRequest, "invalid", "CSV header"),
		gate(upload("CSV too few fields", ctCSV, []byte("item_id,name,price\n20,x\n21,ok,2.00\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 1, "Expected Number of Columns: 3 Found: 2"),
		gate(upload("CSV too many fields", ctCSV, []byte("item_id,name,price\n20,x,1.00,surplus\n21,ok,2.00\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 1, "Expected Number of Columns: 3 Found: 4"),
		upload("NDJSON not JSON", ctNDJSON, []byte("item_id,name,price\n20,x,1\n"), http.StatusBadRequest, "invalid", "line 1 is not a JSON object"),
		upload("NDJSON truncated", ctNDJSON, []byte(`{"item_id":20,"name":"x","price":1}`+"\n"+`{"item_id":21,"na`), http.StatusBadRequest, "invalid", "line 2 is not a JSON object"),
		upload("NDJSON array", ctNDJSON, []byte(`[{"item_id":20,"name":"x","price":1}]`), http.StatusBadRequest, "invalid", "not a JSON object"),
		upload("Parquet garbage", ctParquet, []byte("PAR1 this is not parquet at all PAR1"), http.StatusBadRequest, "invalid", "cannot be read as Parquet"),
		upload("Parquet truncated", ctParquet, halfParquet, http.StatusBadRequest, "invalid", "cannot be read as Parquet"),
		upload("CSV sent as Parquet", ctParquet, []byte(itemsCSV), http.StatusBadRequest, "invalid", "cannot be read as Parquet"),
		gate(upload("CSV wrong types", ctCSV, []byte("item_id,name,price\nx,a,1.00\n21,b,notaprice\n22,ok,2.00\n"), http.StatusUnprocessableEntity, "gate_failed", ""),
			2, "item_id", "price"),
		gate(upload("NDJSON wrong types", ctNDJSON, []byte(`{"item_id":"x","name":"a","price":1}`+"\n"+`{"item_id":22,"name":"b","price":{"a":1}}`+"\n"+`{"item_id":23,"name":"ok","price":1}`+"\n"),
			http.StatusUnprocessableEntity, "gate_failed", ""), 2, `item_id: cannot convert "x" to INTEGER`, "price: cannot convert"),
		gate(upload("Parquet wrong types", ctParquet, parquetOf(t, "item_id,name,price\nx,a,1.00\n22,ok,2.00\n", "{'item_id': 'VARCHAR', 'name': 'VARCHAR', 'price': 'VARCHAR'}"),
			http.StatusUnprocessableEntity, "gate_failed", ""), 1, `item_id: cannot convert x to INTEGER`),
		gate(upload("CSV required value empty", ctCSV, []byte("item_id,name,price\n20,,1.00\n21,ok,2.00\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 1, "name: a value is required"),
		gate(upload("NDJSON required field absent", ctNDJSON, []byte(`{"item_id":20,"price":1}`+"\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 1, "name: a value is required"),
		gate(upload("CSV missing required column", ctCSV, []byte("item_id,price\n20,1.00\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 0, `required column "name" is missing`),
		gate(upload("Parquet missing required column", ctParquet, parquetOf(t, "item_id,name\n20,x\n", "{'item_id': 'INTEGER', 'name': 'VARCHAR'}"),
			http.StatusUnprocessableEntity, "gate_failed", ""), 0, `required column "price" is missing`),
		gate(upload("CSV extra column", ctCSV, []byte("item_id,name,price,bogus\n20,x,1.00,y\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 0, `column "bogus" is not in the contract`),
		gate(upload("NDJSON extra field", ctNDJSON, []byte(`{"item_id":20,"name":"x","price":1,"bogus":true}`+"\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 0, `field "bogus" is not in the contract`),
		gate(upload("CSV duplicate column", ctCSV, []byte("item_id,name,name,price\n20,x,y,1.00\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 0, `column "name" appears twice`),
		gate(upload("CSV header only", ctCSV, []byte("item_id,name,price\n"), http.StatusUnprocessableEntity, "gate_failed", ""), 0),
		gate(upload("CSV 10 MB field", ctCSV, []byte(huge), http.StatusUnprocessableEntity, "gate_failed", ""), 1, "Maximum line size"),
		upload("Idempotency-Key too long", ctCSV, []byte("item_id,name,price\n20,x,1\n"), http.StatusBadRequest, "invalid", "Idempotency-Key"),
	}
	cases[len(cases)-1].hdr = append(cases[len(cases)-1].hdr, "Idempotency-Key", strings.Repeat("k", 201))
	e.runBad(t, cases)

	// The pipeline still works after all that.
	rep := e.mustPublish(t, items, "append", ctParquet, parquet)
	if rep.RowsOK != 2 {
		t.Errorf("publish after bad uploads: accepted %d rows, want 2", rep.RowsOK)
	}
}

func TestUploadTooLarge(t *testing.T) {
	e := seededShop(t, func(c *platform.Config) { c.MaxUpload = 1 << 20 })
	var b strings.Builder
	b.WriteString("item_id,name,price\n")
	for i := 100; b.Len() <= 2<<20; i++ {
		b.WriteString(strings.Repeat("n", 100))
		b.WriteString(",x,1.00\n")
		_ = i
	}
	e.runBad(t, []badCase{
		{name: "2 MB CSV", method: "POST", path: publishPath(items, "append"), hdr: []string{"Content-Type", ctCSV},
			body: []byte(b.String()), status: http.StatusRequestEntityTooLarge, code: "too_large", msg: "larger than the limit of 1048576 bytes"},
	})
	// An upload under the limit still goes through.
	e.mustPublish(t, items, "append", ctCSV, []byte("item_id,name,price\n20,x,1.00\n"))
}

func TestBadQueries(t *testing.T) {
	e := seededShop(t)
	q := func(name, sql string, status int, code, msg string) badCase {
		b, _ := json.Marshal(map[string]string{"sql": sql})
		return badCase{name: name, method: "POST", path: "/api/v1/query", hdr: []string{"Content-Type", "application/json"},
			body: b, status: status, code: code, msg: msg}
	}
	raw := func(name, body string, status int, code, msg string, hdr ...string) badCase {
		return badCase{name: name, method: "POST", path: "/api/v1/query", hdr: append([]string{"Content-Type", "application/json"}, hdr...),
			body: []byte(body), status: status, code: code, msg: msg}
	}
	const onlySelect = "only SELECT statements are allowed"
	e.runBad(t, []badCase{
		q("DELETE", "DELETE FROM retail.shop.items", http.StatusBadRequest, "invalid", onlySelect),
		q("INSERT", "INSERT INTO retail.shop.items VALUES (99, 'x', 1, NULL, NULL)", http.StatusBadRequest, "invalid", onlySelect),
		q("UPDATE", "UPDATE retail.shop.items SET price = 0", http.StatusBadRequest, "invalid", onlySelect),
		q("CREATE", "CREATE TABLE x AS SELECT 1", http.StatusBadRequest, "invalid", onlySelect),
		q("DROP", "DROP VIEW IF EXISTS __mesh.x", http.StatusBadRequest, "invalid", onlySelect),
		q("SET", "SET enable_external_access = true", http.StatusBadRequest, "invalid", onlySelect),
		q("PRAGMA", "PRAGMA database_list", http.StatusBadRequest, "invalid", onlySelect),
		q("COPY", "COPY (SELECT 1) TO '/tmp/x.csv'", http.StatusBadRequest, "invalid", onlySelect),
		q("ATTACH", "ATTACH '/tmp/x.db' AS x", http.StatusBadRequest, "invalid", onlySelect),
		q("INSTALL", "INSTALL httpfs", http.StatusBadRequest, "invalid", onlySelect),
		q("EXPLAIN", "EXPLAIN SELECT 1", http.StatusBadRequest, "invalid", ""),
		q("two SELECTs", "SELECT 1; SELECT 2", http.StatusBadRequest, "invalid", "multiple statements are not allowed"),
		q("SELECT then DROP", "SELECT 1; DROP TABLE x", http.StatusBadRequest, "invalid", ""),
		q("read_csv", "SELECT * FROM read_csv('/etc/passwd')", http.StatusBadRequest, "invalid", `table function "read_csv" is not allowed`),
		q("read_parquet", "SELECT * FROM read_parquet('/tmp/*.parquet')", http.StatusBadRequest, "invalid", `table function "read_parquet" is not allowed`),
		q("glob", "SELECT * FROM glob('/*')", http.StatusBadRequest, "invalid", `table function "glob" is not allowed`),
		q("read_text in a subquery", "SELECT (SELECT content FROM read_text('/etc/passwd'))", http.StatusBadRequest, "invalid", "not allowed"),
		q("file name as table", "SELECT * FROM '/etc/passwd'", http.StatusBadRequest, "invalid", ""),
		q("parquet file as table", "SELECT * FROM 'x.parquet'", http.StatusBadRequest, "invalid", ""),
		q("duckdb_settings", "SELECT * FROM duckdb_settings()", http.StatusBadRequest, "invalid", "not allowed"),
		q("getenv", "SELECT getenv('HOME')", http.StatusBadRequest, "invalid", "not allowed"),
		q("current_setting", "SELECT current_setting('allowed_directories')", http.StatusBadRequest, "invalid", "not allowed"),
		q("internal schema", "SELECT * FROM __mesh.anything", http.StatusBadRequest, "invalid", "unknown table"),
		q("two-part name", "SELECT * FROM shop.items", http.StatusBadRequest, "invalid", "domain.product.table"),
		q("unknown table", "SELECT * FROM retail.shop.nope", http.StatusNotFound, "not_found", "table retail.shop.nope does not exist"),
		q("unknown column", "SELECT nope FROM retail.shop.items", http.StatusBadRequest, "invalid", "nope"),
		q("syntax error", "SELEC 1", http.StatusBadRequest, "invalid", "syntax error"),
		q("runtime error", "SELECT CAST(name AS INTEGER) FROM retail.shop.items", http.StatusBadRequest, "invalid", "Conversion Error"),
		raw("runs past its timeout", `{"sql": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r) SELECT count(*) FROM r", "timeout_ms": 300}`,
			http.StatusRequestTimeout, "timeout", "ran past its timeout of 300ms"),
		raw("unknown JSON field", `{"sql": "SELECT 1", "sqll": "x"}`, http.StatusBadRequest, "invalid", `unknown field "sqll"`),
		raw("not JSON", `SELECT 1`, http.StatusBadRequest, "invalid", `the body must be JSON like {"sql": "SELECT ..."}`),
		raw("empty body", ``, http.StatusBadRequest, "invalid", "the body must be JSON"),
		raw("no sql", `{}`, http.StatusBadRequest, "invalid", `"sql" is required`),
		raw("sql not a string", `{"sql": 1}`, http.StatusBadRequest, "invalid", "the body must be JSON"),
		raw("negative timeout", `{"sql": "SELECT 1", "timeout_ms": -1}`, http.StatusBadRequest, "invalid", "must not be negative"),
		raw("bad Accept", `{"sql": "SELECT 1"}`, http.StatusBadRequest, "invalid", `cannot answer with "image/png"`, "Accept", "image/png"),
		raw("NUL in SQL", `{"sql": "SELECT '\u0000'"}`, http.StatusBadRequest, "invalid", "NUL"),
		{name: "GET", method: "GET", path: "/api/v1/query", status: http.StatusNotFound, code: "not_found", msg: "no such endpoint"},
	})
}
