package spec

import (
	"strconv"
)

// The builders read the JSON-compatible document into the typed view. They
// run after schema validation and tolerate anything, because a document that
// failed the schema is still read to report Meshwork's own findings.

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func integer(m map[string]any, k string) int {
	switch v := m[k].(type) {
	case int64:
		return int(v)
	case float64:
		if v == float64(int(v)) {
			return int(v)
		}
	}
	return 0
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

func list(m map[string]any, k string) []any {
	l, _ := m[k].([]any)
	return l
}

func stringList(m map[string]any, k string) []string {
	var out []string
	for _, v := range list(m, k) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// eachObj calls f for every mapping in the list m[k] with its JSON pointer.
func eachObj(m map[string]any, k, path string, f func(o map[string]any, path string)) {
	for i, v := range list(m, k) {
		if o, ok := v.(map[string]any); ok {
			f(o, path+"/"+k+"/"+strconv.Itoa(i))
		}
	}
}

func buildDescription(m map[string]any) Description {
	d := obj(m, "description")
	return Description{Purpose: str(d, "purpose"), Limitations: str(d, "limitations"), Usage: str(d, "usage")}
}

func buildTeam(m map[string]any) *Team {
	var t *Team
	var members []any
	switch v := m["team"].(type) {
	case map[string]any:
		t = &Team{Name: str(v, "name"), Description: str(v, "description")}
		members = list(v, "members")
	case []any: // ODCS before 3.1: a bare list of members
		t = &Team{}
		members = v
	default:
		return nil
	}
	for _, x := range members {
		if mm, ok := x.(map[string]any); ok {
			t.Members = append(t.Members, TeamMember{Username: str(mm, "username"), Name: str(mm, "name"),
				Role: str(mm, "role"), Description: str(mm, "description")})
		}
	}
	return t
}

func buildSupport(m map[string]any) []Support {
	var out []Support
	eachObj(m, "support", "", func(o map[string]any, _ string) {
		out = append(out, Support{Channel: str(o, "channel"), URL: str(o, "url"), Tool: str(o, "tool"),
			Scope: str(o, "scope"), Description: str(o, "description")})
	})
	return out
}

func buildProduct(m map[string]any) *Product {
	p := &Product{
		APIVersion: str(m, "apiVersion"), Kind: str(m, "kind"), ID: str(m, "id"), Name: str(m, "name"),
		Version: str(m, "version"), Status: str(m, "status"), Domain: str(m, "domain"), Tenant: str(m, "tenant"),
		Description: buildDescription(m), Tags: stringList(m, "tags"), Team: buildTeam(m), Support: buildSupport(m),
		CustomProperties: buildCustomProperties(m),
	}
	eachObj(m, "inputPorts", "", func(o map[string]any, _ string) {
		p.InputPorts = append(p.InputPorts, InputPort{Name: str(o, "name"), Version: str(o, "version"), ContractID: str(o, "contractId")})
	})
	eachObj(m, "outputPorts", "", func(o map[string]any, _ string) {
		p.OutputPorts = append(p.OutputPorts, OutputPort{Name: str(o, "name"), Description: str(o, "description"),
			Type: str(o, "type"), Version: str(o, "version"), ContractID: str(o, "contractId")})
	})
	return p
}

func buildContract(m map[string]any) *Contract {
	c := &Contract{
		APIVersion: str(m, "apiVersion"), Kind: str(m, "kind"), ID: str(m, "id"), Name: str(m, "name"),
		Version: str(m, "version"), Status: str(m, "status"), Domain: str(m, "domain"),
		DataProduct: str(m, "dataProduct"), Tenant: str(m, "tenant"),
		Description: buildDescription(m), Tags: stringList(m, "tags"), Team: buildTeam(m), Support: buildSupport(m),
		CustomProperties: buildCustomProperties(m),
	}
	eachObj(m, "schema", "", func(o map[string]any, path string) {
		c.Schema = append(c.Schema, buildObject(o, path))
	})
	eachObj(m, "slaProperties", "", func(o map[string]any, _ string) {
		c.SLA = append(c.SLA, SLAProperty{Property: str(o, "property"), Value: o["value"], ValueExt: o["valueExt"],
			Unit: str(o, "unit"), Element: str(o, "element"), Driver: str(o, "driver")})
	})
	eachObj(m, "roles", "", func(o map[string]any, _ string) {
		c.Roles = append(c.Roles, Role{Role: str(o, "role"), Access: str(o, "access"), Description: str(o, "description"),
			FirstLevelApprovers: str(o, "firstLevelApprovers"), SecondLevelApprovers: str(o, "secondLevelApprovers")})
	})
	return c
}

func buildObject(m map[string]any, path string) Object {
	o := Object{
		ID: str(m, "id"), Name: str(m, "name"), PhysicalName: str(m, "physicalName"), PhysicalType: str(m, "physicalType"),
		BusinessName: str(m, "businessName"), Description: str(m, "description"),
		DataGranularityDescription: str(m, "dataGranularityDescription"), Tags: stringList(m, "tags"), Path: path,
	}
	eachObj(m, "properties", path, func(p map[string]any, pp string) {
		o.Properties = append(o.Properties, buildProperty(p, pp))
	})
	eachObj(m, "quality", path, func(r map[string]any, rp string) {
		o.Quality = append(o.Quality, buildRule(r, rp))
	})
	return o
}

func buildProperty(m map[string]any, path string) Property {
	p := Property{
		ID: str(m, "id"), Name: str(m, "name"), PhysicalName: str(m, "physicalName"), PhysicalType: str(m, "physicalType"),
		BusinessName: str(m, "businessName"), Description: str(m, "description"), LogicalType: str(m, "logicalType"),
		LogicalTypeOptions: obj(m, "logicalTypeOptions"),
		Required:           boolean(m, "required"), Unique: boolean(m, "unique"), PrimaryKey: boolean(m, "primaryKey"),
		Partitioned: boolean(m, "partitioned"), CriticalDataElement: boolean(m, "criticalDataElement"),
		PrimaryKeyPosition: integer(m, "primaryKeyPosition"), PartitionKeyPosition: integer(m, "partitionKeyPosition"),
		Classification: str(m, "classification"), Tags: stringList(m, "tags"), Examples: list(m, "examples"),
		EncryptedName: str(m, "encryptedName"), TransformLogic: str(m, "transformLogic"), Path: path,
		CustomProperties: buildCustomProperties(m),
	}
	if p.LogicalType == "" {
		// We never guess a type, but a physical type we understand says it.
		p.LogicalType, _ = LogicalTypeOf(p.PhysicalType)
	}
	if items, ok := m["items"].(map[string]any); ok {
		it := buildProperty(items, path+"/items")
		p.Items = &it
	}
	eachObj(m, "properties", path, func(c map[string]any, cp string) {
		p.Properties = append(p.Properties, buildProperty(c, cp))
	})
	eachObj(m, "quality", path, func(r map[string]any, rp string) {
		p.Quality = append(p.Quality, buildRule(r, rp))
	})
	return p
}

func buildRule(m map[string]any, path string) Rule {
	r := Rule{
		Type: str(m, "type"), Metric: str(m, "metric"), Name: str(m, "name"), Description: str(m, "description"),
		Dimension: str(m, "dimension"), Severity: str(m, "severity"), Unit: str(m, "unit"), Engine: str(m, "engine"),
		Query: str(m, "query"), Arguments: obj(m, "arguments"), Schedule: str(m, "schedule"), Scheduler: str(m, "scheduler"),
		MustBe: m["mustBe"], MustNotBe: m["mustNotBe"], Path: path,
	}
	if r.Metric == "" {
		r.Metric = str(m, "rule") // the pre-3.1 name of metric
	}
	if r.Type == "" {
		// ODCS: library is the default type. A rule with neither type nor
		// metric stays untyped and is reported by the rules.
		if r.Metric != "" {
			r.Type = "library"
		}
	}
	num := func(k string) *float64 {
		if f, ok := number(m[k]); ok {
			return &f
		}
		return nil
	}
	pair := func(k string) *[2]float64 {
		l, ok := m[k].([]any)
		if !ok || len(l) != 2 {
			return nil
		}
		a, aok := number(l[0])
		b, bok := number(l[1])
		if !aok || !bok {
			return nil
		}
		return &[2]float64{a, b}
	}
	r.MustBeGreaterThan = num("mustBeGreaterThan")
	r.MustBeGreaterOrEqualTo = num("mustBeGreaterOrEqualTo")
	r.MustBeLessThan = num("mustBeLessThan")
	r.MustBeLessOrEqualTo = num("mustBeLessOrEqualTo")
	r.MustBeBetween = pair("mustBeBetween")
	r.MustNotBeBetween = pair("mustNotBeBetween")
	return r
}

func buildCustomProperties(m map[string]any) []CustomProperty {
	var out []CustomProperty
	for _, v := range list(m, "customProperties") {
		if cp, ok := v.(map[string]any); ok {
			out = append(out, CustomProperty{Property: str(cp, "property"), Value: cp["value"]})
		}
	}
	return out
}
