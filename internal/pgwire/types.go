package pgwire

import (
	"strconv"
	"strings"
)

// PostgreSQL type OIDs (pg_type.oid) of the types this server sends.
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt2Vector  = 22
	oidInt4        = 23
	oidRegproc     = 24
	oidText        = 25
	oidOID         = 26
	oidXID         = 28
	oidOIDVector   = 30
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidUnknown     = 705
	oidVarchar     = 1043
	oidBPChar      = 1042
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidInterval    = 1186
	oidTimetz      = 1266
	oidNumeric     = 1700
	oidRegclass    = 2205
	oidRegtype     = 2206
	oidUUID        = 2950
	oidJSONB       = 3802
)

// arrayOf maps an element type to its array type.
var arrayOf = map[uint32]uint32{
	oidBool: 1000, oidBytea: 1001, oidChar: 1002, oidName: 1003, oidInt2: 1005, oidInt4: 1007,
	oidText: 1009, oidVarchar: 1015, oidInt8: 1016, oidFloat4: 1021, oidFloat8: 1022, oidOID: 1028,
	oidTimestamp: 1115, oidDate: 1182, oidTime: 1183, oidTimestamptz: 1185, oidInterval: 1187,
	oidNumeric: 1231, oidUUID: 2951, oidJSON: 199, oidTimetz: 1270,
}

// pgType is how a result column or parameter is typed on the wire.
type pgType struct {
	oid    uint32
	size   int16 // pg_type.typlen; -1: variable
	typmod int32 // -1: none; numeric: ((precision << 16) | scale) + 4
	elem   *pgType
}

var simpleTypes = map[string]pgType{
	"BOOLEAN": {oidBool, 1, -1, nil}, "BOOL": {oidBool, 1, -1, nil},
	"TINYINT": {oidInt2, 2, -1, nil}, "SMALLINT": {oidInt2, 2, -1, nil}, "UTINYINT": {oidInt2, 2, -1, nil},
	"INTEGER": {oidInt4, 4, -1, nil}, "USMALLINT": {oidInt4, 4, -1, nil}, "INT": {oidInt4, 4, -1, nil},
	"BIGINT": {oidInt8, 8, -1, nil}, "UINTEGER": {oidInt8, 8, -1, nil},
	"UBIGINT": {oidNumeric, -1, -1, nil}, "HUGEINT": {oidNumeric, -1, -1, nil}, "UHUGEINT": {oidNumeric, -1, -1, nil},
	"BIGNUM": {oidNumeric, -1, -1, nil}, "DECIMAL": {oidNumeric, -1, -1, nil}, "NUMERIC": {oidNumeric, -1, -1, nil},
	"FLOAT": {oidFloat4, 4, -1, nil}, "REAL": {oidFloat4, 4, -1, nil}, "DOUBLE": {oidFloat8, 8, -1, nil},
	"VARCHAR": {oidText, -1, -1, nil}, "TEXT": {oidText, -1, -1, nil}, "ENUM": {oidText, -1, -1, nil},
	"BLOB": {oidBytea, -1, -1, nil}, "BYTEA": {oidBytea, -1, -1, nil},
	"DATE": {oidDate, 4, -1, nil}, "TIME": {oidTime, 8, -1, nil}, "TIMETZ": {oidTimetz, 12, -1, nil},
	"TIMESTAMP": {oidTimestamp, 8, -1, nil}, "TIMESTAMP_S": {oidTimestamp, 8, -1, nil},
	"TIMESTAMP_MS": {oidTimestamp, 8, -1, nil}, "TIMESTAMP_NS": {oidTimestamp, 8, -1, nil},
	"TIMESTAMPTZ": {oidTimestamptz, 8, -1, nil}, "TIMESTAMP WITH TIME ZONE": {oidTimestamptz, 8, -1, nil},
	"INTERVAL": {oidInterval, 16, -1, nil}, "UUID": {oidUUID, 16, -1, nil}, "JSON": {oidJSON, -1, -1, nil},
	// PostgreSQL's own names, which a Metadata implementation may use.
	"INT2": {oidInt2, 2, -1, nil}, "INT4": {oidInt4, 4, -1, nil}, "INT8": {oidInt8, 8, -1, nil},
	"FLOAT4": {oidFloat4, 4, -1, nil}, "FLOAT8": {oidFloat8, 8, -1, nil}, "OID": {oidOID, 4, -1, nil},
	"NAME": {oidName, 64, -1, nil}, "CHAR": {oidChar, 1, -1, nil}, `"CHAR"`: {oidChar, 1, -1, nil},
	"REGCLASS": {oidRegclass, 4, -1, nil}, "REGTYPE": {oidRegtype, 4, -1, nil}, "REGPROC": {oidRegproc, 4, -1, nil},
	"XID": {oidXID, 4, -1, nil}, "INT2VECTOR": {oidInt2Vector, -1, -1, nil}, "OIDVECTOR": {oidOIDVector, -1, -1, nil},
	"JSONB": {oidJSON, -1, -1, nil}, "CHARACTER VARYING": {oidVarchar, -1, -1, nil},
}

// typeOf maps a DuckDB type name (query.Column.Type) to its wire type.
// Types PostgreSQL has no counterpart for (STRUCT, MAP, UNION, nested
// lists) are sent as text in DuckDB's own rendering.
func typeOf(duck string) pgType {
	u := strings.ToUpper(strings.TrimSpace(duck))
	if t, ok := simpleTypes[u]; ok {
		return t
	}
	if strings.HasPrefix(u, "DECIMAL(") || strings.HasPrefix(u, "NUMERIC(") {
		p, s, ok := decimalPS(u)
		if ok {
			return pgType{oid: oidNumeric, size: -1, typmod: int32(p<<16|s) + 4}
		}
		return pgType{oid: oidNumeric, size: -1, typmod: -1}
	}
	if strings.HasPrefix(u, "VARCHAR(") {
		return pgType{oid: oidText, size: -1, typmod: -1}
	}
	if strings.HasSuffix(u, "[]") {
		e := typeOf(u[:len(u)-2])
		if a, ok := arrayOf[e.oid]; ok && e.elem == nil {
			return pgType{oid: a, size: -1, typmod: e.typmod, elem: &e}
		}
	}
	return pgType{oid: oidText, size: -1, typmod: -1}
}

// decimalPS parses "DECIMAL(p,s)".
func decimalPS(u string) (p, s int, ok bool) {
	i := strings.IndexByte(u, '(')
	in := strings.TrimSuffix(u[i+1:], ")")
	ps, ss, found := strings.Cut(in, ",")
	var err1, err2 error
	p, err1 = strconv.Atoi(strings.TrimSpace(ps))
	if found {
		s, err2 = strconv.Atoi(strings.TrimSpace(ss))
	}
	return p, s, err1 == nil && err2 == nil && p > 0 && p < 1000 && s >= 0 && s <= p
}

// paramType maps the type DuckDB inferred for a parameter to the OID the
// client is told. A parameter whose type DuckDB left open is described as
// unspecified (0): clients then send text, and the value's own type is
// inferred from it (see decodeTextParam).
func paramType(duck string) uint32 {
	if duck == "" {
		return 0
	}
	return typeOf(duck).oid
}
