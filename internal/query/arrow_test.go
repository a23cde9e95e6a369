package query

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "github.com/duckdb/duckdb-go/v2"
)

func arrowTestDB(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// arrowTestRows runs q and wraps its result in a Rows, as Engine.Query does
// without the guard. The caller closes it.
func arrowTestRows(tb testing.TB, db *sql.DB, q string) *Rows {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := db.Conn(ctx)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		conn.Close()
		cancel()
		tb.Fatalf("%s: %v", q, err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		tb.Fatal(err)
	}
	r := &Rows{rows: rows, conn: conn, cancel: cancel, ctx: ctx, started: time.Now(), limit: time.Minute,
		values: make([]any, len(types)), ptrs: make([]any, len(types))}
	for i, t := range types {
		r.Columns = append(r.Columns, Column{Name: t.Name(), Type: t.DatabaseTypeName()})
		r.ptrs[i] = &r.values[i]
	}
	return r
}

// arrowTestWrite writes q's result with a checked allocator, reads the stream
// back and returns its schema and batches (released at the end of the test).
func arrowTestWrite(t *testing.T, q string, maxRows int64) (Summary, *arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	r := arrowTestRows(t, arrowTestDB(t), q)
	defer r.Close()
	var buf bytes.Buffer
	s, err := writeArrow(&buf, r, maxRows, mem)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := ipc.NewReader(&buf, ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	var recs []arrow.RecordBatch
	for rd.Next() {
		rec := rd.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, rec := range recs {
			rec.Release()
		}
	})
	return s, rd.Schema(), recs
}

// arrowValue is the Go value at row i of a, for comparisons; decimals as
// their unscaled integer in decimal.
func arrowValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return a.Value(i)
	case *array.Int16:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return a.Value(i)
	case *array.Uint16:
		return a.Value(i)
	case *array.Uint32:
		return a.Value(i)
	case *array.Uint64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Decimal128:
		return a.Value(i).BigInt().String()
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...)
	case *array.Date32:
		return a.Value(i)
	case *array.Time64:
		return a.Value(i)
	case *array.Timestamp:
		return a.Value(i)
	}
	return a.ValueStr(i)
}

func TestWriteArrowTypes(t *testing.T) {
	ts := time.Date(1965, 3, 4, 5, 6, 7, 654321000, time.UTC)
	tstz := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	cases := []struct {
		sqlType, expr string
		want          arrow.DataType
		val           any
	}{
		{"BOOLEAN", "true", arrow.FixedWidthTypes.Boolean, true},
		{"TINYINT", "-8", arrow.PrimitiveTypes.Int8, int8(-8)},
		{"SMALLINT", "-1600", arrow.PrimitiveTypes.Int16, int16(-1600)},
		{"INTEGER", "-320000", arrow.PrimitiveTypes.Int32, int32(-320000)},
		{"BIGINT", "-6400000000000", arrow.PrimitiveTypes.Int64, int64(-6400000000000)},
		{"UTINYINT", "250", arrow.PrimitiveTypes.Uint8, uint8(250)},
		{"USMALLINT", "65000", arrow.PrimitiveTypes.Uint16, uint16(65000)},
		{"UINTEGER", "4000000000", arrow.PrimitiveTypes.Uint32, uint32(4000000000)},
		{"UBIGINT", "18446744073709551615", arrow.PrimitiveTypes.Uint64, uint64(18446744073709551615)},
		{"FLOAT", "1.5", arrow.PrimitiveTypes.Float32, float32(1.5)},
		{"DOUBLE", "-3.25", arrow.PrimitiveTypes.Float64, -3.25},
		// 12345678901234.56 has 16 digits: DECIMAL(15,2) holds at most 13 before the point.
		{"DECIMAL(15,2)", "1234567890123.45", &arrow.Decimal128Type{Precision: 15, Scale: 2}, "123456789012345"},
		{"DECIMAL(18,2)", "12345678901234.56", &arrow.Decimal128Type{Precision: 18, Scale: 2}, "1234567890123456"},
		{"DECIMAL(4,1)", "-12.3", &arrow.Decimal128Type{Precision: 4, Scale: 1}, "-123"},
		{"DECIMAL(38,10)", "-1234567890123456789012345678.0123456789", &arrow.Decimal128Type{Precision: 38, Scale: 10},
			"-12345678901234567890123456780123456789"},
		{"VARCHAR", "'héllo, wörld'", arrow.BinaryTypes.String, "héllo, wörld"},
		{"BLOB", `'\x00\xFFab'`, arrow.BinaryTypes.Binary, []byte{0, 0xff, 'a', 'b'}},
		{"DATE", "'1969-12-31'", arrow.FixedWidthTypes.Date32, arrow.Date32(-1)},
		{"DATE", "'1900-01-01'", arrow.FixedWidthTypes.Date32, arrow.Date32(-25567)},
		{"DATE", "'2024-02-29'", arrow.FixedWidthTypes.Date32, arrow.Date32(19782)},
		{"TIME", "'13:45:30.123456'", arrow.FixedWidthTypes.Time64us, arrow.Time64(((13*60+45)*60+30)*1e6 + 123456)},
		{"TIMESTAMP", "'1965-03-04 05:06:07.654321'", &arrow.TimestampType{Unit: arrow.Microsecond},
			arrow.Timestamp(ts.UnixMicro())},
		{"TIMESTAMPTZ", "'2024-01-02 03:04:05.123456+00'", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
			arrow.Timestamp(tstz.UnixMicro())},
		{"UUID", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", arrow.BinaryTypes.String, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"HUGEINT", "-170141183460469231731687303715884105727", arrow.BinaryTypes.String,
			"-170141183460469231731687303715884105727"},
		{"INTERVAL", "INTERVAL '1 month 2 days 3 seconds'", arrow.BinaryTypes.String, "1 months 2 days 3000000 microseconds"},
		{"INTEGER[]", "[1, 2, 3]", arrow.BinaryTypes.String, "[1 2 3]"},
		{"STRUCT(a INTEGER)", "{'a': 1}", arrow.BinaryTypes.String, "map[a:1]"},
	}
	var vals, nulls []string
	for i, c := range cases {
		vals = append(vals, "CAST("+c.expr+" AS "+c.sqlType+") AS c"+strconv.Itoa(i))
		nulls = append(nulls, "CAST(NULL AS "+c.sqlType+")")
	}
	q := "SELECT * EXCLUDE (k) FROM (SELECT 0 AS k, " + strings.Join(vals, ", ") +
		" UNION ALL SELECT 1, " + strings.Join(nulls, ", ") + ") ORDER BY k"
	s, schema, recs := arrowTestWrite(t, q, 0)
	if s.Rows != 2 || s.Truncated || len(recs) != 1 || recs[0].NumRows() != 2 {
		t.Fatalf("summary %+v, %d batches", s, len(recs))
	}
	for i, c := range cases {
		f := schema.Field(i)
		if f.Name != "c"+strconv.Itoa(i) || !arrow.TypeEqual(f.Type, c.want) || !f.Nullable {
			t.Errorf("%s: field %v, want type %v", c.sqlType, f, c.want)
			continue
		}
		col := recs[0].Column(i)
		if got := arrowValue(col, 0); !reflect.DeepEqual(got, c.val) {
			t.Errorf("%s %s: got %#v (%T), want %#v (%T)", c.sqlType, c.expr, got, got, c.val, c.val)
		}
		if !col.IsNull(1) {
			t.Errorf("%s: NULL came back as %v", c.sqlType, arrowValue(col, 1))
		}
	}
	// The timestamp columns decode to the instants written.
	if got := recs[0].Column(21).(*array.Timestamp).Value(0).ToTime(arrow.Microsecond); !got.Equal(ts) {
		t.Errorf("timestamp: %v, want %v", got, ts)
	}
	if got := recs[0].Column(12).(*array.Decimal128).ValueStr(0); got != "12345678901234.56" {
		t.Errorf("decimal: %s", got)
	}
}

func TestWriteArrowBatches(t *testing.T) {
	const q = "SELECT i::INTEGER AS i, 'row ' || i AS s, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 0.5::DOUBLE END AS d FROM range(20000) t(i) ORDER BY i"
	for _, tc := range []struct {
		max       int64
		rows      int64
		truncated bool
		batches   []int64
	}{
		{0, 20000, false, []int64{8192, 8192, 3616}},
		{10000, 10000, true, []int64{8192, 1808}},
		{8192, 8192, true, []int64{8192}},
		{20000, 20000, false, []int64{8192, 8192, 3616}},
		{1, 1, true, []int64{1}},
	} {
		s, _, recs := arrowTestWrite(t, q, tc.max)
		if s.Rows != tc.rows || s.Truncated != tc.truncated {
			t.Errorf("max %d: summary %+v", tc.max, s)
		}
		var sizes []int64
		next := int32(0)
		for _, rec := range recs {
			sizes = append(sizes, rec.NumRows())
			ci := rec.Column(0).(*array.Int32)
			cs := rec.Column(1).(*array.String)
			cd := rec.Column(2).(*array.Float64)
			for j := 0; j < int(rec.NumRows()); j++ {
				if ci.Value(j) != next || cs.Value(j) != "row "+strconv.Itoa(int(next)) ||
					cd.IsNull(j) != (next%3 == 0) || (!cd.IsNull(j) && cd.Value(j) != float64(next)*0.5) {
					t.Fatalf("max %d: row %d: %d %q %v", tc.max, next, ci.Value(j), cs.Value(j), arrowValue(cd, j))
				}
				next++
			}
		}
		if !reflect.DeepEqual(sizes, tc.batches) {
			t.Errorf("max %d: batches %v, want %v", tc.max, sizes, tc.batches)
		}
	}
}

func TestWriteArrowEmpty(t *testing.T) {
	s, schema, recs := arrowTestWrite(t, "SELECT 1::BIGINT AS a, 'x' AS b, 1.5::DECIMAL(9,3) AS c WHERE false", 0)
	if s.Rows != 0 || s.Truncated || len(recs) != 0 {
		t.Fatalf("summary %+v, %d batches", s, len(recs))
	}
	want := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c", Type: &arrow.Decimal128Type{Precision: 9, Scale: 3}, Nullable: true},
	}, nil)
	if !schema.Equal(want) {
		t.Fatalf("schema %v, want %v", schema, want)
	}
}

type arrowFailWriter struct{ n int }

func (w *arrowFailWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteArrowWriteError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := arrowTestRows(t, arrowTestDB(t), "SELECT i, 'row ' || i AS s FROM range(100000) t(i)")
	defer r.Close()
	if _, err := writeArrow(&arrowFailWriter{n: 200 << 10}, r, 0, mem); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkWriteArrow(b *testing.B) {
	db := arrowTestDB(b)
	const q = `SELECT i AS id, i * 1.5 AS amount_d, 'customer ' || (i % 1000) AS name,
		TIMESTAMP '2024-01-01' + to_microseconds(i * 1000) AS ts, (i / 100)::DECIMAL(15,2) AS amount
		FROM range(100000) t(i)`
	run := func(b *testing.B, write func(io.Writer, *Rows) (Summary, error)) {
		b.ReportAllocs()
		for b.Loop() {
			r := arrowTestRows(b, db, q)
			s, err := write(io.Discard, r)
			r.Close()
			if err != nil || s.Rows != 100000 {
				b.Fatal(s, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/row")
	}
	b.Run("arrow", func(b *testing.B) {
		run(b, func(w io.Writer, r *Rows) (Summary, error) { return WriteArrow(w, r, 0) })
	})
	b.Run("scan-only", func(b *testing.B) { // the baseline: reading the rows, writing nothing
		run(b, func(_ io.Writer, r *Rows) (Summary, error) {
			var s Summary
			for r.Next() {
				if _, err := r.Values(); err != nil {
					return s, err
				}
				s.Rows++
			}
			return s, r.Err()
		})
	})
}
