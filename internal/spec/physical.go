package spec

import (
	"strconv"
	"strings"
)

// ValidLogicalType reports whether s is one of ODCS's logical types (the
// schema's enum), the only ones a contract may use.
func ValidLogicalType(s string) bool {
	switch s {
	case "string", "date", "timestamp", "time", "number", "integer", "object", "array", "boolean":
		return true
	}
	return false
}

// PhysicalType is a physicalType Meshwork interprets.
type PhysicalType struct {
	Name    string // normalised: lower case, single spaces, e.g. "varchar", "decimal", "timestamp with time zone"
	Logical string // the ODCS logical type it stores
	Args    []int  // the parenthesised arguments, e.g. [10 2] for decimal(10,2), [18] for varchar(18)
}

// physicalDef says what a physical type name we interpret stores and how many
// arguments it takes (min, max).
func physicalDef(name string) (logical string, min, max int, ok bool) {
	switch name {
	case "int", "integer", "int32", "int4", "bigint", "int64", "int8", "long", "smallint", "tinyint":
		return "integer", 0, 0, true
	case "float", "double":
		return "number", 0, 2, true
	case "real", "double precision", "float32", "float4", "float64", "float8":
		return "number", 0, 0, true
	case "decimal", "numeric", "number": // number(p,s) is Oracle's decimal
		return "number", 0, 2, true
	case "varchar", "nvarchar":
		return "string", 0, 1, true
	case "char":
		return "string", 1, 1, true
	case "text", "string", "uuid":
		return "string", 0, 0, true
	case "binary", "blob", "bytea", "varbinary":
		return "string", 0, 1, true
	case "date":
		return "date", 0, 0, true
	case "timestamp", "timestamptz", "timestamp with time zone", "timestamp without time zone", "datetime":
		return "timestamp", 0, 1, true
	case "time":
		return "time", 0, 0, true
	case "boolean", "bool":
		return "boolean", 0, 0, true
	// Not in the brief's list, but unambiguous and used by the official examples.
	case "array", "list":
		return "array", 0, 0, true
	case "object", "struct":
		return "object", 0, 0, true
	}
	return "", 0, 0, false
}

// ParsePhysicalType interprets a physicalType, case-insensitively. ok is
// false for types Meshwork does not interpret; those fall back to the
// property's logicalType.
func ParsePhysicalType(s string) (pt PhysicalType, ok bool) {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	name, args := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return PhysicalType{}, false
		}
		name, args = strings.TrimSpace(s[:i]), s[i+1:len(s)-1]
	}
	logical, min, max, ok := physicalDef(name)
	if !ok {
		return PhysicalType{}, false
	}
	pt = PhysicalType{Name: name, Logical: logical}
	if args != "" || strings.Contains(s, "(") {
		for _, a := range strings.Split(args, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(a))
			if err != nil || n < 0 || n > 1<<20 {
				return PhysicalType{}, false
			}
			pt.Args = append(pt.Args, n)
		}
	}
	if len(pt.Args) < min || len(pt.Args) > max {
		return PhysicalType{}, false
	}
	switch name {
	case "decimal", "numeric", "number":
		// Iceberg decimals hold at most 38 digits, and the scale fits in them.
		if len(pt.Args) > 0 && (pt.Args[0] < 1 || pt.Args[0] > 38) {
			return PhysicalType{}, false
		}
		if len(pt.Args) == 2 && pt.Args[1] > pt.Args[0] {
			return PhysicalType{}, false
		}
	case "varchar", "nvarchar", "char":
		if len(pt.Args) == 1 && pt.Args[0] < 1 {
			return PhysicalType{}, false
		}
	}
	return pt, true
}

// LogicalTypeOf returns the logical type a physicalType we interpret stores.
func LogicalTypeOf(physicalType string) (string, bool) {
	pt, ok := ParsePhysicalType(physicalType)
	return pt.Logical, ok
}

// typesAgree reports whether a column of logical type logical may be stored
// as a physical type that stores phys. Integers are numbers too.
func typesAgree(logical, phys string) bool {
	return logical == phys || (logical == "number" && phys == "integer")
}
