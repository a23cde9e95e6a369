package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/schema"
)

// shopProduct is the ODPS product of the evolution tests; extra is YAML
// appended to it (e.g. customProperties).
func shopProduct(extra string) string {
	return `apiVersion: v1.0.0
kind: DataProduct
id: retail-shop
name: shop
version: 1.0.0
status: active
domain: retail
description:
  purpose: Items on sale.
team:
  name: Retail
outputPorts:
  - name: shop
    version: 1.0.0
    contractId: retail-shop-contract
` + extra
}

const (
	colID    = "      - {name: item_id, logicalType: integer, physicalType: integer, required: true, primaryKey: true, primaryKeyPosition: 1}\n"
	colName  = "      - {name: name, logicalType: string, required: true}\n"
	colQty   = "      - {name: qty, logicalType: integer, physicalType: int, required: false}\n"
	colQty64 = "      - {name: qty, logicalType: integer, physicalType: bigint, required: false}\n"
	colColor = "      - {name: color, logicalType: string, required: false}\n"
)

// shopContract is a contract version of retail.shop with one table, items,
// of the given columns; extra is YAML appended to the document.
func shopContract(version, status, columns, extra string) string {
	return `apiVersion: v3.1.0
kind: DataContract
id: retail-shop-contract
version: ` + version + `
status: ` + status + `
domain: retail
dataProduct: shop
slaProperties:
  - {property: frequency, value: 1, unit: d}
  - {property: retention, value: 1, unit: y}
schema:
  - name: items
    properties:
` + columns + extra
}

func (e *env) applyYAML(t *testing.T, docs ...string) response {
	t.Helper()
	return e.do(t, "POST", "/api/v1/apply", strings.NewReader(strings.Join(docs, "---\n")), "Content-Type", "application/yaml")
}

func (e *env) check(t *testing.T, docs ...string) apply.Report {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/contracts:check", strings.NewReader(strings.Join(docs, "---\n")), "Content-Type", "application/yaml")
	r.wantStatus(t, "POST /api/v1/contracts:check", http.StatusOK)
	var rep apply.Report
	r.decode(t, "check report", &rep)
	return rep
}

func rules(vs []schema.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Check+" "+v.Rule+" "+v.Column+" "+v.From+"->"+v.To)
	}
	return out
}

// TestContractEvolution walks a product through its life: compatible
// changes evolve the table in place, breaking ones are refused within the
// major, and a new major runs beside the old one until its sunset.
func TestContractEvolution(t *testing.T) {
	e := newEnv(t)
	const csv = "text/csv"
	e.applyYAML(t, shopProduct(""), shopContract("1.0.0", "active", colID+colName+colQty, "")).wantStatus(t, "apply 1.0.0", http.StatusOK)
	first := e.mustPublish(t, "retail.shop.items", "append", csv, []byte("item_id,name,qty\n1,apple,10\n2,pear,20\n"))

	t.Run("add an optional column", func(t *testing.T) {
		r := e.applyYAML(t, shopProduct(""), shopContract("1.1.0", "active", colID+colName+colQty+colColor, ""))
		r.wantStatus(t, "apply 1.1.0", http.StatusOK)
		var plan apply.Plan
		r.decode(t, "plan", &plan)
		if got := plan.Steps[len(plan.Steps)-1]; !cmp.Equal(got.Changes, []string{"add optional column color VARCHAR"}) {
			t.Errorf("apply 1.1.0 table step = %+v, want the new column", got)
		}
		if c := plan.Contracts[0]; c.Mode != schema.ModeBackwardTransitive || !cmp.Equal(c.CheckedAgainst, []string{"1.0.0"}) || len(c.Violations) != 0 {
			t.Errorf("apply 1.1.0 contract check = %+v, want BACKWARD_TRANSITIVE against 1.0.0, no violation", c)
		}
		e.wantRows(t, "SELECT item_id, color FROM retail.shop.items ORDER BY item_id", [][]string{{"1", "NULL"}, {"2", "NULL"}})
	})

	t.Run("promote a type", func(t *testing.T) {
		e.applyYAML(t, shopProduct(""), shopContract("1.2.0", "active", colID+colName+colQty64+colColor, "")).wantStatus(t, "apply 1.2.0", http.StatusOK)
		e.mustPublish(t, "retail.shop.items", "append", csv, []byte("item_id,name,qty,color\n3,plum,5000000000,red\n"))
		e.wantRows(t, "SELECT item_id, qty, typeof(qty) FROM retail.shop.items ORDER BY item_id",
			[][]string{{"1", "10", "BIGINT"}, {"2", "20", "BIGINT"}, {"3", "5000000000", "BIGINT"}})
		// The snapshot before the promotion still reads, with its own schema.
		e.wantRows(t, fmt.Sprintf("SELECT sum(qty), typeof(sum(qty)) FROM retail.shop.items AT (VERSION => %d)", first.SnapshotID),
			[][]string{{"30", "HUGEINT"}})
	})

	t.Run("breaking changes are refused within the major", func(t *testing.T) {
		for _, c := range []struct {
			name, columns string
			want          []string
		}{
			{"drop a column", colID + colName + colColor, []string{"major drop-optional-column qty 1.2.0->1.3.0"}},
			// 1.0.0 and 1.1.0 had the narrow type: only 1.2.0 conflicts.
			{"narrow a type", colID + colName + colQty + colColor, []string{
				"backward change-type qty 1.2.0->1.3.0", "major change-type qty 1.2.0->1.3.0"}},
			{"add a required column", colID + colName + colQty64 + colColor + "      - {name: sku, logicalType: string, required: true}\n",
				[]string{"backward add-required-column sku 1.0.0->1.3.0", "backward add-required-column sku 1.1.0->1.3.0", "backward add-required-column sku 1.2.0->1.3.0"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				docs := []string{shopProduct(""), shopContract("1.3.0", "active", c.columns, "")}
				before := e.state(t)
				rep := e.check(t, docs...)
				if rep.OK || len(rep.Contracts) != 1 {
					t.Fatalf("contracts:check = %+v, want not ok with the contract's violations", rep)
				}
				if diff := cmp.Diff(c.want, rules(rep.Contracts[0].Violations)); diff != "" {
					t.Errorf("contracts:check violations (-want +got):\n%s", diff)
				}
				r := e.applyYAML(t, docs...)
				d := r.wantError(t, "apply ("+c.name+")", http.StatusConflict, "conflict", "compatibility violation")
				var vs []schema.Violation
				if err := remarshal(d.Details, &vs); err != nil || !cmp.Equal(rules(vs), c.want) {
					t.Errorf("apply (%s) error details = %v (%v), want the violations %v", c.name, d.Details, err, c.want)
				}
				e.wantUnchanged(t, c.name, before)
			})
		}
	})

	t.Run("a required column with a default", func(t *testing.T) {
		cols := colID + colName + colQty64 + colColor + "      - {name: stock, logicalType: integer, required: true, customProperties: [{property: default, value: 7}]}\n"
		e.applyYAML(t, shopProduct(""), shopContract("1.3.0", "active", cols, "")).wantStatus(t, "apply 1.3.0", http.StatusOK)
		e.mustPublish(t, "retail.shop.items", "append", csv, []byte("item_id,name,qty,color,stock\n4,fig,1,green,99\n"))
		e.wantRows(t, "SELECT item_id, stock FROM retail.shop.items ORDER BY item_id",
			[][]string{{"1", "7"}, {"2", "7"}, {"3", "7"}, {"4", "99"}})
		// The publish pipeline checks the new version at once: stock is required.
		r := e.publish(t, "retail.shop.items", "append", csv, []byte("item_id,name,qty,color,stock\n5,kiwi,1,green,\n"))
		r.wantError(t, "publish without the required column", http.StatusUnprocessableEntity, "gate_failed", "")
	})

	colStock := "      - {name: stock, logicalType: integer, required: true, customProperties: [{property: default, value: 7}]}\n"
	colColorPart := "      - {name: color, logicalType: string, required: false, partitioned: true, partitionKeyPosition: 1}\n"
	t.Run("change the partitioning", func(t *testing.T) {
		r := e.applyYAML(t, shopProduct(""), shopContract("1.4.0", "active", colID+colName+colQty64+colColorPart+colStock, ""))
		r.wantStatus(t, "apply 1.4.0", http.StatusOK)
		var plan apply.Plan
		r.decode(t, "plan", &plan)
		if got := plan.Steps[len(plan.Steps)-1].Changes; !cmp.Equal(got, []string{"partition by identity(color) (was none)"}) {
			t.Errorf("apply 1.4.0 changes = %v, want the new partitioning", got)
		}
		e.mustPublish(t, "retail.shop.items", "append", csv, []byte("item_id,name,qty,color,stock\n5,kiwi,1,green,3\n6,lime,2,red,4\n"))
		e.wantRows(t, "SELECT color, count(*), sum(stock) FROM retail.shop.items GROUP BY color ORDER BY color",
			[][]string{{"green", "2", "102"}, {"red", "2", "11"}, {"NULL", "2", "14"}})
	})

	t.Run("a new major beside the old one", func(t *testing.T) {
		v2 := colID + "      - {name: title, logicalType: string, required: true}\n" + colQty64
		// A draft 2.0.0: new tables, but unpinned names still read major 1.
		r := e.applyYAML(t, shopProduct(""), shopContract("2.0.0", "draft", v2, ""))
		r.wantStatus(t, "apply 2.0.0 draft", http.StatusOK)
		var plan apply.Plan
		r.decode(t, "plan", &plan)
		if c := plan.Contracts[0]; !c.NewMajor || c.Major != 2 || len(c.Violations) != 0 {
			t.Errorf("apply 2.0.0 contract check = %+v, want a new major 2 without violations", c)
		}
		if got := plan.Steps[len(plan.Steps)-1]; got.Name != "retail.shop@v2.items" || got.Action != apply.Create {
			t.Errorf("apply 2.0.0 table step = %+v, want retail.shop@v2.items created", got)
		}
		e.mustPublish(t, "retail.shop@v2.items", "append", csv, []byte("item_id,title,qty\n100,Apple,1\n"))
		e.wantRows(t, "SELECT count(*) FROM retail.shop.items", [][]string{{"6"}})
		e.wantRows(t, "SELECT item_id, title FROM retail.shop@v2.items", [][]string{{"100", "Apple"}})

		// Active: unpinned names move to major 2; major 1 stays readable pinned.
		e.applyYAML(t, shopProduct(""), shopContract("2.0.0", "active", v2, "")).wantStatus(t, "apply 2.0.0 active", http.StatusOK)
		e.wantRows(t, "SELECT item_id, title FROM retail.shop.items", [][]string{{"100", "Apple"}})
		e.wantRows(t, "SELECT count(*) FROM retail.shop@v1.items", [][]string{{"6"}})
		e.wantRows(t, `SELECT count(*) FROM retail."shop@v1".items i JOIN retail.shop@v2.items j USING (item_id)`, [][]string{{"0"}})
		// Strings, quoted names and comments are left alone.
		e.wantRows(t, "SELECT 'retail.shop@v1.items' AS s -- retail.shop@v1.items\n", [][]string{{"retail.shop@v1.items"}})

		d := e.product(t, "retail", "shop")
		var names []string
		for _, tb := range d.Tables {
			names = append(names, fmt.Sprintf("%s %s default=%v", tb.PinnedName, tb.Status, tb.Default))
		}
		if diff := cmp.Diff([]string{"retail.shop@v1.items active default=false", "retail.shop@v2.items active default=true"}, names); diff != "" {
			t.Errorf("product tables (-want +got):\n%s", diff)
		}
	})

	t.Run("consumers of the old major", func(t *testing.T) {
		bob := e.principal(t, "bob", httpapi.GrantRequest{Role: "consumer", Domain: "retail", Product: "shop"})
		bob.wantRows(t, "SELECT count(*) FROM retail.shop@v1.items", [][]string{{"6"}})
		r := e.do(t, "GET", "/api/v1/products/retail/shop/majors", nil)
		r.wantStatus(t, "GET majors", http.StatusOK)
		var out struct {
			Majors []httpapi.Major `json:"majors"`
		}
		r.decode(t, "majors", &out)
		if len(out.Majors) != 2 || out.Majors[0].Major != 2 || !out.Majors[0].Default || out.Majors[1].Major != 1 {
			t.Fatalf("majors = %+v, want 2 (default) then 1", out.Majors)
		}
		var who []string
		for _, c := range out.Majors[1].Consumers {
			who = append(who, c.Principal)
		}
		if !cmp.Equal(who, []string{"admin", "bob"}) {
			t.Errorf("consumers of major 1 = %v, want [admin bob]", who)
		}
		bob.do(t, "GET", "/api/v1/products/retail/shop/majors", nil).wantError(t, "GET majors as a consumer", http.StatusForbidden, "forbidden", "")
	})

	t.Run("sunset", func(t *testing.T) {
		deprecated := shopContract("1.4.0", "deprecated", colID+colName+colQty64+colColorPart+colStock,
			"customProperties:\n  - {property: sunset, value: \"2020-01-31\"}\n")
		e.applyYAML(t, shopProduct(""), deprecated).wantStatus(t, "deprecate 1.4.0", http.StatusOK)
		r := e.do(t, "POST", "/api/v1/query", queryBody("SELECT count(*) FROM retail.shop@v1.items"))
		r.wantError(t, "query a major past its sunset", http.StatusNotFound, "not_found", "retail.shop@v1.items is retired since 2020-01-31")
		// The status only moves forward.
		r = e.applyYAML(t, shopProduct(""), shopContract("1.4.0", "active", colID+colName+colQty64+colColorPart+colStock, ""))
		r.wantError(t, "reactivate 1.4.0", http.StatusConflict, "conflict", "can only move forward")
	})
}

// TestConcurrentContractVersions applies two incompatible successors of one
// version at once: exactly one wins, the other is a Conflict, and the
// registry holds the winner only.
func TestConcurrentContractVersions(t *testing.T) {
	for round := range 3 {
		e := newEnv(t)
		e.applyYAML(t, shopProduct(""), shopContract("1.0.0", "active", colID+colName, "")).wantStatus(t, "apply 1.0.0", http.StatusOK)
		docs := []string{
			shopContract("1.1.0", "active", colID+colName+"      - {name: a, logicalType: string}\n", ""),
			shopContract("1.1.0", "active", colID+colName+"      - {name: b, logicalType: string}\n", ""),
		}
		var wg sync.WaitGroup
		codes := make([]int, len(docs))
		for i, doc := range docs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = e.applyYAML(t, shopProduct(""), doc).status
			}()
		}
		wg.Wait()
		if !cmp.Equal(codes, []int{200, 409}) && !cmp.Equal(codes, []int{409, 200}) {
			t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, codes)
		}
		winner := "a"
		if codes[1] == http.StatusOK {
			winner = "b"
		}
		var cols []string
		for _, c := range table(t, e.product(t, "retail", "shop"), "items").Columns {
			cols = append(cols, c.Name)
		}
		if !cmp.Equal(cols, []string{"item_id", "name", winner}) {
			t.Errorf("round %d: columns %v, want the winner's (%s) only", round, cols, winner)
		}
	}
}

// remarshal converts an error's decoded details into v.
func remarshal(from, v any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// TestContractRegistryAPI reads versions and diffs, and refuses bad input
// with a clear error and no change.
func TestContractRegistryAPI(t *testing.T) {
	e := newEnv(t)
	e.applyYAML(t, shopProduct(""), shopContract("1.0.0", "active", colID+colName+colQty, "")).wantStatus(t, "apply 1.0.0", http.StatusOK)
	e.applyYAML(t, shopProduct(""), shopContract("1.1.0", "active", colID+colName+colQty64+colColor, "")).wantStatus(t, "apply 1.1.0", http.StatusOK)

	var vs struct {
		Versions []struct {
			Version, Status, AppliedBy string
			Major                      int
		} `json:"versions"`
	}
	r := e.do(t, "GET", "/api/v1/contracts/retail-shop-contract/versions", nil)
	r.wantStatus(t, "GET versions", http.StatusOK)
	r.decode(t, "versions", &vs)
	var got []string
	for _, v := range vs.Versions {
		got = append(got, fmt.Sprintf("%s %d %s %s", v.Version, v.Major, v.Status, v.AppliedBy))
	}
	if diff := cmp.Diff([]string{"1.0.0 1 active admin", "1.1.0 1 active admin"}, got); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	r = e.do(t, "GET", "/api/v1/contracts/retail-shop-contract/diff?from=1.0.0", nil)
	r.wantStatus(t, "GET diff", http.StatusOK)
	var d struct {
		From, To string
		Tables   []struct {
			Columns []struct{ Name, Op string } `json:"columns"`
		} `json:"tables"`
	}
	r.decode(t, "diff", &d)
	if d.From != "1.0.0" || d.To != "1.1.0" || len(d.Tables) != 1 || fmt.Sprint(d.Tables[0].Columns) != "[{color added} {qty changed}]" {
		t.Errorf("diff = %+v, want 1.0.0 -> 1.1.0 with color added and qty changed", d)
	}

	before := e.state(t)
	for _, c := range []struct {
		what, method, path, body string
		status                   int
		code, msg                string
	}{
		{"unknown contract", "GET", "/api/v1/contracts/nope/versions", "", 404, "not_found", `contract "nope" does not exist`},
		{"unknown version", "GET", "/api/v1/contracts/retail-shop-contract/versions/9.9.9", "", 404, "not_found", `has no version "9.9.9"`},
		{"diff without from", "GET", "/api/v1/contracts/retail-shop-contract/diff", "", 400, "invalid", "?from=VERSION"},
		{"bad pin in a publish path", "POST", "/api/v1/products/retail/shop@vx/tables/items/publish", "a\n", 400, "invalid", "product@vN"},
		{"a pin on a product", "GET", "/api/v1/products/retail/shop@v1", "", 400, "invalid", "every major version"},
		{"unknown major", "POST", "/api/v1/products/retail/shop@v7/tables/items/publish", "item_id,name\n1,a\n", 404, "not_found", "has no major version 7"},
		{"not a semantic version", "POST", "/api/v1/apply", shopProduct("") + "---\n" + shopContract("v1.2.0", "active", colID+colName, ""), 400, "invalid", "not a semantic version"},
		{"unknown status", "POST", "/api/v1/apply", shopProduct("") + "---\n" + shopContract("1.2.0", "live", colID+colName+colQty64+colColor, ""), 400, "invalid", `status "live" is not one of`},
		{"an older version", "POST", "/api/v1/apply", shopProduct("") + "---\n" + shopContract("1.0.5", "active", colID+colName+colQty64+colColor, ""), 409, "conflict", "versions only move forward"},
		{"an unknown mode", "POST", "/api/v1/apply", shopProduct("customProperties:\n  - {property: compatibility, value: SIDEWAYS}\n") + "---\n" + shopContract("1.2.0", "active", colID+colName+colQty64+colColor, ""), 400, "invalid", "SIDEWAYS"},
		{"a bad default", "POST", "/api/v1/apply", shopProduct("") + "---\n" + shopContract("1.2.0", "active", colID+colName+colQty64+colColor+"      - {name: s, logicalType: integer, required: true, customProperties: [{property: default, value: many}]}\n", ""), 400, "invalid", `default "many" is not a BIGINT`},
		{"a bad sunset", "POST", "/api/v1/apply", shopProduct("") + "---\n" + shopContract("1.1.0", "deprecated", colID+colName+colQty64+colColor, "customProperties:\n  - {property: sunset, value: soon}\n"), 400, "invalid", `sunset "soon" is not a date`},
		{"a pinned unknown major in SQL", "POST", "/api/v1/query", `{"sql": "SELECT * FROM retail.shop@v9.items"}`, 404, "not_found", "has no major version 9"},
	} {
		t.Run(c.what, func(t *testing.T) {
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			ct := "application/yaml"
			switch {
			case strings.HasSuffix(c.path, "/query"):
				ct = "application/json"
			case strings.HasSuffix(c.path, "/publish"):
				ct = "text/csv"
			}
			var r response
			if body == nil {
				r = e.do(t, c.method, c.path, nil)
			} else {
				r = e.do(t, c.method, c.path, body, "Content-Type", ct)
			}
			r.wantError(t, c.what, c.status, c.code, c.msg)
		})
	}
	e.wantUnchanged(t, "bad input", before)

	// contracts:check finds document errors and refusals too, and changes nothing.
	rep := e.check(t, "kind: DataContract\nid: [")
	if rep.OK || len(rep.Diagnostics) == 0 {
		t.Errorf("check of a malformed file = %+v, want not ok with diagnostics", rep)
	}
	rep = e.check(t, shopProduct(""), shopContract("1.0.5", "active", colID+colName+colQty64+colColor, ""))
	if rep.OK || len(rep.Refusals) != 1 || rep.Refusals[0].Code != "conflict" {
		t.Errorf("check of an older version = %+v, want one conflict refusal", rep)
	}
	rep = e.check(t, shopProduct(""), shopContract("1.2.0", "active", colID+colName+colQty64+colColor+"      - {name: extra, logicalType: string}\n", ""))
	if !rep.OK || rep.Plan == nil || len(rep.Contracts) != 1 || rep.Contracts[0].Diff == nil {
		t.Errorf("check of a compatible version = %+v, want ok with the plan and the diff", rep)
	}
	e.wantUnchanged(t, "contracts:check", before)

	// A classification that makes the policies mask a clear column breaks consumers.
	pii := strings.Replace(colName, "required: true}", "required: true, classification: pii}", 1)
	rep = e.check(t, shopProduct(""), shopContract("1.2.0", "active", colID+pii+colQty64+colColor, ""))
	if rep.OK || fmt.Sprint(rules(rep.Contracts[0].Violations)) != "[major tighten-classification name 1.1.0->1.2.0]" {
		t.Errorf("check of a pii classification = %+v, want tighten-classification", rep.Contracts)
	}
}

// TestCheckWithoutRights: who may not change a product learns nothing of its
// applied versions from contracts:check.
func TestCheckWithoutRights(t *testing.T) {
	e := newEnv(t)
	e.applyYAML(t, shopProduct(""), shopContract("1.0.0", "active", colID+colName+colQty, "")).wantStatus(t, "apply 1.0.0", http.StatusOK)
	eve := e.principal(t, "eve", httpapi.GrantRequest{Role: "consumer", Domain: "retail", Product: "shop"})
	rep := eve.check(t, shopProduct(""), shopContract("1.1.0", "active", colID+colName, ""))
	if rep.OK || len(rep.Refusals) != 1 || rep.Refusals[0].Code != "forbidden" || len(rep.Contracts) != 0 {
		t.Errorf("check by a consumer = %+v, want one forbidden refusal and no contract details", rep)
	}
}

// TestMajorsEdgeCases: publishes to two majors keep their own idempotency
// keys, a served major takes no drafts, unpinned names prefer a served
// major to a draft, and who may not read a product learns nothing of its
// majors.
func TestMajorsEdgeCases(t *testing.T) {
	e := newEnv(t)
	const csv = "text/csv"
	e.applyYAML(t, shopProduct(""), shopContract("1.0.0", "active", colID+colName, "")).wantStatus(t, "apply 1.0.0", http.StatusOK)
	e.applyYAML(t, shopProduct(""), shopContract("2.0.0", "active", colID+colName+colQty, "")).wantStatus(t, "apply 2.0.0", http.StatusOK)

	v2 := e.mustPublish(t, "retail.shop@v2.items", "append", csv, []byte("item_id,name,qty\n1,a,1\n"), "Idempotency-Key", "batch-42")
	v1 := e.mustPublish(t, "retail.shop@v1.items", "append", csv, []byte("item_id,name\n7,b\n"), "Idempotency-Key", "batch-42")
	if v1.Replayed || v1.RunID == v2.RunID {
		t.Errorf("the same key on another major replayed %s, want a commit of its own", v2.RunID)
	}
	e.wantRows(t, "SELECT item_id FROM retail.shop@v1.items", [][]string{{"7"}})
	if again := e.mustPublish(t, "retail.shop@v1.items", "append", csv, []byte("item_id,name\n7,b\n"), "Idempotency-Key", "batch-42"); !again.Replayed || again.RunID != v1.RunID {
		t.Errorf("the key again on major 1 = run %s replayed %v, want major 1's run replayed", again.RunID, again.Replayed)
	}

	before := e.state(t)
	r := e.applyYAML(t, shopProduct(""), shopContract("2.1.0", "draft", colID+colName+colQty+colColor, ""))
	r.wantError(t, "a draft in a served major", http.StatusConflict, "conflict", "a draft would change tables consumers read")
	r = e.applyYAML(t, shopProduct(""), shopContract("2.1.0", "active", colID+colName+colQty+colColor, "customProperties:\n  - {property: sunset, value: \"2030-01-01\"}\n"))
	r.wantError(t, "a sunset on an active version", http.StatusBadRequest, "invalid", "a sunset is for a deprecated version")
	r = e.applyYAML(t, shopProduct(""), shopContract("2.1.0", "active", colID+colName+colQty+"      - {name: color, logicalType: string, customProperties: [{property: default, value: red}]}\n", ""))
	r.wantError(t, "a default on an optional column", http.StatusBadRequest, "invalid", "a default is for a required column")
	e.wantUnchanged(t, "refused applies", before)

	eve := e.principal(t, "eve")
	for _, q := range []string{"SELECT * FROM retail.shop@v1.items", "SELECT * FROM retail.shop@v9.items", "SELECT * FROM retail.shop.nope"} {
		r := eve.do(t, "POST", "/api/v1/query", queryBody(q))
		r.wantError(t, "eve: "+q, http.StatusForbidden, "forbidden", "may not read retail.shop")
	}
}

// TestUnpinnedPrefersServedMajor: with major 1 deprecated (before its
// sunset) and major 2 a draft, unpinned names read major 1.
func TestUnpinnedPrefersServedMajor(t *testing.T) {
	e := newEnv(t)
	e.applyYAML(t, shopProduct(""), shopContract("1.0.0", "active", colID+colName, "")).wantStatus(t, "apply 1.0.0", http.StatusOK)
	e.mustPublish(t, "retail.shop.items", "append", "text/csv", []byte("item_id,name\n1,a\n"))
	e.applyYAML(t, shopProduct(""), shopContract("1.0.0", "deprecated", colID+colName, "customProperties:\n  - {property: sunset, value: \"2999-01-01\"}\n")).wantStatus(t, "deprecate 1.0.0", http.StatusOK)
	e.applyYAML(t, shopProduct(""), shopContract("2.0.0", "draft", colID+colName+colQty, "")).wantStatus(t, "draft 2.0.0", http.StatusOK)
	e.wantRows(t, "SELECT count(*) FROM retail.shop.items", [][]string{{"1"}})
	e.wantRows(t, "SELECT count(*) FROM retail.shop@v2.items", [][]string{{"0"}})
}

// TestTwoMajorsInOneApply: two contracts of one product starting on
// different majors in one apply get namespaces of their own.
func TestTwoMajorsInOneApply(t *testing.T) {
	e := newEnv(t)
	product := strings.Replace(shopProduct(""), "    contractId: retail-shop-contract\n",
		"    contractId: retail-shop-contract\n  - name: extra\n    version: 1.0.0\n    contractId: retail-extra-contract\n", 1)
	extra := strings.NewReplacer("id: retail-shop-contract", "id: retail-extra-contract", "  - name: items", "  - name: extras").
		Replace(shopContract("2.0.0", "active", colID+colName, ""))
	e.applyYAML(t, product, shopContract("1.0.0", "active", colID+colName, ""), extra).wantStatus(t, "apply", http.StatusOK)
	e.mustPublish(t, "retail.shop@v1.items", "append", "text/csv", []byte("item_id,name\n1,a\n"))
	e.mustPublish(t, "retail.shop@v2.extras", "append", "text/csv", []byte("item_id,name\n2,b\n"))
	// Major 2 of the first contract joins the namespace its major already has.
	e.applyYAML(t, product, shopContract("2.0.0", "active", colID+colName+colQty, ""), extra).wantStatus(t, "apply 2.0.0", http.StatusOK)
	e.wantRows(t, "SELECT (SELECT count(*) FROM retail.shop@v1.items), (SELECT count(*) FROM retail.shop@v2.items), (SELECT count(*) FROM retail.shop.extras)", [][]string{{"1", "0", "1"}})
}
