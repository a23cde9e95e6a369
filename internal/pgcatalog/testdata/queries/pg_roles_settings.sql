-- roles, settings and databases
SELECT r.rolname, (SELECT setting FROM pg_settings WHERE name = 'server_version_num') AS v, d.datname FROM pg_catalog.pg_roles r CROSS JOIN pg_catalog.pg_database d
