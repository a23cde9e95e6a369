package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/iceberg-go"
)

// Column is one column of a table. FieldID is the Iceberg field id: 0 until
// the column is bound to a table in the lake.
type Column struct {
	Name           string `json:"name"`
	Type           Type   `json:"type"`
	Required       bool   `json:"required"`
	Unique         bool   `json:"unique,omitempty"`
	FieldID        int    `json:"fieldId,omitempty"`
	Description    string `json:"description,omitempty"`
	BusinessName   string `json:"businessName,omitempty"`
	Classification string `json:"classification,omitempty"`
}

// PartitionField partitions a table by a transform of one column.
type PartitionField struct {
	Column    string `json:"column"`
	Transform string `json:"transform"` // identity, year, month, day, hour
}

// Table is the logical schema of one mesh table.
type Table struct {
	Columns    []Column         `json:"columns"`
	PrimaryKey []string         `json:"primaryKey,omitempty"` // in primaryKeyPosition order
	Partition  []PartitionField `json:"partition,omitempty"`  // in partitionKeyPosition order
}

// Column returns the named column.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Iceberg returns the Iceberg schema of t. Columns without field ids get
// fresh ids after the highest one in use, so existing ids never change.
//
// Every Iceberg field is optional: the publish gate enforces the contract's
// required columns on every row, while DuckDB's Parquet writer marks all
// columns OPTIONAL, which Iceberg does not accept for required fields. For the
// same reason the primary key is not declared as Iceberg identifier fields.
func (t *Table) Iceberg(schemaID int) *iceberg.Schema {
	next := 0
	for _, c := range t.Columns {
		next = max(next, c.FieldID)
	}
	fields := make([]iceberg.NestedField, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.FieldID == 0 {
			next++
			c.FieldID = next
		}
		fields[i] = iceberg.NestedField{ID: c.FieldID, Name: c.Name, Type: c.Type.Iceberg(), Required: false, Doc: c.Description}
	}
	return iceberg.NewSchema(schemaID, fields...)
}

// PartitionSpec returns the Iceberg partition spec of t; call after Iceberg
// so that columns have field ids.
func (t *Table) PartitionSpec() (iceberg.PartitionSpec, error) {
	fields := make([]iceberg.PartitionField, 0, len(t.Partition))
	for i, p := range t.Partition {
		c, ok := t.Column(p.Column)
		if !ok {
			return iceberg.PartitionSpec{}, fmt.Errorf("partition column %q is not a column", p.Column)
		}
		tr, err := iceberg.ParseTransform(p.Transform)
		if err != nil {
			return iceberg.PartitionSpec{}, fmt.Errorf("partition column %q: %w", p.Column, err)
		}
		if !tr.CanTransform(c.Type.Iceberg()) {
			return iceberg.PartitionSpec{}, fmt.Errorf("partition column %q: transform %s does not apply to %s", p.Column, p.Transform, c.Type)
		}
		name := p.Column
		if p.Transform != "identity" {
			name = p.Column + "_" + p.Transform
		}
		fields = append(fields, iceberg.PartitionField{SourceIDs: []int{c.FieldID}, FieldID: 1000 + i, Name: name, Transform: tr})
	}
	return iceberg.NewPartitionSpec(fields...), nil
}

// TableFromIceberg builds a Table from an Iceberg schema (columns in schema order).
func TableFromIceberg(s *iceberg.Schema) (*Table, error) {
	t := &Table{}
	for _, f := range s.Fields() {
		typ, err := TypeFromIceberg(f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		t.Columns = append(t.Columns, Column{Name: f.Name, Type: typ, Required: f.Required, FieldID: f.ID, Description: f.Doc})
	}
	return t, nil
}

// Evolution is what an apply changes in a table that already exists.
type Evolution struct {
	Added []Column // optional columns the new contract adds
}

// Empty reports whether the evolution changes nothing.
func (e Evolution) Empty() bool { return len(e.Added) == 0 }

// Evolve compares the table in the lake (old, with field ids) with the table a
// contract now declares (new) and returns the change to make. Adding optional
// columns is the only change allowed for now; every other difference is
// returned as an error that names each offending column.
func Evolve(old, new *Table) (Evolution, error) {
	var ev Evolution
	var problems []string
	for _, oc := range old.Columns {
		nc, ok := new.Column(oc.Name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("column %q would be dropped", oc.Name))
		case nc.Type != oc.Type:
			problems = append(problems, fmt.Sprintf("column %q would change type from %s to %s", oc.Name, oc.Type, nc.Type))
		case nc.Required != oc.Required:
			problems = append(problems, fmt.Sprintf("column %q would change from %s to %s", oc.Name, optionality(oc.Required), optionality(nc.Required)))
		}
	}
	for _, nc := range new.Columns {
		if _, ok := old.Column(nc.Name); ok {
			continue
		}
		if nc.Required {
			problems = append(problems, fmt.Sprintf("new column %q is required: only optional columns can be added to a table that may hold data", nc.Name))
			continue
		}
		ev.Added = append(ev.Added, nc)
	}
	if strings.Join(old.PrimaryKey, ",") != strings.Join(new.PrimaryKey, ",") {
		problems = append(problems, fmt.Sprintf("the primary key would change from (%s) to (%s)", strings.Join(old.PrimaryKey, ", "), strings.Join(new.PrimaryKey, ", ")))
	}
	if !samePartition(old.Partition, new.Partition) {
		problems = append(problems, fmt.Sprintf("the partitioning would change from %s to %s", describePartition(old.Partition), describePartition(new.Partition)))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return Evolution{}, fmt.Errorf("incompatible change: %s (contract evolution beyond adding optional columns is not supported yet)", strings.Join(problems, "; "))
	}
	return ev, nil
}

func optionality(required bool) string {
	if required {
		return "required"
	}
	return "optional"
}

// describePartition names a partitioning by its columns, e.g. "day(ordered_at), identity(region)".
func describePartition(ps []PartitionField) string {
	if len(ps) == 0 {
		return "none"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Transform + "(" + p.Column + ")"
	}
	return strings.Join(parts, ", ")
}

func samePartition(a, b []PartitionField) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
