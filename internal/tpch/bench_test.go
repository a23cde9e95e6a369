package tpch

import (
	"bufio"
	"io"
	"testing"
)

// countWriter counts bytes so the benchmark can report MB/s.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func benchmarkTable(b *testing.B, table string, sf float64) {
	var cw countWriter
	if err := WriteCSV(&cw, table, sf); err != nil {
		b.Fatal(err)
	}
	rows, _ := RowCount(table, sf)
	b.SetBytes(cw.n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := bufio.NewWriter(io.Discard)
		if err := WriteCSV(w, table, sf); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWriteLineitem writes lineitem at sf 0.1 (~600k rows) into a
// bufio.Writer; rows/s and MB/s are the generator's single-core throughput.
func BenchmarkWriteLineitem(b *testing.B) { benchmarkTable(b, "lineitem", 0.1) }

func BenchmarkWriteOrders(b *testing.B) { benchmarkTable(b, "orders", 0.1) }

func BenchmarkWritePartsupp(b *testing.B) { benchmarkTable(b, "partsupp", 0.1) }
