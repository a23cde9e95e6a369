package pgcatalog

// The stand-in catalog. PostgreSQL's pg_catalog and information_schema
// cannot be created in DuckDB (its own stand-ins live in the read-only
// system catalog), so the rewriter sends every catalog name to these
// schemas: pgc for pg_catalog, pgi for information_schema. The tables carry
// the columns psql, pgjdbc and pgx read; the rows are filled per visible
// table set (see build.go).

// catalogDDL creates the empty catalog. One statement per entry.
var catalogDDL = []string{
	`CREATE SCHEMA pgc`,
	`CREATE SCHEMA pgi`,
	`CREATE TABLE pgc.pg_namespace (oid INTEGER, nspname VARCHAR, nspowner INTEGER, nspacl VARCHAR[])`,
	`CREATE TABLE pgc.pg_class (oid INTEGER, relname VARCHAR, relnamespace INTEGER, reltype INTEGER, reloftype INTEGER,
		relowner INTEGER, relam INTEGER, relfilenode INTEGER, reltablespace INTEGER, relpages INTEGER, reltuples REAL,
		relallvisible INTEGER, reltoastrelid INTEGER, relhasindex BOOLEAN, relisshared BOOLEAN, relpersistence VARCHAR,
		relkind VARCHAR, relnatts SMALLINT, relchecks SMALLINT, relhasrules BOOLEAN, relhastriggers BOOLEAN,
		relhassubclass BOOLEAN, relrowsecurity BOOLEAN, relforcerowsecurity BOOLEAN, relispopulated BOOLEAN,
		relreplident VARCHAR, relispartition BOOLEAN, relrewrite INTEGER, relfrozenxid INTEGER, relminmxid INTEGER,
		relacl VARCHAR[], reloptions VARCHAR[], relpartbound VARCHAR)`,
	`CREATE TABLE pgc.pg_attribute (attrelid INTEGER, attname VARCHAR, atttypid INTEGER, attstattarget INTEGER,
		attlen SMALLINT, attnum SMALLINT, attndims INTEGER, attcacheoff INTEGER, atttypmod INTEGER, attbyval BOOLEAN,
		attalign VARCHAR, attstorage VARCHAR, attcompression VARCHAR, attnotnull BOOLEAN, atthasdef BOOLEAN,
		atthasmissing BOOLEAN, attidentity VARCHAR, attgenerated VARCHAR, attisdropped BOOLEAN, attislocal BOOLEAN,
		attinhcount INTEGER, attcollation INTEGER, attacl VARCHAR[], attoptions VARCHAR[], attfdwoptions VARCHAR[])`,
	`CREATE TABLE pgc.pg_type (oid INTEGER, typname VARCHAR, typnamespace INTEGER, typowner INTEGER, typlen SMALLINT,
		typbyval BOOLEAN, typtype VARCHAR, typcategory VARCHAR, typispreferred BOOLEAN, typisdefined BOOLEAN,
		typdelim VARCHAR, typrelid INTEGER, typelem INTEGER, typarray INTEGER, typinput VARCHAR, typoutput VARCHAR,
		typreceive VARCHAR, typsend VARCHAR, typalign VARCHAR, typstorage VARCHAR, typnotnull BOOLEAN,
		typbasetype INTEGER, typtypmod INTEGER, typndims INTEGER, typcollation INTEGER, typdefault VARCHAR)`,
	`CREATE TABLE pgc.pg_attrdef (oid INTEGER, adrelid INTEGER, adnum SMALLINT, adbin VARCHAR)`,
	`CREATE TABLE pgc.pg_description (objoid INTEGER, classoid INTEGER, objsubid INTEGER, description VARCHAR)`,
	`CREATE TABLE pgc.pg_index (indexrelid INTEGER, indrelid INTEGER, indnatts SMALLINT, indnkeyatts SMALLINT,
		indisunique BOOLEAN, indnullsnotdistinct BOOLEAN, indisprimary BOOLEAN, indisexclusion BOOLEAN,
		indimmediate BOOLEAN, indisclustered BOOLEAN, indisvalid BOOLEAN, indcheckxmin BOOLEAN, indisready BOOLEAN,
		indislive BOOLEAN, indisreplident BOOLEAN, indkey SMALLINT[], indcollation INTEGER[], indclass INTEGER[],
		indoption SMALLINT[], indexprs VARCHAR, indpred VARCHAR, mesh_def VARCHAR)`,
	`CREATE TABLE pgc.pg_constraint (oid INTEGER, conname VARCHAR, connamespace INTEGER, contype VARCHAR,
		condeferrable BOOLEAN, condeferred BOOLEAN, convalidated BOOLEAN, conrelid INTEGER, contypid INTEGER,
		conindid INTEGER, conparentid INTEGER, confrelid INTEGER, confupdtype VARCHAR, confdeltype VARCHAR,
		confmatchtype VARCHAR, conislocal BOOLEAN, coninhcount INTEGER, connoinherit BOOLEAN, conkey SMALLINT[],
		confkey SMALLINT[], conbin VARCHAR, mesh_def VARCHAR)`,
	`CREATE TABLE pgc.pg_am (oid INTEGER, amname VARCHAR, amhandler VARCHAR, amtype VARCHAR)`,
	`INSERT INTO pgc.pg_am VALUES (2, 'heap', 'heap_tableam_handler', 't'), (403, 'btree', 'bthandler', 'i')`,
	`CREATE TABLE pgc.pg_database (oid INTEGER, datname VARCHAR, datdba INTEGER, encoding INTEGER, datlocprovider VARCHAR,
		datistemplate BOOLEAN, datallowconn BOOLEAN, datconnlimit INTEGER, datfrozenxid INTEGER, datminmxid INTEGER,
		dattablespace INTEGER, datcollate VARCHAR, datctype VARCHAR, daticulocale VARCHAR, datcollversion VARCHAR,
		datacl VARCHAR[])`,
	`CREATE TABLE pgc.pg_authid (oid INTEGER, rolname VARCHAR, rolsuper BOOLEAN, rolinherit BOOLEAN,
		rolcreaterole BOOLEAN, rolcreatedb BOOLEAN, rolcanlogin BOOLEAN, rolreplication BOOLEAN, rolbypassrls BOOLEAN,
		rolconnlimit INTEGER, rolpassword VARCHAR, rolvaliduntil TIMESTAMPTZ, rolconfig VARCHAR[])`,
	`CREATE VIEW pgc.pg_roles AS SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
		rolreplication, rolconnlimit, '********' AS rolpassword, rolvaliduntil, rolbypassrls, rolconfig, oid FROM pgc.pg_authid`,
	`CREATE VIEW pgc.pg_user AS SELECT rolname AS usename, oid AS usesysid, rolcreatedb AS usecreatedb,
		rolsuper AS usesuper, rolreplication AS userepl, rolbypassrls AS usebypassrls, '********' AS passwd,
		rolvaliduntil AS valuntil, rolconfig AS useconfig FROM pgc.pg_authid WHERE rolcanlogin`,
	`CREATE TABLE pgc.pg_settings (name VARCHAR, setting VARCHAR, unit VARCHAR, category VARCHAR, short_desc VARCHAR,
		extra_desc VARCHAR, context VARCHAR, vartype VARCHAR, source VARCHAR, min_val VARCHAR, max_val VARCHAR,
		enumvals VARCHAR[], boot_val VARCHAR, reset_val VARCHAR, sourcefile VARCHAR, sourceline INTEGER,
		pending_restart BOOLEAN)`,
	`CREATE TABLE pgc.pg_tablespace (oid INTEGER, spcname VARCHAR, spcowner INTEGER, spcacl VARCHAR[], spcoptions VARCHAR[])`,
	`INSERT INTO pgc.pg_tablespace VALUES (1663, 'pg_default', 10, NULL, NULL), (1664, 'pg_global', 10, NULL, NULL)`,
	`CREATE TABLE pgc.pg_collation (oid INTEGER, collname VARCHAR, collnamespace INTEGER, collowner INTEGER,
		collprovider VARCHAR, collisdeterministic BOOLEAN, collencoding INTEGER, collcollate VARCHAR, collctype VARCHAR)`,
	`INSERT INTO pgc.pg_collation VALUES (100, 'default', 11, 10, 'd', true, -1, NULL, NULL), (950, 'C', 11, 10, 'c', true, -1, 'C', 'C')`,
	`CREATE TABLE pgc.pg_proc (oid INTEGER, proname VARCHAR, pronamespace INTEGER, proowner INTEGER, prolang INTEGER,
		prokind VARCHAR, prorettype INTEGER, proargtypes INTEGER[], proretset BOOLEAN, pronargs SMALLINT, prosrc VARCHAR)`,
	`CREATE TABLE pgc.pg_extension (oid INTEGER, extname VARCHAR, extowner INTEGER, extnamespace INTEGER,
		extrelocatable BOOLEAN, extversion VARCHAR)`,
	`CREATE TABLE pgc.pg_enum (oid INTEGER, enumtypid INTEGER, enumsortorder REAL, enumlabel VARCHAR)`,
	`CREATE TABLE pgc.pg_range (rngtypid INTEGER, rngsubtype INTEGER)`,
	`CREATE TABLE pgc.pg_inherits (inhrelid INTEGER, inhparent INTEGER, inhseqno INTEGER, inhdetachpending BOOLEAN)`,
	`CREATE TABLE pgc.pg_policy (oid INTEGER, polname VARCHAR, polrelid INTEGER, polcmd VARCHAR, polpermissive BOOLEAN,
		polroles INTEGER[], polqual VARCHAR, polwithcheck VARCHAR)`,
	`CREATE TABLE pgc.pg_statistic_ext (oid INTEGER, stxrelid INTEGER, stxname VARCHAR, stxnamespace INTEGER,
		stxowner INTEGER, stxstattarget INTEGER, stxkeys SMALLINT[], stxkind VARCHAR[])`,
	`CREATE TABLE pgc.pg_publication (oid INTEGER, pubname VARCHAR, pubowner INTEGER, puballtables BOOLEAN)`,
	`CREATE TABLE pgc.pg_publication_namespace (oid INTEGER, pnpubid INTEGER, pnnspid INTEGER)`,
	`CREATE TABLE pgc.pg_publication_rel (oid INTEGER, prpubid INTEGER, prrelid INTEGER, prqual VARCHAR, prattrs SMALLINT[])`,
	`CREATE TABLE pgc.pg_trigger (oid INTEGER, tgrelid INTEGER, tgparentid INTEGER, tgname VARCHAR, tgfoid INTEGER,
		tgtype SMALLINT, tgenabled VARCHAR, tgisinternal BOOLEAN)`,
	`CREATE TABLE pgc.pg_rewrite (oid INTEGER, rulename VARCHAR, ev_class INTEGER, ev_type VARCHAR, ev_enabled VARCHAR, is_instead BOOLEAN)`,
	`CREATE TABLE pgc.pg_depend (classid INTEGER, objid INTEGER, objsubid INTEGER, refclassid INTEGER, refobjid INTEGER,
		refobjsubid INTEGER, deptype VARCHAR)`,
	`CREATE TABLE pgc.pg_foreign_table (ftrelid INTEGER, ftserver INTEGER, ftoptions VARCHAR[])`,
	`CREATE TABLE pgc.pg_sequence (seqrelid INTEGER, seqtypid INTEGER, seqstart BIGINT, seqincrement BIGINT)`,
	`CREATE TABLE pgc.pg_cast (oid INTEGER, castsource INTEGER, casttarget INTEGER, castfunc INTEGER, castcontext VARCHAR, castmethod VARCHAR)`,
	`CREATE TABLE pgc.pg_operator (oid INTEGER, oprname VARCHAR, oprnamespace INTEGER, oprleft INTEGER, oprright INTEGER, oprresult INTEGER)`,
	`CREATE TABLE pgc.pg_language (oid INTEGER, lanname VARCHAR, lanowner INTEGER, lanispl BOOLEAN, lanpltrusted BOOLEAN)`,
	`CREATE TABLE pgc.pg_event_trigger (oid INTEGER, evtname VARCHAR, evtevent VARCHAR, evtenabled VARCHAR)`,
	`CREATE TABLE pgc.pg_stat_activity (datid INTEGER, datname VARCHAR, pid INTEGER, usename VARCHAR,
		application_name VARCHAR, state VARCHAR, query VARCHAR)`,
	`CREATE TABLE pgc.pg_shdescription (objoid INTEGER, classoid INTEGER, description VARCHAR)`,
	`CREATE VIEW pgc.pg_tables AS SELECT n.nspname AS schemaname, c.relname AS tablename, 'mesh' AS tableowner,
		CAST(NULL AS VARCHAR) AS tablespace, c.relhasindex AS hasindexes, false AS hasrules, false AS hastriggers,
		false AS rowsecurity FROM pgc.pg_class c JOIN pgc.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'`,
	`CREATE VIEW pgc.pg_stat_user_tables AS SELECT c.oid AS relid, n.nspname AS schemaname, c.relname,
		CAST(0 AS BIGINT) AS seq_scan, CAST(0 AS BIGINT) AS n_live_tup, CAST(0 AS BIGINT) AS n_dead_tup,
		CAST(NULL AS TIMESTAMPTZ) AS last_analyze, CAST(NULL AS TIMESTAMPTZ) AS last_autoanalyze
		FROM pgc.pg_class c JOIN pgc.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
	`CREATE VIEW pgc.pg_stat_all_tables AS SELECT * FROM pgc.pg_stat_user_tables`,
	`CREATE VIEW pgc.pg_views AS SELECT CAST(NULL AS VARCHAR) AS schemaname, CAST(NULL AS VARCHAR) AS viewname,
		CAST(NULL AS VARCHAR) AS viewowner, CAST(NULL AS VARCHAR) AS definition WHERE false`,
	`CREATE VIEW pgc.pg_matviews AS SELECT CAST(NULL AS VARCHAR) AS schemaname, CAST(NULL AS VARCHAR) AS matviewname,
		CAST(NULL AS VARCHAR) AS matviewowner, CAST(NULL AS VARCHAR) AS definition WHERE false`,
	`CREATE VIEW pgc.pg_indexes AS SELECT n.nspname AS schemaname, t.relname AS tablename, c.relname AS indexname,
		CAST(NULL AS VARCHAR) AS tablespace, i.mesh_def AS indexdef FROM pgc.pg_index i
		JOIN pgc.pg_class c ON c.oid = i.indexrelid JOIN pgc.pg_class t ON t.oid = i.indrelid
		JOIN pgc.pg_namespace n ON n.oid = t.relnamespace`,

	// information_schema
	`CREATE TABLE pgi.mesh_columns (table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR,
		ordinal_position INTEGER, column_default VARCHAR, is_nullable VARCHAR, data_type VARCHAR,
		character_maximum_length INTEGER, numeric_precision INTEGER, numeric_precision_radix INTEGER,
		numeric_scale INTEGER, datetime_precision INTEGER, udt_name VARCHAR, description VARCHAR)`,
	`CREATE VIEW pgi.schemata AS SELECT 'mesh' AS catalog_name, nspname AS schema_name, 'mesh' AS schema_owner,
		CAST(NULL AS VARCHAR) AS default_character_set_catalog, CAST(NULL AS VARCHAR) AS default_character_set_schema,
		CAST(NULL AS VARCHAR) AS default_character_set_name, CAST(NULL AS VARCHAR) AS sql_path FROM pgc.pg_namespace`,
	`CREATE VIEW pgi.tables AS SELECT 'mesh' AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
		CASE WHEN n.nspname IN ('pg_catalog', 'information_schema') THEN 'VIEW' ELSE 'BASE TABLE' END AS table_type,
		CAST(NULL AS VARCHAR) AS self_referencing_column_name, CAST(NULL AS VARCHAR) AS reference_generation,
		CAST(NULL AS VARCHAR) AS user_defined_type_catalog, CAST(NULL AS VARCHAR) AS user_defined_type_schema,
		CAST(NULL AS VARCHAR) AS user_defined_type_name, 'NO' AS is_insertable_into, 'NO' AS is_typed,
		CAST(NULL AS VARCHAR) AS commit_action
		FROM pgc.pg_class c JOIN pgc.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v')`,
	`CREATE VIEW pgi.columns AS SELECT 'mesh' AS table_catalog, table_schema, table_name, column_name,
		ordinal_position, column_default, is_nullable, data_type, character_maximum_length,
		CAST(NULL AS INTEGER) AS character_octet_length, numeric_precision, numeric_precision_radix, numeric_scale,
		datetime_precision, CAST(NULL AS VARCHAR) AS interval_type, CAST(NULL AS INTEGER) AS interval_precision,
		CAST(NULL AS VARCHAR) AS character_set_catalog, CAST(NULL AS VARCHAR) AS character_set_schema,
		CAST(NULL AS VARCHAR) AS character_set_name, CAST(NULL AS VARCHAR) AS collation_catalog,
		CAST(NULL AS VARCHAR) AS collation_schema, CAST(NULL AS VARCHAR) AS collation_name,
		CAST(NULL AS VARCHAR) AS domain_catalog, CAST(NULL AS VARCHAR) AS domain_schema,
		CAST(NULL AS VARCHAR) AS domain_name, 'mesh' AS udt_catalog, 'pg_catalog' AS udt_schema, udt_name,
		CAST(NULL AS VARCHAR) AS scope_catalog, CAST(NULL AS VARCHAR) AS scope_schema, CAST(NULL AS VARCHAR) AS scope_name,
		CAST(NULL AS INTEGER) AS maximum_cardinality, CAST(ordinal_position AS VARCHAR) AS dtd_identifier,
		'NO' AS is_self_referencing, 'NO' AS is_identity, CAST(NULL AS VARCHAR) AS identity_generation,
		CAST(NULL AS VARCHAR) AS identity_start, CAST(NULL AS VARCHAR) AS identity_increment,
		CAST(NULL AS VARCHAR) AS identity_maximum, CAST(NULL AS VARCHAR) AS identity_minimum,
		CAST(NULL AS VARCHAR) AS identity_cycle, 'NEVER' AS is_generated, CAST(NULL AS VARCHAR) AS generation_expression,
		'NO' AS is_updatable FROM pgi.mesh_columns`,
	`CREATE VIEW pgi.views AS SELECT CAST(NULL AS VARCHAR) AS table_catalog, CAST(NULL AS VARCHAR) AS table_schema,
		CAST(NULL AS VARCHAR) AS table_name, CAST(NULL AS VARCHAR) AS view_definition WHERE false`,
	`CREATE VIEW pgi.table_constraints AS SELECT 'mesh' AS constraint_catalog, n.nspname AS constraint_schema,
		k.conname AS constraint_name, 'mesh' AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
		'PRIMARY KEY' AS constraint_type, 'NO' AS is_deferrable, 'NO' AS initially_deferred, 'YES' AS enforced
		FROM pgc.pg_constraint k JOIN pgc.pg_class c ON c.oid = k.conrelid JOIN pgc.pg_namespace n ON n.oid = c.relnamespace`,
	`CREATE VIEW pgi.key_column_usage AS SELECT 'mesh' AS constraint_catalog, n.nspname AS constraint_schema,
		k.conname AS constraint_name, 'mesh' AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
		a.attname AS column_name, CAST(list_position(k.conkey, a.attnum) AS INTEGER) AS ordinal_position,
		CAST(NULL AS INTEGER) AS position_in_unique_constraint
		FROM pgc.pg_constraint k JOIN pgc.pg_class c ON c.oid = k.conrelid JOIN pgc.pg_namespace n ON n.oid = c.relnamespace
		JOIN pgc.pg_attribute a ON a.attrelid = c.oid AND list_contains(k.conkey, a.attnum)`,
	`CREATE VIEW pgi.routines AS SELECT CAST(NULL AS VARCHAR) AS specific_name, CAST(NULL AS VARCHAR) AS routine_schema,
		CAST(NULL AS VARCHAR) AS routine_name, CAST(NULL AS VARCHAR) AS routine_type WHERE false`,
	`CREATE VIEW pgi.referential_constraints AS SELECT CAST(NULL AS VARCHAR) AS constraint_catalog,
		CAST(NULL AS VARCHAR) AS constraint_schema, CAST(NULL AS VARCHAR) AS constraint_name WHERE false`,
}

// macroDDL creates the functions PostgreSQL has and DuckDB lacks (or has
// with another meaning), in schema pgc. The rewriter sends calls of these
// names, qualified with pg_catalog or not, here.
var macroDDL = []string{
	`CREATE MACRO pgc.mesh_readonly(p) AS regexp_matches(upper(p), 'SELECT|USAGE|CONNECT|REFERENCES')`,
	`CREATE MACRO pgc.pg_get_userbyid(o) AS 'mesh'`,
	`CREATE MACRO pgc.pg_table_is_visible(o) AS true`,
	`CREATE MACRO pgc.pg_type_is_visible(o) AS true`,
	`CREATE MACRO pgc.pg_function_is_visible(o) AS true`,
	`CREATE MACRO pgc.pg_collation_is_visible(o) AS true`,
	`CREATE MACRO pgc.format_type(t, m) AS ` + formatTypeSQL(),
	`CREATE MACRO pgc.pg_get_expr(e, r) AS e, (e, r, p) AS e`,
	`CREATE MACRO pgc.pg_get_indexdef(i) AS (SELECT mesh_def FROM pgc.pg_index WHERE indexrelid = i),
		(i, c, p) AS (SELECT mesh_def FROM pgc.pg_index WHERE indexrelid = i)`,
	`CREATE MACRO pgc.pg_get_constraintdef(o) AS (SELECT mesh_def FROM pgc.pg_constraint WHERE oid = o),
		(o, p) AS (SELECT mesh_def FROM pgc.pg_constraint WHERE oid = o)`,
	`CREATE MACRO pgc.pg_get_viewdef(o) AS CAST(NULL AS VARCHAR), (o, p) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.pg_get_function_result(o) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.pg_get_function_arguments(o) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.pg_get_function_identity_arguments(o) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.pg_get_statisticsobjdef_columns(o) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.pg_get_triggerdef(o) AS CAST(NULL AS VARCHAR), (o, p) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.pg_get_ruledef(o) AS CAST(NULL AS VARCHAR), (o, p) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.pg_get_partkeydef(o) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.pg_get_serial_sequence(t, c) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.pg_relation_is_publishable(o) AS false`,
	`CREATE MACRO pgc.pg_encoding_to_char(e) AS 'UTF8'`,
	`CREATE MACRO pgc.pg_char_to_encoding(e) AS 6`,
	`CREATE MACRO pgc.getdatabaseencoding() AS 'UTF8'`,
	`CREATE MACRO pgc.pg_client_encoding() AS 'UTF8'`,
	`CREATE MACRO pgc.pg_backend_pid() AS 1`,
	`CREATE MACRO pgc.pg_is_in_recovery() AS false`,
	`CREATE MACRO pgc.txid_current() AS CAST(1 AS BIGINT)`,
	`CREATE MACRO pgc.inet_server_addr() AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.inet_server_port() AS CAST(NULL AS INTEGER)`,
	`CREATE MACRO pgc.pg_relation_size(o) AS CAST(0 AS BIGINT), (o, f) AS CAST(0 AS BIGINT)`,
	`CREATE MACRO pgc.pg_total_relation_size(o) AS CAST(0 AS BIGINT)`,
	`CREATE MACRO pgc.pg_table_size(o) AS CAST(0 AS BIGINT)`,
	`CREATE MACRO pgc.pg_indexes_size(o) AS CAST(0 AS BIGINT)`,
	`CREATE MACRO pgc.pg_database_size(o) AS CAST(0 AS BIGINT)`,
	`CREATE MACRO pgc.pg_size_pretty(n) AS CAST(n AS VARCHAR) || ' bytes'`,
	`CREATE MACRO pgc.col_description(r, n) AS (SELECT description FROM pgc.pg_description WHERE objoid = r AND objsubid = n)`,
	`CREATE MACRO pgc.obj_description(o) AS (SELECT description FROM pgc.pg_description WHERE objoid = o AND objsubid = 0),
		(o, c) AS (SELECT description FROM pgc.pg_description WHERE objoid = o AND objsubid = 0)`,
	`CREATE MACRO pgc.shobj_description(o, c) AS CAST(NULL AS VARCHAR)`,
	`CREATE MACRO pgc.has_table_privilege(t, p) AS pgc.mesh_readonly(p), (u, t, p) AS pgc.mesh_readonly(p)`,
	`CREATE MACRO pgc.has_column_privilege(t, c, p) AS pgc.mesh_readonly(p), (u, t, c, p) AS pgc.mesh_readonly(p)`,
	`CREATE MACRO pgc.has_schema_privilege(s, p) AS pgc.mesh_readonly(p), (u, s, p) AS pgc.mesh_readonly(p)`,
	`CREATE MACRO pgc.has_database_privilege(d, p) AS pgc.mesh_readonly(p), (u, d, p) AS pgc.mesh_readonly(p)`,
	`CREATE MACRO pgc.has_any_column_privilege(t, p) AS pgc.mesh_readonly(p), (u, t, p) AS pgc.mesh_readonly(p)`,
	`CREATE MACRO pgc.pg_has_role(r, p) AS false, (u, r, p) AS false`,
	`CREATE MACRO pgc.current_schemas(b) AS CASE WHEN b THEN ['pg_catalog'] ELSE CAST([] AS VARCHAR[]) END`,
	`CREATE MACRO pgc.current_setting(n) AS (SELECT setting FROM pgc.pg_settings WHERE name = lower(n)),
		(n, m) AS (SELECT setting FROM pgc.pg_settings WHERE name = lower(n))`,
	`CREATE MACRO pgc.set_config(n, v, l) AS v`,
	`CREATE MACRO pgc.array_upper(a, d) AS CASE WHEN len(a) = 0 THEN NULL ELSE len(a) END`,
	`CREATE MACRO pgc.array_lower(a, d) AS CASE WHEN len(a) = 0 THEN NULL ELSE 1 END`,
	`CREATE MACRO pgc.quote_ident(s) AS CASE WHEN regexp_full_match(s, '[a-z_][a-z0-9_$]*') THEN s
		ELSE '"' || replace(s, '"', '""') || '"' END`,
	`CREATE MACRO pgc.mesh_regclass(x) AS CASE WHEN TRY_CAST(x AS INTEGER) IS NOT NULL THEN TRY_CAST(x AS INTEGER) ELSE
		(SELECT c.oid FROM pgc.pg_class c JOIN pgc.pg_namespace n ON n.oid = c.relnamespace
		 WHERE c.relname = x OR n.nspname || '.' || c.relname = x OR '"' || n.nspname || '".' || c.relname = x
		    OR '"' || n.nspname || '"."' || c.relname || '"' = x
		 ORDER BY n.nspname <> 'pg_catalog', c.oid LIMIT 1) END`,
	`CREATE MACRO pgc.mesh_regtype(x) AS CASE WHEN TRY_CAST(x AS INTEGER) IS NOT NULL THEN TRY_CAST(x AS INTEGER) ELSE
		(SELECT oid FROM pgc.pg_type WHERE typname = x OR pgc.format_type(oid, -1) = x LIMIT 1) END`,
	`CREATE MACRO pgc.mesh_regnamespace(x) AS CASE WHEN TRY_CAST(x AS INTEGER) IS NOT NULL THEN TRY_CAST(x AS INTEGER) ELSE
		(SELECT oid FROM pgc.pg_namespace WHERE nspname = x LIMIT 1) END`,
	`CREATE MACRO pgc.mesh_regproc(x) AS regexp_replace(x, '^pg_catalog\.', '')`,
	`CREATE MACRO pgc.to_regclass(x) AS pgc.mesh_regclass(x)`,
	`CREATE MACRO pgc.to_regtype(x) AS pgc.mesh_regtype(x)`,
	`CREATE MACRO pgi._pg_expandarray(arr) AS unnest(list_transform(range(1, len(arr) + 1), i -> {'x': arr[i], 'n': i}))`,
}

// macroNames are the functions created by macroDDL in pgc: a call of one of
// these names goes to the stand-in rather than to DuckDB's built-in.
var macroNames = map[string]bool{}

func init() {
	for _, s := range macroDDL {
		if name, ok := macroName(s); ok {
			macroNames[name] = true
		}
	}
}

// macroName reads the name of CREATE MACRO pgc.name(...).
func macroName(s string) (string, bool) {
	const p = "CREATE MACRO pgc."
	if len(s) <= len(p) || s[:len(p)] != p {
		return "", false
	}
	rest := s[len(p):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == '(' {
			return rest[:i], true
		}
	}
	return "", false
}
