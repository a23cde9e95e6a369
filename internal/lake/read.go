package lake

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
)

// Queryer is what reading a plan needs of DuckDB (*sql.DB and *sql.Conn).
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Relation is the SQL that reads the plan, for queries and gates alike. Reading by field id (Plan.SQL) is
// always right, but DuckDB binds its schema map on every query, which costs
// milliseconds per table. When every data file names each field id the way
// the table's schema does (no column was renamed since the files were
// written) and the types agree, a plain read by name returns the same rows,
// so that is what the view uses.
func (p *Plan) Relation(ctx context.Context, db Queryer) (string, error) {
	if len(p.Files) == 0 {
		return p.SQL(), nil
	}
	files := make([]string, len(p.Files))
	for i, f := range p.Files {
		files[i] = Literal(f)
	}
	list := "[" + strings.Join(files, ", ") + "]"
	// Leaf columns of each file; a file written without field ids (an adopted
	// upload) is read through the table's name mapping: its names are the ids.
	rows, err := db.QueryContext(ctx, "SELECT file_name, name, field_id FROM parquet_schema("+list+") WHERE COALESCE(num_children, 0) = 0")
	if err != nil {
		return "", errs.Wrap(errs.Internal, "lake.Relation", err, "read data file schemas of %s", p.Table)
	}
	idOf := map[string]int{}
	for _, c := range p.Columns {
		idOf[c.Name] = c.FieldID
	}
	perFile := map[string]map[int]string{}
	withIDs := map[string]bool{}
	type leaf struct {
		name string
		id   sql.NullInt64
	}
	leaves := map[string][]leaf{}
	for rows.Next() {
		var file string
		var l leaf
		if err := rows.Scan(&file, &l.name, &l.id); err != nil {
			rows.Close()
			return "", errs.Wrap(errs.Internal, "lake.Relation", err, "read data file schemas of %s", p.Table)
		}
		leaves[file] = append(leaves[file], l)
		if l.id.Valid {
			withIDs[file] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", errs.Wrap(errs.Internal, "lake.Relation", err, "read data file schemas of %s", p.Table)
	}
	for file, ls := range leaves {
		ids := map[int]string{}
		for _, l := range ls {
			switch {
			case withIDs[file] && l.id.Valid:
				ids[int(l.id.Int64)] = l.name
			case !withIDs[file]:
				if id, ok := idOf[l.name]; ok {
					ids[id] = l.name
				}
			}
		}
		perFile[file] = ids
	}
	if len(perFile) != len(p.Files) {
		return p.SQL(), nil
	}
	for _, ids := range perFile {
		for id, name := range ids {
			if want, ok := idOf[name]; ok && want != id {
				return p.SQL(), nil // a name now used by another field: read by id
			}
		}
	}
	var sel []string
	union := false
	for _, c := range p.Columns {
		in := 0
		for _, ids := range perFile {
			name, ok := ids[c.FieldID]
			if ok && name != c.Name {
				return p.SQL(), nil // renamed: only the field id says which column this is
			}
			if ok {
				in++
			}
		}
		switch in {
		case len(perFile):
			sel = append(sel, Quote(c.Name))
		case 0:
			sel = append(sel, fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type.DuckDB(), Quote(c.Name)))
		default:
			// Added after some files were written: names agree with ids in
			// every file, so a union by name reads NULL where it is absent.
			sel = append(sel, Quote(c.Name))
			union = true
		}
	}
	// Files whose columns differ in order are also read by name.
	var first string
	for i, f := range p.Files {
		var names []string
		for _, l := range leaves[f] {
			names = append(names, l.name)
		}
		if joined := strings.Join(names, "\x00"); i == 0 {
			first = joined
		} else if joined != first {
			union = true
		}
	}
	plain := "read_parquet(" + list + ")"
	if union {
		plain = "read_parquet(" + list + ", union_by_name = true)"
	}
	types, err := columnTypes(ctx, db, plain)
	if err != nil {
		return "", err
	}
	for _, c := range p.Columns {
		if t, ok := types[c.Name]; ok && !strings.EqualFold(t, c.Type.DuckDB()) {
			return p.SQL(), nil // a promoted type: let the field-id read cast it
		}
	}
	return "(SELECT " + strings.Join(sel, ", ") + " FROM " + plain + ")", nil
}

func columnTypes(ctx context.Context, db Queryer, rel string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+rel+")")
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "lake.columnTypes", err, "describe data files")
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, errs.Wrap(errs.Internal, "lake.columnTypes", err, "describe data files")
		}
		out[n] = t
	}
	return out, rows.Err()
}
