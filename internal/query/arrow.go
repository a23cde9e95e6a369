package query

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// arrowBatchRows is the most rows in one Arrow record batch.
const arrowBatchRows = 8192

// WriteArrow streams the result as an Arrow IPC stream: the schema, then
// record batches of up to 8192 rows, then the end-of-stream marker. An empty
// result is a stream with the schema and no batches.
//
// Types map as: BOOLEAN→Boolean; [U]TINYINT..[U]BIGINT→[U]Int8..64;
// FLOAT→Float32; DOUBLE→Float64; DECIMAL(p,s)→Decimal128(p,s), exactly;
// VARCHAR and UUID→Utf8; BLOB→Binary; DATE→Date32; TIME→Time64(µs);
// TIMESTAMP→Timestamp(µs); TIMESTAMPTZ→Timestamp(µs, "UTC"); anything else
// (HUGEINT, INTERVAL, lists, structs, ...) →Utf8 as rendered by Text. NULLs
// are Arrow nulls. At most maxRows rows are written (0: no limit); the
// summary's Truncated says whether more were left out. On error the stream is
// left unterminated, so readers see it as incomplete.
func WriteArrow(w io.Writer, r *Rows, maxRows int64) (Summary, error) {
	return writeArrow(w, r, maxRows, memory.DefaultAllocator)
}

func writeArrow(w io.Writer, r *Rows, maxRows int64, mem memory.Allocator) (Summary, error) {
	var s Summary
	schema := arrowSchema(r.Columns)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	appenders := make([]func(any) error, len(r.Columns))
	for i, c := range r.Columns {
		appenders[i] = arrowAppender(rb.Field(i), c.Type)
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	aw := ipc.NewWriter(bw, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	n := 0 // rows in the batch being built
	flush := func() error {
		rec := rb.NewRecordBatch()
		defer rec.Release()
		n = 0
		return aw.Write(rec)
	}
	err := r.each(maxRows, &s, func(vals []any) error {
		for i, v := range vals {
			if v == nil {
				rb.Field(i).AppendNull()
			} else if err := appenders[i](v); err != nil {
				return fmt.Errorf("query: column %q (%s): %w", r.Columns[i].Name, r.Columns[i].Type, err)
			}
		}
		if n++; n == arrowBatchRows {
			return flush()
		}
		return nil
	})
	if err != nil {
		return s, unwrapRead(err)
	}
	if n > 0 {
		if err := flush(); err != nil {
			return s, err
		}
	}
	if err := aw.Close(); err != nil {
		return s, err
	}
	return s, bw.Flush()
}

// arrowSchema is the schema WriteArrow writes for cols.
func arrowSchema(cols []Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: arrowType(c.Type), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

func arrowType(typ string) arrow.DataType {
	switch strings.ToUpper(typ) {
	case "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean
	case "TINYINT":
		return arrow.PrimitiveTypes.Int8
	case "SMALLINT":
		return arrow.PrimitiveTypes.Int16
	case "INTEGER":
		return arrow.PrimitiveTypes.Int32
	case "BIGINT":
		return arrow.PrimitiveTypes.Int64
	case "UTINYINT":
		return arrow.PrimitiveTypes.Uint8
	case "USMALLINT":
		return arrow.PrimitiveTypes.Uint16
	case "UINTEGER":
		return arrow.PrimitiveTypes.Uint32
	case "UBIGINT":
		return arrow.PrimitiveTypes.Uint64
	case "FLOAT":
		return arrow.PrimitiveTypes.Float32
	case "DOUBLE":
		return arrow.PrimitiveTypes.Float64
	case "BLOB":
		return arrow.BinaryTypes.Binary
	case "DATE":
		return arrow.FixedWidthTypes.Date32
	case "TIME":
		return arrow.FixedWidthTypes.Time64us
	case "TIMESTAMP":
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case "TIMESTAMPTZ":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	var p, s int32
	if _, err := fmt.Sscanf(typ, "DECIMAL(%d,%d)", &p, &s); err == nil && p >= 1 && p <= 38 && s >= 0 && s <= p {
		return &arrow.Decimal128Type{Precision: p, Scale: s}
	}
	return arrow.BinaryTypes.String
}

// arrowAppender returns the function that appends a non-nil value of a
// column of DuckDB type typ to b, a builder of arrowType(typ).
func arrowAppender(b array.Builder, typ string) func(any) error {
	switch b := b.(type) {
	case *array.BooleanBuilder:
		return func(v any) error {
			x, ok := v.(bool)
			if !ok {
				return unexpected(v)
			}
			b.Append(x)
			return nil
		}
	case *array.Int8Builder:
		return numAppender(b.Append)
	case *array.Int16Builder:
		return numAppender(b.Append)
	case *array.Int32Builder:
		return numAppender(b.Append)
	case *array.Int64Builder:
		return numAppender(b.Append)
	case *array.Uint8Builder:
		return numAppender(b.Append)
	case *array.Uint16Builder:
		return numAppender(b.Append)
	case *array.Uint32Builder:
		return numAppender(b.Append)
	case *array.Uint64Builder:
		return numAppender(b.Append)
	case *array.Float32Builder:
		return numAppender(b.Append)
	case *array.Float64Builder:
		return numAppender(b.Append)
	case *array.Decimal128Builder:
		scale := b.Type().(*arrow.Decimal128Type).Scale
		return func(v any) error {
			d, ok := v.(duckdb.Decimal)
			if !ok || d.Value == nil || d.Value.BitLen() > 127 {
				return unexpected(v)
			}
			n := decimal128.FromBigInt(d.Value)
			if int32(d.Scale) != scale {
				var err error
				if n, err = n.Rescale(int32(d.Scale), scale); err != nil {
					return err
				}
			}
			b.Append(n)
			return nil
		}
	case *array.BinaryBuilder:
		return func(v any) error {
			switch x := v.(type) {
			case []byte:
				b.Append(x)
			case string:
				b.AppendString(x)
			default:
				return unexpected(v)
			}
			return nil
		}
	case *array.StringBuilder:
		uuid := strings.EqualFold(typ, "UUID")
		return func(v any) error {
			switch x := v.(type) {
			case string:
				b.Append(x)
			case []byte:
				if uuid && len(x) == 16 { // duckdb-go scans UUIDs into any as their 16 bytes
					u := duckdb.UUID(x)
					b.Append(u.String())
					break
				}
				b.Append(Text(v, typ))
			default:
				b.Append(Text(v, typ))
			}
			return nil
		}
	case *array.Date32Builder:
		return timeAppender(func(t time.Time) {
			y, m, d := t.Date()
			b.Append(arrow.Date32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400))
		})
	case *array.Time64Builder:
		return timeAppender(func(t time.Time) {
			h, m, s := t.Clock()
			b.Append(arrow.Time64(int64((h*60+m)*60+s)*1e6 + int64(t.Nanosecond()/1e3)))
		})
	case *array.TimestampBuilder:
		return timeAppender(func(t time.Time) { b.Append(arrow.Timestamp(t.UnixMicro())) })
	}
	panic(fmt.Sprintf("query: no Arrow appender for %T", b))
}

type arrowNumber interface {
	int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64
}

// numAppender converts whatever number duckdb-go returned to the column's type.
func numAppender[T arrowNumber](add func(T)) func(any) error {
	return func(v any) error {
		switch x := v.(type) {
		case int8:
			add(T(x))
		case int16:
			add(T(x))
		case int32:
			add(T(x))
		case int64:
			add(T(x))
		case uint8:
			add(T(x))
		case uint16:
			add(T(x))
		case uint32:
			add(T(x))
		case uint64:
			add(T(x))
		case float32:
			add(T(x))
		case float64:
			add(T(x))
		default:
			return unexpected(v)
		}
		return nil
	}
}

func timeAppender(add func(time.Time)) func(any) error {
	return func(v any) error {
		t, ok := v.(time.Time)
		if !ok {
			return unexpected(v)
		}
		add(t)
		return nil
	}
}

func unexpected(v any) error {
	if x, ok := v.(duckdb.Decimal); ok && x.Value != nil {
		return fmt.Errorf("decimal %s does not fit 128 bits", x.Value.Text(10))
	}
	return fmt.Errorf("unexpected value of Go type %T", v)
}
