package publish

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

type sla = spec.SLAProperty

func salesDoc(tables []string, entries ...sla) *slaDoc {
	d := &slaDoc{SLA: entries}
	for _, t := range tables {
		d.Schema = append(d.Schema, struct {
			Name string `json:"name"`
		}{t})
	}
	return d
}

func ordersTable() *registry.Table {
	return &registry.Table{Domain: "sales", Product: "orders", Name: "orders", Def: registry.TableDef{Schema: schema.Table{Columns: []schema.Column{
		{Name: "o_orderkey", Type: schema.Type{Kind: schema.Long}},
		{Name: "o_orderdate", Type: schema.Type{Kind: schema.Date}},
		{Name: "o_placed", Type: schema.Type{Kind: schema.TimestampTZ}},
		{Name: "o_comment", Type: schema.Type{Kind: schema.String}},
	}}}}
}

func TestTableRetention(t *testing.T) {
	both := []string{"orders", "lineitem"}
	one := []string{"orders"}
	tests := []struct {
		name    string
		doc     *slaDoc
		want    *retention
		wantErr string // part of the Invalid error's message
	}{
		{"none", salesDoc(both, sla{Property: "latency", Value: 1.0, Unit: "d", Element: "orders.o_orderdate"}), nil, ""},
		{"table.column", salesDoc(both, sla{Property: "retention", Value: 7.0, Unit: "y", Element: "orders.o_orderdate"}), &retention{7, "year", "o_orderdate"}, ""},
		{"property case", salesDoc(both, sla{Property: "Retention", Value: 7.0, Unit: "y", Element: "orders.o_orderdate"}), &retention{7, "year", "o_orderdate"}, ""},
		{"another table's", salesDoc(both, sla{Property: "retention", Value: 7.0, Unit: "y", Element: "lineitem.l_shipdate"}), nil, ""},
		{"one of several elements", salesDoc(both, sla{Property: "retention", Value: 7.0, Unit: "y", Element: "lineitem.l_shipdate, orders.o_placed"}), &retention{7, "year", "o_placed"}, ""},
		{"mesh name", salesDoc(both, sla{Property: "retention", Value: 3.0, Unit: "d", Element: "sales.orders.orders.o_orderdate"}), &retention{3, "day", "o_orderdate"}, ""},
		{"bare column, one table", salesDoc(one, sla{Property: "retention", Value: 2.0, Unit: "months", Element: "o_orderdate"}), &retention{2, "month", "o_orderdate"}, ""},
		{"no element", salesDoc(both, sla{Property: "retention", Value: 1.0, Unit: "yr"}), &retention{1, "year", ""}, ""},
		{"a column wins over none", salesDoc(both,
			sla{Property: "retention", Value: 1.0, Unit: "y"},
			sla{Property: "retention", Value: 30.0, Unit: "day", Element: "orders.o_orderdate"}), &retention{30, "day", "o_orderdate"}, ""},
		{"numeric string", salesDoc(both, sla{Property: "retention", Value: "12", Unit: "H", Element: "orders.o_placed"}), &retention{12, "hour", "o_placed"}, ""},

		{"unknown unit", salesDoc(both, sla{Property: "retention", Value: 3.0, Unit: "fortnights", Element: "orders.o_orderdate"}), nil, `unit "fortnights" is not known`},
		{"no unit", salesDoc(both, sla{Property: "retention", Value: 3.0, Element: "orders.o_orderdate"}), nil, "a unit is required"},
		{"missing column", salesDoc(both, sla{Property: "retention", Value: 1.0, Unit: "y", Element: "orders.o_nope"}), nil, `column "o_nope", which table orders does not have`},
		{"unknown table", salesDoc(both, sla{Property: "retention", Value: 1.0, Unit: "y", Element: "order.o_orderdate"}), nil, `names table "order", which the contract does not declare`},
		{"bare column, two tables", salesDoc(both, sla{Property: "retention", Value: 1.0, Unit: "y", Element: "o_orderdate"}), nil, "must name table.column"},
		{"not a date", salesDoc(both, sla{Property: "retention", Value: 1.0, Unit: "y", Element: "orders.o_comment"}), nil, "is VARCHAR; rows can only be aged by a date or timestamp column"},
		{"fraction", salesDoc(both, sla{Property: "retention", Value: 1.5, Unit: "y", Element: "orders.o_orderdate"}), nil, "must be a whole number"},
		{"zero", salesDoc(both, sla{Property: "retention", Value: 0.0, Unit: "y", Element: "orders.o_orderdate"}), nil, "must be above 0"},
		{"huge", salesDoc(both, sla{Property: "retention", Value: 1e9, Unit: "y", Element: "orders.o_orderdate"}), nil, "must be above 0"},
		{"not a number", salesDoc(both, sla{Property: "retention", Value: "seven", Unit: "y", Element: "orders.o_orderdate"}), nil, `value "seven" is not a number`},
		{"boolean", salesDoc(both, sla{Property: "retention", Value: true, Unit: "y", Element: "orders.o_orderdate"}), nil, "is not a number"},
		{"two periods", salesDoc(both,
			sla{Property: "retention", Value: 1.0, Unit: "y", Element: "orders.o_orderdate"},
			sla{Property: "retention", Value: 2.0, Unit: "y", Element: "orders.o_placed"}), nil, "declares 2 retention periods"},
		{"two columns in one element", salesDoc(both, sla{Property: "retention", Value: 1.0, Unit: "y", Element: "orders.o_orderdate,orders.o_placed"}), nil, "names two columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tableRetention(tt.doc, ordersTable())
			if tt.wantErr != "" {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("tableRetention = %+v, %v, want an Invalid error", got, err)
				}
				if _, msg, _ := errs.Public(err); !strings.Contains(msg, tt.wantErr) {
					t.Errorf("tableRetention error = %q, want it to say %q", msg, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("tableRetention: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(retention{})); diff != "" {
				t.Errorf("tableRetention (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetentionCutoff(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		r    retention
		now  string
		want string
	}{
		{retention{n: 2, unit: "hour"}, "2026-03-01T01:30:00Z", "2026-02-28T23:30:00Z"},
		{retention{n: 30, unit: "day"}, "2026-03-31T12:00:00Z", "2026-03-01T12:00:00Z"},
		{retention{n: 1, unit: "month"}, "2026-03-31T12:00:00Z", "2026-02-28T12:00:00Z"}, // not March 3
		{retention{n: 13, unit: "month"}, "2026-01-15T00:00:00Z", "2024-12-15T00:00:00Z"},
		{retention{n: 1, unit: "year"}, "2028-02-29T00:00:00Z", "2027-02-28T00:00:00Z"},
		{retention{n: 7, unit: "year"}, "2026-11-22T05:00:00+02:00", "2019-11-22T03:00:00Z"},
	}
	for _, tt := range tests {
		if got := tt.r.cutoff(at(tt.now)); !got.Equal(at(tt.want)) {
			t.Errorf("%s before %s = %s, want %s", tt.r, tt.now, got.Format(time.RFC3339), tt.want)
		}
	}
}

func TestCutoffLiteral(t *testing.T) {
	cutoff := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	tests := []struct {
		kind schema.Kind
		want string
	}{
		{schema.Date, "CAST('2026-01-02' AS DATE)"},
		{schema.Timestamp, "CAST('2026-01-02 02:04:05.123456' AS TIMESTAMP)"},
		{schema.TimestampTZ, "CAST('2026-01-02 02:04:05.123456+00' AS TIMESTAMPTZ)"},
	}
	for _, tt := range tests {
		if got := cutoffLiteral(tt.kind, cutoff); got != tt.want {
			t.Errorf("cutoffLiteral(%v) = %s, want %s", tt.kind, got, tt.want)
		}
	}
}
