package pgcatalog

import (
	"regexp"
	"strings"
)

// What a query names, as far as routing is concerned.
type naming struct {
	catalog bool   // a pg_catalog or information_schema relation, or a catalog function
	mesh    string // the first mesh table named, "" if none
}

// catalogFuncs are functions whose answer is about the server or its
// catalog: a query calling one is a metadata query.
var catalogFuncs = map[string]bool{
	"version": true, "current_database": true, "current_schema": true, "current_schemas": true,
	"current_setting": true, "set_config": true, "current_user": true, "session_user": true,
	"current_catalog": true, "current_role": true, "format_type": true, "obj_description": true,
	"col_description": true, "shobj_description": true, "has_table_privilege": true, "has_schema_privilege": true,
	"has_database_privilege": true, "has_column_privilege": true, "has_any_column_privilege": true,
	"to_regclass": true, "to_regtype": true, "quote_ident": false, "getdatabaseencoding": true,
	"inet_server_addr": true, "inet_server_port": true, "txid_current": true,
}

// dataFuncs are pg_ functions about values, not the catalog: a query over
// mesh tables may call them.
var dataFuncs = map[string]bool{"pg_typeof": true, "pg_column_size": true, "pg_sleep": true}

// catalogWords are bare words that read the session: SELECT current_user.
var catalogWords = map[string]bool{
	"current_user": true, "session_user": true, "current_catalog": true, "current_role": true, "current_schema": true,
}

// meshSchemaRE is a product's schema: domain.product, optionally @vN.
var meshSchemaRE = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*(@v[0-9]{1,9})?$`)

// name classifies what sqlText names.
func name(sqlText string) naming {
	var n naming
	ts := code(lex(sqlText))
	for i, t := range ts {
		if t.kind != tokIdent {
			continue
		}
		prevDot := i > 0 && ts[i-1].text == "."
		nextDot := i+1 < len(ts) && ts[i+1].text == "."
		call := i+1 < len(ts) && ts[i+1].text == "("
		v := t.value
		switch {
		case prevDot:
			// a later part of a dotted name: classified with its first part
		case nextDot && (v == "pg_catalog" || v == "information_schema"):
			n.catalog = true
		case nextDot:
			if m := meshName(ts, i); m != "" && n.mesh == "" {
				n.mesh = m
			}
		case call && (catalogFuncs[v] || strings.HasPrefix(v, "pg_") && !t.quoted && !dataFuncs[v]):
			n.catalog = true
		case !call && !t.quoted && catalogWords[v]:
			n.catalog = true
		case !call && pgcRelations[v] && !t.quoted && fromPosition(ts, i):
			n.catalog = true
		}
	}
	return n
}

// fromPosition reports whether the name at i stands where a relation does:
// after FROM, JOIN or a comma in a FROM list (approximately: after FROM or
// JOIN, or after a comma that follows one).
func fromPosition(ts []token, i int) bool {
	if i == 0 {
		return false
	}
	p := ts[i-1]
	if p.kind == tokIdent && !p.quoted && (p.value == "from" || p.value == "join") {
		return true
	}
	if p.text != "," {
		return false
	}
	for j := i - 2; j >= 0; j-- {
		if ts[j].kind == tokIdent && !ts[j].quoted {
			switch ts[j].value {
			case "from", "join":
				return true
			case "select", "where", "on", "group", "order", "having", "limit", "union", "values":
				return false
			}
		}
	}
	return false
}

// meshName returns the mesh table named by the dotted name starting at
// ts[i]: domain.product.table, domain.product@vN.table, or
// "domain.product".table with the schema quoted; "" if it is none of these.
func meshName(ts []token, i int) string {
	var parts []string
	j := i
	for {
		if j >= len(ts) || ts[j].kind != tokIdent {
			return ""
		}
		part := ts[j].value
		// domain.product@vN.table: the lexer sees product, @, v2 apart.
		if j+2 < len(ts) && ts[j+1].text == "@" && ts[j+2].kind == tokIdent && !ts[j].quoted {
			part += "@" + ts[j+2].value
			j += 2
		}
		parts = append(parts, part)
		if j+1 < len(ts) && ts[j+1].text == "." {
			j += 2
			continue
		}
		break
	}
	if j+1 < len(ts) && ts[j+1].text == "(" {
		return "" // a qualified function call
	}
	switch len(parts) {
	case 3:
		if meshSchemaRE.MatchString(parts[0]+"."+parts[1]) && !reservedSchema(parts[0]) {
			return strings.Join(parts, ".")
		}
	case 2:
		if ts[i].quoted && meshSchemaRE.MatchString(parts[0]) {
			return strings.Join(parts, ".")
		}
	}
	return ""
}

func reservedSchema(s string) bool {
	switch s {
	case "pg_catalog", "information_schema", "main", "system", "temp", "memory":
		return true
	}
	return false
}
