SELECT * FROM temp.main.x
