SELECT system.main.abs(1)
