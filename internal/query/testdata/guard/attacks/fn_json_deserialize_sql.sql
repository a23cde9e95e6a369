SELECT json_deserialize_sql('{}')
