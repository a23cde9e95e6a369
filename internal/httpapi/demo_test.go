package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/platform"
)

// seedDemo applies the demo specs through the API and publishes the demo
// data at scale factor 0.01 through the pipeline.
func seedDemo(tb testing.TB, e *env) apply.Plan {
	tb.Helper()
	srcs, err := demo.Sources()
	if err != nil {
		tb.Fatal(err)
	}
	plan := e.apply(tb, "", srcs...)
	if err := demo.Seed(platform.AsAdmin(context.Background()), e.p.Applier, e.p.Publisher, 0.01, slog.New(slog.DiscardHandler)); err != nil {
		tb.Fatalf("demo.Seed: %v", err)
	}
	return plan
}

func TestDemoMesh(t *testing.T) {
	e := newEnv(t)
	plan := seedDemo(t, e)
	var created int
	for _, s := range plan.Steps {
		if s.Action != apply.Create {
			t.Errorf("first apply of the demo: %s %s is %q, want create", s.Kind, s.Name, s.Action)
		}
		if s.Kind == "table" {
			created++
		}
	}
	if created != 8 {
		t.Errorf("first apply of the demo created %d tables, want 8", created)
	}

	t.Run("apply is idempotent", func(t *testing.T) {
		before := e.state(t)
		srcs, _ := demo.Sources()
		for _, q := range []string{"", "?dry_run=true"} {
			again := e.apply(t, q, srcs...)
			// Domains are steps only when they are created.
			if want := len(plan.Steps) - 3; len(again.Steps) != want {
				t.Errorf("apply%s again: %d steps, want %d (every product, contract and table)", q, len(again.Steps), want)
			}
			for _, s := range again.Steps {
				if s.Action != apply.Unchanged {
					t.Errorf("apply%s again: %s %s is %q, want unchanged", q, s.Kind, s.Name, s.Action)
				}
			}
		}
		e.wantUnchanged(t, "applying the demo again", before)
	})

	t.Run("catalog", func(t *testing.T) {
		var got []string
		for _, p := range e.products(t) {
			got = append(got, fmt.Sprintf("%s.%s %v", p.Domain, p.Name, p.Tables))
		}
		want := []string{
			"customers.crm [customers.crm.customer customers.crm.nation customers.crm.region]",
			"sales.orders [sales.orders.lineitem sales.orders.orders]",
			"supply.parts [supply.parts.part supply.parts.partsupp supply.parts.supplier]",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET /api/v1/products (-want +got):\n%s", diff)
		}
		d := e.product(t, "sales", "orders")
		for _, tb := range d.Tables {
			if len(tb.Snapshots) != 1 || tb.CurrentSnapshotID == nil || tb.LastPublish == nil {
				t.Errorf("%s: %d snapshots, current %v, lastPublish %s; want one published snapshot", tb.SQLName, len(tb.Snapshots), tb.CurrentSnapshotID, tb.LastPublish)
			}
		}
	})

	t.Run("query", func(t *testing.T) {
		for _, q := range []struct {
			name, sql string
			want      [][]string
		}{
			// TPC-H cardinalities at scale factor 0.01.
			{"counts", `SELECT (SELECT count(*) FROM customers.crm.region), (SELECT count(*) FROM customers.crm.nation),
				(SELECT count(*) FROM customers.crm.customer), (SELECT count(*) FROM sales.orders.orders),
				(SELECT count(*) FROM supply.parts.part), (SELECT count(*) FROM supply.parts.supplier),
				(SELECT count(*) FROM supply.parts.partsupp)`,
				[][]string{{"5", "25", "1500", "15000", "2000", "100", "8000"}}},
			{"every order has its customer, nation and region (cross-domain)", `SELECT count(*) = (SELECT count(*) FROM sales.orders.orders), count(DISTINCT r.r_name)
				FROM sales.orders.orders o
				JOIN customers.crm.customer c ON o.o_custkey = c.c_custkey
				JOIN customers.crm.nation n ON c.c_nationkey = n.n_nationkey
				JOIN customers.crm.region r ON n.n_regionkey = r.r_regionkey`,
				[][]string{{"true", "5"}}},
			{"every line has its order, part and supplier (cross-domain)", `SELECT count(*) = (SELECT count(*) FROM sales.orders.lineitem), count(*) > 50000
				FROM sales.orders.lineitem l
				JOIN sales.orders.orders o ON l.l_orderkey = o.o_orderkey
				JOIN supply.parts.part p ON l.l_partkey = p.p_partkey
				JOIN supply.parts.supplier s ON l.l_suppkey = s.s_suppkey`,
				[][]string{{"true", "true"}}},
			{"regions", "SELECT r_regionkey, r_name FROM customers.crm.region ORDER BY r_regionkey",
				[][]string{{"0", "AFRICA"}, {"1", "AMERICA"}, {"2", "ASIA"}, {"3", "EUROPE"}, {"4", "MIDDLE EAST"}}},
			{"window and CTE", `WITH per_region AS (
					SELECT r.r_name, count(*) AS customers FROM customers.crm.customer c
					JOIN customers.crm.nation n ON c.c_nationkey = n.n_nationkey
					JOIN customers.crm.region r ON n.n_regionkey = r.r_regionkey GROUP BY r.r_name)
				SELECT sum(customers) OVER (), count(*) OVER (), row_number() OVER (ORDER BY customers DESC, r_name) AS rk
				FROM per_region QUALIFY rk = 1`,
				[][]string{{"1500", "5", "1"}}},
		} {
			t.Run(q.name, func(t *testing.T) { e.wantRows(t, q.sql, q.want) })
		}
	})
}

// BenchmarkTrivialQuery measures a small query through the whole HTTP stack:
// request decode, guard (parse, check, rewrite), governed view, DuckDB, JSON.
func BenchmarkTrivialQuery(b *testing.B) {
	e := newEnv(b)
	seedDemo(b, e)
	body := []byte(`{"sql":"SELECT count(*) FROM customers.crm.region"}`)
	client := e.srv.Client()
	url := e.srv.URL + "/api/v1/query"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			b.Fatalf("POST /api/v1/query = %d, want 200", res.StatusCode)
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
	}
}
