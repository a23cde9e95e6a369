package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/quality"
)

const (
	items     = "retail.shop.items"
	countries = "geo.places.countries"
)

// The data of the end-to-end test: three publishes of items, one per format.
const (
	countriesCSV = "code,country_name\nDE,Germany\nFR,France\nUS,United States\n"
	itemsCSV     = "item_id,name,price,country,qty\n1,apple,1.50,DE,10\n2,\"pear, green\",2.25,FR,\n3,plum,0.99,DE,5\n"
	itemsNDJSON  = `{"item_id":4,"name":"kiwi","price":3.10,"country":"US","qty":7}` + "\n" +
		`{"item_id":5,"name":"fig","price":4,"country":null}` + "\n"
	itemsParquetCSV = "item_id,name,price,country,qty\n6,melon,5.75,FR,1\n7,grape,0.5,US,20\n"
	// Parquet with types that differ from the contract's, so that they are cast.
	itemsParquetCols = "{'item_id': 'BIGINT', 'name': 'VARCHAR', 'price': 'DOUBLE', 'country': 'VARCHAR', 'qty': 'INTEGER'}"
)

// allItems is SELECT item_id, name, price, country, qty ORDER BY item_id after the three publishes.
var allItems = [][]string{
	{"1", "apple", "1.50", "DE", "10"},
	{"2", "pear, green", "2.25", "FR", "NULL"},
	{"3", "plum", "0.99", "DE", "5"},
	{"4", "kiwi", "3.10", "US", "7"},
	{"5", "fig", "4.00", "NULL", "NULL"},
	{"6", "melon", "5.75", "FR", "1"},
	{"7", "grape", "0.50", "US", "20"},
}

func TestEndToEnd(t *testing.T) {
	e := newEnv(t)
	var snaps []int64 // items' snapshots: after CSV, NDJSON, Parquet

	if !t.Run("apply", func(t *testing.T) {
		plan := e.applyFiles(t, "shop.yaml", "geo.yaml")
		want := []apply.Step{
			{Kind: "domain", Name: "retail", Action: apply.Create},
			{Kind: "product", Name: "retail.shop", Action: apply.Create},
			{Kind: "contract", Name: "retail-shop-contract 1.0.0", Action: apply.Create},
			{Kind: "table", Name: "retail.shop@v1.items", Action: apply.Create},
			{Kind: "domain", Name: "geo", Action: apply.Create},
			{Kind: "product", Name: "geo.places", Action: apply.Create},
			{Kind: "contract", Name: "geo-places-contract 1.0.0", Action: apply.Create},
			{Kind: "table", Name: "geo.places@v1.countries", Action: apply.Create},
		}
		if diff := cmp.Diff(want, plan.Steps); diff != "" {
			t.Errorf("apply steps (-want +got):\n%s", diff)
		}
		if plan.DryRun {
			t.Errorf("apply: dryRun = true, want false")
		}
	}) {
		t.FailNow()
	}

	t.Run("apply again changes nothing", func(t *testing.T) {
		before := e.state(t)
		plan := e.applyFiles(t, "shop.yaml", "geo.yaml")
		for _, s := range plan.Steps {
			if s.Action != apply.Unchanged {
				t.Errorf("second apply: step %s %s is %q, want unchanged", s.Kind, s.Name, s.Action)
			}
		}
		if len(plan.Steps) == 0 {
			t.Errorf("second apply: no steps, want every object reported unchanged")
		}
		e.wantUnchanged(t, "a second apply", before)
	})

	t.Run("catalog", func(t *testing.T) {
		var got []string
		for _, p := range e.products(t) {
			got = append(got, fmt.Sprintf("%s.%s %s %s %v", p.Domain, p.Name, p.ID, p.Status, p.Tables))
		}
		want := []string{
			"geo.places geo-places active [geo.places.countries]",
			"retail.shop retail-shop active [retail.shop.items]",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET /api/v1/products (-want +got):\n%s", diff)
		}
		d := e.product(t, "retail", "shop")
		if d.Team != "Retail" || d.SpecID != "retail-shop" || !bytes.Contains(d.Doc, []byte(`"retail-shop-contract"`)) {
			t.Errorf("GET /api/v1/products/retail/shop: team %q, id %q, spec %s; want Retail, retail-shop and the ODPS document", d.Team, d.SpecID, d.Doc)
		}
		if len(d.Contracts) != 1 || d.Contracts[0].ID != "retail-shop-contract" || d.Contracts[0].Version != "1.0.0" {
			t.Errorf("contracts = %+v, want retail-shop-contract 1.0.0", d.Contracts)
		}
		tb := table(t, d, "items")
		var cols []string
		for _, c := range tb.Columns {
			cols = append(cols, fmt.Sprintf("%s %s %v", c.Name, c.Type, c.Required))
		}
		wantCols := []string{"item_id INTEGER true", "name VARCHAR true", "price DECIMAL(10,2) true", "country VARCHAR false", "qty INTEGER false"}
		if diff := cmp.Diff(wantCols, cols); diff != "" {
			t.Errorf("items columns (-want +got):\n%s", diff)
		}
		if tb.SQLName != items || tb.ContractVersion != "1.0.0" || !slices.Equal(tb.PrimaryKey, []string{"item_id"}) {
			t.Errorf("items: sqlName %q, contract version %q, primary key %v; want %s, 1.0.0, [item_id]", tb.SQLName, tb.ContractVersion, tb.PrimaryKey, items)
		}
		if len(tb.Snapshots) != 0 || tb.CurrentSnapshotID != nil || tb.LastPublish != nil {
			t.Errorf("items before any publish: snapshots %v, current %v, lastPublish %s; want none", tb.Snapshots, tb.CurrentSnapshotID, tb.LastPublish)
		}
		e.wantRows(t, "SELECT count(*) FROM retail.shop.items", [][]string{{"0"}})
	})

	if !t.Run("publish csv ndjson parquet", func(t *testing.T) {
		rep := e.mustPublish(t, countries, "replace", ctCSV, []byte(countriesCSV))
		if rep.RowsRead != 3 || rep.RowsOK != 3 || rep.RowsFailed != 0 {
			t.Errorf("countries: rows read/accepted/rejected = %d/%d/%d, want 3/3/0", rep.RowsRead, rep.RowsOK, rep.RowsFailed)
		}
		for _, p := range []struct {
			mode, ct string
			body     []byte
			rows     int64
		}{
			{"replace", ctCSV, []byte(itemsCSV), 3},
			{"append", ctNDJSON, []byte(itemsNDJSON), 2},
			{"append", ctParquet, parquetOf(t, itemsParquetCSV, itemsParquetCols), 2},
		} {
			rep := e.mustPublish(t, items, p.mode, p.ct, p.body)
			if rep.RowsOK != p.rows || rep.RowsFailed != 0 || rep.Mode != p.mode {
				t.Errorf("publish %s %s: accepted/rejected %d/%d mode %q, want %d/0 %q", p.ct, p.mode, rep.RowsOK, rep.RowsFailed, rep.Mode, p.rows, p.mode)
			}
			for _, c := range append(rep.Contract, rep.Quality...) {
				if !c.Passed {
					t.Errorf("publish %s: check %s failed in a committed publish", p.ct, c.Name)
				}
			}
			if len(snaps) > 0 && rep.PreviousSnapshotID != snaps[len(snaps)-1] {
				t.Errorf("publish %s: previousSnapshotId = %d, want %d", p.ct, rep.PreviousSnapshotID, snaps[len(snaps)-1])
			}
			snaps = append(snaps, rep.SnapshotID)
		}
		e.wantRows(t, "SELECT item_id, name, price, country, qty FROM retail.shop.items ORDER BY item_id", allItems)
	}) {
		t.FailNow()
	}

	t.Run("failed publish leaves everything as it was", func(t *testing.T) {
		before := e.state(t)
		tableFiles := files(t, e.p.Lake.Location(lakeIdent(items)))
		bad := "item_id,name,price,country,qty\n" +
			"1,dup,1.00,DE,1\n" + // primary key already in the table
			"8,neg,-1.00,FR,2\n" + // breaks the sql rule non_negative_price
			"9,bad,1.00,US,notanumber\n" // qty does not cast: rejected
		r := e.publish(t, items, "append", ctCSV, []byte(bad))
		r.wantError(t, "POST publish (bad data)", http.StatusUnprocessableEntity, "gate_failed", "previous snapshot stays")
		rep := gateFailure(t, r)
		if rep.Status != publish.StatusGateFailed || rep.SnapshotID != 0 || rep.RowsFailed != 1 || rep.RowsOK != 2 {
			t.Errorf("report: status %q snapshot %d rejected %d accepted %d, want gate_failed, 0, 1, 2", rep.Status, rep.SnapshotID, rep.RowsFailed, rep.RowsOK)
		}
		if len(rep.Rejects) != 1 || rep.Rejects[0].Column != "qty" || !strings.Contains(rep.Rejects[0].Row, "notanumber") {
			t.Errorf("rejectedExamples = %+v, want one for column qty showing the row", rep.Rejects)
		}
		wantFailed := []string{"contract rejectedRows", "contract primaryKey.existing", "quality non_negative_price"}
		if diff := cmp.Diff(wantFailed, failedChecks(rep)); diff != "" {
			t.Errorf("failed checks (-want +got):\n%s", diff)
		}
		e.wantUnchanged(t, "a failed publish", before)
		if diff := cmp.Diff(tableFiles, files(t, e.p.Lake.Location(lakeIdent(items)))); diff != "" {
			t.Errorf("files under the table's location (-before +after):\n%s", diff)
		}
		e.wantRows(t, "SELECT count(*) FROM retail.shop.items", [][]string{{"7"}})

		d := e.product(t, "retail", "shop")
		last := table(t, d, "items").LastPublish
		if !bytes.Contains(last, []byte(`"gate_failed"`)) {
			t.Errorf("lastPublish = %s, want the failed run's report", last)
		}
	})

	t.Run("catalog after publishes", func(t *testing.T) {
		tb := table(t, e.product(t, "retail", "shop"), "items")
		if diff := cmp.Diff(snaps, snapshotIDs(tb)); diff != "" {
			t.Errorf("items snapshots (-want +got):\n%s", diff)
		}
		if tb.CurrentSnapshotID == nil || *tb.CurrentSnapshotID != snaps[2] {
			t.Errorf("currentSnapshotId = %v, want %d", tb.CurrentSnapshotID, snaps[2])
		}
		wantOps := []string{"append", "append", "append"}
		var ops, accepted []string
		for _, s := range tb.Snapshots {
			ops = append(ops, s.Operation)
			accepted = append(accepted, s.Summary["meshwork.rows-accepted"])
		}
		if !slices.Equal(ops, wantOps) || !slices.Equal(accepted, []string{"3", "2", "2"}) {
			t.Errorf("snapshot operations %v, rows accepted %v; want %v, [3 2 2]", ops, accepted, wantOps)
		}
	})

	t.Run("query", func(t *testing.T) {
		for _, q := range []struct {
			name, sql string
			want      [][]string
		}{
			{"cross-domain join", `SELECT c.country_name, count(*) AS n, sum(i.price) AS total
				FROM retail.shop.items i JOIN geo.places.countries c ON i.country = c.code
				GROUP BY c.country_name ORDER BY c.country_name`,
				[][]string{{"France", "2", "8.00"}, {"Germany", "2", "2.49"}, {"United States", "2", "3.60"}}},
			{"aggregates", "SELECT count(*), count(qty), min(price), max(price), sum(qty), count(DISTINCT country) FROM retail.shop.items",
				[][]string{{"7", "5", "0.50", "5.75", "43", "3"}}},
			{"window", `SELECT item_id, country, row_number() OVER (PARTITION BY country ORDER BY price DESC) AS rn
				FROM retail.shop.items WHERE country IS NOT NULL ORDER BY country, rn`,
				[][]string{{"1", "DE", "1"}, {"3", "DE", "2"}, {"6", "FR", "1"}, {"2", "FR", "2"}, {"4", "US", "1"}, {"7", "US", "2"}}},
			{"cte", `WITH expensive AS (SELECT * FROM retail.shop.items WHERE price > 2)
				SELECT count(*), sum(price) FROM expensive`,
				[][]string{{"4", "15.10"}}},
			{"anti join", `SELECT code FROM geo.places.countries c
				WHERE NOT EXISTS (SELECT 1 FROM retail.shop.items i WHERE i.country = c.code AND i.price > 3) ORDER BY code`,
				[][]string{{"DE"}}},
		} {
			t.Run(q.name, func(t *testing.T) { e.wantRows(t, q.sql, q.want) })
		}

		res := e.query(t, "SELECT item_id FROM retail.shop.items WHERE item_id = 1")
		if got := res.Snapshots[items]; got != snaps[2] {
			t.Errorf("query answer: snapshots[%s] = %d, want %d", items, got, snaps[2])
		}

		r := e.do(t, "POST", "/api/v1/query", queryBody("SELECT item_id, name, qty FROM retail.shop.items WHERE item_id <= 2 ORDER BY item_id"),
			"Content-Type", "application/json", "Accept", "text/csv")
		r.wantStatus(t, "POST /api/v1/query (Accept: text/csv)", http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "text/csv" {
			t.Errorf("CSV answer: Content-Type = %q, want text/csv", ct)
		}
		recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("CSV answer does not parse: %v\n%s", err, r.body)
		}
		wantCSV := [][]string{{"item_id", "name", "qty"}, {"1", "apple", "10"}, {"2", "pear, green", ""}}
		if diff := cmp.Diff(wantCSV, recs); diff != "" {
			t.Errorf("CSV answer (-want +got):\n%s", diff)
		}
	})

	t.Run("time travel", func(t *testing.T) {
		for i, want := range []string{"3", "5", "7"} {
			e.wantRows(t, fmt.Sprintf("SELECT count(*) FROM retail.shop.items AT (VERSION => %d)", snaps[i]), [][]string{{want}})
		}
		e.wantRows(t, fmt.Sprintf(`SELECT a.item_id FROM retail.shop.items a
			LEFT JOIN retail.shop.items b AT (VERSION => %d) USING (item_id) WHERE b.item_id IS NULL ORDER BY 1`, snaps[0]),
			[][]string{{"4"}, {"5"}, {"6"}, {"7"}})

		// A timestamp reads the last snapshot committed at or before it.
		// Snapshots may share a millisecond, so the expectation is derived
		// from the catalog's timestamps rather than assumed.
		tb := table(t, e.product(t, "retail", "shop"), "items")
		at := tb.Snapshots[1].TimestampMs
		want := -1
		for i, s := range tb.Snapshots {
			if s.TimestampMs <= at {
				want = i
			}
		}
		counts := []string{"3", "5", "7"}
		ts := time.UnixMilli(at).UTC().Format("2006-01-02 15:04:05.000")
		e.wantRows(t, fmt.Sprintf("SELECT count(*) FROM retail.shop.items AT (TIMESTAMP => TIMESTAMPTZ '%s+00')", ts), [][]string{{counts[want]}})
		res := e.query(t, fmt.Sprintf("SELECT count(*) FROM retail.shop.items AT (TIMESTAMP => TIMESTAMPTZ '%s+00')", ts))
		if got := res.Snapshots[items]; got != snaps[want] {
			t.Errorf("AT (TIMESTAMP => %s): read snapshot %d, want %d", ts, got, snaps[want])
		}

		before := time.UnixMilli(tb.Snapshots[0].TimestampMs - 1000).UTC().Format("2006-01-02 15:04:05")
		r := e.do(t, "POST", "/api/v1/query", queryBody(fmt.Sprintf("SELECT * FROM retail.shop.items AT (TIMESTAMP => TIMESTAMPTZ '%s+00')", before)))
		r.wantError(t, "POST /api/v1/query AT a time before the first snapshot", http.StatusNotFound, "not_found", "no snapshot at or before")
		r = e.do(t, "POST", "/api/v1/query", queryBody("SELECT * FROM retail.shop.items AT (VERSION => 42)"))
		r.wantError(t, "POST /api/v1/query AT an unknown version", http.StatusNotFound, "not_found", "has no snapshot 42")
	})

	t.Run("add an optional column", func(t *testing.T) {
		before := e.state(t)
		dry := e.apply(t, "?dry_run=true", apply.Source{Name: "shop_v2.yaml", Data: testdata(t, "shop_v2.yaml")})
		e.wantUnchanged(t, "a dry run", before)

		plan := e.applyFiles(t, "shop_v2.yaml")
		want := []apply.Step{
			{Kind: "product", Name: "retail.shop", Action: apply.Unchanged},
			{Kind: "contract", Name: "retail-shop-contract 1.1.0", Action: apply.Create},
			{Kind: "table", Name: "retail.shop@v1.items", Action: apply.Update, Changes: []string{"add optional column color VARCHAR"}},
		}
		if diff := cmp.Diff(want, plan.Steps); diff != "" {
			t.Errorf("apply shop_v2.yaml steps (-want +got):\n%s", diff)
		}
		if !dry.DryRun || !cmp.Equal(dry.Steps, plan.Steps) {
			t.Errorf("dry run plan = %+v, want dryRun and the same steps as the apply %+v", dry, plan.Steps)
		}

		d := e.product(t, "retail", "shop")
		var versions []string
		for _, c := range d.Contracts {
			versions = append(versions, c.Version)
		}
		slices.Sort(versions)
		if !slices.Equal(versions, []string{"1.0.0", "1.1.0"}) {
			t.Errorf("contract versions = %v, want [1.0.0 1.1.0]", versions)
		}
		tb := table(t, d, "items")
		if tb.ContractVersion != "1.1.0" || len(tb.Columns) != 6 || tb.Columns[5].Name != "color" || tb.Columns[5].Required {
			t.Errorf("items after evolution: contract %s, columns %+v; want 1.1.0 and an optional color last", tb.ContractVersion, tb.Columns)
		}
		if diff := cmp.Diff(snaps, snapshotIDs(tb)); diff != "" {
			t.Errorf("adding a column changed the snapshots (-want +got):\n%s", diff)
		}

		e.wantRows(t, "SELECT count(*), count(color) FROM retail.shop.items", [][]string{{"7", "0"}})
		rep := e.mustPublish(t, items, "append", ctCSV, []byte("item_id,name,price,color\n10,cherry,7.00,red\n"))
		e.wantRows(t, "SELECT item_id, qty, color FROM retail.shop.items WHERE item_id IN (1, 10) ORDER BY item_id",
			[][]string{{"1", "10", "NULL"}, {"10", "NULL", "red"}})

		old := e.query(t, fmt.Sprintf("SELECT * FROM retail.shop.items AT (VERSION => %d) ORDER BY item_id", snaps[2]))
		if diff := cmp.Diff([]string{"item_id", "name", "price", "country", "qty"}, old.columnNames()); diff != "" {
			t.Errorf("time travel to before the column was added: columns (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(allItems, old.text()); diff != "" {
			t.Errorf("time travel to before the column was added: rows (-want +got):\n%s", diff)
		}
		r := e.do(t, "POST", "/api/v1/query", queryBody(fmt.Sprintf("SELECT color FROM retail.shop.items AT (VERSION => %d)", snaps[2])))
		r.wantError(t, "POST /api/v1/query color at the old snapshot", http.StatusBadRequest, "invalid", "color")
		snaps = append(snaps, rep.SnapshotID)
	})

	t.Run("incompatible changes are refused", func(t *testing.T) {
		v2 := string(testdata(t, "shop_v2.yaml"))
		v3 := strings.Replace(v2, "name: Shop\nversion: 1.1.0", "name: Shop\nversion: 1.2.0", 1)
		qty := "      - name: qty\n        logicalType: integer\n        physicalType: integer\n        required: false\n"
		for _, c := range []struct {
			name, from, to, msg string
			doc                 string
		}{
			{"drop a column", qty, "", `column retail.shop.items.qty would be dropped`, v3},
			{"change a type", "        physicalType: decimal(10,2)\n", "        physicalType: double\n", `column retail.shop.items.price would change type from DECIMAL(10,2) to DOUBLE`, v3},
			{"make an optional column required", "      - name: country\n        logicalType: string\n        physicalType: varchar\n        required: false\n",
				"      - name: country\n        logicalType: string\n        physicalType: varchar\n        required: true\n",
				`column retail.shop.items.country would become required`, v3},
			{"add a required column", qty, qty + "      - name: sku\n        logicalType: string\n        required: true\n",
				`required column retail.shop.items.sku would be added without a default`, v3},
			{"change an applied version", qty, "", "immutable", v2},
		} {
			t.Run(c.name, func(t *testing.T) {
				doc := strings.Replace(c.doc, c.from, c.to, 1)
				if doc == c.doc {
					t.Fatalf("the edit %q does not apply to shop_v2.yaml", c.from)
				}
				before := e.state(t)
				r := e.do(t, "POST", "/api/v1/apply", strings.NewReader(doc), "Content-Type", "application/yaml")
				r.wantError(t, "POST /api/v1/apply ("+c.name+")", http.StatusConflict, "conflict", c.msg)
				e.wantUnchanged(t, c.name, before)
			})
		}
		e.wantRows(t, "SELECT count(*) FROM retail.shop.items", [][]string{{"8"}})
	})

	t.Run("idempotency key", func(t *testing.T) {
		count := func() int { return len(table(t, e.product(t, "retail", "shop"), "items").Snapshots) }
		n := count()
		body := []byte("item_id,name,price\n11,lime,0.40\n")
		first := e.mustPublish(t, items, "append", ctCSV, body, "Idempotency-Key", "load-11")
		second := e.mustPublish(t, items, "append", ctCSV, body, "Idempotency-Key", "load-11")
		if first.Replayed || !second.Replayed || second.SnapshotID != first.SnapshotID || second.RunID != first.RunID {
			t.Errorf("replayed/snapshot/run: first %v/%d/%s, second %v/%d/%s; want the second to replay the first",
				first.Replayed, first.SnapshotID, first.RunID, second.Replayed, second.SnapshotID, second.RunID)
		}
		if got := count(); got != n+1 {
			t.Errorf("snapshots after the same publish twice = %d, want %d", got, n+1)
		}
		e.wantRows(t, "SELECT count(*) FROM retail.shop.items WHERE item_id = 11", [][]string{{"1"}})

		// A key is only spent by a commit: a failed run can be retried with it.
		r := e.publish(t, items, "append", ctCSV, []byte("item_id,name,price\n12,bad,-3\n"), "Idempotency-Key", "load-12")
		r.wantError(t, "POST publish (failing, with a key)", http.StatusUnprocessableEntity, "gate_failed", "")
		fixed := e.mustPublish(t, items, "append", ctCSV, []byte("item_id,name,price\n12,good,3\n"), "Idempotency-Key", "load-12")
		if fixed.Replayed {
			t.Errorf("retry after a failed run with the same key: replayed = true, want a new commit")
		}
		if got := count(); got != n+2 {
			t.Errorf("snapshots = %d, want %d", got, n+2)
		}
	})
}

// failedChecks lists the checks of a report that did not pass.
func failedChecks(rep publish.Report) []string {
	var out []string
	add := func(kind string, rs []quality.Result) {
		for _, r := range rs {
			if !r.Passed {
				out = append(out, kind+" "+r.Name)
			}
		}
	}
	add("contract", rep.Contract)
	add("quality", rep.Quality)
	return out
}
