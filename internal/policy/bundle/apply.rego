# Apply-time rules. The input is
#   {"principal": {...}, "products": [ODPS product, ...], "contracts": [ODCS contract, ...]}
# with every document exactly as written plus "_mesh": {"domain": ..., "product": ...}.
package meshwork.apply

import data.meshwork.config
import data.meshwork.lib

# Note: `not f(x.y)` is false, not true, when x.y is undefined (OPA evaluates
# the argument outside the negation): optional fields are read with object.get.

# product.owner_required: a product names its owning team (ODPS team.name).
deny contains d if {
	some p in input.products
	not lib.has_text(object.get(p, ["team", "name"], null))
	obj := lib.product_id(p)
	d := {
		"rule": "product.owner_required",
		"object": obj,
		"message": sprintf("%s has no owner: set team.name", [obj]),
	}
}

# product.description_required: a product says what it is for (ODPS description.purpose).
deny contains d if {
	some p in input.products
	not lib.has_text(object.get(p, ["description", "purpose"], null))
	obj := lib.product_id(p)
	d := {
		"rule": "product.description_required",
		"object": obj,
		"message": sprintf("%s has no description: set description.purpose", [obj]),
	}
}

# pii.classification_required: a column whose name looks personal carries a classification.
deny contains d if {
	some c in input.contracts
	some table in c.schema
	some column in table.properties
	looks_personal(column.name)
	not lib.has_text(object.get(column, "classification", null))
	obj := concat(".", [lib.domain_of(c), lib.product_of(c), table.name, column.name])
	d := {
		"rule": "pii.classification_required",
		"object": obj,
		"message": sprintf("%s has no classification", [obj]),
	}
}

# looks_personal holds for a column name matching one of the patterns of
# data.meshwork.config.personal_column_patterns (RE2, on the lower-cased name).
# An invalid pattern matches nothing: the Rego tests check every pattern.
looks_personal(name) if {
	some pattern in config.personal_column_patterns
	regex.match(pattern, lower(name))
}

# sla.active_requires_sla: an active product's contracts declare how fresh the
# data is (latency or frequency) and how long it is kept (retention).
deny contains d if {
	some p in input.products
	active(p)
	not declares_sla(p, {"latency", "frequency"})
	obj := lib.product_id(p)
	d := {
		"rule": "sla.active_requires_sla",
		"object": obj,
		"message": sprintf("%s is active but its contracts declare no latency or frequency slaProperty", [obj]),
	}
}

deny contains d if {
	some p in input.products
	active(p)
	not declares_sla(p, {"retention"})
	obj := lib.product_id(p)
	d := {
		"rule": "sla.active_requires_sla",
		"object": obj,
		"message": sprintf("%s is active but its contracts declare no retention slaProperty", [obj]),
	}
}

active(p) if lower(p.status) == "active"

# declares_sla holds when one of the product's contracts in the input has an
# slaProperty named one of names.
declares_sla(p, names) if {
	some c in input.contracts
	lib.product_id(c) == lib.product_id(p)
	some sla in c.slaProperties
	lower(sla.property) in names
}
