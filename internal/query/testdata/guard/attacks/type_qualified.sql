SELECT CAST(1 AS __mesh.secret_type)
