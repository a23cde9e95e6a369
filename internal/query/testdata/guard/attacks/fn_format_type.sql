SELECT format_type(1, 1)
