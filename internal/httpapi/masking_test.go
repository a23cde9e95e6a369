package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/httpapi"
)

const (
	employees = "hr.people.employees"
	depts     = "hr.people.depts"
)

// employee is a row of hr.people.employees, each value as the API shows it
// in text ("NULL" for null).
type employee struct {
	id, name, email, salary, ssn, region, dept string
}

func (r employee) values() []string {
	return []string{r.id, r.name, r.email, r.salary, r.ssn, r.region, r.dept}
}

// The employees, published in two snapshots. Names repeat (1 and 6 both in
// EU, 2 in US and 7 in EU) so that equal masked values can be compared.
var (
	employeesV1 = []employee{
		{"1", "Alice Liddell", "alice.liddell@example.org", "51234.56", "111-22-3333", "EU", "10"},
		{"2", "Bob Marley", "bob.marley@example.net", "62345.67", "222-33-4444", "US", "20"},
		{"3", "Carol Danvers", "carol.danvers@example.com", "73456.78", "333-44-5555", "EU", "20"},
		{"4", "Dave Bowman", "dave.bowman@example.io", "84567.89", "444-55-6666", "APAC", "10"},
		{"5", "Eve Moneypenny", "eve.moneypenny@example.co.uk", "95678.90", "555-66-7777", "US", "30"},
	}
	employeesV2 = []employee{
		{"6", "Alice Liddell", "alice.l2@example.org", "50000.01", "666-77-8888", "EU", "30"},
		{"7", "Bob Marley", "bob.m2@example.net", "60000.02", "NULL", "EU", "10"},
		{"8", "Frank Castle", "fc@x", "70000.03", "888-99-0000", "US", "NULL"},
	}
	allEmployees = append(slices.Clone(employeesV1), employeesV2...)
	deptNames    = map[string]string{"10": "Research", "20": "Sales", "30": "Legal"}
)

func employeesCSV(rows []employee) []byte {
	var b strings.Builder
	b.WriteString("id,name,email,salary,ssn,region,dept_id\n")
	for _, r := range rows {
		vals := r.values()
		for i, v := range vals {
			if v == "NULL" {
				vals[i] = ""
			}
		}
		b.WriteString(strings.Join(vals, ",") + "\n")
	}
	return []byte(b.String())
}

// viewer is a principal and what the policies should show it.
type viewer struct {
	name    string
	as      *env
	masked  bool     // pii, secret and restricted columns are masked
	regions []string // rows of these regions only; nil: every row
}

func (v viewer) filtered() bool { return v.regions != nil }

// sees is what v sees of rows: the rows of its regions, masked unless it may unmask.
func (v viewer) sees(rows []employee, hashes map[string]string) []employee {
	var out []employee
	for _, r := range rows {
		if v.filtered() && !slices.Contains(v.regions, r.region) {
			continue
		}
		if v.masked {
			r.name = hashes[r.name]
			r.email = partialMask(r.email)
			r.salary = "NULL"
			if r.ssn != "NULL" {
				r.ssn = "[redacted]"
			}
		}
		out = append(out, r)
	}
	return out
}

// partialMask keeps the last four characters and stars the rest; values of
// four characters or fewer are starred whole.
func partialMask(s string) string {
	if len(s) <= 4 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}

// forbidden lists what must never appear in an answer to v: every clear
// value of a masked column when v is masked, and, when v is filtered,
// everything that belongs only to rows outside its regions (clear values
// and name hashes).
func (v viewer) forbidden(hashes map[string]string) []string {
	var out []string
	if v.masked {
		for _, r := range allEmployees {
			out = append(out, r.name, r.email, r.salary)
			if r.ssn != "NULL" {
				out = append(out, r.ssn)
			}
		}
	}
	if v.filtered() {
		visible := map[string]bool{}
		for _, r := range v.sees(allEmployees, hashes) {
			for _, x := range r.values() {
				visible[x] = true
			}
		}
		for _, r := range allEmployees {
			if slices.Contains(v.regions, r.region) {
				continue
			}
			for _, x := range []string{r.name, r.email, r.salary, r.ssn, hashes[r.name]} {
				if x != "NULL" && !visible[x] && !visible[hashes[x]] {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

// wantNoLeak fails the test if body holds anything v must not see.
func (v viewer) wantNoLeak(t *testing.T, what string, body []byte, hashes map[string]string) {
	t.Helper()
	for _, x := range v.forbidden(hashes) {
		if bytes.Contains(body, []byte(x)) {
			t.Errorf("%s as %s: the answer contains %q, which it must not see\n%s", what, v.name, x, clip(body))
		}
	}
}

// queryShape is a query over the employees and what it answers, computed
// from what the viewer sees of the rows.
type queryShape struct {
	name string
	sql  string
	v1   bool // reads the first snapshot (time travel): the sql has a %d for its id
	want func(rows []employee) [][]string
}

func idsOf(rows []employee, keep func(employee) bool) [][]string {
	out := [][]string{}
	for _, r := range rows {
		if keep(r) {
			out = append(out, []string{r.id})
		}
	}
	return out
}

func project(rows []employee, f func(employee) []string) [][]string {
	out := [][]string{}
	for _, r := range rows {
		out = append(out, f(r))
	}
	return out
}

// cents reads a decimal with two places.
func cents(t *testing.T, s string) int64 {
	whole, frac, _ := strings.Cut(s, ".")
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || len(frac) != 2 {
		t.Fatalf("bad decimal %q", s)
	}
	return w*100 + f
}

func maskingShapes(t *testing.T) []queryShape {
	minMax := func(xs []string) (string, string) {
		var vals []string
		for _, x := range xs {
			if x != "NULL" {
				vals = append(vals, x)
			}
		}
		if len(vals) == 0 {
			return "NULL", "NULL"
		}
		return slices.Min(vals), slices.Max(vals)
	}
	return []queryShape{
		{name: "plain select", sql: "SELECT id, name, email, salary, ssn, region, dept_id FROM hr.people.employees ORDER BY id",
			want: func(rows []employee) [][]string { return project(rows, employee.values) }},
		{name: "select star", sql: "SELECT * FROM hr.people.employees ORDER BY id",
			want: func(rows []employee) [][]string { return project(rows, employee.values) }},
		{name: "where on masked columns", sql: `SELECT id FROM hr.people.employees
				WHERE name = 'Alice Liddell' OR email LIKE 'bob%' OR ssn = '333-44-5555' OR salary > 90000 ORDER BY id`,
			want: func(rows []employee) [][]string {
				return idsOf(rows, func(r employee) bool {
					return r.name == "Alice Liddell" || strings.HasPrefix(r.email, "bob") || r.ssn == "333-44-5555" ||
						(r.salary != "NULL" && cents(t, r.salary) > 9000000)
				})
			}},
		{name: "self-join on a masked key", sql: `SELECT a.id, b.id FROM hr.people.employees a
				JOIN hr.people.employees b ON a.name = b.name AND a.id < b.id ORDER BY 1, 2`,
			want: func(rows []employee) [][]string {
				out := [][]string{}
				for _, a := range rows {
					for _, b := range rows {
						ai, _ := strconv.Atoi(a.id)
						bi, _ := strconv.Atoi(b.id)
						if a.name == b.name && ai < bi {
							out = append(out, []string{a.id, b.id})
						}
					}
				}
				return out
			}},
		{name: "join with another table", sql: `SELECT e.id, e.name, d.dept_name FROM hr.people.employees e
				JOIN hr.people.depts d ON e.dept_id = d.dept_id ORDER BY e.id`,
			want: func(rows []employee) [][]string {
				out := [][]string{}
				for _, r := range rows {
					if d, ok := deptNames[r.dept]; ok {
						out = append(out, []string{r.id, r.name, d})
					}
				}
				return out
			}},
		{name: "subqueries", sql: `SELECT id, email, (SELECT count(*) FROM hr.people.employees) AS n FROM hr.people.employees
				WHERE dept_id IN (SELECT dept_id FROM hr.people.depts WHERE dept_name IN ('Research', 'Sales'))
				AND id NOT IN (SELECT id FROM hr.people.employees WHERE ssn LIKE '1%') ORDER BY id`,
			want: func(rows []employee) [][]string {
				out := [][]string{}
				for _, r := range rows {
					if (r.dept == "10" || r.dept == "20") && !strings.HasPrefix(r.ssn, "1") {
						out = append(out, []string{r.id, r.email, strconv.Itoa(len(rows))})
					}
				}
				return out
			}},
		{name: "CTE", sql: `WITH eu AS (SELECT id, name, ssn, salary FROM hr.people.employees WHERE region = 'EU'),
				paid AS (SELECT * FROM eu WHERE salary IS NOT NULL OR ssn IS NOT NULL)
				SELECT id, name, ssn, salary FROM paid ORDER BY id`,
			want: func(rows []employee) [][]string {
				out := [][]string{}
				for _, r := range rows {
					if r.region == "EU" && (r.salary != "NULL" || r.ssn != "NULL") {
						out = append(out, []string{r.id, r.name, r.ssn, r.salary})
					}
				}
				return out
			}},
		{name: "aggregate by region", sql: `SELECT region, count(*), count(DISTINCT name), sum(salary), min(email)
				FROM hr.people.employees GROUP BY region ORDER BY region`,
			want: func(rows []employee) [][]string {
				type agg struct {
					n       int
					names   map[string]bool
					sum     int64
					nulls   bool
					emails  []string
					present bool
				}
				by := map[string]*agg{}
				var regions []string
				for _, r := range rows {
					a := by[r.region]
					if a == nil {
						a = &agg{names: map[string]bool{}}
						by[r.region] = a
						regions = append(regions, r.region)
					}
					a.n++
					a.names[r.name] = true
					if r.salary == "NULL" {
						a.nulls = true
					} else {
						a.sum += cents(t, r.salary)
						a.present = true
					}
					a.emails = append(a.emails, r.email)
				}
				slices.Sort(regions)
				out := [][]string{}
				for _, reg := range regions {
					a := by[reg]
					sum := "NULL"
					if a.present {
						sum = fmt.Sprintf("%d.%02d", a.sum/100, a.sum%100)
					}
					lo, _ := minMax(a.emails)
					out = append(out, []string{reg, strconv.Itoa(a.n), strconv.Itoa(len(a.names)), sum, lo})
				}
				return out
			}},
		{name: "min and max of masked columns", sql: "SELECT min(name), max(name), max(ssn), min(salary), max(email) FROM hr.people.employees",
			want: func(rows []employee) [][]string {
				var names, ssns, salaries, emails []string
				for _, r := range rows {
					names, ssns, salaries, emails = append(names, r.name), append(ssns, r.ssn), append(salaries, r.salary), append(emails, r.email)
				}
				loName, hiName := minMax(names)
				_, hiSSN := minMax(ssns)
				// Salaries compare as numbers: all have the same number of digits here.
				loSal, _ := minMax(salaries)
				_, hiEmail := minMax(emails)
				return [][]string{{loName, hiName, hiSSN, loSal, hiEmail}}
			}},
		{name: "window functions", sql: `SELECT id, name, row_number() OVER (PARTITION BY region ORDER BY id),
				lag(name) OVER (ORDER BY id), first_value(email) OVER (PARTITION BY region ORDER BY id)
				FROM hr.people.employees ORDER BY id`,
			want: func(rows []employee) [][]string {
				out := [][]string{}
				seen := map[string][]employee{}
				prev := "NULL"
				for _, r := range rows {
					seen[r.region] = append(seen[r.region], r)
					out = append(out, []string{r.id, r.name, strconv.Itoa(len(seen[r.region])), prev, seen[r.region][0].email})
					prev = r.name
				}
				return out
			}},
		{name: "union", sql: `SELECT name AS v FROM hr.people.employees UNION SELECT email FROM hr.people.employees
				UNION SELECT ssn FROM hr.people.employees WHERE ssn IS NOT NULL ORDER BY v`,
			want: func(rows []employee) [][]string {
				set := map[string]bool{}
				for _, r := range rows {
					set[r.name], set[r.email] = true, true
					if r.ssn != "NULL" {
						set[r.ssn] = true
					}
				}
				var vs []string
				for v := range set {
					vs = append(vs, v)
				}
				slices.Sort(vs)
				out := [][]string{}
				for _, v := range vs {
					out = append(out, []string{v})
				}
				return out
			}},
		{name: "group by a masked column", sql: `SELECT name, count(*) FROM hr.people.employees GROUP BY name HAVING count(*) > 1 ORDER BY name`,
			want: func(rows []employee) [][]string {
				n := map[string]int{}
				for _, r := range rows {
					n[r.name]++
				}
				var names []string
				for k, c := range n {
					if c > 1 {
						names = append(names, k)
					}
				}
				slices.Sort(names)
				out := [][]string{}
				for _, k := range names {
					out = append(out, []string{k, strconv.Itoa(n[k])})
				}
				return out
			}},
		{name: "order by a masked column", sql: "SELECT id, name FROM hr.people.employees ORDER BY name DESC, id",
			want: func(rows []employee) [][]string {
				sorted := slices.Clone(rows)
				slices.SortStableFunc(sorted, func(a, b employee) int { return strings.Compare(b.name, a.name) })
				return project(sorted, func(r employee) []string { return []string{r.id, r.name} })
			}},
		{name: "names in other cases and quoted", sql: `SELECT "NAME", Email FROM "HR".People."EMPLOYEES" E ORDER BY e.ID`,
			want: func(rows []employee) [][]string {
				return project(rows, func(r employee) []string { return []string{r.name, r.email} })
			}},
		{name: "time travel", v1: true, sql: "SELECT id, name, email, salary, ssn, region FROM hr.people.employees AT (VERSION => %d) ORDER BY id",
			want: func(rows []employee) [][]string {
				return project(rows, func(r employee) []string { return r.values()[:6] })
			}},
		{name: "time travel joined with the current snapshot", v1: true, sql: `SELECT cur.id, was.name FROM hr.people.employees cur
				LEFT JOIN hr.people.employees AS was AT (VERSION => %d) ON cur.id = was.id ORDER BY cur.id`,
			want: nil}, // see wantOf: it needs both snapshots
	}
}

// maskingMesh applies hr.people, publishes the employees in two snapshots
// and the departments, and returns the env and the first snapshot's id.
func maskingMesh(t *testing.T) (*env, int64) {
	t.Helper()
	e := newEnv(t)
	e.applyFiles(t, "people.yaml")
	v1 := e.mustPublish(t, employees, "append", ctCSV, employeesCSV(employeesV1)).SnapshotID
	e.mustPublish(t, employees, "append", ctCSV, employeesCSV(employeesV2))
	e.mustPublish(t, depts, "replace", ctCSV, []byte("dept_id,dept_name\n10,Research\n20,Sales\n30,Legal\n"))
	return e, v1
}

// viewerWith makes a principal with attrs and grants and returns it as a viewer.
func viewerWith(t *testing.T, e *env, name string, attrs map[string][]string, masked bool, grants ...grantSpec) viewer {
	t.Helper()
	secret, _ := e.mintToken(t, httpapi.TokenRequest{Principal: name, Attrs: attrs})
	for _, g := range grants {
		e.grantRole(t, g.request(name, ""))
	}
	return viewer{name: name, as: e.as(secret), masked: masked, regions: attrs["region"]}
}

// maskingViewers makes the principals of the masking tests; the second is
// a plain consumer, who sees every row masked.
func maskingViewers(t *testing.T, e *env) []viewer {
	t.Helper()
	return []viewer{
		{name: "admin", as: e},
		viewerWith(t, e, "cora", nil, true, grantSpec{access.RoleConsumer, "hr", ""}),
		viewerWith(t, e, "ella", map[string][]string{"region": {"EU"}}, true, grantSpec{access.RoleConsumer, "hr", "people"}),
		viewerWith(t, e, "mia", map[string][]string{"region": {"EU", "APAC"}, "team": {"x"}}, true, grantSpec{access.RoleConsumer, "hr", ""}),
		viewerWith(t, e, "uma", nil, false, grantSpec{access.RoleConsumer, "hr", ""}, grantSpec{access.RoleUnmask, "hr", "people"}),
		viewerWith(t, e, "ulf", map[string][]string{"region": {"EU"}}, false, grantSpec{access.RoleConsumer, "hr", "people"}, grantSpec{access.RoleUnmask, "hr", ""}),
		viewerWith(t, e, "olga", map[string][]string{"region": {"US"}}, false, grantSpec{access.RoleOwner, "hr", "people"}),
		// A principal whose attrs name no region of the table sees no row.
		viewerWith(t, e, "nemo", map[string][]string{"region": {"MARS"}}, true, grantSpec{access.RoleConsumer, "hr", ""}),
	}
}

// learnHashes returns the hash of each name, as v (a masked viewer of every row) sees it.
func learnHashes(t *testing.T, v viewer) map[string]string {
	t.Helper()
	hashes := map[string]string{}
	for i, row := range v.as.query(t, "SELECT id, name FROM hr.people.employees ORDER BY id").text() {
		hashes[allEmployees[i].name] = row[1]
	}
	return hashes
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestMasking runs every query shape as principals who see the employees
// in clear or masked, filtered by region or not, in JSON, CSV and Arrow:
// the answers are exactly what the policies allow, and no clear value of a
// masked column or value of a filtered row appears anywhere in them.
func TestMasking(t *testing.T) {
	e, v1 := maskingMesh(t)
	viewers := maskingViewers(t, e)
	cora := viewers[1]

	// The hash mask, as cora sees it: learn it, and check its form.
	hashes := map[string]string{}
	t.Run("hash mask", func(t *testing.T) {
		res := cora.as.query(t, "SELECT id, name FROM hr.people.employees ORDER BY id")
		got := res.text()
		if len(got) != len(allEmployees) {
			t.Fatalf("cora's employees = %d rows, want %d", len(got), len(allEmployees))
		}
		for i, row := range got {
			clear, h := allEmployees[i].name, row[1]
			if !hex64.MatchString(h) {
				t.Errorf("masked name of employee %s = %q, want 64 hex digits", row[0], h)
			}
			if prev, ok := hashes[clear]; ok && prev != h {
				t.Errorf("the two employees named %q hash to %s and %s, want the same hash", clear, prev, h)
			}
			hashes[clear] = h
			plain := sha256.Sum256([]byte(clear))
			if h == hex.EncodeToString(plain[:]) {
				t.Errorf("masked %q = its plain sha256, want a keyed hash (a guess must not be checkable)", clear)
			}
		}
		distinct := map[string]bool{}
		for _, h := range hashes {
			distinct[h] = true
		}
		if len(distinct) != len(hashes) {
			t.Errorf("%d different names hash to %d different values, want as many", len(hashes), len(distinct))
		}
	})
	if len(hashes) == 0 {
		t.FailNow()
	}

	shapes := maskingShapes(t)
	for i := range shapes {
		if shapes[i].v1 {
			shapes[i].sql = fmt.Sprintf(shapes[i].sql, v1)
		}
	}
	for _, v := range viewers {
		t.Run(v.name, func(t *testing.T) {
			now, before := v.sees(allEmployees, hashes), v.sees(employeesV1, hashes)
			for _, s := range shapes {
				t.Run(s.name, func(t *testing.T) {
					want := wantOf(s, now, before)
					r := v.as.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": s.sql})
					got := jsonRows(t, s.name, r)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s as %s: rows differ (-want +got):\n%s", s.name, v.name, diff)
					}
					v.wantNoLeak(t, s.name, r.body, hashes)
				})
			}
			for _, f := range []struct{ name, accept string }{{"csv", "text/csv"}, {"arrow", "application/vnd.apache.arrow.stream"}} {
				t.Run(f.name, func(t *testing.T) {
					const sql = "SELECT * FROM hr.people.employees ORDER BY id"
					r := v.as.do(t, "POST", "/api/v1/query", queryBody(sql), "Content-Type", "application/json", "Accept", f.accept)
					r.wantStatus(t, f.name+" query as "+v.name, http.StatusOK)
					var got [][]string
					if f.name == "csv" {
						got = csvRows(t, r.body)
					} else {
						got = arrowRows(t, r.body)
					}
					if diff := cmp.Diff(project(now, employee.values), got); diff != "" {
						t.Errorf("%s as %s: rows differ (-want +got):\n%s", f.name, v.name, diff)
					}
					v.wantNoLeak(t, f.name, r.body, hashes)
				})
			}
		})
	}
}

// wantOf is what shape s answers over the rows seen now and at the first snapshot.
func wantOf(s queryShape, now, before []employee) [][]string {
	if s.want != nil {
		if s.v1 {
			return s.want(before)
		}
		return s.want(now)
	}
	// The current rows, each with its name at the first snapshot.
	old := map[string]string{}
	for _, r := range before {
		old[r.id] = r.name
	}
	return project(now, func(r employee) []string {
		n, ok := old[r.id]
		if !ok {
			n = "NULL"
		}
		return []string{r.id, n}
	})
}

// jsonRows checks r is a complete JSON answer and returns its rows as text.
func jsonRows(t *testing.T, what string, r response) [][]string {
	t.Helper()
	r.wantStatus(t, what, http.StatusOK)
	var res result
	dec := jsonNumbers(r.body)
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("%s: answer is not JSON: %v\n%s", what, err, clip(r.body))
	}
	if res.Error != nil || res.Truncated {
		t.Fatalf("%s: error %v, truncated %v", what, res.Error, res.Truncated)
	}
	return res.text()
}

// csvRows reads a CSV answer without its header; empty fields are NULL.
func csvRows(t *testing.T, body []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("csv answer: %v\n%s", err, clip(body))
	}
	out := [][]string{}
	for _, rec := range recs[1:] {
		for i, v := range rec {
			if v == "" {
				rec[i] = "NULL"
			}
		}
		out = append(out, rec)
	}
	return out
}

// arrowRows reads an Arrow IPC stream answer as text.
func arrowRows(t *testing.T, body []byte) [][]string {
	t.Helper()
	rdr, err := ipc.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("ipc.NewReader: %v", err)
	}
	defer rdr.Release()
	out := [][]string{}
	for rdr.Next() {
		rec := rdr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			var row []string
			for _, col := range rec.Columns() {
				if col.IsNull(i) {
					row = append(row, "NULL")
					continue
				}
				if d, ok := col.(*array.Decimal128); ok {
					// ValueStr drops trailing zeros; the API's text keeps the scale.
					scale := d.DataType().(*arrow.Decimal128Type).Scale
					row = append(row, decimalText(d.Value(i).BigInt(), scale))
					continue
				}
				row = append(row, col.ValueStr(i))
			}
			out = append(out, row)
		}
	}
	if err := rdr.Err(); err != nil {
		t.Fatalf("read the arrow stream: %v", err)
	}
	return out
}

// decimalText renders an unscaled decimal with its scale, e.g. 9567890, 2 as 95678.90.
func decimalText(unscaled *big.Int, scale int32) string {
	neg := unscaled.Sign() < 0
	digits := new(big.Int).Abs(unscaled).String()
	if scale > 0 {
		if pad := int(scale) + 1 - len(digits); pad > 0 {
			digits = strings.Repeat("0", pad) + digits
		}
		digits = digits[:len(digits)-int(scale)] + "." + digits[len(digits)-int(scale):]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// jsonNumbers is a decoder of body that keeps numbers as written.
func jsonNumbers(body []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec
}

// TestMaskingErrors makes queries fail on the values they read: the error
// quotes no clear value of a masked column and no value of a filtered row,
// and a row the caller cannot see never makes its query fail.
func TestMaskingErrors(t *testing.T) {
	e, _ := maskingMesh(t)
	viewers := maskingViewers(t, e)
	hashes := learnHashes(t, viewers[1])
	failing := []struct {
		name, sql string
		fails     func(r employee) bool // the row, as the viewer sees it, makes the query fail
	}{
		{"cast of a masked column", "SELECT CAST(name AS INTEGER) FROM hr.people.employees", func(employee) bool { return true }},
		{"cast in a predicate", "SELECT id FROM hr.people.employees WHERE CAST(email AS INTEGER) > 0", func(employee) bool { return true }},
		{"cast of a redacted column", "SELECT CAST(ssn AS DATE) FROM hr.people.employees", func(r employee) bool { return r.ssn != "NULL" }},
		{"error() of a masked column", "SELECT error(name) FROM hr.people.employees ORDER BY id", func(employee) bool { return true }},
		{"cast in an aggregate", "SELECT region, max(CAST(email AS INTEGER)) FROM hr.people.employees GROUP BY region", func(employee) bool { return true }},
	}
	for _, v := range viewers {
		t.Run(v.name, func(t *testing.T) {
			rows := v.sees(allEmployees, hashes)
			for _, f := range failing {
				t.Run(f.name, func(t *testing.T) {
					r := v.as.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": f.sql})
					if slices.ContainsFunc(rows, f.fails) {
						r.wantError(t, f.name+" as "+v.name, http.StatusBadRequest, "invalid", "")
					} else {
						jsonRows(t, f.name+" as "+v.name, r)
					}
					v.wantNoLeak(t, f.name, r.body, hashes)
				})
			}
			if !v.filtered() {
				return
			}
			// Every hidden row would fail these queries, and no visible one:
			// the answer must be as if the hidden rows did not exist.
			var visible []string
			for _, reg := range v.regions {
				visible = append(visible, "'"+reg+"'")
			}
			in := "region IN (" + strings.Join(visible, ", ") + ")"
			for _, h := range []struct{ name, sql string }{
				{"a hidden row would fail a cast", "SELECT count(*) FROM hr.people.employees WHERE CAST(CASE WHEN " + in + " THEN '1' ELSE name END AS INTEGER) = 1"},
				{"a hidden row would raise error()", "SELECT count(*) FROM hr.people.employees WHERE CASE WHEN " + in + " THEN true ELSE error(name) END"},
				{"a hidden row would raise error() in the projection", "SELECT count(CASE WHEN " + in + " THEN 1 ELSE error(ssn) END) FROM hr.people.employees"},
				{"a hidden row would divide by zero in a join", `SELECT count(*) FROM hr.people.employees e JOIN hr.people.depts d
					ON e.dept_id = d.dept_id WHERE CASE WHEN e.` + in + ` THEN true ELSE error(e.email) END`},
			} {
				t.Run(h.name, func(t *testing.T) {
					r := v.as.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": h.sql})
					v.wantNoLeak(t, h.name, r.body, hashes)
					got := jsonRows(t, h.name+" as "+v.name, r)
					n := len(rows)
					if strings.Contains(h.sql, "JOIN") {
						n = 0
						for _, row := range rows {
							if row.dept != "NULL" {
								n++
							}
						}
					}
					if diff := cmp.Diff([][]string{{strconv.Itoa(n)}}, got); diff != "" {
						t.Errorf("%s as %s: count differs (-want +got):\n%s", h.name, v.name, diff)
					}
				})
			}
		})
	}
}

// TestCatalogShowsNoMaskedValues publishes rows that the contract rejects:
// the catalog's report of that publish must not show their values to
// readers who would see them masked or not at all.
func TestCatalogShowsNoMaskedValues(t *testing.T) {
	e, _ := maskingMesh(t)
	viewers := maskingViewers(t, e)
	// Row 9 is rejected (its salary does not cast); row 10 is accepted. Both are in US.
	const upload = "id,name,email,salary,ssn,region,dept_id\n" +
		"9,Zed Hiddenname,zed.hidden@example.org,notanumber,999-88-7777,US,10\n" +
		"10,Yan Acceptedname,yan.accepted@example.org,1.00,123-45-6789,US,10\n"
	r := e.do(t, "POST", publishPath(employees, "append")+"&max_rejects=1", strings.NewReader(upload), "Content-Type", ctCSV)
	r.wantStatus(t, "publish with one rejected row", http.StatusOK)
	clear := []string{"Zed Hiddenname", "zed.hidden@example.org", "999-88-7777", "Yan Acceptedname", "yan.accepted@example.org", "123-45-6789"}
	for _, v := range viewers {
		if !v.masked && !v.filtered() || slices.Contains(v.regions, "US") {
			continue // sees these rows' values in clear anyway
		}
		t.Run(v.name, func(t *testing.T) {
			for _, path := range []string{"/api/v1/products/hr/people", "/api/v1/products"} {
				r := v.as.do(t, "GET", path, nil)
				r.wantStatus(t, "GET "+path+" as "+v.name, http.StatusOK)
				for _, x := range clear {
					if bytes.Contains(r.body, []byte(x)) {
						t.Errorf("GET %s as %s shows %q, a value it may not see (masked or filtered out)", path, v.name, x)
					}
				}
			}
		})
	}
}
