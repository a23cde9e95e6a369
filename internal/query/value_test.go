package query

import (
	"math/big"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

func TestText(t *testing.T) {
	uuid := []byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	ts := time.Date(1965, 3, 4, 5, 6, 7, 654321000, time.UTC)
	tests := []struct {
		v    any
		typ  string
		want string
	}{
		{nil, "INTEGER", ""},
		{int32(-7), "INTEGER", "-7"},
		{1.5, "DOUBLE", "1.5"},
		{duckdb.Decimal{Width: 15, Scale: 2, Value: big.NewInt(150)}, "DECIMAL(15,2)", "1.50"},
		{duckdb.Decimal{Width: 15, Scale: 2, Value: big.NewInt(-5)}, "DECIMAL(15,2)", "-0.05"},
		{duckdb.Decimal{Width: 4, Scale: 0, Value: big.NewInt(42)}, "DECIMAL(4,0)", "42"},
		{ts, "DATE", "1965-03-04"},
		{ts, "TIMESTAMP", "1965-03-04T05:06:07.654321"},
		{ts, "TIMESTAMPTZ", "1965-03-04T05:06:07.654321Z"},
		{uuid, "UUID", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{[]byte("hi"), "BLOB", "aGk="},
		{true, "BOOLEAN", "true"},
	}
	for _, tt := range tests {
		if got := Text(tt.v, tt.typ); got != tt.want {
			t.Errorf("Text(%#v, %s) = %q, want %q", tt.v, tt.typ, got, tt.want)
		}
	}
}
