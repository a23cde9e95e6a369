SELECT pg_get_viewdef(1)
