-- what drivers and BI tools ask on connect
SELECT version(), current_database(), current_schema(), current_user, session_user, pg_catalog.current_setting('server_version'), pg_catalog.set_config('search_path', '', false)
