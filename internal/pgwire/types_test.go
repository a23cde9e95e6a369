package pgwire_test

import (
	"context"
	"math/big"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestTypes reads a literal of every type the engine returns, in binary
// (pgx's choice for the types it knows) and in text (the simple protocol),
// and compares the Go values pgx decodes.
func TestTypes(t *testing.T) {
	s := startServer(t)
	c := s.connect(t, "analyst")
	ctx := context.Background()
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	tests := []struct {
		expr string
		oid  uint32
		want any
	}{
		{"true", pgtype.BoolOID, true},
		{"false", pgtype.BoolOID, false},
		{"(-7)::TINYINT", pgtype.Int2OID, int64(-7)},
		{"(-300)::SMALLINT", pgtype.Int2OID, int64(-300)},
		{"(-70000)::INTEGER", pgtype.Int4OID, int64(-70000)},
		{"(-5000000000)::BIGINT", pgtype.Int8OID, int64(-5000000000)},
		{"200::UTINYINT", pgtype.Int2OID, int64(200)},
		{"60000::USMALLINT", pgtype.Int4OID, int64(60000)},
		{"4000000000::UINTEGER", pgtype.Int8OID, int64(4000000000)},
		{"18446744073709551615::UBIGINT", pgtype.NumericOID, "18446744073709551615"},
		{"(-170141183460469231731687303715884105727)::HUGEINT", pgtype.NumericOID, "-170141183460469231731687303715884105727"},
		{"1.5::FLOAT", pgtype.Float4OID, float64(1.5)},
		{"(-2.25e300)::DOUBLE", pgtype.Float8OID, float64(-2.25e300)},
		{"12345.67::DECIMAL(15,2)", pgtype.NumericOID, "12345.67"},
		{"(-0.0001)::DECIMAL(10,4)", pgtype.NumericOID, "-0.0001"},
		{"'12345678901234567890123456789.123456789'::DECIMAL(38,9)", pgtype.NumericOID, "12345678901234567890123456789.123456789"},
		{"'héllo, wörld'", pgtype.TextOID, "héllo, wörld"},
		{"'\\x00\\xff'::BLOB", pgtype.ByteaOID, []byte{0, 0xff}},
		{"DATE '2024-02-29'", pgtype.DateOID, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"TIMESTAMP '2024-02-29 13:14:15.123456'", pgtype.TimestampOID, ts},
		{"TIMESTAMPTZ '2024-02-29 13:14:15.123456+00'", pgtype.TimestamptzOID, ts},
		{"TIME '13:14:15.5'", pgtype.TimeOID, pgtype.Time{Microseconds: 47655500000, Valid: true}},
		{"INTERVAL '1 year 2 months 3 days 04:05:06'", pgtype.IntervalOID, pgtype.Interval{Months: 14, Days: 3, Microseconds: 14706000000, Valid: true}},
		{"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID", pgtype.UUIDOID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{`'{"a": [1, 2]}'::JSON`, pgtype.JSONOID, map[string]any{"a": []any{float64(1), float64(2)}}},
		{"[1, 2, NULL]::INTEGER[]", pgtype.Int4ArrayOID, []any{int32(1), int32(2), nil}},
		{"['a', 'b c', NULL, '\"q\"']::VARCHAR[]", pgtype.TextArrayOID, []any{"a", "b c", nil, `"q"`}},
		{"[]::BIGINT[]", pgtype.Int8ArrayOID, []any{}},
		{"NULL::INTEGER", pgtype.Int4OID, nil},
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.expr, func(t *testing.T) {
				rows, err := c.Query(ctx, "SELECT "+tt.expr+" AS v", mode)
				if err != nil {
					t.Fatalf("Query: %v", err)
				}
				defer rows.Close()
				if !rows.Next() {
					t.Fatalf("no row: %v", rows.Err())
				}
				if oid := rows.FieldDescriptions()[0].DataTypeOID; oid != tt.oid {
					t.Errorf("SELECT %s: type OID = %d, want %d", tt.expr, oid, tt.oid)
				}
				vals, err := rows.Values()
				if err != nil {
					t.Fatalf("Values: %v", err)
				}
				if d := cmp.Diff(tt.want, normalize(vals[0])); d != "" {
					t.Errorf("SELECT %s (-want +got):\n%s", tt.expr, d)
				}
			})
		}
	}
}

// normalize turns pgx's values into plain comparable ones.
func normalize(v any) any {
	switch x := v.(type) {
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case pgtype.Numeric:
		b, _ := x.MarshalJSON()
		return string(b)
	case [16]uint8:
		u := pgtype.UUID{Bytes: x, Valid: true}
		b, _ := u.MarshalJSON()
		return string(b[1 : len(b)-1])
	case time.Time:
		return x.UTC()
	case *big.Int:
		return x.String()
	case netip.Addr:
		return x.String()
	}
	return v
}
