-- pgx v5 Conn.LoadType: the kind of a type
-- arg: 1700
select typtype::text, typbasetype from pg_type where oid=$1
