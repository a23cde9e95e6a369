SELECT pg_catalog.current_database()
