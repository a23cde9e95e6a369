package freshness

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

func TestEvaluate(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	both := &SLA{Frequency: 24 * time.Hour, Latency: 4 * time.Hour}
	latency := &SLA{Latency: 2 * time.Hour}
	frequency := &SLA{Frequency: time.Hour}
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	tests := []struct {
		name    string
		sla     *SLA
		last    *time.Time // nil: never published; the table was created at t0
		now     time.Duration
		want    Status
		wantDue *time.Time
	}{
		{"both: just published", both, at(0), 0, Fresh, at(24 * time.Hour)},
		{"both: at the threshold", both, at(0), 24 * time.Hour, Fresh, at(24 * time.Hour)},
		{"both: past the frequency", both, at(0), 24*time.Hour + time.Second, Late, at(24 * time.Hour)},
		{"both: at frequency + latency", both, at(0), 28 * time.Hour, Late, at(24 * time.Hour)},
		{"both: past frequency + latency", both, at(0), 28*time.Hour + time.Second, Stale, at(24 * time.Hour)},
		{"latency only: fresh", latency, at(0), 2 * time.Hour, Fresh, at(2 * time.Hour)},
		{"latency only: late", latency, at(0), 3 * time.Hour, Late, at(2 * time.Hour)},
		{"latency only: twice the latency", latency, at(0), 4 * time.Hour, Late, at(2 * time.Hour)},
		{"latency only: stale", latency, at(0), 5 * time.Hour, Stale, at(2 * time.Hour)},
		{"frequency only: late", frequency, at(0), 90 * time.Minute, Late, at(time.Hour)},
		{"frequency only: stale", frequency, at(0), 2*time.Hour + time.Second, Stale, at(time.Hour)},
		{"never published, not yet due", latency, nil, time.Hour, Fresh, at(2 * time.Hour)},
		{"never published, due", latency, nil, 2*time.Hour + time.Second, Never, at(2 * time.Hour)},
		{"never published, long ago", latency, nil, 100 * time.Hour, Never, at(2 * time.Hour)},
		{"no SLA", nil, at(0), 1000 * time.Hour, None, nil},
		{"no SLA, never published", nil, nil, 1000 * time.Hour, None, nil},
		{"saturated periods", &SLA{Frequency: 1<<63 - 1, Latency: 1<<63 - 1}, at(0), 1000 * time.Hour, Fresh, at(1<<63 - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, due := evaluate(tt.sla, t0, tt.last, t0.Add(tt.now))
			if got != tt.want {
				t.Errorf("evaluate(%+v, age %v) = %s, want %s", tt.sla, tt.now, got, tt.want)
			}
			if diff := cmp.Diff(tt.wantDue, due); diff != "" {
				t.Errorf("evaluate(%+v, age %v) due (-want +got):\n%s", tt.sla, tt.now, diff)
			}
		})
	}
}

func TestReadSLA(t *testing.T) {
	prop := func(p string, v any, unit, el string) spec.SLAProperty {
		return spec.SLAProperty{Property: p, Value: v, Unit: unit, Element: el}
	}
	tables := []string{"orders", "lines"}
	tests := []struct {
		name     string
		sla      []spec.SLAProperty
		want     map[string]string // table -> SLA text ("" for none)
		problems int
	}{
		{"none", []spec.SLAProperty{prop("retention", 3, "y", "")}, map[string]string{"orders": "", "lines": ""}, 0},
		{"contract-wide", []spec.SLAProperty{prop("latency", 4, "h", "")}, map[string]string{"orders": "latency 4 hours", "lines": "latency 4 hours"}, 0},
		{"table.column wins over contract-wide", []spec.SLAProperty{prop("latency", 4, "h", ""), prop("Latency", 1, "d", "orders.o_date")},
			map[string]string{"orders": "latency 1 day", "lines": "latency 4 hours"}, 0},
		{"bare table and mesh name", []spec.SLAProperty{prop("frequency", 1, "d", "lines"), prop("latency", 30, "m", "sales.orders.lines.l_date")},
			map[string]string{"orders": "", "lines": "frequency 1 day, latency 30 minutes"}, 0},
		{"strictest of two", []spec.SLAProperty{prop("frequency", 2, "d", ""), prop("frequency", "12", "hours", "")},
			map[string]string{"orders": "frequency 12 hours", "lines": "frequency 12 hours"}, 0},
		{"unreadable entries are problems", []spec.SLAProperty{prop("latency", "soon", "h", ""), prop("frequency", 1, "d", "nope.x"), prop("frequency", 1, "fortnight", "")},
			map[string]string{"orders": "", "lines": ""}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := &slaDoc{SLA: tt.sla}
			for _, n := range tables {
				doc.Schema = append(doc.Schema, struct {
					Name string `json:"name"`
				}{n})
			}
			c := readSLA(doc, "sales", "orders")
			got := map[string]string{}
			for n, s := range c.tables {
				got[n] = ""
				if s != nil {
					got[n] = s.Text
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("readSLA(%v) (-want +got):\n%s", tt.sla, diff)
			}
			if len(c.problems) != tt.problems {
				t.Errorf("readSLA(%v) problems = %q, want %d", tt.sla, c.problems, tt.problems)
			}
		})
	}
}

// clock is a fake clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time            { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration)       { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func (c *clock) String() string            { return c.Now().Format(time.RFC3339) }
func (c *clock) set(t time.Time) *clock    { c.now = t; return c }
func newClock(t time.Time) *clock          { return (&clock{}).set(t) }
func (c *clock) since(t0 time.Time) string { return c.Now().Sub(t0).String() }

// fixture is a real registry with two products: sales.orders (orders:
// frequency 1 day and latency 4 hours; lines: latency 2 hours, contract-wide)
// and ops.audit (no freshness SLA).
type fixture struct {
	reg      *registry.Registry
	m        *Monitor
	clock    *clock
	t0       time.Time
	breaches []Breach
	checks   [][]TableStatus
}

func table(domain, product, name, contract string) registry.Table {
	return registry.Table{Domain: domain, Product: product, Major: 1, Namespace: product, Name: name, ContractID: contract, ContractVersion: "1.0.0",
		Def: registry.TableDef{Schema: schema.Table{Columns: []schema.Column{{Name: "id", Type: schema.Type{Kind: schema.Long}, FieldID: 1}}},
			Object: spec.Object{Name: name}}}
}

func contract(id, domain, product, doc string) registry.Contract {
	return registry.Contract{ID: id, Version: "1.0.0", Domain: domain, Product: product, Status: "active", Doc: json.RawMessage(doc), Hash: id}
}

func newFixture(t testing.TB, extra ...registry.Table) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := registry.OpenSQLite(filepath.Join(t.TempDir(), "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := registry.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	ch := registry.Change{
		Domains: map[string]string{"sales": "Sales", "ops": "Ops"},
		Products: []registry.Product{
			{Domain: "sales", Name: "orders", SpecID: "sales-orders", Status: "active", Doc: json.RawMessage(`{}`), Hash: "p1"},
			{Domain: "ops", Name: "audit", SpecID: "ops-audit", Status: "active", Doc: json.RawMessage(`{}`), Hash: "p2"},
		},
		Contracts: []registry.Contract{
			contract("sales-orders-contract", "sales", "orders", `{"schema":[{"name":"orders"},{"name":"lines"}],"slaProperties":[
				{"property":"frequency","value":1,"unit":"d","element":"orders"},
				{"property":"latency","value":4,"unit":"h","element":"orders.o_date"},
				{"property":"latency","value":2,"unit":"h"},
				{"property":"retention","value":3,"unit":"y"}]}`),
			contract("ops-audit-contract", "ops", "audit", `{"schema":[{"name":"events"}],"slaProperties":[{"property":"retention","value":1,"unit":"y"}]}`),
		},
		Tables: append([]registry.Table{
			table("sales", "orders", "orders", "sales-orders-contract"),
			table("sales", "orders", "lines", "sales-orders-contract"),
			table("ops", "audit", "events", "ops-audit-contract"),
		}, extra...),
	}
	if err := reg.Apply(ctx, ch); err != nil {
		t.Fatal(err)
	}
	f := &fixture{reg: reg, t0: time.Now().UTC().Truncate(time.Second).Add(time.Second)}
	f.clock = newClock(f.t0)
	f.m, err = New(ctx, Config{DB: db, Registry: reg, Now: f.clock.Now,
		OnBreach: func(_ context.Context, b Breach) { f.breaches = append(f.breaches, b) },
		OnCheck:  func(_ context.Context, s []TableStatus) { f.checks = append(f.checks, s) }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// publish records a committed (or failed) publish run finishing now.
func (f *fixture) publish(t testing.TB, table, status string) {
	t.Helper()
	now := f.clock.Now()
	err := f.reg.RecordPublish(context.Background(), registry.Publish{RunID: fmt.Sprintf("%s-%d", table, now.UnixNano()), Domain: "sales", Product: "orders",
		Table: table, Mode: "append", Status: status, Report: json.RawMessage(`{}`), StartedAt: now.Add(-time.Second), FinishedAt: now})
	if err != nil {
		t.Fatal(err)
	}
}

func statuses(ts []TableStatus) map[string]Status {
	out := map[string]Status{}
	for _, s := range ts {
		out[s.Domain+"."+s.Product+"."+s.Table] = s.Status
	}
	return out
}

func TestMonitorLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	type step struct {
		name     string
		advance  time.Duration
		publish  []string // tables published (committed) after advancing, before the check
		failed   []string // tables with a failed run
		want     map[string]Status
		breaches int // OnBreach calls so far
		open     map[string]Status
	}
	steps := []step{
		{"just applied: nothing due", 0, nil, nil,
			map[string]Status{"sales.orders.orders": Fresh, "sales.orders.lines": Fresh, "ops.audit.events": None}, 0, map[string]Status{}},
		{"lines never published past its latency", 3 * time.Hour, nil, nil,
			map[string]Status{"sales.orders.orders": Fresh, "sales.orders.lines": Never, "ops.audit.events": None}, 1, map[string]Status{"lines": Never}},
		{"orders published, a failed run of lines does not count", 0, []string{"orders"}, []string{"lines"},
			map[string]Status{"sales.orders.orders": Fresh, "sales.orders.lines": Never, "ops.audit.events": None}, 1, map[string]Status{"lines": Never}},
		{"lines published", time.Minute, []string{"lines"}, nil,
			map[string]Status{"sales.orders.orders": Fresh, "sales.orders.lines": Fresh, "ops.audit.events": None}, 1, map[string]Status{}},
		{"a day later: orders late, lines stale", 24*time.Hour + time.Minute, nil, nil,
			map[string]Status{"sales.orders.orders": Late, "sales.orders.lines": Stale, "ops.audit.events": None}, 3, map[string]Status{"orders": Late, "lines": Stale}},
		{"orders stale: the breach escalates, no new one", 4 * time.Hour, nil, nil,
			map[string]Status{"sales.orders.orders": Stale, "sales.orders.lines": Stale, "ops.audit.events": None}, 3, map[string]Status{"orders": Stale, "lines": Stale}},
		{"orders published: fresh, its breach resolved", time.Minute, []string{"orders"}, nil,
			map[string]Status{"sales.orders.orders": Fresh, "sales.orders.lines": Stale, "ops.audit.events": None}, 3, map[string]Status{"lines": Stale}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f.clock.Add(s.advance)
			for _, tb := range s.publish {
				f.publish(t, tb, "committed")
			}
			for _, tb := range s.failed {
				f.publish(t, tb, "gate_failed")
			}
			got, err := f.m.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(s.want, statuses(got)); diff != "" {
				t.Errorf("Check() at +%s (-want +got):\n%s", f.clock.since(f.t0), diff)
			}
			if len(f.breaches) != s.breaches {
				t.Errorf("OnBreach calls = %d, want %d: %+v", len(f.breaches), s.breaches, f.breaches)
			}
			open, err := f.m.Breaches(ctx, BreachFilter{Open: true})
			if err != nil {
				t.Fatal(err)
			}
			gotOpen := map[string]Status{}
			for _, b := range open {
				gotOpen[b.Table] = b.Status
			}
			if diff := cmp.Diff(s.open, gotOpen); diff != "" {
				t.Errorf("open breaches (-want +got):\n%s", diff)
			}
		})
	}
	all, err := f.m.Breaches(ctx, BreachFilter{Domain: "sales", Product: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("Breaches(sales.orders) = %d, want 3 (lines never, lines stale, orders)", len(all))
	}
	var resolved int
	for _, b := range all {
		if b.ResolvedAt != nil {
			resolved++
			if b.Table == "orders" && b.SLA != "frequency 1 day, latency 4 hours" {
				t.Errorf("breach of orders: SLA = %q, want %q", b.SLA, "frequency 1 day, latency 4 hours")
			}
		}
	}
	if resolved != 2 {
		t.Errorf("resolved breaches = %d, want 2", resolved)
	}
	if len(f.checks) != len(steps) {
		t.Errorf("OnCheck calls = %d, want %d", len(f.checks), len(steps))
	}
}

func TestCheckWithoutAnyPublish(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.clock.Add(30 * 24 * time.Hour)
	got, err := f.m.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"sales.orders.orders": Never, "sales.orders.lines": Never, "ops.audit.events": None}
	if diff := cmp.Diff(want, statuses(got)); diff != "" {
		t.Errorf("Check() (-want +got):\n%s", diff)
	}
	open, err := f.m.Breaches(ctx, BreachFilter{Open: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || len(f.breaches) != 2 {
		t.Fatalf("open breaches = %+v, OnBreach calls = %d; want 2 and 2", open, len(f.breaches))
	}
	for _, b := range open {
		if b.Status != Never || b.LastPublish != nil || !b.StartedAt.Equal(f.clock.Now()) {
			t.Errorf("breach = %+v, want status never, no last publish, started at %v", b, f.clock.Now())
		}
	}
	// A second check opens nothing new.
	if _, err := f.m.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if len(f.breaches) != 2 {
		t.Errorf("OnBreach calls after a second check = %d, want 2", len(f.breaches))
	}
}

func TestCheckTableAfterPublish(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.clock.Add(48 * time.Hour)
	if _, err := f.m.Check(ctx); err != nil {
		t.Fatal(err)
	}
	f.publish(t, "orders", "committed")
	tbl, err := f.reg.Table(ctx, "sales", "orders", "orders")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := f.m.CheckTable(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Status != Fresh || ts.AgeSeconds == nil || *ts.AgeSeconds != 0 {
		t.Errorf("CheckTable(orders) = %s age %v, want fresh age 0", ts.Status, ts.AgeSeconds)
	}
	if want := f.clock.Now().Add(24 * time.Hour); ts.Due == nil || !ts.Due.Equal(want) {
		t.Errorf("CheckTable(orders).Due = %v, want %v", ts.Due, want)
	}
	open, err := f.m.Breaches(ctx, BreachFilter{Open: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].Table != "lines" {
		t.Errorf("open breaches = %+v, want only lines", open)
	}
	prod, err := f.m.Product(ctx, "sales", "orders")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]Status{"sales.orders.orders": Fresh, "sales.orders.lines": Never}, statuses(prod)); diff != "" {
		t.Errorf("Product(sales, orders) (-want +got):\n%s", diff)
	}
	late, err := f.m.Statuses(ctx, Filter{Status: Never})
	if err != nil {
		t.Fatal(err)
	}
	if len(late) != 1 || late[0].Table != "lines" {
		t.Errorf("Statuses(never) = %+v, want lines", late)
	}
}

// BenchmarkCheck measures a full check over 10,000 tables (half of them
// published, a tenth in breach), against the read-only evaluation of the
// same tables (Statuses) as the reference.
func BenchmarkCheck(b *testing.B) {
	const n = 10_000
	var extra []registry.Table
	for i := range n - 3 {
		extra = append(extra, table("sales", "orders", fmt.Sprintf("t%05d", i), "sales-orders-contract"))
	}
	f := newFixture(b, extra...)
	ctx := context.Background()
	for i := range n - 3 {
		if i%2 == 0 {
			f.publish(b, fmt.Sprintf("t%05d", i), "committed")
		}
	}
	f.clock.Add(time.Hour) // contract-wide latency 2 hours: published tables fresh, the others not yet due
	if _, err := f.m.Check(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("Statuses", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.m.Statuses(ctx, Filter{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n*1000, "ns/table")
	})
	b.Run("Check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.m.Check(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n*1000, "ns/table")
	})
}
