package pgwire

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// TestText checks text output against what PostgreSQL prints.
func TestText(t *testing.T) {
	tests := []struct {
		v    any
		typ  string
		want string
	}{
		{true, "BOOLEAN", "t"},
		{false, "BOOLEAN", "f"},
		{int8(-5), "TINYINT", "-5"},
		{uint64(math.MaxUint64), "UBIGINT", "18446744073709551615"},
		{big.NewInt(-42), "HUGEINT", "-42"},
		{1.5, "DOUBLE", "1.5"},
		{1234567.0, "DOUBLE", "1234567"},
		{1e15, "DOUBLE", "1e+15"},
		{0.0001, "DOUBLE", "0.0001"},
		{0.00001, "DOUBLE", "1e-05"},
		{math.Inf(-1), "DOUBLE", "-Infinity"},
		{math.NaN(), "DOUBLE", "NaN"},
		{float32(1234567), "FLOAT", "1.234567e+06"},
		{float32(0.1), "FLOAT", "0.1"},
		{duckdb.Decimal{Width: 10, Scale: 2, Value: big.NewInt(-5)}, "DECIMAL(10,2)", "-0.05"},
		{duckdb.Decimal{Width: 10, Scale: 0, Value: big.NewInt(120)}, "DECIMAL(10,0)", "120"},
		{[]byte{0xde, 0xad}, "BLOB", `\xdead`},
		{time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), "DATE", "2024-01-02"},
		{time.Date(-43, 3, 15, 0, 0, 0, 0, time.UTC), "DATE", "0044-03-15 BC"},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "TIMESTAMP", "2024-01-02 03:04:05"},
		{time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC), "TIMESTAMP", "2024-01-02 03:04:05.12"},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), "TIMESTAMPTZ", "2024-01-02 02:04:05+00"},
		{time.Date(1, 1, 1, 13, 0, 1, 500000000, time.UTC), "TIME", "13:00:01.5"},
		{duckdb.Interval{Months: 14, Days: 3, Micros: 14706000000}, "INTERVAL", "1 year 2 mons 3 days 04:05:06"},
		{duckdb.Interval{Days: -1, Micros: -1500000}, "INTERVAL", "-1 days -00:00:01.5"},
		{duckdb.Interval{}, "INTERVAL", "00:00:00"},
		{duckdb.Interval{Months: 1}, "INTERVAL", "1 mon"},
		{[]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}, "UUID", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{[]any{int32(1), nil, int32(3)}, "INTEGER[]", "{1,NULL,3}"},
		{[]any{"a b", "", "null", `x"y`}, "VARCHAR[]", `{"a b","","null","x\"y"}`},
		{map[string]any{"a": int32(1)}, "STRUCT(a INTEGER)", `{"a":1}`},
		{map[string]any{"k": "v"}, "JSON", `{"k":"v"}`},
		{"s", "JSON", `"s"`},
	}
	for _, tt := range tests {
		typ := typeOf(tt.typ)
		if got := string(appendText(nil, tt.v, &typ)); got != tt.want {
			t.Errorf("appendText(%#v, %s) = %q, want %q", tt.v, tt.typ, got, tt.want)
		}
	}
}

// TestTypeOf checks OIDs and typmods.
func TestTypeOf(t *testing.T) {
	tests := []struct {
		duck   string
		oid    uint32
		typmod int32
	}{
		{"DECIMAL(15,2)", oidNumeric, 15<<16 | 2 + 4},
		{"VARCHAR", oidText, -1},
		{"BIGINT[]", 1016, -1},
		{"STRUCT(a INTEGER)", oidText, -1},
		{"INTEGER[][]", oidText, -1},
		{"TIMESTAMP WITH TIME ZONE", oidTimestamptz, -1},
		{"JSON", oidJSON, -1},
	}
	for _, tt := range tests {
		if got := typeOf(tt.duck); got.oid != tt.oid || got.typmod != tt.typmod {
			t.Errorf("typeOf(%q) = %d/%d, want %d/%d", tt.duck, got.oid, got.typmod, tt.oid, tt.typmod)
		}
	}
}

// FuzzNumeric checks binary numerics read back as the text they were made from.
func FuzzNumeric(f *testing.F) {
	for _, s := range []string{"0", "-0.0001", "12345.6789", "10000", "1.10", "99999999999999999999.000000001", "0.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := appendBinaryNumeric(nil, []byte(s))
		if err != nil {
			return
		}
		got, err := numericText(b)
		if err != nil {
			t.Fatalf("numericText(appendBinaryNumeric(%q)): %v", s, err)
		}
		want, ok := new(big.Rat).SetString(s)
		back, ok2 := new(big.Rat).SetString(got)
		if !ok || !ok2 || want.Cmp(back) != 0 {
			t.Fatalf("numeric %q read back as %q", s, got)
		}
	})
}

func TestDaysSinceEpoch(t *testing.T) {
	for _, d := range []time.Time{
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-400, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC),
	} {
		want := d.Unix()/86400 - 10957 // exact: every date is at midnight UTC
		if got := daysSinceEpoch(d.Date()); got != want {
			t.Errorf("daysSinceEpoch(%s) = %d, want %d", d.Format("2006-01-02"), got, want)
		}
	}
}
