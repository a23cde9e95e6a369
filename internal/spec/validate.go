package spec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// check validates one document and, if it has no errors, returns its typed
// view. Meshwork's rules run even when the schema failed, so one run reports
// everything; a rule finding at or under a path the schema already rejected
// is dropped, as it would only repeat the same problem.
func (d *document) check() (*Product, *Contract) {
	k, present := d.data["kind"]
	switch {
	case !present:
		d.errorf("", "missing \"kind\": want %q or %q", KindDataProduct, KindDataContract)
		return nil, nil
	case k != KindDataProduct && k != KindDataContract:
		shown := fmt.Sprint(k)
		if s, ok := k.(string); ok {
			shown = strconv.Quote(s)
		}
		d.errorf("/kind", "unknown kind %s: want %q or %q", shown, KindDataProduct, KindDataContract)
		return nil, nil
	}
	kind := k.(string)
	d.validateSchema(kind)
	schemaFindings := len(d.diags)
	var p *Product
	var c *Contract
	if kind == KindDataProduct {
		p = buildProduct(d.data)
		d.checkProduct(p)
	} else {
		c = buildContract(d.data)
		d.checkContract(c)
	}
	d.dropRepeats(schemaFindings)
	if d.hasErrors() {
		return nil, nil
	}
	doc := Doc{node: d.node, data: d.data}
	warnings := append([]Diagnostic(nil), d.diags...)
	sortDiagnostics(warnings)
	if p != nil {
		p.Doc, p.Warnings = doc, warnings
		return p, nil
	}
	c.Doc, c.Warnings = doc, warnings
	return nil, c
}

// dropRepeats removes rule findings (those after index n) that sit at or
// under a path where the schema reported an error.
func (d *document) dropRepeats(n int) {
	var bad []string
	for _, x := range d.diags[:n] {
		if x.Severity == SeverityError {
			bad = append(bad, x.Path)
		}
	}
	if len(bad) == 0 {
		return
	}
	kept := d.diags[:n]
	for _, x := range d.diags[n:] {
		repeat := false
		for _, b := range bad {
			if x.Path == b || strings.HasPrefix(x.Path, b+"/") || (b == "" && x.Path == "") {
				repeat = true
				break
			}
		}
		if !repeat {
			kept = append(kept, x)
		}
	}
	d.diags = kept
}

func (d *document) checkName(path, what, value string) {
	if p := nameProblem(value); p != "" {
		d.errorf(path, "%s", nameMessage(what, value, p))
	}
}

func (d *document) checkDomain(path, value string) {
	d.checkName(path, "domain", value)
	if ReservedDomain(value) {
		d.errorf(path, "%s", reservedMessage(value))
	}
}

func (d *document) checkProduct(p *Product) {
	// The product's name and domain become its address domain.product.
	if _, ok := d.data["name"]; !ok {
		d.errorf("", "missing \"name\": a product needs a name, its address in the mesh (lower-case letters, digits and _)")
	} else {
		d.checkName("/name", "name", p.Name)
	}
	if _, ok := d.data["domain"]; !ok {
		d.errorf("", "missing \"domain\": a product needs the domain that owns it (lower-case letters, digits and _)")
	} else {
		d.checkDomain("/domain", p.Domain)
	}
}

func (d *document) checkContract(c *Contract) {
	if _, ok := d.data["domain"]; ok {
		d.checkDomain("/domain", c.Domain)
	}
	if _, ok := d.data["dataProduct"]; ok {
		d.checkName("/dataProduct", "dataProduct", c.DataProduct)
	}
	if len(c.Schema) == 0 {
		path := ""
		if _, ok := d.data["schema"]; ok {
			path = "/schema"
		}
		d.errorf(path, "a contract needs at least one schema object (a table) with at least one property (a column)")
		return
	}
	tables := map[string]string{}
	for _, o := range c.Schema {
		d.checkName(o.Path+"/name", "table name", o.Name)
		if first, dup := tables[o.Name]; dup && o.Name != "" {
			d.errorf(o.Path+"/name", "duplicate table name %q (first at %s)", o.Name, first)
		} else {
			tables[o.Name] = o.Path
		}
		if len(o.Properties) == 0 {
			d.errorf(o.Path, "table %q has no properties: a table needs at least one column", o.Name)
		}
		d.checkColumns(o.Properties, "column")
		d.checkPositions(o)
		d.checkRules(o.Quality)
	}
}

// checkColumns checks one level of columns or nested fields.
func (d *document) checkColumns(ps []Property, what string) {
	names := map[string]string{}
	for _, p := range ps {
		d.checkName(p.Path+"/name", what+" name", p.Name)
		if first, dup := names[p.Name]; dup && p.Name != "" {
			d.errorf(p.Path+"/name", "duplicate %s name %q (first at %s)", what, p.Name, first)
		} else {
			names[p.Name] = p.Path
		}
		d.checkProperty(p)
	}
}

func (d *document) checkProperty(p Property) {
	raw, _ := valueAt(d.data, p.Path).(map[string]any)
	label := "column"
	if p.Name != "" {
		label = fmt.Sprintf("column %q", p.Name)
	} else if strings.HasSuffix(p.Path, "/items") {
		label = "array items"
	}
	_, declared := raw["logicalType"]
	switch {
	case !declared && p.LogicalType == "":
		d.errorf(p.Path, "%s has no logicalType: say its type (Meshwork never guesses one)", label)
	case declared && !ValidLogicalType(p.LogicalType):
		d.errorf(p.Path+"/logicalType", "logicalType %q is not an ODCS logical type: want one of string, date, timestamp, time, number, integer, object, array, boolean", p.LogicalType)
	}
	if _, ok := raw["physicalType"]; ok && declared {
		if pt, ok := ParsePhysicalType(p.PhysicalType); !ok {
			d.warnf(p.Path+"/physicalType", "physicalType %q is not one Meshwork interprets: the column is stored as its logicalType %q", p.PhysicalType, p.LogicalType)
		} else if ValidLogicalType(p.LogicalType) && !typesAgree(p.LogicalType, pt.Logical) {
			d.errorf(p.Path+"/physicalType", "physicalType %q stores a %s, which does not agree with logicalType %q", p.PhysicalType, pt.Logical, p.LogicalType)
		}
	}
	d.checkTypeOptions(p)
	switch p.LogicalType {
	case "array":
		if p.Items == nil {
			d.errorf(p.Path, "%s is an array but has no items: say the element type", label)
		} else {
			d.checkProperty(*p.Items)
		}
	case "object":
		if len(p.Properties) == 0 {
			d.errorf(p.Path, "%s is an object but has no properties: say its fields", label)
		}
		d.checkColumns(p.Properties, "field")
	}
	if p.EncryptedName != "" {
		d.warnf(p.Path+"/encryptedName", "encryptedName is not honoured: Meshwork stores the column unencrypted under its name")
	}
	if p.TransformLogic != "" {
		d.warnf(p.Path+"/transformLogic", "transformLogic is documentation only: Meshwork does not run it")
	}
	d.checkRules(p.Quality)
}

// checkTypeOptions warns about logicalTypeOptions that Meshwork does not
// enforce. Honoured: format (it chooses the stored width of integers and
// numbers, and how dates and timestamps are parsed), timezone and
// defaultTimezone (timestamp with or without zone). Everything else (lengths,
// patterns, ranges, item and property counts) constrains values, which only
// quality rules check today.
func (d *document) checkTypeOptions(p Property) {
	keys := make([]string, 0, len(p.LogicalTypeOptions))
	for k := range p.LogicalTypeOptions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "format", "timezone", "defaultTimezone":
			continue
		}
		d.warnf(p.Path+"/logicalTypeOptions/"+escapePointer(k), "logicalTypeOptions.%s is not enforced yet: add a quality rule to check it", k)
	}
}

// checkPositions checks that key positions are unique among the columns
// that use them. Positions below 1 mean "absent" (ODCS uses -1).
func (d *document) checkPositions(o Object) {
	pk, part := map[int]string{}, map[int]string{}
	for _, p := range o.Properties {
		if p.PrimaryKey && p.PrimaryKeyPosition > 0 {
			if first, dup := pk[p.PrimaryKeyPosition]; dup {
				d.errorf(p.Path+"/primaryKeyPosition", "primaryKeyPosition %d of column %q is already used by column %q", p.PrimaryKeyPosition, p.Name, first)
			} else {
				pk[p.PrimaryKeyPosition] = p.Name
			}
		}
		if p.Partitioned && p.PartitionKeyPosition > 0 {
			if first, dup := part[p.PartitionKeyPosition]; dup {
				d.errorf(p.Path+"/partitionKeyPosition", "partitionKeyPosition %d of column %q is already used by column %q", p.PartitionKeyPosition, p.Name, first)
			} else {
				part[p.PartitionKeyPosition] = p.Name
			}
		}
	}
}

// operatorKeys are ODCS's comparison operators; a runnable rule has one.
func operatorCount(raw map[string]any) int {
	n := 0
	for _, k := range []string{"mustBe", "mustNotBe", "mustBeGreaterThan", "mustBeGreaterOrEqualTo",
		"mustBeLessThan", "mustBeLessOrEqualTo", "mustBeBetween", "mustNotBeBetween"} {
		if _, ok := raw[k]; ok {
			n++
		}
	}
	return n
}

// SupportedMetric reports whether the quality gate can measure an ODCS library metric.
func SupportedMetric(m string) bool {
	switch m {
	case "rowCount", "nullValues", "missingValues", "duplicateValues", "invalidValues":
		return true
	}
	return false
}

func (d *document) checkRules(rules []Rule) {
	for _, r := range rules {
		raw, _ := valueAt(d.data, r.Path).(map[string]any)
		ops := operatorCount(raw)
		switch r.Type {
		case "library":
			switch {
			case r.Metric == "":
				d.errorf(r.Path, "library quality rule needs a metric: one of rowCount, nullValues, missingValues, duplicateValues, invalidValues")
			case !SupportedMetric(r.Metric):
				key := "/metric"
				if _, ok := raw["metric"]; !ok {
					key = "/rule"
				}
				d.errorf(r.Path+key, "unknown quality metric %q: want one of rowCount, nullValues, missingValues, duplicateValues, invalidValues", r.Metric)
			}
			if ops != 1 {
				d.errorf(r.Path, "quality rule needs exactly one operator (mustBe, mustNotBe, mustBeGreaterThan, ...), has %d", ops)
			}
			if r.Metric == "invalidValues" && r.Arguments["validValues"] == nil && r.Arguments["pattern"] == nil {
				d.errorf(r.Path, "invalidValues needs arguments.validValues or arguments.pattern to say what is valid")
			}
		case "sql":
			if strings.TrimSpace(r.Query) == "" {
				d.errorf(r.Path, "sql quality rule needs a query")
			}
			if ops != 1 {
				d.errorf(r.Path, "quality rule needs exactly one operator (mustBe, mustNotBe, mustBeGreaterThan, ...), has %d", ops)
			}
		case "custom", "text":
			d.warnf(r.Path+"/type", "%s quality rule is not enforced: Meshwork runs only library and sql rules", r.Type)
		default:
			d.errorf(r.Path, "quality rule has neither a type nor a metric: want a library metric, a sql query, or type custom or text")
		}
		for _, k := range []string{"schedule", "scheduler"} {
			if _, ok := raw[k]; ok {
				d.warnf(r.Path+"/"+k, "quality %s is not honoured: Meshwork checks rules at every publish", k)
			}
		}
	}
}

// valueAt returns the value a JSON pointer names in data, or nil.
func valueAt(data any, ptr string) any {
	v := data
	for _, tok := range splitPointer(ptr) {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
