package meshwork.query_test

import data.meshwork.query

columns := [
	{"name": "c_custkey", "type": "INTEGER", "classification": "internal"},
	{"name": "c_phone", "type": "VARCHAR", "classification": "pii"},
	{"name": "c_acctbal", "type": "DECIMAL(15,2)", "classification": "confidential"},
	{"name": "secret_note", "type": "VARCHAR", "classification": "secret"},
	{"name": "ssn", "type": "VARCHAR", "classification": "restricted"},
	{"name": "card", "type": "VARCHAR", "classification": "card_number"},
	{"name": "pan", "type": "VARCHAR", "classification": "pci"},
	{"name": "c_comment", "type": "VARCHAR"},
]

reader := {"name": "bob", "groups": [], "attrs": {}, "unmask": false, "admin": false}

test_masks_by_classification if {
	query.decision.masks == {
		"c_phone": "hash",
		"secret_note": "null",
		"ssn": "redact",
		"card": "partial",
		"pan": "partial",
	} with input as {"principal": reader, "columns": columns}
}

test_unmask_sees_clear_values if {
	query.decision.masks == {} with input as {"principal": object.union(reader, {"unmask": true}), "columns": columns}
}

test_admin_sees_clear_values if {
	query.decision.masks == {} with input as {"principal": object.union(reader, {"admin": true}), "columns": columns}
}

test_masking_method_overrides if {
	cols := [
		{"name": "c_phone", "classification": "pii", "customProperties": {"maskingMethod": "redact"}},
		{"name": "note", "classification": "internal", "customProperties": {"maskingMethod": "null"}},
		{"name": "c_name", "classification": "pii", "customProperties": {"maskingMethod": "bogus"}},
		{"name": "c_acctbal", "classification": "confidential", "customProperties": {"maskingMethod": "partial"}},
	]
	query.decision.masks == {"c_phone": "redact", "note": "null", "c_name": "hash", "c_acctbal": "partial"} with input as {"principal": reader, "columns": cols}
}

# Confidential columns (balances, prices) are not in the mask table: they stay
# usable in aggregates. A contract masks one with maskingMethod.
test_confidential_not_masked_by_default if {
	not query.decision.masks.c_acctbal with input as {"principal": reader, "columns": columns}
}

test_mask_table_comes_from_data if {
	query.decision.masks == {"c_custkey": "hash"} with input as {"principal": reader, "columns": columns}
		with data.meshwork.config.masks as {"internal": "hash"}
}

region_columns := [
	{"name": "region", "classification": "internal", "customProperties": {"rowFilterAttribute": "region"}},
	{"name": "amount"},
]

filter := {"column": "region", "values": ["AMER", "EU"], "rule": "rows.attribute_filter"}

test_row_filter_by_attribute if {
	p := object.union(reader, {"attrs": {"region": ["EU", "AMER"]}})
	query.decision.row_filters == {filter} with input as {"principal": p, "columns": region_columns}
}

test_row_filter_applies_with_unmask if {
	p := object.union(reader, {"unmask": true, "attrs": {"region": ["EU", "AMER"]}})
	query.decision.row_filters == {filter} with input as {"principal": p, "columns": region_columns}
}

test_row_filter_bypassed_by_admin if {
	p := object.union(reader, {"admin": true, "attrs": {"region": ["EU"]}})
	query.decision.row_filters == set() with input as {"principal": p, "columns": region_columns}
}

test_no_attribute_no_filter if {
	query.decision.row_filters == set() with input as {"principal": reader, "columns": region_columns}
	p := object.union(reader, {"attrs": {"region": []}})
	query.decision.row_filters == set() with input as {"principal": p, "columns": region_columns}
}

test_nothing_denied_by_default if {
	query.decision.deny == set() with input as {"principal": reader, "columns": columns}
}

test_decision_shape if {
	d := query.decision with input as {"principal": reader, "columns": []}
	d == {"masks": {}, "row_filters": set(), "deny": set()}
}
