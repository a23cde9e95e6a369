package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/policy"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

// Governor decides, for the principal a query runs as (carried by ctx),
// whether it may read a table at all and what it sees of it. Every table a
// query touches goes through it, each time the query is bound.
type Governor interface {
	// Readable returns an error of kind Forbidden naming the product when
	// none of its tables may be read. The binder asks it before it looks a
	// table up, so that which tables and majors exist, and which are
	// retired, is told only to those who may read the product.
	Readable(ctx context.Context, domain, product string) error
	// Govern returns an error of kind Forbidden naming the product when the
	// table may not be read.
	Govern(ctx context.Context, tbl *registry.Table) (Governance, error)
}

// Governance is what one principal sees of one table: columns masked and
// rows filtered. The zero value shows everything.
type Governance struct {
	Masks   map[string]string  // column -> policy.Mask* method
	Filters []policy.RowFilter // all must hold
	// Defaults are the SQL values of columns added with a default, read in
	// rows written before the column existed (the binder sets them from the
	// contract; masks and filters see the defaulted value).
	Defaults map[string]string
}

// Ungoverned shows every table in full to everyone. Only for tests and for
// measuring the engine without governance: the platform never uses it.
type Ungoverned struct{}

// Readable implements Governor.
func (Ungoverned) Readable(context.Context, string, string) error { return nil }

// Govern implements Governor.
func (Ungoverned) Govern(context.Context, *registry.Table) (Governance, error) {
	return Governance{}, nil
}

// empty reports whether g changes nothing.
func (g Governance) empty() bool {
	return len(g.Masks) == 0 && len(g.Filters) == 0 && len(g.Defaults) == 0
}

// key is a canonical text of g, part of the governed view's name.
func (g Governance) key() string {
	var b strings.Builder
	cols := make([]string, 0, len(g.Masks))
	for c := range g.Masks {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		fmt.Fprintf(&b, "m%d:%s=%s;", len(c), c, g.Masks[c])
	}
	for _, f := range g.Filters {
		fmt.Fprintf(&b, "f%d:%s", len(f.Column), f.Column)
		for _, v := range f.Values {
			fmt.Fprintf(&b, ",%d:%s", len(v), v)
		}
		b.WriteByte(';')
	}
	cols = cols[:0]
	for c := range g.Defaults {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		fmt.Fprintf(&b, "d%d:%s=%d:%s;", len(c), c, len(g.Defaults[c]), g.Defaults[c])
	}
	return b.String()
}

// governedSQL is the SELECT that serves tbl's rows through g from the
// relation base. Masks replace a column's values in the projection and row
// filters are a WHERE clause on the unmasked values, so no query over the
// view — whatever its shape — sees an unmasked value or a filtered row.
// hashKey keys the hash mask: equal values hash equally (joins on masked keys
// still match) but the hash cannot be recomputed from a guessed value without
// the key.
func governedSQL(base string, cols []schema.Column, g Governance, hashKey string) (string, error) {
	byName := make(map[string]schema.Column, len(cols))
	for _, c := range cols {
		byName[c.Name] = c
	}
	value := func(c schema.Column) string {
		if d, ok := g.Defaults[c.Name]; ok {
			return "COALESCE(" + lake.Quote(c.Name) + ", " + d + ")"
		}
		return lake.Quote(c.Name)
	}
	items := make([]string, len(cols))
	for i, c := range cols {
		q := lake.Quote(c.Name)
		v := value(c)
		method, masked := g.Masks[c.Name]
		if !masked {
			items[i] = v
			if v != q {
				items[i] += " AS " + q
			}
			continue
		}
		expr, err := maskExpr(v, c.Type, method, hashKey)
		if err != nil {
			return "", err
		}
		items[i] = expr + " AS " + q
	}
	s := "SELECT " + strings.Join(items, ", ") + " FROM " + base
	var conds []string
	for _, f := range g.Filters {
		// A snapshot read by time travel may predate the filtered column:
		// then no row passes, rather than every row.
		c, ok := byName[f.Column]
		if !ok || len(f.Values) == 0 {
			conds = append(conds, "false")
			continue
		}
		vals := make([]string, len(f.Values))
		for i, v := range f.Values {
			vals[i] = fmt.Sprintf("TRY_CAST(%s AS %s)", lake.Literal(v), c.Type)
		}
		conds = append(conds, fmt.Sprintf("%s IN (%s)", value(c), strings.Join(vals, ", ")))
	}
	if len(conds) > 0 {
		s += " WHERE " + strings.Join(conds, " AND ")
	}
	return s, nil
}

// maskExpr is the SQL that masks column q of type t. hash gives text (equal
// values stay equal, so joins on masked keys match); null keeps the type;
// partial and redact give text for text columns and NULL of the column's
// type for others, which have no "part" to show and whose aggregates must
// still type-check.
func maskExpr(q string, t schema.Type, method, hashKey string) (string, error) {
	isText := t.Kind == schema.String
	switch {
	case method == policy.MaskNull, !isText && (method == policy.MaskPartial || method == policy.MaskRedact):
		return fmt.Sprintf("CAST(NULL AS %s)", t), nil
	case method == policy.MaskHash:
		text := q
		if !isText {
			text = "CAST(" + q + " AS VARCHAR)"
		}
		return fmt.Sprintf("sha256(%s || %s)", lake.Literal(hashKey), text), nil
	case method == policy.MaskPartial:
		// Keep the last four characters; shorter values are hidden whole.
		return fmt.Sprintf("CASE WHEN length(%[1]s) <= 4 THEN repeat('*', length(%[1]s)) "+
			"ELSE repeat('*', length(%[1]s) - 4) || right(%[1]s, 4) END", q), nil
	case method == policy.MaskRedact:
		return fmt.Sprintf("CASE WHEN %s IS NULL THEN NULL ELSE '[redacted]' END", q), nil
	}
	return "", errs.E(errs.Internal, "query.govern", "unknown mask method %q", method)
}

// governedName names the governed view of base for g.
func governedName(base, key string) string {
	h := sha256.Sum256([]byte(base + "\x00" + key))
	return "g_" + hex.EncodeToString(h[:12])
}
