package pgwire

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// decodeParams turns Bind's parameter values into Go values that DuckDB
// binds as parameters. formats follows the protocol: none (all text), one
// (for all) or one per parameter.
func decodeParams(oids []uint32, formats []int16, raw [][]byte) ([]any, error) {
	if len(formats) > 1 && len(formats) != len(raw) {
		return nil, newPgError(codeProtocol, "bind message has %d parameter formats but %d parameters", len(formats), len(raw))
	}
	if len(raw) != len(oids) {
		return nil, newPgError(codeProtocol, "bind message supplies %d parameters, but prepared statement requires %d", len(raw), len(oids))
	}
	args := make([]any, len(raw))
	for i, b := range raw {
		if b == nil {
			continue
		}
		f := int16(0)
		if len(formats) == 1 {
			f = formats[0]
		} else if len(formats) > 1 {
			f = formats[i]
		}
		var err error
		switch f {
		case 0:
			args[i], err = decodeTextParam(oids[i], string(b))
		case 1:
			args[i], err = decodeBinaryParam(oids[i], b)
		default:
			err = newPgError(codeProtocol, "unsupported format code: %d", f)
		}
		if err != nil {
			return nil, paramError(i, err)
		}
	}
	return args, nil
}

func paramError(i int, err error) error {
	var pe *pgError
	if errors.As(err, &pe) {
		return &pgError{code: pe.code, msg: "parameter $" + strconv.Itoa(i+1) + ": " + pe.msg}
	}
	return err
}

func decodeTextParam(oid uint32, s string) (any, error) {
	switch oid {
	case oidInt2, oidInt4, oidInt8, oidOID:
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, newPgError(codeInvalidText, "invalid input syntax for type integer: %q", clip(s))
		}
		return v, nil
	case oidFloat4, oidFloat8:
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "infinity":
				return math.Inf(1), nil
			case "-infinity":
				return math.Inf(-1), nil
			case "nan":
				return math.NaN(), nil
			}
			return nil, newPgError(codeInvalidText, "invalid input syntax for type double precision: %q", clip(s))
		}
		return v, nil
	case oidBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "t", "true", "y", "yes", "on", "1":
			return true, nil
		case "f", "false", "n", "no", "off", "0":
			return false, nil
		}
		return nil, newPgError(codeInvalidText, "invalid input syntax for type boolean: %q", clip(s))
	case oidBytea:
		if strings.HasPrefix(s, `\x`) {
			b, err := hex.DecodeString(s[2:])
			if err != nil {
				return nil, newPgError(codeInvalidText, "invalid hexadecimal data in bytea")
			}
			return b, nil
		}
		return []byte(s), nil
	case oidDate:
		t, err := parseTimestamp(s, false)
		if err != nil {
			return nil, newPgError(codeInvalidText, "invalid input syntax for type date: %q", clip(s))
		}
		y, m, d := t.(time.Time).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	case oidTimestamp, oidTimestamptz:
		return parseTimestamp(s, oid == oidTimestamptz)
	case 0:
		// A parameter of open type takes its value's type, as a literal
		// would: 3 is a number, 'x' a string.
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, ".eE") && !strings.ContainsAny(s, "iInN") {
			return f, nil
		}
		return s, nil
	}
	// numeric, uuid, text and the rest: DuckDB casts the string to the
	// parameter's type, so precision is never lost on the way.
	return s, nil
}

var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999Z", "2006-01-02 15:04:05.999999999Z07:00:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02",
}

func parseTimestamp(s string, tz bool) (any, error) {
	s = strings.TrimSpace(s)
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if tz {
				return t.UTC(), nil
			}
			return t, nil
		}
	}
	return nil, newPgError(codeInvalidText, "invalid input syntax for type timestamp: %q", clip(s))
}

func decodeBinaryParam(oid uint32, b []byte) (any, error) {
	bad := func(typ string) error {
		return newPgError(codeInvalidBinaryRep, "incorrect binary data format for type %s", typ)
	}
	switch oid {
	case oidInt2:
		if len(b) != 2 {
			return nil, bad("smallint")
		}
		return int16(binary.BigEndian.Uint16(b)), nil
	case oidInt4:
		if len(b) != 4 {
			return nil, bad("integer")
		}
		return int32(binary.BigEndian.Uint32(b)), nil
	case oidOID:
		if len(b) != 4 {
			return nil, bad("oid")
		}
		return int64(binary.BigEndian.Uint32(b)), nil
	case oidInt8:
		if len(b) != 8 {
			return nil, bad("bigint")
		}
		return int64(binary.BigEndian.Uint64(b)), nil
	case oidFloat4:
		if len(b) != 4 {
			return nil, bad("real")
		}
		return math.Float32frombits(binary.BigEndian.Uint32(b)), nil
	case oidFloat8:
		if len(b) != 8 {
			return nil, bad("double precision")
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case oidBool:
		if len(b) != 1 {
			return nil, bad("boolean")
		}
		return b[0] != 0, nil
	case oidBytea:
		return append([]byte(nil), b...), nil
	case oidDate:
		if len(b) != 4 {
			return nil, bad("date")
		}
		return pgEpoch.AddDate(0, 0, int(int32(binary.BigEndian.Uint32(b)))), nil
	case oidTimestamp, oidTimestamptz:
		if len(b) != 8 {
			return nil, bad("timestamp")
		}
		us := int64(binary.BigEndian.Uint64(b))
		return time.UnixMicro(us + pgEpochUnixMicros).UTC(), nil
	case oidInterval:
		if len(b) != 16 {
			return nil, bad("interval")
		}
		return duckdb.Interval{Micros: int64(binary.BigEndian.Uint64(b)), Days: int32(binary.BigEndian.Uint32(b[8:])),
			Months: int32(binary.BigEndian.Uint32(b[12:]))}, nil
	case oidUUID:
		if len(b) != 16 {
			return nil, bad("uuid")
		}
		return string(appendUUID(nil, b)), nil
	case oidNumeric:
		s, err := numericText(b)
		if err != nil {
			return nil, bad("numeric")
		}
		return s, nil
	case 0:
		return decodeTextParam(0, string(b))
	case oidText, oidVarchar, oidBPChar, oidName, oidJSON, oidUnknown:
		return string(b), nil
	case oidJSONB:
		if len(b) > 0 && b[0] == 1 {
			return string(b[1:]), nil
		}
		return nil, bad("jsonb")
	}
	return nil, newPgError(codeFeature, "binary parameters of type %d are not supported; send them as text", oid)
}

// numericText decodes PostgreSQL's binary numeric to its decimal text.
func numericText(b []byte) (string, error) {
	if len(b) < 8 {
		return "", errBadNumeric
	}
	n := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	if len(b) != 8+2*n || dscale > 1000 || n > 1000 {
		return "", errBadNumeric
	}
	switch sign {
	case 0xC000:
		return "NaN", nil
	case 0, 0x4000:
	default:
		return "", errBadNumeric
	}
	var sb strings.Builder
	if sign == 0x4000 {
		sb.WriteByte('-')
	}
	digit := func(i int) int {
		if i < 0 || i >= n {
			return 0
		}
		return int(binary.BigEndian.Uint16(b[8+2*i:]))
	}
	if weight < 0 {
		sb.WriteByte('0')
	} else {
		for i := 0; i <= weight; i++ {
			d := digit(i)
			if d > 9999 {
				return "", errBadNumeric
			}
			if i == 0 {
				sb.WriteString(strconv.Itoa(d))
			} else {
				sb.WriteString(pad4(d))
			}
		}
	}
	if dscale > 0 {
		var frac strings.Builder
		for i := weight + 1; frac.Len() < dscale; i++ {
			frac.WriteString(pad4(digit(i)))
		}
		sb.WriteByte('.')
		sb.WriteString(frac.String()[:dscale])
	}
	return sb.String(), nil
}

var errBadNumeric = newPgError(codeInvalidBinaryRep, "incorrect binary data format for type numeric")

func pad4(d int) string {
	s := strconv.Itoa(d)
	return strings.Repeat("0", 4-len(s)) + s
}

// clip shortens a value quoted back in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
