package schema

import (
	"fmt"

	"strings"

	"github.com/apache/iceberg-go"

	"github.com/meshwork/meshwork/internal/spec"
)

// Kind is a primitive column type.
type Kind int

// The supported column kinds.
const (
	Boolean Kind = iota + 1
	Int
	Long
	Float
	Double
	Decimal
	String
	Date
	Time
	Timestamp
	TimestampTZ
	UUID
	Binary
)

// Type is a column type. Precision and Scale are set for Decimal only.
type Type struct {
	Kind      Kind
	Precision int
	Scale     int
}

// String returns the type in DuckDB SQL syntax, which is also how the API shows it.
func (t Type) String() string { return t.DuckDB() }

// MarshalText encodes the type in DuckDB SQL syntax.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.DuckDB()), nil }

// UnmarshalText parses a type in DuckDB SQL syntax, as MarshalText writes it.
func (t *Type) UnmarshalText(b []byte) error {
	s := strings.ToLower(string(b))
	switch s {
	case "integer":
		*t = Type{Kind: Int}
		return nil
	case "bigint":
		*t = Type{Kind: Long}
		return nil
	case "float":
		*t = Type{Kind: Float}
		return nil
	}
	pt, _, ok := parsePhysical(s)
	if !ok {
		return fmt.Errorf("unknown column type %q", b)
	}
	*t = pt
	return nil
}

// DuckDB returns the DuckDB SQL type.
func (t Type) DuckDB() string {
	switch t.Kind {
	case Boolean:
		return "BOOLEAN"
	case Int:
		return "INTEGER"
	case Long:
		return "BIGINT"
	case Float:
		return "FLOAT"
	case Double:
		return "DOUBLE"
	case Decimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	case String:
		return "VARCHAR"
	case Date:
		return "DATE"
	case Time:
		return "TIME"
	case Timestamp:
		return "TIMESTAMP"
	case TimestampTZ:
		return "TIMESTAMPTZ"
	case UUID:
		return "UUID"
	case Binary:
		return "BLOB"
	}
	return "UNKNOWN"
}

// Iceberg returns the Iceberg type.
func (t Type) Iceberg() iceberg.Type {
	switch t.Kind {
	case Boolean:
		return iceberg.PrimitiveTypes.Bool
	case Int:
		return iceberg.PrimitiveTypes.Int32
	case Long:
		return iceberg.PrimitiveTypes.Int64
	case Float:
		return iceberg.PrimitiveTypes.Float32
	case Double:
		return iceberg.PrimitiveTypes.Float64
	case Decimal:
		return iceberg.DecimalTypeOf(t.Precision, t.Scale)
	case String:
		return iceberg.PrimitiveTypes.String
	case Date:
		return iceberg.PrimitiveTypes.Date
	case Time:
		return iceberg.PrimitiveTypes.Time
	case Timestamp:
		return iceberg.PrimitiveTypes.Timestamp
	case TimestampTZ:
		return iceberg.PrimitiveTypes.TimestampTz
	case UUID:
		return iceberg.PrimitiveTypes.UUID
	case Binary:
		return iceberg.PrimitiveTypes.Binary
	}
	return nil
}

// TypeFromIceberg maps an Iceberg type back to a column type.
func TypeFromIceberg(t iceberg.Type) (Type, error) {
	switch v := t.(type) {
	case iceberg.BooleanType:
		return Type{Kind: Boolean}, nil
	case iceberg.Int32Type:
		return Type{Kind: Int}, nil
	case iceberg.Int64Type:
		return Type{Kind: Long}, nil
	case iceberg.Float32Type:
		return Type{Kind: Float}, nil
	case iceberg.Float64Type:
		return Type{Kind: Double}, nil
	case iceberg.DecimalType:
		return Type{Kind: Decimal, Precision: v.Precision(), Scale: v.Scale()}, nil
	case iceberg.StringType:
		return Type{Kind: String}, nil
	case iceberg.DateType:
		return Type{Kind: Date}, nil
	case iceberg.TimeType:
		return Type{Kind: Time}, nil
	case iceberg.TimestampType:
		return Type{Kind: Timestamp}, nil
	case iceberg.TimestampTzType:
		return Type{Kind: TimestampTZ}, nil
	case iceberg.UUIDType:
		return Type{Kind: UUID}, nil
	case iceberg.BinaryType:
		return Type{Kind: Binary}, nil
	}
	return Type{}, fmt.Errorf("iceberg type %s is not supported", t)
}

// Resolve maps an ODCS logicalType and physicalType to a column type.
// The physical type refines the logical one (bigint vs int, decimal precision);
// a physical type we do not interpret falls back to the logical type, and ok
// reports whether the physical type was understood. A physical type that
// contradicts the logical type is an error.
func Resolve(logical, physical string) (t Type, physicalUnderstood bool, err error) {
	logical = strings.ToLower(strings.TrimSpace(logical))
	p := strings.ToLower(strings.TrimSpace(physical))
	if p != "" {
		pt, plogical, ok := parsePhysical(p)
		if ok {
			if logical != "" && !compatibleLogical(logical, plogical) {
				return Type{}, true, fmt.Errorf("physicalType %q does not match logicalType %q", physical, logical)
			}
			return pt, true, nil
		}
	}
	switch logical {
	case "string":
		return Type{Kind: String}, false, nil
	case "integer":
		return Type{Kind: Long}, false, nil
	case "number":
		return Type{Kind: Double}, false, nil
	case "boolean":
		return Type{Kind: Boolean}, false, nil
	case "date":
		return Type{Kind: Date}, false, nil
	case "timestamp":
		return Type{Kind: TimestampTZ}, false, nil
	case "time":
		return Type{Kind: Time}, false, nil
	case "object", "array":
		return Type{}, false, fmt.Errorf("logicalType %q (nested data) is not supported yet for tables", logical)
	case "":
		return Type{}, false, fmt.Errorf("column has no logicalType and no physicalType we understand")
	}
	return Type{}, false, fmt.Errorf("logicalType %q is not supported", logical)
}

func compatibleLogical(logical, implied string) bool {
	if logical == implied {
		return true
	}
	// A decimal is a "number"; ODCS also lets integer-valued decimals be called numbers.
	return logical == "number" && implied == "integer"
}

// parsePhysical maps a physical type that spec interprets to a column type,
// with the logical type it stores. spec owns the list of names; this maps
// each to the type Meshwork stores it as.
func parsePhysical(p string) (Type, string, bool) {
	pt, ok := spec.ParsePhysicalType(p)
	if !ok {
		return Type{}, "", false
	}
	var t Type
	switch pt.Name {
	case "tinyint", "smallint", "int", "integer", "int32", "int4":
		t = Type{Kind: Int}
	case "bigint", "int64", "int8", "long":
		t = Type{Kind: Long}
	case "real", "float32", "float4":
		t = Type{Kind: Float}
	case "float":
		t = Type{Kind: Float}
		if len(pt.Args) > 0 && pt.Args[0] > 24 {
			t = Type{Kind: Double} // float(p) with p > 24 is double precision in SQL
		}
	case "double", "double precision", "float64", "float8":
		t = Type{Kind: Double}
	case "decimal", "numeric", "number":
		t = Type{Kind: Decimal, Precision: 38, Scale: 9}
		if len(pt.Args) > 0 {
			t = Type{Kind: Decimal, Precision: pt.Args[0]}
		}
		if len(pt.Args) > 1 {
			t.Scale = pt.Args[1]
		}
	case "varchar", "nvarchar", "char", "text", "string":
		t = Type{Kind: String}
	case "uuid":
		t = Type{Kind: UUID}
	case "binary", "blob", "bytea", "varbinary":
		t = Type{Kind: Binary}
	case "date":
		t = Type{Kind: Date}
	case "time":
		t = Type{Kind: Time}
	case "timestamp", "timestamp without time zone", "datetime":
		t = Type{Kind: Timestamp}
	case "timestamptz", "timestamp with time zone":
		t = Type{Kind: TimestampTZ}
	case "boolean", "bool":
		t = Type{Kind: Boolean}
	default: // array, object: nested types, refused by Resolve
		return Type{}, "", false
	}
	return t, pt.Logical, true
}
