SELECT * FROM geo.ref.country UNPIVOT (val FOR col IN (code, name))
