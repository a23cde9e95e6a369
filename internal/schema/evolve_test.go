package schema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEvolve(t *testing.T) {
	old := &Table{
		Columns: []Column{{Name: "id", Type: Type{Kind: Long}, Required: true, FieldID: 1}, {Name: "d", Type: Type{Kind: Date}, FieldID: 2},
			{Name: "n", Type: Type{Kind: Int}, FieldID: 3}, {Name: "note", Type: Type{Kind: String}, FieldID: 4}},
		Partition: []PartitionField{{Column: "d", Transform: "day"}},
	}
	base := func() *Table {
		return &Table{
			Columns:   []Column{col("id", Long, true), col("d", Date, false), col("n", Int, false), col("note", String, false)},
			Partition: []PartitionField{{Column: "d", Transform: "day"}},
		}
	}
	with := func(f func(*Table)) *Table { t := base(); f(t); return t }
	dec := func(p, s int) Type { return Type{Kind: Decimal, Precision: p, Scale: s} }
	tests := []struct {
		name    string
		old     *Table
		new     *Table
		changes []string
		wantErr []string
	}{
		{"same", old, base(), nil, nil},
		{"descriptions, classification and required do not touch the lake", old, with(func(t *Table) {
			t.Columns[3].Description, t.Columns[3].Classification, t.Columns[3].Required = "changed", "pii", true
		}), nil, nil},
		{"reorder", old, with(func(t *Table) { t.Columns[0], t.Columns[3] = t.Columns[3], t.Columns[0] }), nil, nil},
		{"add", old, with(func(t *Table) {
			d := "7"
			t.Columns = append(t.Columns, col("extra", Double, false), Column{Name: "stock", Type: Type{Kind: Long}, Required: true, Default: &d}, col("must", Boolean, true))
		}), []string{"add optional column extra DOUBLE", "add required column stock BIGINT (default 7)", "add required column must BOOLEAN"}, nil},
		{"promote int to long", old, with(func(t *Table) { t.Columns[2].Type = Type{Kind: Long} }), []string{"promote column n from INTEGER to BIGINT"}, nil},
		{"promote float to double and decimal precision", &Table{Columns: []Column{{Name: "f", Type: Type{Kind: Float}, FieldID: 1}, {Name: "m", Type: dec(10, 2), FieldID: 2}}},
			&Table{Columns: []Column{col("f", Double, false), {Name: "m", Type: dec(12, 2)}}},
			[]string{"promote column f from FLOAT to DOUBLE", "promote column m from DECIMAL(10,2) to DECIMAL(12,2)"}, nil},
		{"drop", old, with(func(t *Table) { t.Columns = t.Columns[:3] }), []string{"drop column note"}, nil},
		{"repartition", old, with(func(t *Table) { t.Partition[0].Transform = "month" }), []string{"partition by month(d) (was day(d))"}, nil},
		{"unpartition", old, with(func(t *Table) { t.Partition = nil }), []string{"partition by none (was day(d))"}, nil},
		{"narrow", old, with(func(t *Table) { t.Columns[0].Type = Type{Kind: Int} }), nil, []string{`column "id" cannot change type from BIGINT to INTEGER in place`}},
		{"decimal scale", &Table{Columns: []Column{{Name: "m", Type: dec(10, 2), FieldID: 1}}}, &Table{Columns: []Column{{Name: "m", Type: dec(12, 3)}}},
			nil, []string{`column "m" cannot change type from DECIMAL(10,2) to DECIMAL(12,3)`}},
		{"two problems", old, with(func(t *Table) { t.Columns[0].Type = Type{Kind: String}; t.Columns[1].Type = Type{Kind: Timestamp} }),
			nil, []string{`column "d" cannot change type`, `column "id" cannot change type`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Evolve(tt.old, tt.new)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Evolve = %+v, want an error containing %q", ev, tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Evolve error = %q, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Evolve error: %v", err)
			}
			if diff := cmp.Diff(tt.changes, ev.Changes(tt.old, tt.new)); diff != "" {
				t.Errorf("Evolve changes (-want +got):\n%s", diff)
			}
			if ev.Empty() != (len(tt.changes) == 0) {
				t.Errorf("Evolve(...).Empty() = %v, want %v", ev.Empty(), len(tt.changes) == 0)
			}
			for _, p := range ev.Promoted {
				if oc, _ := tt.old.Column(p.Name); p.FieldID != oc.FieldID {
					t.Errorf("promoted column %s has field id %d, want the old %d", p.Name, p.FieldID, oc.FieldID)
				}
			}
		})
	}
}

func TestParseDefault(t *testing.T) {
	dec := Type{Kind: Decimal, Precision: 5, Scale: 2}
	tests := []struct {
		typ  Type
		v    any
		want string // "" : an error
	}{
		{Type{Kind: Long}, int64(7), "7"}, {Type{Kind: Long}, "x", ""}, {Type{Kind: Int}, int64(1) << 40, ""},
		{Type{Kind: Boolean}, true, "true"}, {Type{Kind: Boolean}, "maybe", ""},
		{Type{Kind: Double}, 1.5, "1.5"}, {dec, "123.45", "123.45"}, {dec, "1234.5", ""}, {dec, "1.234", ""}, {dec, "1e3", ""},
		{Type{Kind: Date}, "2026-11-22", "2026-11-22"}, {Type{Kind: Date}, "22/11/2026", ""},
		{Type{Kind: TimestampTZ}, "2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z"}, {Type{Kind: Time}, "10:00:00", "10:00:00"},
		{Type{Kind: String}, "it's", "it's"}, {Type{Kind: String}, nil, ""}, {Type{Kind: String}, []any{1}, ""},
		{Type{Kind: UUID}, "0190a9c2-0c7b-7cc1-8f1e-5b0f6a1c2d3e", "0190a9c2-0c7b-7cc1-8f1e-5b0f6a1c2d3e"}, {Type{Kind: Binary}, "x", ""},
	}
	for _, tt := range tests {
		got, err := tt.typ.ParseDefault(tt.v)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("%s.ParseDefault(%#v) = %q, %v; want %q", tt.typ, tt.v, got, err, tt.want)
		}
	}
	s := "it's"
	if got := (Column{Name: "c", Type: Type{Kind: String}, Default: &s}).DefaultSQL(); got != "CAST('it''s' AS VARCHAR)" {
		t.Errorf("DefaultSQL = %s, want the quote doubled", got)
	}
}
