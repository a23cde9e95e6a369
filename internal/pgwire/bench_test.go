package pgwire_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/jackc/pgx/v5"

	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/pgwire"
	"github.com/meshwork/meshwork/internal/platform"
)

var (
	benchScale = flag.Float64("pgwire.bench-scale", 0.17, "TPC-H scale of the benchmark's demo mesh (0.17: about 1M lineitem rows)")
	benchQuery = flag.String("pgwire.bench-query", "SELECT * FROM sales.orders.lineitem LIMIT 1000000", "the query the benchmark reads")
)

// benchEnv is a platform at the benchmark's scale with the HTTP API and
// the wire protocol in front of it, made once per process.
var benchEnv struct {
	once   sync.Once
	err    error
	p      *platform.Platform
	api    *httptest.Server
	wire   string // the wire server's address
	token  string // an admin token
	closer func()
}

func setupBench(b *testing.B) {
	benchEnv.once.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "pgwire-bench-")
		if err != nil {
			benchEnv.err = err
			return
		}
		cfg := platform.Defaults(dir)
		cfg.QueryTimeout = 10 * time.Minute
		p, err := platform.Open(ctx, cfg)
		if err != nil {
			benchEnv.err = err
			return
		}
		start := time.Now()
		if err := demo.Seed(platform.AsAdmin(ctx), p.Applier, p.Publisher, *benchScale, slog.New(slog.DiscardHandler)); err != nil {
			benchEnv.err = err
			return
		}
		fmt.Fprintf(os.Stderr, "seeded the demo at scale %g in %s\n", *benchScale, time.Since(start).Round(time.Second))
		_, secret, err := p.Access.CreateToken(ctx, "bench", "admin", nil, nil, 0)
		if err != nil {
			benchEnv.err = err
			return
		}
		srv, err := p.PGWire(platform.PGWireConfig{})
		if err != nil {
			benchEnv.err = err
			return
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			benchEnv.err = err
			return
		}
		go srv.Serve(ln)
		benchEnv.p, benchEnv.token, benchEnv.wire = p, secret, ln.Addr().String()
		benchEnv.api = httptest.NewServer(p.API)
		benchEnv.closer = func() {
			benchEnv.api.Close()
			srv.Close()
			p.Close()
			os.RemoveAll(dir)
		}
		_ = pgwire.ErrServerClosed
	})
	if benchEnv.err != nil {
		b.Fatalf("benchmark setup: %v", benchEnv.err)
	}
}

// readArrow runs the query through POST /api/v1/query as an Arrow stream
// and reads every record batch; it returns the rows read.
func readArrow(ctx context.Context, sql string) (int64, error) {
	body, _ := json.Marshal(map[string]string{"sql": sql})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, benchEnv.api.URL+"/api/v1/query", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+benchEnv.token)
	req.Header.Set("Accept", "application/vnd.apache.arrow.stream")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
	}
	r, err := ipc.NewReader(resp.Body)
	if err != nil {
		return 0, err
	}
	defer r.Release()
	var n int64
	for r.Next() {
		n += r.RecordBatch().NumRows()
	}
	return n, r.Err()
}

// readWire runs the query through the wire protocol with pgx and reads
// every row's values as sent (binary for the extended protocol, text for
// the simple one).
func readWire(ctx context.Context, c *pgx.Conn, sql string, mode pgx.QueryExecMode) (int64, error) {
	rows, err := c.Query(ctx, sql, mode)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	var bytes int
	for rows.Next() {
		for _, v := range rows.RawValues() {
			bytes += len(v)
		}
		n++
	}
	return n, rows.Err()
}

// BenchmarkWireVsArrow times one large result read in full over the HTTP
// Arrow endpoint, over the wire protocol in binary (extended protocol) and
// in text (simple protocol), and reports each time and the ratios.
//
//	go test ./internal/pgwire/ -run '^$' -bench WireVsArrow -benchtime 3x
func BenchmarkWireVsArrow(b *testing.B) {
	setupBench(b)
	ctx := context.Background()
	h, port, _ := net.SplitHostPort(benchEnv.wire)
	c, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%s user=admin password=%s dbname=mesh sslmode=disable", h, port, benchEnv.token))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	// Warm the engine's caches (data file footers, views) for every path alike.
	if _, err := readArrow(ctx, *benchQuery); err != nil {
		b.Fatal(err)
	}
	var arrow, bin, text time.Duration
	var rows int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		n, err := readArrow(ctx, *benchQuery)
		if err != nil {
			b.Fatal(err)
		}
		arrow += time.Since(start)
		start = time.Now()
		m, err := readWire(ctx, c, *benchQuery, pgx.QueryExecModeCacheStatement)
		if err != nil {
			b.Fatal(err)
		}
		bin += time.Since(start)
		start = time.Now()
		k, err := readWire(ctx, c, *benchQuery, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			b.Fatal(err)
		}
		text += time.Since(start)
		if n != m || n != k {
			b.Fatalf("rows: arrow %d, wire binary %d, wire text %d", n, m, k)
		}
		rows = n
	}
	per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(per(arrow), "arrow-ms")
	b.ReportMetric(per(bin), "wire-binary-ms")
	b.ReportMetric(per(text), "wire-text-ms")
	b.ReportMetric(float64(bin)/float64(arrow), "binary/arrow")
	b.ReportMetric(float64(text)/float64(arrow), "text/arrow")
}
