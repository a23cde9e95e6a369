package lake_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/iceberg-go"

	"github.com/meshwork/meshwork/internal/lake"
)

// A file larger than the scan split size is planned as several tasks; it must
// still be read once, and a replace must remove it once.
func TestLargeFileSplitIntoTasks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.lake.Create(ctx, people, peopleTable()); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{"id": 1, "name": 2, "salary": 3}
	path := e.write(t, people, "big", "SELECT i::BIGINT AS id, 'n' || i AS name, i::DECIMAL(10,2) AS salary FROM range(20000) t(i)", ids)
	// Small row groups, then a tiny split size, so the planner makes many tasks of this one file.
	q := fmt.Sprintf("COPY (SELECT * FROM read_parquet(%s)) TO %s (FORMAT parquet, ROW_GROUP_SIZE 1000, FIELD_IDS {id: 1, name: 2, salary: 3})",
		lake.Literal(path), lake.Literal(filepath.Join(filepath.Dir(path), "big2.parquet")))
	if _, err := e.duck.Exec(q); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(filepath.Dir(path), "big2.parquet")
	if _, err := e.lake.Commit(ctx, people, []string{big}, lake.Append, nil); err != nil {
		t.Fatal(err)
	}
	tbl, err := e.lake.Load(ctx, people)
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.SetProperties(iceberg.Properties{"read.split.target-size": "4096"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tbl, err = e.lake.Load(ctx, people)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) < 2 {
		t.Fatalf("PlanFiles = %d tasks, want the file split into several", len(tasks))
	}
	plan, err := e.lake.PlanScan(ctx, people, tbl, tbl.CurrentSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Files) != 1 {
		t.Errorf("PlanScan files = %d, want 1 (the file once)", len(plan.Files))
	}
	var n int
	if err := e.duck.QueryRow("SELECT count(*) FROM " + plan.SQL()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 20000 {
		t.Errorf("rows read = %d, want 20000", n)
	}
	small := e.write(t, people, "small", "SELECT 1::BIGINT AS id, 'x' AS name, 1::DECIMAL(10,2) AS salary", ids)
	if _, err := e.lake.Commit(ctx, people, []string{small}, lake.Replace, nil); err != nil {
		t.Fatalf("Commit(replace) of a split file: %v", err)
	}
}
