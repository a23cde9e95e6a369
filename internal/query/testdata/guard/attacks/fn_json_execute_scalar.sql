SELECT json_execute_serialized_sql('x')
