package lineage

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

// emptyCatalog is a registry with no products: the graph's mesh nodes
// exist only through their edges. The platform tests use the real registry.
type emptyCatalog struct{}

func (emptyCatalog) Products(context.Context) ([]registry.Product, error) { return nil, nil }
func (emptyCatalog) Product(_ context.Context, d, n string) (*registry.Product, error) {
	return nil, errs.E(errs.NotFound, "test", "product %s.%s does not exist", d, n)
}
func (emptyCatalog) Tables(context.Context, string, string) ([]registry.Table, error) {
	return nil, nil
}
func (emptyCatalog) ContractByID(context.Context, string) (*registry.Contract, error) {
	return nil, nil
}
func (emptyCatalog) ContractsOf(context.Context, string, string) ([]registry.Contract, error) {
	return nil, nil
}

type allowAll struct{}

func (allowAll) Can(context.Context, access.Principal, access.Action, access.Resource) bool {
	return true
}

func openStore(tb testing.TB) *Store {
	tb.Helper()
	db, err := registry.OpenSQLite(filepath.Join(tb.TempDir(), "mesh.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s, err := Open(context.Background(), Config{DB: db, Catalog: emptyCatalog{}, Access: allowAll{}})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestParseEvent(t *testing.T) {
	spark, err := os.ReadFile(filepath.Join("testdata", "openlineage_spark.json"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseEvent(spark)
	if err != nil {
		t.Fatalf("ParseEvent(spark event) = %v, want nil", err)
	}
	if got := e.Outputs[0].columns["revenue"]; len(got) != 2 || got[1].Field != "amount" {
		t.Errorf("ParseEvent(spark event) column lineage of revenue = %+v, want two input fields", got)
	}
	if want := time.Date(2026, 12, 4, 3, 17, 42, 318e6, time.UTC); !e.Time().Equal(want) {
		t.Errorf("ParseEvent(spark event).Time() = %v, want %v", e.Time(), want)
	}
	tests := []struct {
		body, want string
	}{
		{``, "body: not JSON"},
		{`null`, "body: must be a JSON object"},
		{`{`, "body: not JSON"},
		{`tru`, "body: not JSON"},
		{`"x"`, "body: must be a JSON object"},
		{`{"eventTime": 5}`, "eventTime: must be a string"},
		{`{"eventTime": "2026-12-04T03:17:42+01:00"}`, "run: required"},
		{`{"eventTime": "2026-12-04", "run": {}}`, "eventTime: not RFC 3339"},
		{`{"eventTime": "2026-12-04T03:17:42Z", "run": {"runId": "3f5e1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6"}}`, "run.runId: must be a UUID"},
		{`{"eventTime": "2026-12-04T03:17:42Z", "run": {"runId": "3f5e1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"}, "job": []}`, "job: must be an object"},
		{`{"eventTime": "2026-12-04T03:17:42Z", "run": {"runId": "3f5e1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"}, "job": {"namespace": "a", "name": "b"},
		  "producer": "p", "schemaURL": "https://x"}`, "producer: must be an absolute URI"},
		{`{"eventTime": "2026-12-04T03:17:42Z", "run": {"runId": "3f5e1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"}, "job": {"namespace": "a", "name": "b"},
		  "producer": "https://p", "schemaURL": "https://x", "inputs": [null]}`, "inputs[0]: must be an object"},
		{`{"eventTime": "2026-12-04T03:17:42Z", "run": {"runId": "3f5e1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"}, "job": {"namespace": "a", "name": "b"},
		  "producer": "https://p", "schemaURL": "https://x", "outputs": [{"namespace": "n", "name": "x\ny"}]}`, "outputs[0].name: holds a control character"},
		{manyPairs(), "outputs: 101 inputs and 100 outputs make more than 10000 edges"},
	}
	for _, tc := range tests {
		_, err := ParseEvent([]byte(tc.body))
		if err == nil || !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseEvent(%.60q) = %v, want an Invalid error containing %q", tc.body, err, tc.want)
		}
	}
}

// manyPairs is an event whose inputs and outputs would make 10,100 edges.
func manyPairs() string {
	var ins, outs []string
	for i := range 101 {
		ins = append(ins, fmt.Sprintf(`{"namespace":"s3://x","name":"i%d"}`, i))
	}
	for i := range 100 {
		outs = append(outs, fmt.Sprintf(`{"namespace":"s3://x","name":"o%d"}`, i))
	}
	return `{"eventTime": "2026-12-04T03:17:42Z", "run": {"runId": "3f5e1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"}, "job": {"namespace": "a", "name": "b"},
		"producer": "https://p", "schemaURL": "https://x", "inputs": [` + strings.Join(ins, ",") + `], "outputs": [` + strings.Join(outs, ",") + `]}`
}

func TestRunUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := RunUUID("run-1"), RunUUID("run-2")
	if !re.MatchString(a) || a == b || RunUUID("run-1") != a {
		t.Errorf("RunUUID(run-1) = %s, RunUUID(run-2) = %s; want two distinct stable version 5 UUIDs", a, b)
	}
}

// ingest records a COMPLETE event with the given external inputs and outputs.
func ingest(tb testing.TB, s *Store, job string, ins, outs []string) {
	tb.Helper()
	ds := func(names []string) []*Dataset {
		var out []*Dataset
		for _, n := range names {
			ns, name, _ := strings.Cut(n, "/")
			out = append(out, &Dataset{Namespace: ns, Name: name})
		}
		return out
	}
	e := &Event{EventType: EventComplete, EventTime: "2026-12-04T00:00:00Z", Run: &Run{RunID: "3f5e1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"},
		Job: &Job{Namespace: "test", Name: job}, Inputs: ds(ins), Outputs: ds(outs), Producer: "https://test", SchemaURL: SchemaURL}
	b, _ := json.Marshal(e)
	pe, err := ParseEvent(b)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := access.WithPrincipal(context.Background(), access.Principal{Name: "test"})
	if _, err := s.Ingest(ctx, pe); err != nil {
		tb.Fatal(err)
	}
}

func TestWalk(t *testing.T) {
	s := openStore(t)
	ingest(t, s, "a", []string{"s3/a"}, []string{"s3/b"})
	ingest(t, s, "b", []string{"s3/b"}, []string{"s3/c", "s3/d"})
	ingest(t, s, "c", []string{"s3/c"}, []string{"s3/a"}) // a cycle: a -> b -> c -> a
	ctx := context.Background()
	tests := []struct {
		root  string
		dir   Direction
		depth int
		want  []string
	}{
		{"s3/a", Down, 1, []string{"downstream 1 s3/b"}},
		{"s3/a", Down, 2, []string{"downstream 1 s3/b", "downstream 2 s3/c", "downstream 2 s3/d"}},
		{"s3/a", Down, 10, []string{"downstream 1 s3/b", "downstream 2 s3/c", "downstream 2 s3/d"}},
		{"s3/a", Up, 10, []string{"upstream 1 s3/c", "upstream 2 s3/b"}},
		{"s3/d", Both, 10, []string{"upstream 1 s3/b", "upstream 2 s3/a", "upstream 3 s3/c"}},
	}
	for _, tc := range tests {
		g, err := s.Walk(ctx, tc.root, tc.dir, tc.depth)
		if err != nil {
			t.Fatalf("Walk(%s, %s, %d) = %v", tc.root, tc.dir, tc.depth, err)
		}
		var got []string
		for _, n := range g.Nodes[1:] {
			got = append(got, fmt.Sprintf("%s %d %s", n.Direction, n.Hops, n.ID))
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("Walk(%s, %s, %d) = %v, want %v", tc.root, tc.dir, tc.depth, got, tc.want)
		}
	}
	if _, err := s.Walk(ctx, "s3/zzz", Both, 1); !errs.Is(err, errs.NotFound) {
		t.Errorf("Walk(unknown) = %v, want NotFound", err)
	}
}

func FuzzEvent(f *testing.F) {
	spark, err := os.ReadFile(filepath.Join("testdata", "openlineage_spark.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(spark)
	f.Add([]byte(`{"eventType":"COMPLETE","eventTime":"2026-12-04T03:17:42Z","run":{"runId":"3f5e1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"},
		"job":{"namespace":"a","name":"b"},"inputs":[{"namespace":"s3://x","name":"y"}],"outputs":[{"namespace":"meshwork","name":"a.b.c",
		"facets":{"columnLineage":{"fields":{"c":{"inputFields":[{"namespace":"s3://x","name":"y","field":"z"}]}}}}}],
		"producer":"https://p","schemaURL":"https://s"}`))
	f.Add([]byte(`{"run":{"runId":1}}`))
	f.Add([]byte(`[{}]`))
	f.Add([]byte(`{"outputs":[{"facets":{"columnLineage":{"fields":{"":{}}}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEvent(b)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("ParseEvent error %v is not Invalid", err)
			}
			if _, msg, _ := errs.Public(err); !strings.Contains(msg, ": ") {
				t.Fatalf("ParseEvent error %q names no field", msg)
			}
			return
		}
		// What was accepted survives a round trip.
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal an accepted event: %v", err)
		}
		if _, err := ParseEvent(again); err != nil {
			t.Fatalf("ParseEvent(Marshal(accepted)) = %v\n%s", err, again)
		}
	})
}

// benchGraph builds a layered graph of 10,000 tables: 10 layers of 1,000,
// each table feeding 3 random tables of the next layer.
func benchGraph(b *testing.B) (*Store, string) {
	s := openStore(b)
	rng := rand.New(rand.NewPCG(1, 2))
	id := func(layer, i int) string { return fmt.Sprintf("d%d.p%03d.t%d", layer, i/10, i%10) }
	var edges []Edge
	now := time.Now()
	for l := 0; l < 9; l++ {
		for i := 0; i < 1000; i++ {
			for k := 0; k < 3; k++ {
				edges = append(edges, Edge{From: id(l, i), To: id(l+1, rng.IntN(1000)), Source: SourceOpenLineage, Origin: "bench", LastSeen: now})
			}
		}
	}
	if err := s.upsert(context.Background(), edges, nil); err != nil {
		b.Fatal(err)
	}
	return s, id(0, 0)
}

// BenchmarkLineage measures a downstream traversal of depth 5 on a 10,000
// node graph (the in-memory walk, graph loaded), beside the same traversal
// as a recursive SQL query over the edge table.
func BenchmarkLineage(b *testing.B) {
	s, root := benchGraph(b)
	ctx := context.Background()
	g, err := s.Walk(ctx, root, Down, 5)
	if err != nil {
		b.Fatal(err)
	}
	nodes := len(g.Nodes)
	b.Run("walk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Walk(ctx, root, Down, 5); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(nodes), "nodes")
	})
	b.Run("query", func(b *testing.B) {
		b.ReportAllocs()
		qctx := access.WithPrincipal(ctx, access.Principal{Name: "bench"})
		for b.Loop() {
			if _, err := s.Query(qctx, root, Down, 5); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sql-recursive-reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := s.db.QueryContext(ctx, `WITH RECURSIVE down(id, hops) AS (
				SELECT ?, 0
				UNION SELECT e.dst, d.hops + 1 FROM mesh_lineage_edges e JOIN down d ON e.src = d.id WHERE d.hops < 5)
				SELECT id, min(hops) FROM down GROUP BY id`, root)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if n != nodes {
				b.Fatalf("recursive SQL reached %d nodes, the walk %d", n, nodes)
			}
		}
	})
}

// BenchmarkRunEvent measures what the publish hook does per publish: build
// the run event of a 16-column table with 10 rule results and 3 inputs.
func BenchmarkRunEvent(b *testing.B) {
	s := openStore(b)
	var edges []Edge
	var ds []dataset
	for _, in := range []string{"raw", "customers", "parts"} {
		id := datasetID("s3://lake", in, "")
		ds = append(ds, dataset{id: id, namespace: "s3://lake", name: in})
		edges = append(edges, Edge{From: id, To: "sales.orders.orders", Source: SourceOpenLineage, Origin: "load", LastSeen: time.Now()})
	}
	if err := s.upsert(context.Background(), edges, ds); err != nil {
		b.Fatal(err)
	}
	run := PublishRun{RunID: "r1", Domain: "sales", Product: "orders", Table: "orders", Status: "committed",
		Started: time.Now(), Finished: time.Now(), Rows: 15000, Bytes: 1 << 20, SnapshotID: 42}
	for i := range 16 {
		run.Columns = append(run.Columns, Column{Name: fmt.Sprintf("c%d", i), Type: "BIGINT"})
	}
	for i := range 10 {
		run.Checks = append(run.Checks, Check{Name: fmt.Sprintf("rule%d", i), Success: true})
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.RunEvent(ctx, run); err != nil {
			b.Fatal(err)
		}
	}
}

func TestResolveColumn(t *testing.T) {
	table := func(cols ...string) *registry.Table {
		t := &registry.Table{}
		for _, c := range cols {
			t.Def.Schema.Columns = append(t.Def.Schema.Columns, schema.Column{Name: c})
		}
		return t
	}
	ups := []upstream{
		{product: "sales.orders", tables: map[string]*registry.Table{"orders": table("o_orderdate"), "items": table("price")}},
		{product: "supply.parts", tables: map[string]*registry.Table{"items": table("price"), "part": table("p_name")}},
	}
	tests := []struct {
		src, want string
	}{
		{"sales.orders.orders.o_orderdate", "sales.orders.orders.o_orderdate"},
		{"orders.o_orderdate", "sales.orders.orders.o_orderdate"},
		{"part.p_name", "supply.parts.part.p_name"},
		{"items.price", ""}, // two input ports have a table items: ambiguous
		{"supply.parts.items.price", "supply.parts.items.price"}, // the full name is not
		{"orders.nope", ""},          // no such column
		{"hr.people.staff.name", ""}, // not an input port
		{"erp.ledger", ""},           // not a column of an input port
		{"orders", ""},
	}
	for _, tc := range tests {
		got, ok := resolveColumn(tc.src, ups)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("resolveColumn(%q) = %q, %v; want %q", tc.src, got, ok, tc.want)
		}
	}
}
