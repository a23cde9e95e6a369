SELECT list_transform([1], x -> current_setting('threads'))
