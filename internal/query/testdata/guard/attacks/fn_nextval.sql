SELECT nextval('s')
