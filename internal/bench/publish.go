package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/tpch"
)

// PublishResult compares one publish with DuckDB's COPY of the same file.
type PublishResult struct {
	Format        string
	Rows          int64
	InputBytes    int64
	Mesh          time.Duration
	DuckDB        time.Duration
	MeshPeakRSS   int64
	DuckDBPeakRSS int64
}

// Ratio is Meshwork's throughput as a fraction of DuckDB's.
func (r PublishResult) Ratio() float64 { return r.DuckDB.Seconds() / r.Mesh.Seconds() }

// seed applies the demo mesh and publishes every table at scale sf.
func seed(ctx context.Context, p *platform.Platform, sf float64) error {
	return demo.Seed(ctx, p.Applier, p.Publisher, sf, discard())
}

const publishRuns = 2 // best of, per side and format

func benchPublish(ctx context.Context, ref *sql.DB, api *apiClient, dir string, sf float64) ([]PublishResult, error) {
	csvPath := filepath.Join(dir, "lineitem.csv")
	pqPath := filepath.Join(dir, "lineitem.parquet")
	csvBytes, err := writeCSV(csvPath, "lineitem", sf)
	if err != nil {
		return nil, err
	}
	cols, err := tpch.Columns("lineitem")
	if err != nil {
		return nil, err
	}
	var spec []string
	for _, c := range cols {
		spec = append(spec, fmt.Sprintf("'%s': '%s'", c.Name, c.Type))
	}
	readCSV := fmt.Sprintf("read_csv('%s', header = true, columns = {%s})", csvPath, strings.Join(spec, ", "))
	if _, err := ref.ExecContext(ctx, fmt.Sprintf("COPY (SELECT * FROM %s) TO '%s' (FORMAT parquet)", readCSV, pqPath)); err != nil {
		return nil, err
	}
	st, err := os.Stat(pqPath)
	if err != nil {
		return nil, err
	}
	// The same data with field ids of another table: Meshwork cannot adopt
	// such a file and rewrites it, which is the figure for uploads that need it.
	pqIDsPath := filepath.Join(dir, "lineitem-ids.parquet")
	var ids []string
	for i, c := range cols {
		ids = append(ids, fmt.Sprintf("%s: %d", c.Name, 500+i))
	}
	if _, err := ref.ExecContext(ctx, fmt.Sprintf("COPY (SELECT * FROM read_parquet('%s')) TO '%s' (FORMAT parquet, FIELD_IDS {%s})", pqPath, pqIDsPath, strings.Join(ids, ", "))); err != nil {
		return nil, err
	}
	stIDs, err := os.Stat(pqIDsPath)
	if err != nil {
		return nil, err
	}
	table := [3]string{"sales", "orders", "lineitem"}
	var out []PublishResult
	for _, in := range []struct {
		format publish.Format
		path   string
		read   string
		size   int64
		label  string
	}{
		{publish.CSV, csvPath, readCSV, csvBytes, "csv"},
		{publish.Parquet, pqPath, fmt.Sprintf("read_parquet('%s')", pqPath), st.Size(), "parquet (adopted)"},
		{publish.Parquet, pqIDsPath, fmt.Sprintf("read_parquet('%s')", pqIDsPath), stIDs.Size(), "parquet (rewritten)"},
	} {
		r := PublishResult{Format: in.label, InputBytes: in.size}
		for i := 0; i < publishRuns; i++ {
			target := filepath.Join(dir, fmt.Sprintf("copy-%s-%d.parquet", in.format, i))
			resetPeakRSS()
			start := time.Now()
			if _, err := ref.ExecContext(ctx, fmt.Sprintf("COPY (SELECT * FROM %s) TO '%s' (FORMAT parquet)", in.read, target)); err != nil {
				return nil, err
			}
			r.DuckDB = best(r.DuckDB, time.Since(start))
			r.DuckDBPeakRSS = max(r.DuckDBPeakRSS, peakRSS())
			os.Remove(target)

			resetPeakRSS()
			start = time.Now()
			rep, err := api.publish(ctx, table, in.path, in.format)
			if err != nil {
				return nil, err
			}
			r.Mesh = best(r.Mesh, time.Since(start))
			r.MeshPeakRSS = max(r.MeshPeakRSS, peakRSS())
			r.Rows = rep.RowsOK
			if rep.Status != publish.StatusCommitted {
				return nil, fmt.Errorf("publish of %s was not committed: %s", in.format, rep.Status)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func best(cur, d time.Duration) time.Duration {
	if cur == 0 || d < cur {
		return d
	}
	return cur
}

// referenceViews makes the mesh tables' current Parquet files queryable in
// the reference DuckDB under the same three-part names.
func referenceViews(ctx context.Context, p *platform.Platform, ref *sql.DB) error {
	attached := map[string]bool{}
	for _, t := range tpch.Tables {
		parts := strings.Split(tpch.TableNames[t], ".")
		id := lake.Ident{Domain: parts[0], Product: parts[1], Table: parts[2]}
		tbl, err := p.Lake.Load(ctx, id)
		if err != nil {
			return err
		}
		plan, err := p.Lake.PlanScan(ctx, id, tbl, tbl.CurrentSnapshot())
		if err != nil {
			return err
		}
		if !attached[id.Domain] {
			if _, err := ref.ExecContext(ctx, fmt.Sprintf("ATTACH ':memory:' AS %s", id.Domain)); err != nil {
				return err
			}
			attached[id.Domain] = true
		}
		files := make([]string, len(plan.Files))
		for i, f := range plan.Files {
			files[i] = lake.Literal(f)
		}
		for _, q := range []string{
			fmt.Sprintf("CREATE SCHEMA IF NOT EXISTS %s.%s", id.Domain, id.Product),
			fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM read_parquet([%s])", id, strings.Join(files, ", ")),
		} {
			if _, err := ref.ExecContext(ctx, q); err != nil {
				return err
			}
		}
	}
	return nil
}
