package pgcatalog

import (
	"fmt"

	"github.com/meshwork/meshwork/internal/schema"
)

// pgType is one row of the stand-in pg_type: the built-in PostgreSQL types a
// client may meet in a mesh table, in a catalog column or in a type lookup.
type pgType struct {
	oid      int
	name     string // typname
	display  string // format_type's answer without a modifier
	len      int    // typlen
	category string // typcategory
	elem     int    // typelem: the element type of an array type
	array    int    // typarray: the array type of this type
	infoName string // information_schema.columns.data_type
}

// pgTypes are PostgreSQL's own OIDs, so that clients which know them
// (pgjdbc, pgx) need no lookup.
var pgTypes = []pgType{
	{16, "bool", "boolean", 1, "B", 0, 1000, "boolean"},
	{17, "bytea", "bytea", -1, "U", 0, 1001, "bytea"},
	{18, "char", `"char"`, 1, "Z", 0, 1002, `"char"`},
	{19, "name", "name", 64, "S", 0, 1003, "name"},
	{20, "int8", "bigint", 8, "N", 0, 1016, "bigint"},
	{21, "int2", "smallint", 2, "N", 0, 1005, "smallint"},
	{22, "int2vector", "int2vector", -1, "A", 21, 1006, "ARRAY"},
	{23, "int4", "integer", 4, "N", 0, 1007, "integer"},
	{24, "regproc", "regproc", 4, "N", 0, 1008, "regproc"},
	{25, "text", "text", -1, "S", 0, 1009, "text"},
	{26, "oid", "oid", 4, "N", 0, 1028, "oid"},
	{30, "oidvector", "oidvector", -1, "A", 26, 1013, "ARRAY"},
	{114, "json", "json", -1, "U", 0, 199, "json"},
	{700, "float4", "real", 4, "N", 0, 1021, "real"},
	{701, "float8", "double precision", 8, "N", 0, 1022, "double precision"},
	{705, "unknown", "unknown", -2, "X", 0, 0, "unknown"},
	{1000, "_bool", "boolean[]", -1, "A", 16, 0, "ARRAY"},
	{1001, "_bytea", "bytea[]", -1, "A", 17, 0, "ARRAY"},
	{1005, "_int2", "smallint[]", -1, "A", 21, 0, "ARRAY"},
	{1007, "_int4", "integer[]", -1, "A", 23, 0, "ARRAY"},
	{1009, "_text", "text[]", -1, "A", 25, 0, "ARRAY"},
	{1015, "_varchar", "character varying[]", -1, "A", 1043, 0, "ARRAY"},
	{1016, "_int8", "bigint[]", -1, "A", 20, 0, "ARRAY"},
	{1021, "_float4", "real[]", -1, "A", 700, 0, "ARRAY"},
	{1022, "_float8", "double precision[]", -1, "A", 701, 0, "ARRAY"},
	{1028, "_oid", "oid[]", -1, "A", 26, 0, "ARRAY"},
	{1042, "bpchar", "character", -1, "S", 0, 1014, "character"},
	{1043, "varchar", "character varying", -1, "S", 0, 1015, "character varying"},
	{1082, "date", "date", 4, "D", 0, 1182, "date"},
	{1083, "time", "time without time zone", 8, "D", 0, 1183, "time without time zone"},
	{1114, "timestamp", "timestamp without time zone", 8, "D", 0, 1115, "timestamp without time zone"},
	{1115, "_timestamp", "timestamp without time zone[]", -1, "A", 1114, 0, "ARRAY"},
	{1182, "_date", "date[]", -1, "A", 1082, 0, "ARRAY"},
	{1184, "timestamptz", "timestamp with time zone", 8, "D", 0, 1185, "timestamp with time zone"},
	{1185, "_timestamptz", "timestamp with time zone[]", -1, "A", 1184, 0, "ARRAY"},
	{1186, "interval", "interval", 16, "T", 0, 1187, "interval"},
	{1231, "_numeric", "numeric[]", -1, "A", 1700, 0, "ARRAY"},
	{1700, "numeric", "numeric", -1, "N", 0, 1231, "numeric"},
	{2205, "regclass", "regclass", 4, "N", 0, 2210, "regclass"},
	{2206, "regtype", "regtype", 4, "N", 0, 2211, "regtype"},
	{2249, "record", "record", -1, "P", 0, 2287, "record"},
	{2278, "void", "void", 4, "P", 0, 0, "void"},
	{2950, "uuid", "uuid", 16, "U", 0, 2951, "uuid"},
	{2951, "_uuid", "uuid[]", -1, "A", 2950, 0, "ARRAY"},
	{3802, "jsonb", "jsonb", -1, "U", 0, 3807, "jsonb"},
}

// columnType is the PostgreSQL type of a mesh column: its OID and type
// modifier (atttypmod).
func columnType(t schema.Type) (oid, typmod int) {
	switch t.Kind {
	case schema.Boolean:
		return 16, -1
	case schema.Int:
		return 23, -1
	case schema.Long:
		return 20, -1
	case schema.Float:
		return 700, -1
	case schema.Double:
		return 701, -1
	case schema.Decimal:
		return 1700, (t.Precision<<16 | t.Scale) + 4
	case schema.String:
		return 25, -1
	case schema.Date:
		return 1082, -1
	case schema.Time:
		return 1083, -1
	case schema.Timestamp:
		return 1114, -1
	case schema.TimestampTZ:
		return 1184, -1
	case schema.UUID:
		return 2950, -1
	case schema.Binary:
		return 17, -1
	}
	return 705, -1
}

// typeByOID finds a row of pgTypes.
func typeByOID(oid int) (pgType, bool) {
	for _, t := range pgTypes {
		if t.oid == oid {
			return t, true
		}
	}
	return pgType{}, false
}

// formatTypeSQL is the body of the format_type(oid, typmod) macro: the
// display names of pgTypes, with numeric's precision and scale.
func formatTypeSQL() string {
	s := "CASE WHEN t IS NULL THEN NULL WHEN t = 1700 AND m >= 4 THEN 'numeric(' || CAST(((m - 4) >> 16) & 65535 AS VARCHAR) || ',' || CAST((m - 4) & 65535 AS VARCHAR) || ')'"
	for _, t := range pgTypes {
		s += fmt.Sprintf(" WHEN t = %d THEN %s", t.oid, literal(t.display))
	}
	return s + " ELSE '???' END"
}
