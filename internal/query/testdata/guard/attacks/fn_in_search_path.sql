SELECT in_search_path('memory', '__mesh')
