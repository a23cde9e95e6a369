package bench

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"time"
)

// LatencyResult holds the trivial query's latency through the API.
type LatencyResult struct {
	Query         string
	Calls         int
	P50, P99, Max time.Duration
}

const trivialQuery = "SELECT r_name FROM customers.crm.region WHERE r_regionkey = 1"

func benchLatency(ctx context.Context, api *apiClient, calls int) (LatencyResult, error) {
	r := LatencyResult{Query: trivialQuery, Calls: calls}
	for i := 0; i < 50; i++ { // warm up: connection, views, plan caches
		if _, err := api.query(ctx, trivialQuery); err != nil {
			return r, err
		}
	}
	ds := make([]time.Duration, 0, calls)
	for i := 0; i < calls; i++ {
		start := time.Now()
		if _, err := api.query(ctx, trivialQuery); err != nil {
			return r, err
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	r.P50 = ds[len(ds)/2]
	r.P99 = ds[len(ds)*99/100]
	r.Max = ds[len(ds)-1]
	return r, nil
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
