package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/meshwork/meshwork/internal/spec"
)

// partitionTransformProperty is the ODCS customProperty on a column that picks
// an Iceberg partition transform (ODCS has no field for it); identity otherwise.
const partitionTransformProperty = "partitionTransform"

var supportedTransforms = map[string]bool{"identity": true, "year": true, "month": true, "day": true, "hour": true}

// FromObject builds the logical table an ODCS schema object declares. Every
// problem is reported, each prefixed with the column's JSON pointer.
func FromObject(o spec.Object) (*Table, error) {
	t := &Table{}
	var problems []string
	type keyed struct {
		pos  int
		name string
	}
	var pks, parts []keyed
	for _, p := range o.Properties {
		typ, _, err := Resolve(p.LogicalType, p.PhysicalType)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: column %q: %v", p.Path, p.Name, err))
			continue
		}
		col := Column{
			Name:           p.Name,
			Type:           typ,
			Required:       p.Required || p.PrimaryKey,
			Unique:         p.Unique,
			Description:    p.Description,
			BusinessName:   p.BusinessName,
			Classification: p.Classification,
			Key:            p.ID,
		}
		if v, ok := spec.Custom(p.CustomProperties, defaultProperty); ok {
			if !col.Required {
				// An optional column reads NULL where it has no value: a
				// default would hide the NULLs it really has.
				problems = append(problems, fmt.Sprintf("%s: column %q: a default is for a required column (rows written before it existed read it)", p.Path, p.Name))
				continue
			}
			d, err := typ.ParseDefault(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: column %q: %v", p.Path, p.Name, err))
				continue
			}
			col.Default = &d
		}
		t.Columns = append(t.Columns, col)
		if p.PrimaryKey {
			pks = append(pks, keyed{p.PrimaryKeyPosition, p.Name})
		}
		if p.Partitioned {
			tr := partitionTransform(p)
			if !supportedTransforms[tr] {
				problems = append(problems, fmt.Sprintf("%s: column %q: partition transform %q is not supported (use identity, year, month, day or hour)", p.Path, p.Name, tr))
			}
			parts = append(parts, keyed{p.PartitionKeyPosition, p.Name + "\x00" + tr})
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	sort.SliceStable(pks, func(i, j int) bool { return pks[i].pos < pks[j].pos })
	for _, k := range pks {
		t.PrimaryKey = append(t.PrimaryKey, k.name)
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].pos < parts[j].pos })
	for _, k := range parts {
		name, tr, _ := strings.Cut(k.name, "\x00")
		t.Partition = append(t.Partition, PartitionField{Column: name, Transform: tr})
	}
	if _, err := t.withIDs().PartitionSpec(); err != nil {
		return nil, fmt.Errorf("%s: %w", o.Path, err)
	}
	return t, nil
}

// withIDs returns a copy of t whose columns all have field ids.
func (t *Table) withIDs() *Table {
	c := *t
	c.Columns = append([]Column(nil), t.Columns...)
	c.Iceberg(0)
	return &c
}

// partitionTransform is the transform a partitioned column asks for through
// its partitionTransform custom property; identity when absent.
func partitionTransform(p spec.Property) string {
	for _, cp := range p.CustomProperties {
		if cp.Property == partitionTransformProperty {
			if v, ok := cp.Value.(string); ok {
				return strings.ToLower(strings.TrimSpace(v))
			}
		}
	}
	return "identity"
}
