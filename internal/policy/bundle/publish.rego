# Publish-time rules. The input is
#   {"principal", "table": {"domain", "product", "name"}, "mode", "contract": ODCS contract,
#    "columns": [{"name", "type", "classification", "customProperties"}], "rows",
#    "stats": {column: {"nulls", "notHashed"}}}
package meshwork.publish

import data.meshwork.config

# pii.card_number_hashed: a column classified as one of
# data.meshwork.config.hashed_classifications (card_number, pci) arrives hashed.
deny contains d if {
	some column in input.columns
	must_be_hashed(column)
	n := input.stats[column.name].notHashed
	n > 0
	obj := column_id(column)
	d := {
		"rule": "pii.card_number_hashed",
		"object": obj,
		"message": sprintf("%s: %s not hashed", [obj, values(n)]),
	}
}

# Without the statistics the rule cannot be checked: refuse rather than let it pass.
deny contains d if {
	some column in input.columns
	must_be_hashed(column)
	input.rows > 0
	not measured(column.name)
	obj := column_id(column)
	d := {
		"rule": "pii.card_number_hashed",
		"object": obj,
		"message": sprintf("%s: the values were not measured, so they cannot be shown to be hashed", [obj]),
	}
}

measured(name) if is_number(input.stats[name].notHashed)

# measure names the columns whose statistics these rules read: the platform
# measures only those (a regular-expression pass over each value costs time).
measure contains column.name if {
	some column in input.columns
	must_be_hashed(column)
}

must_be_hashed(column) if lower(column.classification) in config.hashed_classifications

column_id(column) := concat(".", [input.table.domain, input.table.product, input.table.name, column.name])

values(1) := "1 value is"

values(n) := sprintf("%d values are", [n]) if n != 1
