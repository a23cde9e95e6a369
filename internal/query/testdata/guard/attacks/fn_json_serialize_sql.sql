SELECT json_serialize_sql('SELECT 1')
