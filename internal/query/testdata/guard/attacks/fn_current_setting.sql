SELECT current_setting('allowed_directories')
