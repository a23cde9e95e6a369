package audit

import (
	"context"
	"testing"
)

// BenchmarkAppend measures Append through to commit: the timed loop ends
// with a Flush.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	e := Event{Principal: "alice", Action: "query", Resource: "sales.orders.lineitem", Outcome: OK}
	details := map[string]any{"rows": 1000, "sql": "SELECT l_orderkey FROM sales.orders.lineitem LIMIT 1000"}
	b.Run("serial", func(b *testing.B) {
		l := openLog(b, openDB(b), nil)
		b.ReportAllocs()
		for b.Loop() {
			l.Append(e, details)
		}
		if err := l.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		l := openLog(b, openDB(b), nil)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Append(e, details)
			}
		})
		if err := l.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	l := openLog(b, openDB(b), nil)
	for range 10000 {
		l.Append(Event{Principal: "alice", Action: "query", Resource: "sales.orders", Outcome: OK}, map[string]int{"rows": 1})
	}
	b.ReportAllocs()
	for b.Loop() {
		if rep, err := l.Verify(ctx); err != nil || !rep.OK {
			b.Fatalf("Verify() = %+v, %v", rep, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/record")
}
