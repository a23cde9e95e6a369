package pgcatalog_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Every stand-in relation can be read whole over the wire protocol: its
// column types (arrays, structs, reals, time stamps) are ones the server
// encodes.
func TestWireReadsEveryRelation(t *testing.T) {
	e := newEnv(t)
	host, port := e.wire(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, e.dsn(host, port, "sales-consumer"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	for _, tt := range []struct {
		rel      string
		nonEmpty bool
	}{
		{"pg_catalog.pg_class", true}, {"pg_namespace", true}, {"pg_attribute", true}, {"pg_type", true},
		{"pg_index", true}, {"pg_constraint", true}, {"pg_description", true}, {"pg_attrdef", false}, {"pg_am", true},
		{"pg_database", true}, {"pg_roles", true}, {"pg_user", true}, {"pg_settings", true}, {"pg_tables", true},
		{"pg_indexes", true}, {"pg_stat_user_tables", true}, {"pg_proc", false}, {"pg_collation", true},
		{"pg_tablespace", true}, {"pg_inherits", false}, {"pg_views", false},
		{"information_schema.schemata", true}, {"information_schema.tables", true}, {"information_schema.columns", true},
		{"information_schema.table_constraints", true}, {"information_schema.key_column_usage", true},
		{"information_schema.views", false},
	} {
		rows, err := c.Query(ctx, "SELECT * FROM "+tt.rel)
		if err != nil {
			t.Errorf("SELECT * FROM %s: %v", tt.rel, err)
			continue
		}
		n := 0
		for rows.Next() {
			if _, err := rows.Values(); err != nil {
				t.Errorf("SELECT * FROM %s: values: %v", tt.rel, err)
				break
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("SELECT * FROM %s: %v", tt.rel, err)
		}
		rows.Close()
		if tt.nonEmpty && n == 0 {
			t.Errorf("SELECT * FROM %s: no rows", tt.rel)
		}
	}
	var keys []int16
	var expanded string
	err = c.QueryRow(ctx, `SELECT i.indkey, (information_schema._pg_expandarray(i.indkey))::text FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname = 'lineitem' LIMIT 1`).Scan(&keys, &expanded)
	if err != nil || len(keys) != 2 {
		t.Errorf("indkey of lineitem = %v (%s), %v; want two columns", keys, expanded, err)
	}
}
