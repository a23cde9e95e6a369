SELECT current_query()
