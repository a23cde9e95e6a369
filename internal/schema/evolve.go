package schema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Evolution is what an apply changes in a table of the lake so that it holds
// what a new contract version declares. Whether a change is allowed at all is
// for the compatibility rules (Check) to say; Evolution only says how.
type Evolution struct {
	Added     []Column // new columns; they get new field ids
	Dropped   []Column // columns the lake has and the contract no longer declares (with their field ids)
	Promoted  []Column // existing columns (with their field ids) whose type widens, with the new type
	Partition bool     // the partitioning changes: new data is written with the new spec
}

// Empty reports whether the evolution changes nothing in the lake.
func (e Evolution) Empty() bool {
	return len(e.Added)+len(e.Dropped)+len(e.Promoted) == 0 && !e.Partition
}

// Changes describes the evolution, one line a change, for plans.
func (e Evolution) Changes(old, new *Table) []string {
	var out []string
	for _, c := range e.Added {
		switch {
		case c.Default != nil:
			out = append(out, fmt.Sprintf("add required column %s %s (default %s)", c.Name, c.Type, *c.Default))
		case c.Required:
			out = append(out, fmt.Sprintf("add required column %s %s", c.Name, c.Type))
		default:
			out = append(out, fmt.Sprintf("add optional column %s %s", c.Name, c.Type))
		}
	}
	for _, c := range e.Promoted {
		was, _ := old.Column(c.Name)
		out = append(out, fmt.Sprintf("promote column %s from %s to %s", c.Name, was.Type, c.Type))
	}
	for _, c := range e.Dropped {
		out = append(out, fmt.Sprintf("drop column %s", c.Name))
	}
	if e.Partition {
		out = append(out, fmt.Sprintf("partition by %s (was %s)", describePartition(new.Partition), describePartition(old.Partition)))
	}
	return out
}

// Evolve compares the table in the lake (old, with field ids) with the table
// a contract now declares (new) and returns the changes to make. Iceberg
// evolves a schema in place only by adding and dropping fields and by
// widening types along its promotions; any other type change is an error
// naming each column, because it would need new tables (a new major).
func Evolve(old, new *Table) (Evolution, error) {
	var ev Evolution
	var problems []string
	for _, oc := range old.Columns {
		nc, ok := new.Column(oc.Name)
		switch {
		case !ok:
			ev.Dropped = append(ev.Dropped, oc)
		case nc.Type == oc.Type:
		case oc.Type.PromotesTo(nc.Type):
			p := oc
			p.Type = nc.Type
			ev.Promoted = append(ev.Promoted, p)
		default:
			problems = append(problems, fmt.Sprintf("column %q cannot change type from %s to %s in place", oc.Name, oc.Type, nc.Type))
		}
	}
	for _, nc := range new.Columns {
		if _, ok := old.Column(nc.Name); !ok {
			ev.Added = append(ev.Added, nc)
		}
	}
	ev.Partition = !samePartition(old.Partition, new.Partition)
	if len(problems) > 0 {
		sort.Strings(problems)
		return Evolution{}, fmt.Errorf("%s: Iceberg only widens int to long, float to double and decimal precision", strings.Join(problems, "; "))
	}
	return ev, nil
}

// PromotesTo reports whether Iceberg can widen t to u in place: int to long,
// float to double, and decimal(P,S) to decimal(P',S) with P' > P.
func (t Type) PromotesTo(u Type) bool {
	switch {
	case t.Kind == Int && u.Kind == Long, t.Kind == Float && u.Kind == Double:
		return true
	case t.Kind == Decimal && u.Kind == Decimal:
		return u.Scale == t.Scale && u.Precision > t.Precision
	}
	return false
}

// ParseDefault checks a `default` custom property's value against the type
// and returns it as the text of a SQL literal of that type.
func (t Type) ParseDefault(v any) (string, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case bool:
		s = strconv.FormatBool(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case int:
		s = strconv.Itoa(x)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case nil:
		return "", fmt.Errorf("default is null: leave the column optional instead")
	default:
		return "", fmt.Errorf("default must be a single value, not %T", v)
	}
	bad := func() (string, error) { return "", fmt.Errorf("default %q is not a %s", s, t) }
	switch t.Kind {
	case Boolean:
		if _, err := strconv.ParseBool(s); err != nil {
			return bad()
		}
	case Int:
		if _, err := strconv.ParseInt(s, 10, 32); err != nil {
			return bad()
		}
	case Long:
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return bad()
		}
	case Float, Double:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return bad()
		}
	case Decimal:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || strings.ContainsAny(s, "eEnN") || f != f {
			return bad()
		}
		whole, frac, _ := strings.Cut(strings.TrimLeft(s, "+-"), ".")
		if len(frac) > t.Scale || len(strings.TrimLeft(whole, "0")) > t.Precision-t.Scale {
			return bad()
		}
	case Date:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return bad()
		}
	case Time:
		if _, err := time.Parse(time.TimeOnly, s); err != nil {
			return bad()
		}
	case Timestamp, TimestampTZ:
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			if _, err := time.Parse(time.DateTime, s); err != nil {
				return bad()
			}
		}
	case String:
	case UUID:
		if len(s) != 36 || strings.Count(s, "-") != 4 {
			return bad()
		}
	default:
		return "", fmt.Errorf("a %s column cannot have a default", t)
	}
	return s, nil
}

// DefaultSQL is the column's default as a SQL expression ("" if it has none).
func (c Column) DefaultSQL() string {
	if c.Default == nil {
		return ""
	}
	return "CAST('" + strings.ReplaceAll(*c.Default, "'", "''") + "' AS " + c.Type.DuckDB() + ")"
}
