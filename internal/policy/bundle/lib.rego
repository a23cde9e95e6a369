# Helpers shared by the decision points. Not a decision point itself.
package meshwork.lib

# has_text holds for a string that is not blank.
has_text(x) if {
	is_string(x)
	trim_space(x) != ""
}

# domain_of is the domain of a product or contract: the "_mesh" the platform
# adds, else the document's own `domain`.
domain_of(doc) := doc._mesh.domain if {
	has_text(doc._mesh.domain)
} else := doc.domain if {
	has_text(doc.domain)
} else := "unknown"

# product_of is the product a document belongs to: the "_mesh" the platform
# adds, else a product's `name` or a contract's `dataProduct`.
product_of(doc) := doc._mesh.product if {
	has_text(doc._mesh.product)
} else := doc.name if {
	doc.kind == "DataProduct"
	has_text(doc.name)
} else := doc.dataProduct if {
	has_text(doc.dataProduct)
} else := "unknown"

# product_id is "domain.product".
product_id(doc) := concat(".", [domain_of(doc), product_of(doc)])
