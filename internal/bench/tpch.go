package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/tpch"
)

// QueryResult compares one TPC-H query through Meshwork with plain DuckDB.
type QueryResult struct {
	N        int
	Rows     int
	Mesh     time.Duration // median through the query API, as the admin (nothing masked)
	Consumer time.Duration // median through the query API, as a consumer (PII columns masked)
	DuckDB   time.Duration // median in plain DuckDB over the same files
	Same     bool          // identical results (the admin's)
}

// ConsumerRatio is Meshwork's time as a consumer over DuckDB's.
func (q QueryResult) ConsumerRatio() float64 { return q.Consumer.Seconds() / q.DuckDB.Seconds() }

// Ratio is Meshwork's time over DuckDB's.
func (q QueryResult) Ratio() float64 { return q.Mesh.Seconds() / q.DuckDB.Seconds() }

func benchTPCH(ctx context.Context, p *platform.Platform, ref *sql.DB, api, consumer *apiClient, scale float64, runs int, log *slog.Logger) ([]QueryResult, error) {
	if err := referenceViews(ctx, p, ref); err != nil {
		return nil, fmt.Errorf("reference views: %w", err)
	}
	// Both sides read the files Meshwork planned; the generator's own counts
	// check that plan independently.
	for _, t := range tpch.Tables {
		want, err := tpch.RowCount(t, scale)
		if err != nil {
			return nil, err
		}
		var got int64
		if err := ref.QueryRowContext(ctx, "SELECT count(*) FROM "+tpch.TableNames[t]).Scan(&got); err != nil {
			return nil, err
		}
		if got != want {
			return nil, fmt.Errorf("%s holds %d rows, the generator wrote %d", tpch.TableNames[t], got, want)
		}
	}
	var out []QueryResult
	for n := 1; n <= 22; n++ {
		q, err := tpch.Query(n)
		if err != nil {
			return nil, err
		}
		// Warm both engines (and the page cache) once.
		meshRows, err := meshQuery(ctx, api, q)
		if err != nil {
			return nil, fmt.Errorf("query %d through Meshwork: %w", n, err)
		}
		refRows, err := refQuery(ctx, ref, q)
		if err != nil {
			return nil, fmt.Errorf("query %d in DuckDB: %w", n, err)
		}
		if _, err := meshQuery(ctx, consumer, q); err != nil {
			return nil, fmt.Errorf("query %d through Meshwork as a consumer: %w", n, err)
		}
		r := QueryResult{N: n, Rows: len(refRows), Same: sameRows(meshRows, refRows)}
		var mt, ct, dt []time.Duration
		for i := 0; i < runs; i++ {
			start := time.Now()
			if _, err := meshQuery(ctx, api, q); err != nil {
				return nil, err
			}
			mt = append(mt, time.Since(start))
			start = time.Now()
			if _, err := meshQuery(ctx, consumer, q); err != nil {
				return nil, err
			}
			ct = append(ct, time.Since(start))
			start = time.Now()
			if _, err := refQuery(ctx, ref, q); err != nil {
				return nil, err
			}
			dt = append(dt, time.Since(start))
		}
		r.Mesh, r.Consumer, r.DuckDB = median(mt), median(ct), median(dt)
		log.Info("tpch", "query", n, "mesh_ms", r.Mesh.Milliseconds(), "consumer_ms", r.Consumer.Milliseconds(),
			"duckdb_ms", r.DuckDB.Milliseconds(), "same", r.Same)
		out = append(out, r)
	}
	return out, nil
}

// meshQuery runs a query through the API and renders every cell as text.
func meshQuery(ctx context.Context, api *apiClient, q string) ([][]string, error) {
	res, err := api.query(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([][]string, len(res.Rows))
	for i, row := range res.Rows {
		out[i] = make([]string, len(row))
		for j, v := range row {
			switch x := v.(type) {
			case nil:
				out[i][j] = "NULL"
			case json.Number:
				out[i][j] = x.String()
			default:
				out[i][j] = fmt.Sprint(x)
			}
		}
	}
	return out, nil
}

// refQuery runs a query in the reference DuckDB, rendering cells the way the API does.
func refQuery(ctx context.Context, db *sql.DB, q string) ([][]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out [][]string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = query.Text(v, types[i].DatabaseTypeName())
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// sameRows compares results cell by cell; floating-point cells may differ
// in the last digits (parallel aggregation sums in any order).
func sameRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	eq := func(x, y []string) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] == y[i] {
				continue
			}
			fx, e1 := strconv.ParseFloat(x[i], 64)
			fy, e2 := strconv.ParseFloat(y[i], 64)
			if e1 != nil || e2 != nil || math.Abs(fx-fy) > 1e-9*math.Max(1, math.Max(math.Abs(fx), math.Abs(fy))) {
				return false
			}
		}
		return true
	}
	for i := range a {
		if !eq(a[i], b[i]) {
			return false
		}
	}
	return true
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
