# Query-time decision, for one principal and one table. The input is
#   {"principal": {"name", "groups", "attrs": {attr: [value]}, "unmask", "admin"},
#    "table": {"domain", "product", "name"},
#    "columns": [{"name", "type", "classification", "customProperties": {key: value}}]}
# The platform reads only `decision`.
package meshwork.query

import data.meshwork.config
import data.meshwork.lib

decision := {"masks": masks, "row_filters": row_filters, "deny": deny}

# masks maps a column to its mask method (null, hash, partial, redact). Admins
# and principals holding the unmask right see clear values.
masks[column.name] := method if {
	not input.principal.admin
	not input.principal.unmask
	some column in input.columns
	method := mask_method(column)
}

# The column's customProperty maskingMethod wins; else the method of its
# classification in data.meshwork.config.masks; else the column is not masked.
mask_method(column) := column.customProperties.maskingMethod if {
	column.customProperties.maskingMethod in config.mask_methods
} else := config.masks[lower(column.classification)]

# rows.attribute_filter: a column with customProperty rowFilterAttribute ATTR
# shows a principal only the rows whose value is one of the principal's
# attrs[ATTR]. Only admins bypass it (unmask does not); a principal without
# the attribute is not filtered.
row_filters contains {"column": column.name, "values": sort(values), "rule": "rows.attribute_filter"} if {
	not input.principal.admin
	some column in input.columns
	attr := column.customProperties.rowFilterAttribute
	lib.has_text(attr)
	values := input.principal.attrs[attr]
	count(values) > 0
}

# deny lists why the table may not be read at all. The default bundle denies
# nothing: add rules of the form
#   deny contains {"rule": "...", "object": "domain.product.table", "message": "..."} if { ... }
# This one never matches: it only declares deny for `decision`.
deny contains d if {
	false
	d := {}
}
