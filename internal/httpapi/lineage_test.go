package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/event"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/lineage"
	"github.com/meshwork/meshwork/internal/platform"
)

// lineageEnv is a platform with the demo specs (no data) and finance.revenue,
// which reads sales.orders through an input port.
func lineageEnv(tb testing.TB, edit ...func(*platform.Config)) *env {
	tb.Helper()
	e := newEnv(tb, edit...)
	srcs, err := demo.Sources()
	if err != nil {
		tb.Fatal(err)
	}
	e.apply(tb, "", srcs...)
	e.applyFiles(tb, "lineage.yaml")
	return e
}

// lineageOf GETs the lineage of node (escaped here) and wants a 200.
func (e *env) lineageOf(tb testing.TB, node, query string) lineage.Graph {
	tb.Helper()
	path := "/api/v1/lineage/" + url.PathEscape(node) + query
	r := e.do(tb, "GET", path, nil)
	r.wantStatus(tb, "GET "+path, http.StatusOK)
	var g lineage.Graph
	r.decode(tb, "GET "+path, &g)
	return g
}

// ids lists the node ids of g other than the root, sorted.
func ids(g lineage.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		if n.ID != g.Root {
			out = append(out, n.ID)
		}
	}
	sort.Strings(out)
	return out
}

// edgeList lists g's edges as "from -> to (source)", sorted.
func edgeList(g lineage.Graph) []string {
	var out []string
	for _, e := range g.Edges {
		out = append(out, fmt.Sprintf("%s -> %s (%s)", e.From, e.To, e.Source))
	}
	sort.Strings(out)
	return out
}

func node(g lineage.Graph, id string) (lineage.Node, bool) {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return lineage.Node{}, false
}

func TestLineageInputPorts(t *testing.T) {
	e := lineageEnv(t)
	tests := []struct {
		node, query string
		want        []string
	}{
		{"finance.revenue", "?direction=up&depth=2", []string{"customers.crm", "sales.orders", "supply.parts"}},
		{"customers.crm", "?direction=down&depth=3", []string{"finance.revenue", "sales.orders"}},
		{"sales.orders.lineitem", "?direction=down", []string{"finance.revenue.daily"}},
		{"sales.orders.orders", "?direction=up", []string{
			"customers.crm.customer", "customers.crm.nation", "customers.crm.region",
			"supply.parts.part", "supply.parts.partsupp", "supply.parts.supplier"}},
		{"finance.revenue.daily.order_day", "?direction=up", []string{"sales.orders.orders.o_orderdate"}},
		// table.column resolves through the input ports; erp.ledger.amount
		// names no input port and is left out.
		{"finance.revenue.daily.revenue", "", []string{"sales.orders.lineitem.l_discount", "sales.orders.lineitem.l_extendedprice"}},
		{"sales.orders.lineitem.l_discount", "?direction=down", []string{"finance.revenue.daily.revenue"}},
	}
	for _, tc := range tests {
		t.Run(tc.node+tc.query, func(t *testing.T) {
			g := e.lineageOf(t, tc.node, tc.query)
			if diff := cmp.Diff(tc.want, ids(g)); diff != "" {
				t.Errorf("lineage of %s%s: nodes (-want +got):\n%s", tc.node, tc.query, diff)
			}
			for _, ed := range g.Edges {
				if ed.Source != lineage.SourceInputPort {
					t.Errorf("edge %s -> %s: source = %q, want %q", ed.From, ed.To, ed.Source, lineage.SourceInputPort)
				}
			}
		})
	}

	t.Run("impact analysis names the owners", func(t *testing.T) {
		g := e.lineageOf(t, "sales.orders.orders", "?direction=down")
		n, ok := node(g, "finance.revenue.daily")
		if !ok {
			t.Fatalf("downstream of sales.orders.orders: no finance.revenue.daily in %v", ids(g))
		}
		want := lineage.Node{ID: "finance.revenue.daily", Kind: "table", Domain: "finance", Product: "revenue", Table: "daily",
			Direction: "downstream", Hops: 1, Team: "Finance Analytics",
			Owners: []string{"ada.lovelace@meshwork.example", "grace.hopper@meshwork.example"}}
		if diff := cmp.Diff(want, n); diff != "" {
			t.Errorf("downstream node (-want +got):\n%s", diff)
		}
	})

	t.Run("product page", func(t *testing.T) {
		r := e.do(t, "GET", "/api/v1/products/finance/revenue/page", nil)
		r.wantStatus(t, "GET page", http.StatusOK)
		var pg httpapi.Page
		r.decode(t, "page", &pg)
		var got []string
		for _, n := range pg.Lineage {
			got = append(got, fmt.Sprintf("%s %d %s.%s %s", n.Direction, n.Hops, n.Domain, n.Product, n.Source))
		}
		sort.Strings(got)
		want := []string{"upstream 1 sales.orders inputPort", "upstream 2 customers.crm inputPort", "upstream 2 supply.parts inputPort"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("page lineage (-want +got):\n%s", diff)
		}
	})

	t.Run("an apply that drops the port drops the edges", func(t *testing.T) {
		doc := strings.Replace(string(testdata(t, "lineage.yaml")), "inputPorts:\n  - name: sales-orders\n    version: 1.0.0\n    contractId: sales-orders-contract\n", "", 1)
		e.apply(t, "", apply.Source{Name: "lineage.yaml", Data: []byte(doc)})
		if got := ids(e.lineageOf(t, "finance.revenue", "?direction=up")); len(got) != 0 {
			t.Errorf("upstream of finance.revenue after dropping its port = %v, want none", got)
		}
		e.applyFiles(t, "lineage.yaml")
		if got := ids(e.lineageOf(t, "finance.revenue", "?direction=up")); !slices.Equal(got, []string{"sales.orders"}) {
			t.Errorf("upstream of finance.revenue after restoring its port = %v, want [sales.orders]", got)
		}
	})

	t.Run("rebuilt at open", func(t *testing.T) {
		// platform.Open rebuilds every product's spec edges: the same graph.
		before := edgeList(e.lineageOf(t, "sales.orders", "?direction=both&depth=3"))
		if err := e.p.Lineage.RebuildAll(t.Context()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, edgeList(e.lineageOf(t, "sales.orders", "?direction=both&depth=3"))); diff != "" {
			t.Errorf("edges after RebuildAll (-before +after):\n%s", diff)
		}
	})
}

// etl is a pipeline's principal: it publishes finance and reads sales.
func etl(tb testing.TB, e *env) *env {
	return e.principal(tb, "svc-etl",
		httpapi.GrantRequest{Role: access.RolePublisher, Domain: "finance"},
		httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "sales"})
}

func postEvent(tb testing.TB, e *env, body []byte) response {
	tb.Helper()
	return e.do(tb, "POST", "/api/v1/lineage", bytes.NewReader(body), "Content-Type", "application/json")
}

func TestLineageEventSpark(t *testing.T) {
	e := lineageEnv(t)
	svc := etl(t, e)
	r := postEvent(t, svc, testdata(t, "openlineage_spark.json"))
	r.wantStatus(t, "POST spark event", http.StatusAccepted)
	var in lineage.Ingested
	r.decode(t, "ingested", &in)
	if in.EventType != "COMPLETE" || in.Edges == 0 {
		t.Errorf("ingested = %+v, want a COMPLETE event with edges", in)
	}
	const ledger = "postgres://erp-db.internal:5432/erp.public.ledger"
	g := e.lineageOf(t, "finance.revenue.daily", "?direction=up")
	want := []string{
		"postgres://erp-db.internal:5432/erp.public.ledger -> finance.revenue.daily (openlineage)",
		"sales.orders.lineitem -> finance.revenue.daily (inputPort)",
		"sales.orders.lineitem -> finance.revenue.daily (openlineage)",
		"sales.orders.orders -> finance.revenue.daily (inputPort)",
	}
	if diff := cmp.Diff(want, edgeList(g)); diff != "" {
		t.Errorf("upstream edges of finance.revenue.daily (-want +got):\n%s", diff)
	}
	for _, ed := range g.Edges {
		if ed.Source == lineage.SourceOpenLineage && (ed.Job != "revenue_daily.execute_insert_into_hadoop_fs_relation_command.finance_revenue_daily" ||
			ed.RunID != "01938f2e-7c1a-7b4e-9a55-2f0c3d1e8b6a" || !ed.LastSeen.Equal(time.Date(2026, 12, 4, 3, 17, 42, 318e6, time.UTC))) {
			t.Errorf("openlineage edge = %+v, want the job, run id and event time", ed)
		}
	}
	// The external dataset is a node of its own, addressed URL-escaped.
	g = e.lineageOf(t, ledger, "?direction=down")
	n, _ := node(g, ledger)
	if n.Kind != "dataset" || n.Namespace != "postgres://erp-db.internal:5432" || n.Name != "erp.public.ledger" {
		t.Errorf("external root = %+v, want a dataset with its namespace and name", n)
	}
	if diff := cmp.Diff([]string{"finance.revenue", "finance.revenue.daily"}, ids(g)); diff != "" {
		t.Errorf("downstream of %s (-want +got):\n%s", ledger, diff)
	}
	// Column lineage from the facet, beside the one from the contract.
	g = e.lineageOf(t, "finance.revenue.daily.revenue", "?direction=up")
	wantCols := []string{
		"postgres://erp-db.internal:5432/erp.public.ledger#amount -> finance.revenue.daily.revenue (openlineage)",
		"sales.orders.lineitem.l_discount -> finance.revenue.daily.revenue (inputPort)",
		"sales.orders.lineitem.l_extendedprice -> finance.revenue.daily.revenue (inputPort)",
		"sales.orders.lineitem.l_extendedprice -> finance.revenue.daily.revenue (openlineage)",
	}
	if diff := cmp.Diff(wantCols, edgeList(g)); diff != "" {
		t.Errorf("upstream edges of finance.revenue.daily.revenue (-want +got):\n%s", diff)
	}
	// Audited.
	want2 := []auditRecord{{"lineage.event", "ok", "svc-etl", "job:spark-prod/revenue_daily.execute_insert_into_hadoop_fs_relation_command.finance_revenue_daily"}}
	if diff := cmp.Diff(want2, auditRecords(t, e, "WHERE action = 'lineage.event'")); diff != "" {
		t.Errorf("audit records (-want +got):\n%s", diff)
	}
}

// olEvent is a valid OpenLineage event: an external input and the output edit makes.
func olEvent(edit func(m map[string]any)) []byte {
	m := map[string]any{
		"eventType": "COMPLETE",
		"eventTime": "2026-12-04T03:17:42Z",
		"run":       map[string]any{"runId": "3f5e1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"},
		"job":       map[string]any{"namespace": "airflow", "name": "daily.load"},
		"inputs":    []any{map[string]any{"namespace": "s3://raw", "name": "orders/2026-12-04"}},
		"outputs":   []any{map[string]any{"namespace": "meshwork", "name": "finance.revenue.daily"}},
		"producer":  "https://github.com/apache/airflow",
		"schemaURL": lineage.SchemaURL,
	}
	if edit != nil {
		edit(m)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestLineageEventBadInput(t *testing.T) {
	e := lineageEnv(t)
	before := edgeList(e.lineageOf(t, "finance.revenue.daily", "?direction=both&depth=3"))
	out := func(m map[string]any) map[string]any { return m["outputs"].([]any)[0].(map[string]any) }
	tests := []struct {
		name string
		body []byte
		msg  string
	}{
		{"not JSON", []byte("{"), "body: not JSON"},
		{"array", []byte("[]"), "body: must be a JSON object"},
		{"trailing", append(olEvent(nil), "{}"...), "body: trailing data"},
		{"run id", olEvent(func(m map[string]any) { m["run"] = map[string]any{"runId": "run-42"} }), "run.runId: must be a UUID"},
		{"run id missing", olEvent(func(m map[string]any) { m["run"] = map[string]any{} }), "run.runId: required"},
		{"run missing", olEvent(func(m map[string]any) { delete(m, "run") }), "run: required"},
		{"run id type", olEvent(func(m map[string]any) { m["run"] = map[string]any{"runId": 42} }), "run.runId: must be a string"},
		{"output name", olEvent(func(m map[string]any) { delete(out(m), "name") }), "outputs[0].name: required"},
		{"input namespace", olEvent(func(m map[string]any) { m["inputs"].([]any)[0].(map[string]any)["namespace"] = " " }), "inputs[0].namespace: required"},
		{"event time", olEvent(func(m map[string]any) { m["eventTime"] = "04/12/2026 03:17" }), "eventTime: not RFC 3339"},
		{"event time missing", olEvent(func(m map[string]any) { delete(m, "eventTime") }), "eventTime: required"},
		{"event type", olEvent(func(m map[string]any) { m["eventType"] = "DONE" }), "eventType: must be one of"},
		{"job name", olEvent(func(m map[string]any) { m["job"] = map[string]any{"namespace": "airflow"} }), "job.name: required"},
		{"producer", olEvent(func(m map[string]any) { m["producer"] = "airflow" }), "producer: must be an absolute URI"},
		{"schema URL", olEvent(func(m map[string]any) { delete(m, "schemaURL") }), "schemaURL: required"},
		{"unknown mesh table", olEvent(func(m map[string]any) { out(m)["name"] = "finance.revenue.weekly" }), "outputs[0].name: no mesh table finance.revenue.weekly"},
		{"not a mesh name", olEvent(func(m map[string]any) { out(m)["name"] = "revenue" }), "outputs[0].name: a dataset of namespace \"meshwork\" must name a mesh table"},
		{"column lineage shape", olEvent(func(m map[string]any) {
			out(m)["facets"] = map[string]any{"columnLineage": map[string]any{"fields": []any{}}}
		}), "outputs[0].facets.columnLineage.fields: must be an object"},
		{"column lineage unknown column", olEvent(func(m map[string]any) {
			out(m)["facets"] = map[string]any{"columnLineage": map[string]any{"fields": map[string]any{
				"profit": map[string]any{"inputFields": []any{map[string]any{"namespace": "s3://raw", "name": "orders", "field": "amount"}}}}}}
		}), `outputs[0].facets.columnLineage.fields["profit"]: no column profit in finance.revenue.daily`},
		{"column lineage input field", olEvent(func(m map[string]any) {
			out(m)["facets"] = map[string]any{"columnLineage": map[string]any{"fields": map[string]any{
				"revenue": map[string]any{"inputFields": []any{map[string]any{"namespace": "s3://raw", "name": "orders"}}}}}}
		}), `outputs[0].facets.columnLineage.fields["revenue"].inputFields[0].field: required`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			postEvent(t, e, tc.body).wantError(t, "POST "+tc.name, http.StatusBadRequest, "invalid", tc.msg)
		})
	}
	t.Run("too large", func(t *testing.T) {
		big := olEvent(func(m map[string]any) {
			m["job"].(map[string]any)["facets"] = map[string]any{"x": strings.Repeat("a", 1<<20)}
		})
		postEvent(t, e, big).wantError(t, "POST 1 MiB", http.StatusRequestEntityTooLarge, "too_large", "body")
	})
	if diff := cmp.Diff(before, edgeList(e.lineageOf(t, "finance.revenue.daily", "?direction=both&depth=3"))); diff != "" {
		t.Errorf("edges changed by refused events (-before +after):\n%s", diff)
	}
	r := e.do(t, "GET", "/api/v1/lineage/"+url.PathEscape("s3://raw/orders/2026-12-04"), nil)
	r.wantError(t, "GET a dataset only refused events named", http.StatusNotFound, "not_found", "no lineage node")
}

func TestLineageEventAuthorization(t *testing.T) {
	e := lineageEnv(t)
	consumer := e.principal(t, "sales-reader", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "sales"})
	before := edgeList(e.lineageOf(t, "sales.orders.orders", "?direction=both"))
	intoOrders := olEvent(func(m map[string]any) {
		m["outputs"] = []any{map[string]any{"namespace": "meshwork", "name": "sales.orders.orders"}}
	})
	readsFinance := olEvent(func(m map[string]any) {
		m["inputs"] = []any{map[string]any{"namespace": "meshwork", "name": "finance.revenue.daily"}}
		m["outputs"] = []any{map[string]any{"namespace": "s3://exports", "name": "revenue.csv"}}
	})
	external := olEvent(func(m map[string]any) {
		m["outputs"] = []any{map[string]any{"namespace": "s3://curated", "name": "orders"}}
	})
	tests := []struct {
		name   string
		as     *env
		body   []byte
		status int
		code   string
		msg    string
	}{
		{"a consumer cannot add an edge into sales.orders", consumer, intoOrders, http.StatusForbidden, "forbidden", `outputs[0]: principal "sales-reader" may not add lineage into sales.orders`},
		{"an input it may not read", consumer, readsFinance, http.StatusForbidden, "forbidden", `inputs[0]: principal "sales-reader" may not read finance.revenue`},
		{"no credential", e.as(""), external, http.StatusUnauthorized, "unauthenticated", ""},
		{"an unknown product is forbidden, not named", consumer, olEvent(func(m map[string]any) {
			m["outputs"] = []any{map[string]any{"namespace": "meshwork", "name": "hr.people.staff"}}
		}), http.StatusForbidden, "forbidden", "may not add lineage into hr.people"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			postEvent(t, tc.as, tc.body).wantError(t, "POST", tc.status, tc.code, tc.msg)
		})
	}
	if diff := cmp.Diff(before, edgeList(e.lineageOf(t, "sales.orders.orders", "?direction=both"))); diff != "" {
		t.Errorf("edges of sales.orders.orders changed by refused events (-before +after):\n%s", diff)
	}
	t.Run("an external-only event needs only a principal", func(t *testing.T) {
		postEvent(t, consumer, external).wantStatus(t, "POST external event", http.StatusAccepted)
		g := e.lineageOf(t, "s3://curated/orders", "?direction=up")
		if diff := cmp.Diff([]string{"s3://raw/orders/2026-12-04"}, ids(g)); diff != "" {
			t.Errorf("upstream of s3://curated/orders (-want +got):\n%s", diff)
		}
	})
	t.Run("only COMPLETE events add edges", func(t *testing.T) {
		for _, typ := range []string{"START", "RUNNING", "FAIL", "ABORT", "OTHER"} {
			body := olEvent(func(m map[string]any) {
				m["eventType"] = typ
				m["outputs"] = []any{map[string]any{"namespace": "s3://curated", "name": "orders-" + strings.ToLower(typ)}}
			})
			r := postEvent(t, consumer, body)
			r.wantStatus(t, "POST "+typ, http.StatusAccepted)
			var in lineage.Ingested
			r.decode(t, typ, &in)
			if in.Edges != 0 {
				t.Errorf("%s event added %d edges, want 0", typ, in.Edges)
			}
		}
		r := e.do(t, "GET", "/api/v1/lineage/"+url.PathEscape("s3://curated/orders-start"), nil)
		r.wantError(t, "GET the output of a START event", http.StatusNotFound, "not_found", "no lineage node")
	})
}

func TestLineageHidden(t *testing.T) {
	e := lineageEnv(t)
	fin := e.principal(t, "fin-analyst", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "finance"})
	g := fin.lineageOf(t, "finance.revenue", "?direction=up&depth=3")
	if len(g.Nodes) != 1 || g.Hidden != 3 || len(g.Edges) != 0 {
		t.Errorf("upstream of finance.revenue for a finance consumer = %d nodes, %d edges, hidden %d; want 1, 0, 3", len(g.Nodes), len(g.Edges), g.Hidden)
	}
	if strings.Contains(fmt.Sprint(g), "sales") {
		t.Errorf("answer names a hidden product: %+v", g)
	}
	sales := e.principal(t, "sales-analyst", httpapi.GrantRequest{Role: access.RoleConsumer, Domain: "sales"})
	g = sales.lineageOf(t, "sales.orders", "?direction=both")
	if diff := cmp.Diff([]string{}, append([]string{}, ids(g)...)); diff != "" || g.Hidden != 3 {
		t.Errorf("lineage of sales.orders for a sales consumer: nodes %v, hidden %d; want none, 3", ids(g), g.Hidden)
	}
	r := fin.do(t, "GET", "/api/v1/lineage/sales.orders", nil)
	r.wantError(t, "GET a product it may not read", http.StatusNotFound, "not_found", "no lineage node")
}

func TestLineageCycle(t *testing.T) {
	e := lineageEnv(t)
	for _, p := range [][2]string{{"s3://a/x", "s3://a/y"}, {"s3://a/y", "s3://a/z"}, {"s3://a/z", "s3://a/x"}} {
		ns, name, _ := strings.Cut(strings.TrimPrefix(p[0], "s3://"), "/")
		ns2, name2, _ := strings.Cut(strings.TrimPrefix(p[1], "s3://"), "/")
		postEvent(t, e, olEvent(func(m map[string]any) {
			m["inputs"] = []any{map[string]any{"namespace": "s3://" + ns, "name": name}}
			m["outputs"] = []any{map[string]any{"namespace": "s3://" + ns2, "name": name2}}
		})).wantStatus(t, "POST cycle edge", http.StatusAccepted)
	}
	g := e.lineageOf(t, "s3://a/x", "?direction=both&depth=10")
	if diff := cmp.Diff([]string{"s3://a/y", "s3://a/z"}, ids(g)); diff != "" {
		t.Errorf("nodes around a cycle (-want +got):\n%s", diff)
	}
	if len(g.Edges) != 3 {
		t.Errorf("edges around a cycle = %v, want the three", edgeList(g))
	}
}

func TestLineageQueryBadInput(t *testing.T) {
	e := lineageEnv(t)
	tests := []struct {
		path   string
		status int
		msg    string
	}{
		{"/api/v1/lineage/sales.orders?direction=sideways", http.StatusBadRequest, "direction: must be up, down or both"},
		{"/api/v1/lineage/sales.orders?depth=0", http.StatusBadRequest, "depth: must be a whole number from 1 to 10"},
		{"/api/v1/lineage/sales.orders?depth=11", http.StatusBadRequest, "depth: must be a whole number"},
		{"/api/v1/lineage/sales.orders?depth=two", http.StatusBadRequest, "depth: must be a whole number"},
		{"/api/v1/lineage/sales.returns", http.StatusNotFound, "no lineage node"},
		{"/api/v1/lineage/sales.orders.nope", http.StatusNotFound, "no lineage node"},
		{"/api/v1/lineage/Sales.Orders", http.StatusNotFound, "no lineage node"},
		{"/api/v1/lineage/" + url.PathEscape("s3://nowhere/x"), http.StatusNotFound, "no lineage node"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			code := "invalid"
			if tc.status == http.StatusNotFound {
				code = "not_found"
			}
			e.do(t, "GET", tc.path, nil).wantError(t, "GET "+tc.path, tc.status, code, tc.msg)
		})
	}
}

// receiver is an OpenLineage endpoint that hands on what it gets.
func receiver(tb testing.TB) (string, <-chan map[string]any) {
	ch := make(chan map[string]any, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &m) != nil {
			tb.Errorf("receiver got %q: %s", r.Header.Get("Content-Type"), b)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ch <- m
		w.WriteHeader(http.StatusCreated)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/api/v1/lineage", ch
}

func TestLineageEmission(t *testing.T) {
	target, got := receiver(t)
	e := lineageEnv(t, func(c *platform.Config) { c.OpenLineageURL, c.WebhookAllowPrivate = target, true })
	next := func(what string) map[string]any {
		t.Helper()
		select {
		case m := <-got:
			return m
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the receiver got no event", what)
			return nil
		}
	}
	rep := e.mustPublish(t, "finance.revenue.daily", "replace", ctCSV, []byte("order_day,revenue\n2026-12-01,10.50\n2026-12-02,20.25\n"))
	ev := next("committed publish")
	// The event is itself a valid RunEvent.
	b, _ := json.Marshal(ev)
	if _, err := lineage.ParseEvent(b); err != nil {
		t.Errorf("emitted event does not parse: %v\n%s", err, b)
	}
	get := func(m any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				mm, _ := m.(map[string]any)
				m = mm[k]
			case int:
				a, _ := m.([]any)
				if k >= len(a) {
					return nil
				}
				m = a[k]
			}
		}
		return m
	}
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"eventType"}, "COMPLETE"},
		{[]any{"run", "runId"}, lineage.RunUUID(rep.RunID)},
		{[]any{"job", "namespace"}, "meshwork"},
		{[]any{"job", "name"}, "publish.finance.revenue.daily"},
		{[]any{"outputs", 0, "name"}, "finance.revenue.daily"},
		{[]any{"outputs", 0, "facets", "schema", "fields", 1, "name"}, "revenue"},
		{[]any{"outputs", 0, "facets", "version", "datasetVersion"}, fmt.Sprint(rep.SnapshotID)},
		{[]any{"outputs", 0, "outputFacets", "outputStatistics", "rowCount"}, 2.0},
		{[]any{"outputs", 0, "facets", "dataQualityAssertions", "assertions", 0, "success"}, true},
	}
	for _, c := range checks {
		if v := get(ev, c.path...); v != c.want {
			t.Errorf("committed event %v = %v, want %v", c.path, v, c.want)
		}
	}
	var inputs []string
	for _, in := range get(ev, "inputs").([]any) {
		inputs = append(inputs, get(in, "name").(string))
	}
	sort.Strings(inputs)
	if diff := cmp.Diff([]string{"sales.orders.lineitem", "sales.orders.orders"}, inputs); diff != "" {
		t.Errorf("committed event inputs (-want +got):\n%s", diff)
	}
	var rules []string
	for _, a := range get(ev, "outputs", 0, "facets", "dataQualityAssertions", "assertions").([]any) {
		rules = append(rules, fmt.Sprint(get(a, "assertion"), "=", get(a, "success")))
	}
	if len(rules) == 0 {
		t.Errorf("committed event: no data quality assertions")
	}

	// One row: the rowCount rule fails the gate.
	r := e.publish(t, "finance.revenue.daily", "replace", ctCSV, []byte("order_day,revenue\n2026-12-03,5.00\n"))
	gateFailure(t, r)
	ev = next("gate failure")
	if get(ev, "eventType") != "FAIL" {
		t.Errorf("gate failure event type = %v, want FAIL", get(ev, "eventType"))
	}
	failed := false
	for _, a := range get(ev, "outputs", 0, "facets", "dataQualityAssertions", "assertions").([]any) {
		failed = failed || get(a, "success") == false
	}
	if !failed {
		t.Errorf("gate failure event: no failed assertion in %v", get(ev, "outputs", 0, "facets", "dataQualityAssertions"))
	}
	if get(ev, "run", "facets", "errorMessage", "message") == nil {
		t.Errorf("gate failure event: no errorMessage run facet")
	}
}

// BenchmarkPublishObserved publishes the same file alternately into a
// platform without OpenLineage emission or webhooks and one with both (an
// OpenLineage receiver and three webhook subscriptions to published, on a
// receiver that answers 201), and reports the median of each and their
// ratio. Metrics, usage and freshness run in both: they are always on.
func BenchmarkPublishObserved(b *testing.B) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	b.Cleanup(sink.Close)
	off := lineageEnv(b)
	on := lineageEnv(b, func(c *platform.Config) { c.OpenLineageURL, c.WebhookAllowPrivate = sink.URL, true })
	for range 3 {
		on.subscribe(b, sink.URL, []string{event.Published})
	}
	var body bytes.Buffer
	body.WriteString("order_day,revenue\n")
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		fmt.Fprintf(&body, "%s,%d.%02d\n", day.AddDate(0, 0, i).Format(time.DateOnly), i*7, i%100)
	}
	var tOff, tOn []float64
	b.ReportAllocs()
	order := []*env{off, on}
	for b.Loop() {
		order[0], order[1] = order[1], order[0] // neither always goes first
		for _, e := range order {
			start := time.Now()
			e.mustPublish(b, "finance.revenue.daily", "replace", ctCSV, body.Bytes())
			ms := float64(time.Since(start).Microseconds()) / 1000
			if e == off {
				tOff = append(tOff, ms)
			} else {
				tOn = append(tOn, ms)
			}
		}
	}
	median := func(v []float64) float64 {
		s := slices.Clone(v)
		slices.Sort(s)
		return s[len(s)/2]
	}
	b.ReportMetric(median(tOff), "ms-off/publish")
	b.ReportMetric(median(tOn), "ms-on/publish")
	b.ReportMetric(median(tOn)/median(tOff), "on/off")
}

func TestLineageReaderAppliedFirst(t *testing.T) {
	// finance.revenue names sales-orders-contract before sales.orders exists:
	// applying sales.orders later gives finance.revenue its edges.
	e := newEnv(t)
	e.applyFiles(t, "lineage.yaml")
	if got := ids(e.lineageOf(t, "finance.revenue", "?direction=up")); len(got) != 0 {
		t.Errorf("upstream of finance.revenue before sales.orders exists = %v, want none", got)
	}
	srcs, err := demo.Sources()
	if err != nil {
		t.Fatal(err)
	}
	e.apply(t, "", srcs...)
	if got := ids(e.lineageOf(t, "finance.revenue.daily", "?direction=up")); !slices.Equal(got, []string{"sales.orders.lineitem", "sales.orders.orders"}) {
		t.Errorf("upstream of finance.revenue.daily once sales.orders is applied = %v, want its two tables", got)
	}
}
