SELECT * FROM memory.main.x
