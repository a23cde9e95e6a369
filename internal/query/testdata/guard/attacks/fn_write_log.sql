SELECT write_log('x')
