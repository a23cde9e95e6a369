package schema

import (
	"fmt"
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
	// Key is the ODCS property id, which stays the same when a column is renamed.
	Key string `json:"key,omitempty"`
	// Default is what readers see in rows written before the column existed
	// (a SQL literal of the column's type, from the `default` custom property).
	Default *string `json:"default,omitempty"`
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
		fields = append(fields, iceberg.PartitionField{SourceIDs: []int{c.FieldID}, FieldID: 1000 + i, Name: PartitionFieldName(p), Transform: tr})
	}
	return iceberg.NewPartitionSpec(fields...), nil
}

// PartitionFieldName is the Iceberg partition field's name: the column's,
// suffixed with the transform unless it is identity.
func PartitionFieldName(p PartitionField) string {
	if p.Transform == "identity" {
		return p.Column
	}
	return p.Column + "_" + p.Transform
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
