SELECT current_schemas(true)
