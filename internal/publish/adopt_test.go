package publish_test

import (
	"bytes"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
)

// parquetFiles lists the Parquet files under a table's location.
func parquetFiles(t *testing.T, p *platform.Platform) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(p.Lake.Location(orders), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".parquet") {
			out = append(out, path)
		}
		return nil
	})
	return out
}

func writeParquet(t *testing.T, duck *sql.DB, path, selectSQL, options string) []byte {
	t.Helper()
	if _, err := duck.Exec("COPY (" + selectSQL + ") TO '" + path + "' (FORMAT parquet" + options + ")"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// An upload whose columns are the contract's, by name and type, without
// field ids of its own, becomes the data file as it is (Iceberg reads it
// through the name mapping); anything else is rewritten with field ids.
func TestAdoptParquet(t *testing.T) {
	p := newPlatform(t)
	dir := t.TempDir()
	duck, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()

	// Columns in another order than the contract's; the optional note is absent.
	upload := writeParquet(t, duck, filepath.Join(dir, "a.parquet"), `
		SELECT 'ada' AS customer, 1::BIGINT AS order_id, 12.50::DECIMAL(10,2) AS amount, DATE '2026-01-05' AS order_date,
		       TIMESTAMP '2026-01-05 10:30:00' AS placed_at, true AS paid, 'open' AS status
		UNION ALL SELECT 'bob', 2, 0.10, DATE '2026-02-28', NULL, false, NULL`, "")
	rep := mustPub(t, p, req{table: orders, format: publish.Parquet, body: string(upload)})
	if _, ok := rep.StagesMs["copy"]; !ok || rep.DataFiles != 1 || rep.RowsOK != 2 {
		t.Errorf("report = files %d rows %d stages %v, want the direct path with 1 file and 2 rows", rep.DataFiles, rep.RowsOK, rep.StagesMs)
	}
	files := parquetFiles(t, p)
	if len(files) != 1 {
		t.Fatalf("data files = %v, want 1", files)
	}
	if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, upload) {
		t.Errorf("the data file is not the upload itself (%d bytes, upload %d)", len(got), len(upload))
	}
	want := [][]string{
		{"1", "ada", "12.50", "2026-01-05", "2026-01-05T10:30:00", "true", "open", "NULL"},
		{"2", "bob", "0.10", "2026-02-28", "NULL", "false", "NULL", "NULL"},
	}
	if diff := cmp.Diff(want, rows(t, p, ordersSelect)); diff != "" {
		t.Errorf("rows of the adopted file (-want +got):\n%s", diff)
	}

	// Iceberg readers (here iceberg-go's own scan) resolve the adopted file's
	// columns through the table's name mapping.
	tbl, err := p.Lake.Load(admin(), orders)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.NameMapping() == nil {
		t.Errorf("the table has no name mapping: engines could not read the adopted file")
	}
	at, err := tbl.Scan(table.WithSelectedFields("order_id", "customer")).ToArrowTable(admin())
	if err != nil {
		t.Fatalf("iceberg-go scan of the adopted file: %v", err)
	}
	defer at.Release()
	if at.NumRows() != 2 {
		t.Errorf("iceberg-go scan = %d rows, want 2", at.NumRows())
	}
	var customers []string
	for _, chunk := range at.Column(at.Schema().FieldIndices("customer")[0]).Data().Chunks() {
		for i := 0; i < chunk.Len(); i++ {
			customers = append(customers, chunk.ValueStr(i))
		}
	}
	if strings.Join(customers, ",") != "ada,bob" {
		t.Errorf("iceberg-go scan customers = %v, want ada,bob (read by the name mapping)", customers)
	}

	// Appending a key the adopted file holds is a duplicate: the gate reads
	// the adopted file by name, like queries do.
	rep, err = pub(t, p, req{table: orders, format: publish.CSV, body: "order_id,customer,amount\n2,bob,9.00\n"})
	gateFailed(t, rep, err)
	if r := check(rep.Contract, "primaryKey.existing"); r == nil || r.Passed || *r.Value != 1 {
		t.Errorf("primaryKey.existing = %+v, want 1 duplicate of the adopted file's key", r)
	}

	// A file with field ids of its own (here: ids that mean nothing to this
	// table) must not be adopted, or a read by id would mix its columns up.
	foreign := writeParquet(t, duck, filepath.Join(dir, "b.parquet"),
		`SELECT 3::BIGINT AS order_id, 'cy' AS customer, 3.00::DECIMAL(10,2) AS amount`,
		", FIELD_IDS {order_id: 900, customer: 901, amount: 902}")
	mustPub(t, p, req{table: orders, format: publish.Parquet, body: string(foreign)})
	for _, f := range parquetFiles(t, p) {
		if got, _ := os.ReadFile(f); bytes.Equal(got, foreign) {
			t.Errorf("a file with foreign field ids was adopted as it is: %s", f)
		}
	}

	// An optional column added later reads NULL for the adopted file and
	// its value for rows published after.
	data, err := os.ReadFile("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(string(data), "version: 1.0.0\nstatus: active\ndomain: retail\ndataProduct: shop", "version: 1.1.0\nstatus: active\ndomain: retail\ndataProduct: shop", 1)
	v2 = strings.Replace(v2, "      - name: status\n", "      - name: channel\n        logicalType: string\n        physicalType: varchar\n      - name: status\n", 1)
	if v2 == string(data) || !strings.Contains(v2, "version: 1.1.0") {
		t.Fatal("could not derive the 1.1.0 contract from testdata/shop.yaml")
	}
	if _, err := p.Applier.Apply(admin(), []apply.Source{{Name: "shop_v2.yaml", Data: []byte(v2)}}, false); err != nil {
		t.Fatalf("apply 1.1.0: %v", err)
	}
	mustPub(t, p, req{table: orders, format: publish.CSV, body: "order_id,customer,amount,channel\n4,dee,4.00,web\n"})
	if diff := cmp.Diff([][]string{{"1", "NULL"}, {"2", "NULL"}, {"3", "NULL"}, {"4", "web"}},
		rows(t, p, "SELECT order_id, channel FROM retail.shop.orders ORDER BY order_id")); diff != "" {
		t.Errorf("rows after adding channel (-want +got):\n%s", diff)
	}
}
