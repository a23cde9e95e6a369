SELECT getvariable('x')
