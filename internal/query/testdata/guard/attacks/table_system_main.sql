SELECT * FROM system.main.x
