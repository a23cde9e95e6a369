package bench

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the reference engine

	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/tpch"
)

// Config configures a benchmark run.
type Config struct {
	Scale        float64 // TPC-H scale factor (1: 6M lineitem rows)
	Dir          string  // scratch directory; a temporary one if empty
	Runs         int     // runs per TPC-H query (the median is reported)
	LatencyCalls int     // trivial queries for the latency percentiles
	MemoryLimit  string  // for both engines
	SkipPublish  bool
	SkipTPCH     bool
	Log          *slog.Logger // the benchmark's progress
	PlatformLog  *slog.Logger // the platform's own log (warnings and errors are worth seeing)
}

// Results holds every figure of a run.
type Results struct {
	Scale      float64
	Machine    string
	Publish    []PublishResult
	Queries    []QueryResult
	Latency    LatencyResult
	Governance GovernanceResult
	Started    time.Time
	Duration   time.Duration
}

// Run runs the benchmark.
func Run(ctx context.Context, c Config) (*Results, error) {
	if c.Runs <= 0 {
		c.Runs = 3
	}
	if c.LatencyCalls <= 0 {
		c.LatencyCalls = 2000
	}
	if c.MemoryLimit == "" {
		c.MemoryLimit = "8GB"
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	res := &Results{Scale: c.Scale, Started: time.Now(), Machine: machine()}
	dir := c.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "mesh-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	inputs := filepath.Join(dir, "inputs")
	if err := os.MkdirAll(inputs, 0o755); err != nil {
		return nil, err
	}
	cfg := platform.Defaults(filepath.Join(dir, "mesh-data"))
	cfg.MemoryLimit = c.MemoryLimit
	cfg.MaxRows = 0
	cfg.Logger = c.PlatformLog
	p, err := platform.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	srv, base, err := serve(p.API)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	ref, err := openReference(c.MemoryLimit)
	if err != nil {
		return nil, err
	}
	defer ref.Close()
	api := &apiClient{base: base, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}, token: p.AdminSecret}

	c.Log.Info("seeding the mesh", "scale", c.Scale)
	if err := seed(platform.AsAdmin(ctx), p, c.Scale); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	consumer, err := consumerToken(ctx, p)
	if err != nil {
		return nil, err
	}
	if !c.SkipPublish {
		c.Log.Info("publish benchmark")
		pr, err := benchPublish(ctx, ref, api, inputs, c.Scale)
		if err != nil {
			return nil, fmt.Errorf("publish benchmark: %w", err)
		}
		res.Publish = pr
	}
	if !c.SkipTPCH {
		c.Log.Info("TPC-H benchmark")
		qr, err := benchTPCH(ctx, p, ref, api, api.as(consumer), c.Scale, c.Runs, c.Log)
		if err != nil {
			return nil, fmt.Errorf("TPC-H benchmark: %w", err)
		}
		res.Queries = qr
	}
	c.Log.Info("latency benchmark")
	lr, err := benchLatency(ctx, api, c.LatencyCalls)
	if err != nil {
		return nil, fmt.Errorf("latency benchmark: %w", err)
	}
	res.Latency = lr
	gr, err := benchGovernance(ctx, p, consumer, c.LatencyCalls)
	if err != nil {
		return nil, fmt.Errorf("governance benchmark: %w", err)
	}
	res.Governance = gr
	res.Duration = time.Since(res.Started)
	return res, nil
}

// serve serves h on a loopback port.
func serve(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ends when the benchmark closes the server
	return srv, "http://" + ln.Addr().String(), nil
}

// openReference opens the plain DuckDB the figures are compared with, with
// the same memory limit and Parquet footer cache as Meshwork's engine.
func openReference(memoryLimit string) (*sql.DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	for _, s := range []string{"SET memory_limit = '" + memoryLimit + "'", "SET parquet_metadata_cache = true",
		"SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false"} {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// writeCSV generates a TPC-H table as a CSV file.
func writeCSV(path, table string, sf float64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := tpch.WriteCSV(f, table, sf); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), f.Close()
}

func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if _, v, ok := strings.Cut(l, ":"); ok {
					model = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d cores, %s, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, runtime.Version())
}

// peakRSS returns the process's peak resident set size in bytes since the
// last resetPeakRSS (Linux only; 0 elsewhere).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%d", &kb); err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

func resetPeakRSS() {
	runtime.GC()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0o200)
}
