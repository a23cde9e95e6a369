package restcatalog_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/restcatalog"
)

// benchClients is how many clients send requests at once.
const benchClients = 16

// BenchmarkCatalog measures loadTable as engines call it: 16 concurrent
// clients with keep-alive connections against the catalog on a real
// loopback HTTP server over the demo mesh. The references are the cheapest
// requests the same server answers — a static handler with no
// authentication, and GET /v1/config (authentication only) — so the
// ratio shows what loadTable itself costs. Each sub-benchmark sends b.N
// requests and reports the latency percentiles and the throughput:
//
//	go test ./internal/restcatalog/ -run '^$' -bench Catalog -benchtime 20000x
func BenchmarkCatalog(b *testing.B) {
	p := newPlatform(b)
	toks, err := demo.Tokens(context.Background(), p.Access)
	if err != nil {
		b.Fatal(err)
	}
	var consumer string
	for _, tk := range toks {
		if tk.Principal == "sales-consumer" {
			consumer = tk.Secret
		}
	}
	h := restcatalog.Handler(restcatalog.Config{Registry: p.Registry, Lake: p.Lake, Access: p.Access, Gov: p.Gov,
		Audit: p.Audit, TokenTTL: 10 * time.Minute})
	mux := http.NewServeMux()
	mux.Handle("/iceberg/", http.StripPrefix("/iceberg", h))
	static := []byte(`{"defaults":{},"overrides":{}}` + "\n")
	mux.HandleFunc("/static", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(static)
	})
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * benchClients, MaxIdleConnsPerHost: 2 * benchClients}}
	b.Cleanup(client.CloseIdleConnections)

	const load = "/iceberg/v1/namespaces/sales%1Forders/tables/orders"
	var staticRate float64 // req/s of the static reference, once measured
	for _, c := range []struct{ name, path, token string }{
		{"ref=static", "/static", ""},
		{"ref=config", "/iceberg/v1/config", p.AdminSecret},
		{"loadTable/admin", load, p.AdminSecret},
		{"loadTable/consumer", load, consumer},
	} {
		b.Run(c.name, func(b *testing.B) {
			rate := drive(b, client, srv.URL+c.path, c.token)
			switch {
			case c.path == "/static":
				staticRate = rate
			case staticRate > 0 && rate > 0:
				// How many times the static handler's throughput this is.
				b.ReportMetric(rate/staticRate, "x-static")
			}
		})
	}
}

// BenchmarkLoadTableHandler is loadTable's own cost, without HTTP: the
// handler called directly, in parallel.
func BenchmarkLoadTableHandler(b *testing.B) {
	p := newPlatform(b)
	h := restcatalog.Handler(restcatalog.Config{Registry: p.Registry, Lake: p.Lake, Access: p.Access, Gov: p.Gov,
		Audit: p.Audit, TokenTTL: 10 * time.Minute})
	req := httptest.NewRequest(http.MethodGet, "/v1/namespaces/sales%1Forders/tables/orders", nil)
	req.Header.Set("Authorization", "Bearer "+p.AdminSecret)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req.Clone(context.Background()))
			if w.Code != http.StatusOK {
				b.Errorf("loadTable: %d %s", w.Code, w.Body)
				return
			}
		}
	})
}

// drive sends b.N GETs of url from benchClients goroutines and reports the
// median and 99th percentile latency and the requests per second, which it
// returns.
func drive(b *testing.B, client *http.Client, url, token string) float64 {
	b.ReportAllocs()
	get := func() (time.Duration, error) {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != http.StatusOK {
			b.Errorf("GET %s: %s", url, res.Status)
		}
		return time.Since(start), err
	}
	// Warm up: connections, caches.
	for range benchClients {
		if _, err := get(); err != nil {
			b.Fatal(err)
		}
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		all  = make([]time.Duration, 0, b.N)
	)
	b.ResetTimer()
	start := time.Now()
	for range benchClients {
		wg.Add(1)
		go func() { // exits once b.N requests are claimed
			defer wg.Done()
			var lat []time.Duration
			for next.Add(1) <= int64(b.N) {
				d, err := get()
				if err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, d)
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if len(all) == 0 {
		return 0
	}
	slices.Sort(all)
	pct := func(q float64) float64 {
		return float64(all[int(q*float64(len(all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	rate := float64(len(all)) / elapsed.Seconds()
	b.ReportMetric(rate, "req/s")
	return rate
}
