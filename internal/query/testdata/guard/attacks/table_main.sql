SELECT * FROM main.x
