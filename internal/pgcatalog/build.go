package pgcatalog

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/schema"
)

// Fixed OIDs, PostgreSQL's own where clients compare with them.
const (
	oidPgCatalog  = 11
	oidInfoSchema = 13000
	oidPgClass    = 1259
	oidFirstUser  = 16384 // PostgreSQL's FirstNormalObjectId
	oidOwner      = 10
	oidDatabase   = 16383
)

// catalogRelations are the pg_catalog and information_schema relations listed
// in pg_class (pgjdbc compares pg_description.classoid with pg_class's OID,
// and getTables with system types lists them).
var catalogRelations = []struct {
	oid        int
	ns         int
	name, kind string
}{
	{1259, oidPgCatalog, "pg_class", "r"}, {1249, oidPgCatalog, "pg_attribute", "r"}, {1247, oidPgCatalog, "pg_type", "r"},
	{2615, oidPgCatalog, "pg_namespace", "r"}, {2609, oidPgCatalog, "pg_description", "r"}, {2610, oidPgCatalog, "pg_index", "r"},
	{2606, oidPgCatalog, "pg_constraint", "r"}, {2604, oidPgCatalog, "pg_attrdef", "r"}, {1255, oidPgCatalog, "pg_proc", "r"},
	{1262, oidPgCatalog, "pg_database", "r"}, {2601, oidPgCatalog, "pg_am", "r"}, {1260, oidPgCatalog, "pg_authid", "r"},
	{12000, oidPgCatalog, "pg_roles", "v"}, {12001, oidPgCatalog, "pg_settings", "v"}, {12002, oidPgCatalog, "pg_tables", "v"},
	{13001, oidInfoSchema, "schemata", "v"}, {13002, oidInfoSchema, "tables", "v"}, {13003, oidInfoSchema, "columns", "v"},
}

// table is a mesh table as the catalog shows it.
type table struct {
	schema  string // domain.product or domain.product@vN
	name    string
	comment string
	def     schema.Table
	stamp   string // what changes when the table's definition changes
}

func sortTables(ts []table) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].schema != ts[j].schema {
			return ts[i].schema < ts[j].schema
		}
		return ts[i].name < ts[j].name
	})
}

// key identifies a set of tables: principals who see the same tables at the
// same definitions share one catalog.
func setKey(ts []table) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "%s\x00%s\x00%s\x01", t.schema, t.name, t.stamp)
	}
	return b.String()
}

// open starts a sandboxed in-memory DuckDB holding the catalog of ts: no
// files, no extensions, configuration locked, one thread.
func open(ctx context.Context, database string, ts []table) (*sql.DB, error) {
	const op = "pgcatalog.open"
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "start duckdb")
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(4)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, errs.Wrap(errs.Internal, op, err, "connect duckdb")
	}
	defer conn.Close()
	stmts := []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET threads = 1",
		"SET memory_limit = '256MB'",
	}
	stmts = append(stmts, catalogDDL...)
	stmts = append(stmts, macroDDL...)
	stmts = append(stmts, rows(database, ts)...)
	stmts = append(stmts,
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	)
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, errs.Wrap(errs.Internal, op, err, "build the catalog (%.80s)", s)
		}
	}
	return db, nil
}

// rows returns the INSERTs that fill the catalog for ts.
func rows(database string, ts []table) []string {
	var out []string
	ins := func(tbl string, vals [][]string) {
		for start := 0; start < len(vals); start += 200 {
			var rs []string
			for _, v := range vals[start:min(start+200, len(vals))] {
				rs = append(rs, "("+strings.Join(v, ", ")+")")
			}
			out = append(out, "INSERT INTO "+tbl+" VALUES "+strings.Join(rs, ", "))
		}
	}
	b := func(v bool) string {
		if v {
			return "true"
		}
		return "false"
	}
	n := func(v int) string { return fmt.Sprint(v) }
	null := "NULL"

	// types
	var types [][]string
	for _, t := range pgTypes {
		typtype := "b"
		if t.oid == 2249 || t.oid == 2278 {
			typtype = "p"
		}
		byval := t.len > 0 && t.len <= 8
		in := t.name + "in"
		if t.category == "A" {
			in = "array_in"
		}
		types = append(types, []string{n(t.oid), literal(t.name), n(oidPgCatalog), n(oidOwner), n(t.len), b(byval),
			literal(typtype), literal(t.category), "false", "true", "','", "0", n(t.elem), n(t.array),
			literal(in), literal(t.name + "out"), literal(t.name + "recv"), literal(t.name + "send"),
			"'i'", "'p'", "false", "0", "-1", "0", "0", null})
	}
	ins("pgc.pg_type", types)
	ins("pgc.pg_database", [][]string{{n(oidDatabase), literal(database), n(oidOwner), "6", "'c'", "false", "true", "-1",
		"0", "0", "1663", "'C.UTF-8'", "'C.UTF-8'", null, null, null}})
	ins("pgc.pg_authid", [][]string{{n(oidOwner), "'mesh'", "false", "true", "false", "false", "true", "false", "false",
		"-1", null, null, null}})
	var settings [][]string
	for _, s := range settingRows {
		settings = append(settings, []string{literal(s[0]), literal(s[1]), null, "'Meshwork'", null, null, "'user'",
			"'string'", "'default'", null, null, null, literal(s[1]), literal(s[1]), null, null, "false"})
	}
	ins("pgc.pg_settings", settings)

	// namespaces
	nss := [][]string{
		{n(oidPgCatalog), "'pg_catalog'", n(oidOwner), null},
		{n(oidInfoSchema), "'information_schema'", n(oidOwner), null},
	}
	var classes, attrs, descs, defs, indexes, cons, cols [][]string
	class := func(oid, ns int, name, kind string, natts int, hasIndex bool) []string {
		am := "2"
		if kind == "i" {
			am = "403"
		} else if kind == "v" {
			am = "0"
		}
		return []string{n(oid), literal(name), n(ns), "0", "0", n(oidOwner), am, n(oid), "0", "0", "-1", "0", "0",
			b(hasIndex), "false", "'p'", literal(kind), n(natts), "0", "false", "false", "false", "false", "false",
			"true", "'d'", "false", "0", "0", "0", null, null, null}
	}
	for _, r := range catalogRelations {
		classes = append(classes, class(r.oid, r.ns, r.name, r.kind, 0, false))
	}
	sortTables(ts)
	next := oidFirstUser
	alloc := func() int { next++; return next - 1 }
	nsOID := map[string]int{}
	for _, t := range ts {
		if _, ok := nsOID[t.schema]; !ok {
			nsOID[t.schema] = alloc()
			nss = append(nss, []string{n(nsOID[t.schema]), literal(t.schema), n(oidOwner), null})
		}
	}
	for _, t := range ts {
		rel := alloc()
		ns := nsOID[t.schema]
		classes = append(classes, class(rel, ns, t.name, "r", len(t.def.Columns), len(t.def.PrimaryKey) > 0))
		if t.comment != "" {
			descs = append(descs, []string{n(rel), n(oidPgClass), "0", literal(t.comment)})
		}
		attnum := map[string]int{}
		for i, c := range t.def.Columns {
			typ, mod := columnType(c.Type)
			pt, _ := typeByOID(typ)
			num := i + 1
			attnum[c.Name] = num
			storage := "p"
			if pt.len < 0 {
				storage = "x"
			}
			attrs = append(attrs, []string{n(rel), literal(c.Name), n(typ), "-1", n(pt.len), n(num), "0", "-1", n(mod),
				b(pt.len > 0 && pt.len <= 8), "'i'", literal(storage), "''", b(c.Required), b(c.Default != nil), "false",
				"''", "''", "false", "true", "0", "0", null, null, null})
			if c.Description != "" {
				descs = append(descs, []string{n(rel), n(oidPgClass), n(num), literal(c.Description)})
			}
			dflt := null
			if c.Default != nil {
				dflt = literal(c.DefaultSQL())
				defs = append(defs, []string{n(alloc()), n(rel), n(num), dflt})
			}
			nullable := "YES"
			if c.Required {
				nullable = "NO"
			}
			prec, radix, scale, dtp := null, null, null, null
			switch c.Type.Kind {
			case schema.Int:
				prec, radix, scale = "32", "2", "0"
			case schema.Long:
				prec, radix, scale = "64", "2", "0"
			case schema.Float:
				prec, radix = "24", "2"
			case schema.Double:
				prec, radix = "53", "2"
			case schema.Decimal:
				prec, radix, scale = n(c.Type.Precision), "10", n(c.Type.Scale)
			case schema.Date:
				dtp = "0"
			case schema.Time, schema.Timestamp, schema.TimestampTZ:
				dtp = "6"
			}
			desc := null
			if c.Description != "" {
				desc = literal(c.Description)
			}
			cols = append(cols, []string{literal(t.schema), literal(t.name), literal(c.Name), n(num), dflt,
				literal(nullable), literal(pt.infoName), null, prec, radix, scale, dtp, literal(pt.name), desc})
		}
		if len(t.def.PrimaryKey) > 0 {
			idx, con := alloc(), alloc()
			name := t.name + "_pkey"
			var keys, names []string
			for _, k := range t.def.PrimaryKey {
				keys = append(keys, n(attnum[k]))
				names = append(names, quoteIdent(k))
			}
			classes = append(classes, class(idx, ns, name, "i", len(keys), false))
			keyList := "[" + strings.Join(keys, ", ") + "]::SMALLINT[]"
			indexDef := fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s.%s USING btree (%s)", quoteIdent(name),
				quoteIdent(t.schema), quoteIdent(t.name), strings.Join(names, ", "))
			indexes = append(indexes, []string{n(idx), n(rel), n(len(keys)), n(len(keys)), "true", "false", "true",
				"false", "true", "false", "true", "false", "true", "true", "false", keyList, null, null, null, null, null,
				literal(indexDef)})
			cons = append(cons, []string{n(con), literal(name), n(ns), "'p'", "false", "false", "true", n(rel), "0",
				n(idx), "0", "0", "' '", "' '", "' '", "true", "0", "true", keyList, null, null,
				literal("PRIMARY KEY (" + strings.Join(names, ", ") + ")")})
		}
	}
	ins("pgc.pg_namespace", nss)
	ins("pgc.pg_class", classes)
	ins("pgc.pg_attribute", attrs)
	ins("pgc.pg_description", descs)
	ins("pgc.pg_attrdef", defs)
	ins("pgc.pg_index", indexes)
	ins("pgc.pg_constraint", cons)
	ins("pgi.mesh_columns", cols)
	return out
}

// settingRows are what current_setting and pg_settings answer: the session
// settings clients read on connect.
var settingRows = [][2]string{
	{"server_version", serverVersion},
	{"server_version_num", serverVersionNum},
	{"server_encoding", "UTF8"},
	{"client_encoding", "UTF8"},
	{"datestyle", "ISO, MDY"},
	{"intervalstyle", "postgres"},
	{"timezone", "UTC"},
	{"integer_datetimes", "on"},
	{"standard_conforming_strings", "on"},
	{"search_path", `"$user", public`},
	{"default_transaction_isolation", "read committed"},
	{"transaction_isolation", "read committed"},
	{"default_transaction_read_only", "on"},
	{"transaction_read_only", "on"},
	{"max_identifier_length", "63"},
	{"max_index_keys", "32"},
	{"is_superuser", "off"},
	{"application_name", ""},
	{"extra_float_digits", "3"},
	{"lc_collate", "C.UTF-8"},
	{"lc_ctype", "C.UTF-8"},
	{"statement_timeout", "0"},
}

// literal quotes a SQL string literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent quotes a name as PostgreSQL's quote_ident does.
func quoteIdent(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			plain = false
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
