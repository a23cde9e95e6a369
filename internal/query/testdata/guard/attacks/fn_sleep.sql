SELECT sleep_ms(100000)
