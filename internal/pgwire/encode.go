package pgwire

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/meshwork/meshwork/internal/query"
)

// pgEpoch is the origin of PostgreSQL's binary dates and timestamps.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const pgEpochUnixMicros = 946684800_000_000

// appendText appends v in PostgreSQL's text output format for t (with
// DateStyle ISO and TimeZone UTC, the only ones this server allows).
func appendText(dst []byte, v any, t *pgType) []byte {
	switch t.oid {
	case oidBool:
		if b, ok := v.(bool); ok {
			if b {
				return append(dst, 't')
			}
			return append(dst, 'f')
		}
	case oidInt2, oidInt4, oidInt8, oidOID, oidRegclass, oidRegtype, oidXID:
		if i, ok := asInt64(v); ok {
			return strconv.AppendInt(dst, i, 10)
		}
	case oidFloat4:
		if f, ok := asFloat(v); ok {
			return appendFloat(dst, f, 32)
		}
	case oidFloat8:
		if f, ok := asFloat(v); ok {
			return appendFloat(dst, f, 64)
		}
	case oidNumeric:
		switch x := v.(type) {
		case duckdb.Decimal:
			return appendDecimal(dst, x)
		case *big.Int:
			return x.Append(dst, 10)
		case float64:
			return appendFloat(dst, x, 64)
		}
		if i, ok := asInt64(v); ok {
			return strconv.AppendInt(dst, i, 10)
		}
		if u, ok := v.(uint64); ok {
			return strconv.AppendUint(dst, u, 10)
		}
	case oidBytea:
		if b, ok := v.([]byte); ok {
			dst = append(dst, '\\', 'x')
			return hex.AppendEncode(dst, b)
		}
	case oidDate:
		if tm, ok := v.(time.Time); ok {
			return appendDate(dst, tm)
		}
	case oidTime:
		if tm, ok := v.(time.Time); ok {
			return appendClock(dst, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond()/1000)
		}
	case oidTimetz:
		if tm, ok := v.(time.Time); ok {
			dst = appendClock(dst, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond()/1000)
			return appendOffset(dst, tm)
		}
	case oidTimestamp:
		if tm, ok := v.(time.Time); ok {
			return appendTimestamp(dst, tm)
		}
	case oidTimestamptz:
		if tm, ok := v.(time.Time); ok {
			tm = tm.UTC()
			return append(appendTimestamp(dst, tm), '+', '0', '0')
		}
	case oidInterval:
		if iv, ok := v.(duckdb.Interval); ok {
			return appendInterval(dst, iv)
		}
	case oidUUID:
		switch x := v.(type) {
		case []byte:
			if len(x) == 16 {
				return appendUUID(dst, x)
			}
		case duckdb.UUID:
			return appendUUID(dst, x[:])
		case *duckdb.UUID:
			return appendUUID(dst, x[:])
		}
	case oidJSON:
		// The driver decodes JSON values; a string is a JSON string.
		if x, ok := v.([]byte); ok {
			return append(dst, x...)
		}
		b, err := json.Marshal(v)
		if err == nil {
			return append(dst, b...)
		}
	}
	if t.elem != nil {
		if xs, ok := v.([]any); ok {
			return appendTextArray(dst, xs, t.elem)
		}
	}
	switch x := v.(type) {
	case string:
		return append(dst, x...)
	case []byte:
		if t.oid == oidText {
			return append(dst, x...)
		}
	case map[string]any, []any, duckdb.Map:
		// STRUCT, MAP and nested LIST values, and JSON read as text.
		if b, err := json.Marshal(query.JSONValue(x, "")); err == nil {
			return append(dst, b...)
		}
	}
	return append(dst, query.Text(v, "")...)
}

// appendFloat writes f as PostgreSQL does with extra_float_digits >= 1: the
// shortest text that reads back exactly, exponent form outside 1e-4..1e15
// (1e-4..1e6 for float4).
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	limit := 15
	if bits == 32 {
		limit = 6
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'e', -1, bits)
	e := start
	for e < len(dst) && dst[e] != 'e' {
		e++
	}
	exp, _ := strconv.Atoi(string(dst[e+1:]))
	if exp < -4 || exp >= limit {
		return dst
	}
	return strconv.AppendFloat(dst[:start], f, 'f', -1, bits)
}

func appendDecimal(dst []byte, d duckdb.Decimal) []byte {
	if d.Value == nil {
		return append(dst, '0')
	}
	var digits []byte
	neg := d.Value.Sign() < 0
	if d.Value.IsInt64() {
		v := d.Value.Int64()
		if v < 0 {
			v = -v
		}
		var buf [24]byte
		digits = strconv.AppendUint(buf[:0], uint64(v), 10)
	} else {
		digits = new(big.Int).Abs(d.Value).Append(nil, 10)
	}
	if neg {
		dst = append(dst, '-')
	}
	scale := int(d.Scale)
	if scale == 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		dst = append(dst, '0', '.')
		for i := len(digits); i < scale; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-scale:]...)
}

func appendDate(dst []byte, t time.Time) []byte {
	y, m, d := t.Date()
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	dst = appendPad(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPad(dst, int(m), 2)
	dst = append(dst, '-')
	dst = appendPad(dst, d, 2)
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

func appendTimestamp(dst []byte, t time.Time) []byte {
	y := t.Year()
	bc := y <= 0
	if bc {
		t = t.AddDate(-2*y+1, 0, 0) // show the year as 1 - y without changing month and day
	}
	dst = appendDate(dst, t)
	dst = append(dst, ' ')
	dst = appendClock(dst, t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000)
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendClock writes HH:MM:SS and the microseconds without trailing zeros.
func appendClock(dst []byte, h, m, s, us int) []byte {
	dst = appendPad(dst, h, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, m, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, s, 2)
	if us > 0 {
		dst = append(dst, '.')
		n := len(dst)
		dst = appendPad(dst, us, 6)
		for len(dst) > n && dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

func appendOffset(dst []byte, t time.Time) []byte {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	dst = append(dst, sign)
	dst = appendPad(dst, off/3600, 2)
	if m := off % 3600 / 60; m != 0 {
		dst = append(dst, ':')
		dst = appendPad(dst, m, 2)
	}
	return dst
}

func appendPad(dst []byte, v, width int) []byte {
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], int64(v), 10)
	for i := len(b); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, b...)
}

// appendInterval writes PostgreSQL's "postgres" interval style:
// "1 year 2 mons 3 days 04:05:06.5".
func appendInterval(dst []byte, iv duckdb.Interval) []byte {
	start := len(dst)
	unit := func(n int64, one, many string) {
		if n == 0 {
			return
		}
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendInt(dst, n, 10)
		dst = append(dst, ' ')
		if n == 1 {
			dst = append(dst, one...)
		} else {
			dst = append(dst, many...)
		}
	}
	unit(int64(iv.Months/12), "year", "years")
	unit(int64(iv.Months%12), "mon", "mons")
	unit(int64(iv.Days), "day", "days")
	if iv.Micros != 0 || len(dst) == start {
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		us := iv.Micros
		if us < 0 {
			dst = append(dst, '-')
			us = -us
		}
		h := us / 3_600_000_000
		us -= h * 3_600_000_000
		dst = appendPad(dst, int(h), 2)
		dst = append(dst, ':')
		m := us / 60_000_000
		us -= m * 60_000_000
		dst = appendPad(dst, int(m), 2)
		dst = append(dst, ':')
		s := us / 1_000_000
		us -= s * 1_000_000
		dst = appendPad(dst, int(s), 2)
		if us > 0 {
			dst = append(dst, '.')
			n := len(dst)
			dst = appendPad(dst, int(us), 6)
			for len(dst) > n && dst[len(dst)-1] == '0' {
				dst = dst[:len(dst)-1]
			}
		}
	}
	return dst
}

func appendUUID(dst []byte, b []byte) []byte {
	dst = hex.AppendEncode(dst, b[0:4])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, b[4:6])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, b[6:8])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, b[8:10])
	dst = append(dst, '-')
	return hex.AppendEncode(dst, b[10:16])
}

// appendTextArray writes a one-dimensional array literal: {1,NULL,"a b"}.
func appendTextArray(dst []byte, xs []any, elem *pgType) []byte {
	dst = append(dst, '{')
	var scratch []byte
	for i, x := range xs {
		if i > 0 {
			dst = append(dst, ',')
		}
		if x == nil {
			dst = append(dst, "NULL"...)
			continue
		}
		scratch = appendText(scratch[:0], x, elem)
		if !needsQuote(scratch) {
			dst = append(dst, scratch...)
			continue
		}
		dst = append(dst, '"')
		for _, c := range scratch {
			if c == '"' || c == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, c)
		}
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

func needsQuote(b []byte) bool {
	if len(b) == 0 || strings.EqualFold(string(b), "NULL") {
		return true
	}
	for _, c := range b {
		switch c {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case int:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), true
		}
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	if i, ok := asInt64(v); ok {
		return float64(i), true
	}
	return 0, false
}

// appendBinary appends v in PostgreSQL's binary format for t. It returns
// an error for a value it cannot represent in that format.
func appendBinary(dst []byte, v any, t *pgType) ([]byte, error) {
	switch t.oid {
	case oidBool:
		if b, ok := v.(bool); ok {
			if b {
				return append(dst, 1), nil
			}
			return append(dst, 0), nil
		}
	case oidInt2:
		if i, ok := asInt64(v); ok && i >= math.MinInt16 && i <= math.MaxInt16 {
			return binary.BigEndian.AppendUint16(dst, uint16(int16(i))), nil
		}
	case oidInt4:
		if i, ok := asInt64(v); ok && i >= math.MinInt32 && i <= math.MaxInt32 {
			return binary.BigEndian.AppendUint32(dst, uint32(int32(i))), nil
		}
	case oidOID, oidRegclass, oidRegtype, oidXID:
		if i, ok := asInt64(v); ok && i >= 0 && i <= math.MaxUint32 {
			return binary.BigEndian.AppendUint32(dst, uint32(i)), nil
		}
	case oidInt8:
		if i, ok := asInt64(v); ok {
			return binary.BigEndian.AppendUint64(dst, uint64(i)), nil
		}
	case oidFloat4:
		if f, ok := asFloat(v); ok {
			return binary.BigEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
		}
	case oidFloat8:
		if f, ok := asFloat(v); ok {
			return binary.BigEndian.AppendUint64(dst, math.Float64bits(f)), nil
		}
	case oidNumeric:
		var buf [64]byte
		return appendBinaryNumeric(dst, appendText(buf[:0], v, t))
	case oidBytea:
		if b, ok := v.([]byte); ok {
			return append(dst, b...), nil
		}
	case oidDate:
		if tm, ok := v.(time.Time); ok {
			y, m, d := tm.Date()
			return binary.BigEndian.AppendUint32(dst, uint32(int32(daysSinceEpoch(y, m, d)))), nil
		}
	case oidTime:
		if tm, ok := v.(time.Time); ok {
			us := int64(tm.Hour())*3_600_000_000 + int64(tm.Minute())*60_000_000 + int64(tm.Second())*1_000_000 + int64(tm.Nanosecond()/1000)
			return binary.BigEndian.AppendUint64(dst, uint64(us)), nil
		}
	case oidTimetz:
		if tm, ok := v.(time.Time); ok {
			us := int64(tm.Hour())*3_600_000_000 + int64(tm.Minute())*60_000_000 + int64(tm.Second())*1_000_000 + int64(tm.Nanosecond()/1000)
			_, off := tm.Zone()
			dst = binary.BigEndian.AppendUint64(dst, uint64(us))
			return binary.BigEndian.AppendUint32(dst, uint32(int32(-off))), nil
		}
	case oidTimestamp:
		if tm, ok := v.(time.Time); ok {
			// The wall clock, whatever zone the driver attached.
			y, mo, d := tm.Date()
			w := time.Date(y, mo, d, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), time.UTC)
			return binary.BigEndian.AppendUint64(dst, uint64(w.UnixMicro()-pgEpochUnixMicros)), nil
		}
	case oidTimestamptz:
		if tm, ok := v.(time.Time); ok {
			return binary.BigEndian.AppendUint64(dst, uint64(tm.UnixMicro()-pgEpochUnixMicros)), nil
		}
	case oidInterval:
		if iv, ok := v.(duckdb.Interval); ok {
			dst = binary.BigEndian.AppendUint64(dst, uint64(iv.Micros))
			dst = binary.BigEndian.AppendUint32(dst, uint32(iv.Days))
			return binary.BigEndian.AppendUint32(dst, uint32(iv.Months)), nil
		}
	case oidUUID:
		switch x := v.(type) {
		case []byte:
			if len(x) == 16 {
				return append(dst, x...), nil
			}
		case duckdb.UUID:
			return append(dst, x[:]...), nil
		case *duckdb.UUID:
			return append(dst, x[:]...), nil
		}
	case oidText, oidVarchar, oidName, oidJSON, oidChar, oidBPChar, oidUnknown:
		return appendText(dst, v, t), nil
	}
	if t.elem != nil {
		if xs, ok := v.([]any); ok {
			return appendBinaryArray(dst, xs, t)
		}
	}
	return dst, fmt.Errorf("cannot encode %T as binary type %d", v, t.oid)
}

func appendBinaryArray(dst []byte, xs []any, t *pgType) ([]byte, error) {
	hasNull := uint32(0)
	for _, x := range xs {
		if x == nil {
			hasNull = 1
		}
	}
	if len(xs) == 0 {
		dst = binary.BigEndian.AppendUint32(dst, 0)
		dst = binary.BigEndian.AppendUint32(dst, 0)
		return binary.BigEndian.AppendUint32(dst, t.elem.oid), nil
	}
	dst = binary.BigEndian.AppendUint32(dst, 1)
	dst = binary.BigEndian.AppendUint32(dst, hasNull)
	dst = binary.BigEndian.AppendUint32(dst, t.elem.oid)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(xs)))
	dst = binary.BigEndian.AppendUint32(dst, 1)
	for _, x := range xs {
		if x == nil {
			dst = binary.BigEndian.AppendUint32(dst, math.MaxUint32)
			continue
		}
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		var err error
		if dst, err = appendBinary(dst, x, t.elem); err != nil {
			return dst, err
		}
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	return dst, nil
}

// appendBinaryNumeric encodes a decimal string ("-12.340", "NaN") as
// PostgreSQL's binary numeric: base-10000 digits, weight, sign, scale. It
// allocates nothing for the decimals of a table's columns.
func appendBinaryNumeric(dst []byte, text []byte) ([]byte, error) {
	if string(text) == "NaN" {
		return append(dst, 0, 0, 0, 0, 0xC0, 0, 0, 0), nil
	}
	sign := uint16(0)
	if len(text) > 0 && text[0] == '-' {
		sign, text = 0x4000, text[1:]
	}
	ip, fp := text, []byte(nil)
	for i, c := range text {
		if c == '.' {
			ip, fp = text[:i], text[i+1:]
			break
		}
	}
	if len(ip)+len(fp) == 0 || len(fp) > 0x3fff {
		return dst, fmt.Errorf("cannot encode %q as numeric", text)
	}
	for _, part := range [2][]byte{ip, fp} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return dst, fmt.Errorf("cannot encode %q as numeric", text)
			}
		}
	}
	lead := (4 - len(ip)%4) % 4
	intGroups := (lead + len(ip)) / 4
	total := intGroups + (len(fp)+3)/4
	digit := func(i int) uint16 {
		i -= lead
		if i < 0 {
			return 0
		}
		if i < len(ip) {
			return uint16(ip[i] - '0')
		}
		if i -= len(ip); i < len(fp) {
			return uint16(fp[i] - '0')
		}
		return 0
	}
	var gbuf [32]uint16
	groups := gbuf[:0]
	for g := 0; g < total; g++ {
		v := uint16(0)
		for k := 0; k < 4; k++ {
			v = v*10 + digit(g*4+k)
		}
		groups = append(groups, v)
	}
	weight := intGroups - 1
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	if len(groups) == 0 {
		weight, sign = 0, 0
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(groups)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(weight)))
	dst = binary.BigEndian.AppendUint16(dst, sign)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(fp)))
	for _, g := range groups {
		dst = binary.BigEndian.AppendUint16(dst, g)
	}
	return dst, nil
}

// daysSinceEpoch counts days from 2000-01-01 to y-m-d (proleptic Gregorian),
// with integer arithmetic only: dates are a hot path of large results.
func daysSinceEpoch(y int, m time.Month, d int) int64 {
	// Howard Hinnant's days_from_civil.
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mp := (int64(m) + 9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468 - 10957
}
