package meshwork.apply_test

import data.meshwork.apply

mesh := {"domain": "customers", "product": "crm"}

good_product := {
	"kind": "DataProduct",
	"name": "crm",
	"domain": "customers",
	"status": "active",
	"team": {"name": "Customer Data"},
	"description": {"purpose": "Customer master data."},
	"_mesh": mesh,
}

good_contract := {
	"kind": "DataContract",
	"domain": "customers",
	"dataProduct": "crm",
	"schema": [{"name": "customer", "properties": [
		{"name": "c_custkey", "classification": "internal"},
		{"name": "c_phone", "classification": "pii"},
		{"name": "c_address", "classification": "pii"},
		{"name": "c_comment"},
	]}],
	"slaProperties": [
		{"property": "latency", "value": 1, "unit": "d"},
		{"property": "retention", "value": 7, "unit": "y"},
	],
	"_mesh": mesh,
}

rules(denials) := {d.rule | some d in denials}

test_good_specs_pass if {
	count(apply.deny) == 0 with input as {"products": [good_product], "contracts": [good_contract]}
}

test_empty_input_passes if {
	count(apply.deny) == 0 with input as {}
}

# product.owner_required

test_owner_missing_denied if {
	p := object.remove(good_product, ["team"])
	apply.deny == {{
		"rule": "product.owner_required",
		"object": "customers.crm",
		"message": "customers.crm has no owner: set team.name",
	}} with input as {"products": [p], "contracts": [good_contract]}
}

test_owner_blank_denied if {
	p := object.union(good_product, {"team": {"name": "  "}})
	rules(apply.deny) == {"product.owner_required"} with input as {"products": [p], "contracts": [good_contract]}
}

test_owner_without_mesh_uses_document_names if {
	p := object.remove(good_product, ["team", "_mesh"])
	some d in apply.deny with input as {"products": [p]}
	d.rule == "product.owner_required"
	d.object == "customers.crm"
}

# product.description_required

test_description_missing_denied if {
	p := object.remove(good_product, ["description"])
	apply.deny == {{
		"rule": "product.description_required",
		"object": "customers.crm",
		"message": "customers.crm has no description: set description.purpose",
	}} with input as {"products": [p], "contracts": [good_contract]}
}

test_description_without_purpose_denied if {
	p := object.union(object.remove(good_product, ["description"]), {"description": {"usage": "SELECT 1"}})
	rules(apply.deny) == {"product.description_required"} with input as {"products": [p], "contracts": [good_contract]}
}

# pii.classification_required

contract_with(column) := object.union(good_contract, {"schema": [{"name": "customer", "properties": [column]}]})

test_personal_column_without_classification_denied if {
	c := contract_with({"name": "c_phone"})
	apply.deny == {{
		"rule": "pii.classification_required",
		"object": "customers.crm.customer.c_phone",
		"message": "customers.crm.customer.c_phone has no classification",
	}} with input as {"products": [good_product], "contracts": [c]}
}

test_personal_column_with_empty_classification_denied if {
	c := contract_with({"name": "c_phone", "classification": ""})
	rules(apply.deny) == {"pii.classification_required"} with input as {"contracts": [c]}
}

test_personal_names if {
	every name in [
		"email", "E_Mail", "customer_email", "mail", "mail_to", "phone", "c_phone", "mobile", "fax",
		"address", "s_address", "street", "zip", "zip_code", "zipcode", "postcode", "post_code", "ssn",
		"national_id", "nin", "passport", "passport_no", "tax_id", "taxid", "card_number", "cardnumber",
		"credit_card", "cc_num", "cc_number", "pan",
	] {
		apply.looks_personal(name)
	}
}

test_patterns_are_valid if {
	count(data.meshwork.config.personal_column_patterns) > 0
	every pattern in data.meshwork.config.personal_column_patterns {
		regex.is_valid(pattern)
	}
}

test_impersonal_names if {
	every name in [
		"c_custkey", "c_name", "company", "span", "dining", "automobile", "zipper_size", "domain",
		"c_comment", "p_container", "l_shipmode", "snapshot",
	] {
		not apply.looks_personal(name)
	}
}

test_impersonal_column_without_classification_passes if {
	c := contract_with({"name": "c_comment"})
	count(apply.deny) == 0 with input as {"products": [good_product], "contracts": [c]}
}

test_patterns_come_from_data if {
	c := contract_with({"name": "c_comment"})
	rules(apply.deny) == {"pii.classification_required"} with input as {"contracts": [c]}
		with data.meshwork.config.personal_column_patterns as ["comment"]
}

# sla.active_requires_sla

test_active_without_retention_denied if {
	c := object.union(good_contract, {"slaProperties": [{"property": "frequency", "value": 1, "unit": "d"}]})
	apply.deny == {{
		"rule": "sla.active_requires_sla",
		"object": "customers.crm",
		"message": "customers.crm is active but its contracts declare no retention slaProperty",
	}} with input as {"products": [good_product], "contracts": [c]}
}

test_active_without_freshness_denied if {
	c := object.union(good_contract, {"slaProperties": [{"property": "retention", "value": 1, "unit": "y"}]})
	apply.deny == {{
		"rule": "sla.active_requires_sla",
		"object": "customers.crm",
		"message": "customers.crm is active but its contracts declare no latency or frequency slaProperty",
	}} with input as {"products": [good_product], "contracts": [c]}
}

test_active_without_contracts_denied if {
	count(apply.deny) == 2 with input as {"products": [good_product], "contracts": []}
}

test_active_sla_of_another_product_does_not_count if {
	other := object.union(good_contract, {"_mesh": {"domain": "sales", "product": "orders"}})
	count(apply.deny) == 2 with input as {"products": [good_product], "contracts": [other]}
}

test_sla_spread_over_contracts_passes if {
	a := object.union(good_contract, {"slaProperties": [{"property": "Frequency", "value": 1}]})
	b := object.union(good_contract, {"slaProperties": [{"property": "retention", "value": 1}]})
	count(apply.deny) == 0 with input as {"products": [good_product], "contracts": [a, b]}
}

test_draft_without_sla_passes if {
	p := object.union(good_product, {"status": "draft"})
	c := object.remove(good_contract, ["slaProperties"])
	count(apply.deny) == 0 with input as {"products": [p], "contracts": [c]}
}
