SELECT json_serialize_plan('SELECT 1')
