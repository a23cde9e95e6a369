SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))
