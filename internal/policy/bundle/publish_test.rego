package meshwork.publish_test

import data.meshwork.publish

base := {
	"table": {"domain": "sales", "product": "orders", "name": "payments"},
	"mode": "append",
	"rows": 100,
	"columns": [
		{"name": "id", "type": "BIGINT"},
		{"name": "card_number", "type": "VARCHAR", "classification": "card_number"},
	],
	"stats": {"card_number": {"nulls": 0, "notHashed": 0}},
}

test_hashed_card_numbers_pass if {
	count(publish.deny) == 0 with input as base
}

test_unhashed_card_numbers_denied if {
	publish.deny == {{
		"rule": "pii.card_number_hashed",
		"object": "sales.orders.payments.card_number",
		"message": "sales.orders.payments.card_number: 12 values are not hashed",
	}} with input as object.union(base, {"stats": {"card_number": {"nulls": 0, "notHashed": 12}}})
}

test_one_unhashed_value_denied if {
	some d in publish.deny with input as object.union(base, {"stats": {"card_number": {"notHashed": 1}}})
	d.message == "sales.orders.payments.card_number: 1 value is not hashed"
}

test_pci_classification_denied if {
	doc := object.union(base, {
		"columns": [{"name": "pan", "type": "VARCHAR", "classification": "PCI"}],
		"stats": {"pan": {"notHashed": 3}},
	})
	some d in publish.deny with input as doc
	d.object == "sales.orders.payments.pan"
}

test_unmeasured_column_denied if {
	some d in publish.deny with input as object.remove(base, ["stats"])
	d.rule == "pii.card_number_hashed"
	d.object == "sales.orders.payments.card_number"
}

test_unmeasured_empty_publish_passes if {
	count(publish.deny) == 0 with input as object.union(object.remove(base, ["stats"]), {"rows": 0})
}

test_other_classifications_not_checked if {
	doc := object.union(base, {
		"columns": [{"name": "email", "type": "VARCHAR", "classification": "pii"}],
		"stats": {"email": {"notHashed": 100}},
	})
	count(publish.deny) == 0 with input as doc
}

test_measure_only_hashed_classifications if {
	publish.measure == {"card"} with input as {
		"columns": [
			{"name": "card", "classification": "card_number"},
			{"name": "email", "classification": "pii"},
			{"name": "price", "classification": "confidential"},
		],
	}
}
