SELECT "current_setting"('threads')
