package query

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Text renders a value as text the way the API shows it: decimals exactly,
// with their scale; dates as YYYY-MM-DD; timestamps in ISO 8601.
func Text(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		if len(x) == 16 && strings.EqualFold(typ, "UUID") {
			return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
		}
		return base64.StdEncoding.EncodeToString(x)
	case bool:
		return strconv.FormatBool(x)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprint(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case duckdb.Decimal:
		return decimalString(x)
	case *big.Int:
		return x.String()
	case time.Time:
		return timeString(x, typ)
	case duckdb.UUID:
		return x.String()
	case *duckdb.UUID:
		return x.String()
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d microseconds", x.Months, x.Days, x.Micros)
	}
	return fmt.Sprint(v)
}

// JSONValue converts a value to what encoding/json should write for it.
func JSONValue(v any, typ string) any {
	switch x := v.(type) {
	case nil, string, bool, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return x
	case float32:
		return jsonFloat(float64(x))
	case float64:
		return jsonFloat(x)
	case duckdb.Decimal, *big.Int, time.Time, duckdb.UUID, *duckdb.UUID, duckdb.Interval, []byte:
		return Text(x, typ)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSONValue(e, elemType(typ))
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = JSONValue(e, "")
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[Text(k, "")] = JSONValue(e, "")
		}
		return out
	}
	return fmt.Sprint(v)
}

func jsonFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return f
}

func elemType(typ string) string { return strings.TrimSuffix(typ, "[]") }

func decimalString(d duckdb.Decimal) string {
	if d.Value == nil {
		return "0"
	}
	s := new(big.Int).Abs(d.Value).String()
	scale := int(d.Scale)
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if d.Value.Sign() < 0 {
		s = "-" + s
	}
	return s
}

func timeString(t time.Time, typ string) string {
	switch strings.ToUpper(typ) {
	case "DATE":
		return t.Format("2006-01-02")
	case "TIME":
		return t.Format("15:04:05.999999")
	case "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S":
		return t.Format("2006-01-02T15:04:05.999999")
	}
	return t.Format(time.RFC3339Nano)
}
