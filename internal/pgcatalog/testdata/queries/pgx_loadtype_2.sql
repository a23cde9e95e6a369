-- pgx v5 Conn.LoadType: an array type's element
-- arg: 1700
select typelem, typdelim::text from pg_type where oid=$1
