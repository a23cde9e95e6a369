package bench

import (
	"fmt"
	"io"
	"time"
)

// Targets are the figures the platform promises.
const (
	TargetPublishRatio = 0.7  // publish throughput >= 0.7x DuckDB's COPY
	TargetTPCHRatio    = 1.10 // TPC-H total through Meshwork <= 1.10x plain DuckDB
	TargetP50          = 5 * time.Millisecond
)

// Markdown writes the results as a Markdown report.
func (r *Results) Markdown(w io.Writer, command string) {
	fmt.Fprintf(w, "Measured %s on %s.\n\nCommand: `%s`\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Machine, command)
	fmt.Fprintf(w, "TPC-H scale factor %g. Both engines run in the same process, one after the other, with the same memory limit\n", r.Scale)
	fmt.Fprintf(w, "and DuckDB's Parquet footer cache on; Meshwork is measured through its REST API on loopback (HTTP, JSON).\n\n")
	if len(r.Publish) > 0 {
		fmt.Fprintf(w, "### Publish `sales.orders.lineitem` (best of %d)\n\n", publishRuns)
		fmt.Fprintln(w, "| input | rows | input MB | Meshwork s | rows/s | MB/s | peak RSS MB | DuckDB COPY s | rows/s | MB/s | peak RSS MB | ratio (target >= 0.7) |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, p := range r.Publish {
			mb := float64(p.InputBytes) / 1e6
			fmt.Fprintf(w, "| %s | %d | %.0f | %.2f | %.0f | %.1f | %.0f | %.2f | %.0f | %.1f | %.0f | **%.2fx** %s |\n",
				p.Format, p.Rows, mb,
				p.Mesh.Seconds(), float64(p.Rows)/p.Mesh.Seconds(), mb/p.Mesh.Seconds(), float64(p.MeshPeakRSS)/1e6,
				p.DuckDB.Seconds(), float64(p.Rows)/p.DuckDB.Seconds(), mb/p.DuckDB.Seconds(), float64(p.DuckDBPeakRSS)/1e6,
				p.Ratio(), verdict(p.Ratio() >= TargetPublishRatio))
		}
		fmt.Fprintln(w)
	}
	if len(r.Queries) > 0 {
		fmt.Fprintln(w, "### TPC-H, 22 queries (median of the runs)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| query | rows | Meshwork ms | DuckDB ms | ratio | same result |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
		var mt, dt time.Duration
		same := true
		for _, q := range r.Queries {
			mt += q.Mesh
			dt += q.DuckDB
			same = same && q.Same
			fmt.Fprintf(w, "| Q%d | %d | %.1f | %.1f | %.2fx | %v |\n", q.N, q.Rows, ms(q.Mesh), ms(q.DuckDB), q.Ratio(), yes(q.Same))
		}
		ratio := mt.Seconds() / dt.Seconds()
		fmt.Fprintf(w, "| **total** | | **%.1f** | **%.1f** | **%.2fx** %s | %v |\n\n", ms(mt), ms(dt), ratio, verdict(ratio <= TargetTPCHRatio), yes(same))
	}
	l := r.Latency
	fmt.Fprintf(w, "### Trivial query through the API\n\n`%s`, %d sequential calls on one keep-alive connection:\n", l.Query, l.Calls)
	fmt.Fprintf(w, "p50 **%.2f ms** %s, p99 %.2f ms, max %.2f ms (target p50 < 5 ms).\n", ms(l.P50), verdict(l.P50 < TargetP50), ms(l.P99), ms(l.Max))
}

// Met reports whether every target was met and every result was identical.
func (r *Results) Met() bool {
	for _, p := range r.Publish {
		if p.Ratio() < TargetPublishRatio {
			return false
		}
	}
	var mt, dt time.Duration
	for _, q := range r.Queries {
		if !q.Same {
			return false
		}
		mt += q.Mesh
		dt += q.DuckDB
	}
	if len(r.Queries) > 0 && mt.Seconds()/dt.Seconds() > TargetTPCHRatio {
		return false
	}
	return r.Latency.P50 < TargetP50
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(missed)"
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}
