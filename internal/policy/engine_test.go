package policy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
)

// writeDir writes files (name -> content) under a new temporary directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const customApply = `package meshwork.apply

deny contains {"rule": "product.tagged", "object": p.name, "message": sprintf("%s has no %s tag", [p.name, data.meshwork.required_tag])} if {
	some p in input.products
	not data.meshwork.required_tag in object.get(p, "tags", [])
}
`

func TestLoadDirCustomPolicy(t *testing.T) {
	ctx := context.Background()
	dir := writeDir(t, map[string]string{
		"apply.rego":         customApply,
		"apply_test.rego":    "this is not even Rego: tests are not loaded",
		"README.md":          "# not loaded",
		"meshwork/data.yaml": "required_tag: gold\n",
	})
	e, err := LoadDir(ctx, dir)
	if err != nil {
		t.Fatalf("LoadDir() = %v", err)
	}
	got, err := e.Apply(ctx, ApplyInput{Products: []map[string]any{
		{"name": "crm", "tags": []any{"gold"}},
		{"name": "orders", "tags": []any{"silver"}},
	}})
	if err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	want := []Denial{{Rule: "product.tagged", Object: "orders", Message: "orders has no gold tag"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Apply() (-want +got):\n%s", diff)
	}

	// The bundle has no publish or query rules: nothing denied, nothing masked.
	if got, err := e.Publish(ctx, PublishInput{Columns: []Column{{Name: "card_number", Classification: "pci"}}, Rows: 1}); err != nil || got != nil {
		t.Errorf("Publish() = %v, %v, want nothing denied", got, err)
	}
	if got, err := e.Query(ctx, QueryInput{Columns: []Column{{Name: "c_phone", Classification: "pii"}}}); err != nil || !cmp.Equal(got, QueryDecision{}) {
		t.Errorf("Query() = %+v, %v, want the empty decision", got, err)
	}
	if v := e.Version(); !regexp.MustCompile(`^sha256:[0-9a-f]{16}$`).MatchString(v) {
		t.Errorf("Version() = %q, want sha256:<16 hex> (no .manifest)", v)
	}
}

func TestVersion(t *testing.T) {
	ctx := context.Background()
	def := loadDefault(t)
	if v := def.Version(); !regexp.MustCompile(`^rev 1 \(sha256:[0-9a-f]{16}\)$`).MatchString(v) {
		t.Errorf("Default Version() = %q, want rev 1 (sha256:...)", v)
	}
	base := map[string]string{".manifest": `{"revision": "42"}`, "apply.rego": customApply, "data.json": `{"meshwork": {"required_tag": "gold"}}`}
	version := func(files map[string]string) string {
		t.Helper()
		e, err := LoadDir(ctx, writeDir(t, files))
		if err != nil {
			t.Fatalf("LoadDir() = %v", err)
		}
		return e.Version()
	}
	changed := func(k, v string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		m[k] = v
		return m
	}
	v0 := version(base)
	if !strings.HasPrefix(v0, "rev 42 (sha256:") {
		t.Errorf("Version() = %q, want rev 42 (sha256:...)", v0)
	}
	if v := version(base); v != v0 {
		t.Errorf("Version() of the same files = %q, then %q", v0, v)
	}
	for _, tt := range []struct {
		name, file, body string
		same             bool
	}{
		{"policy edited", "apply.rego", customApply + "\n# edited\n", false},
		{"data edited", "data.json", `{"meshwork": {"required_tag": "silver"}}`, false},
		{"documentation added", "README.md", "# hello", true},
		{"test added", "apply_test.rego", "package x_test\n\ntest_a if true\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := version(changed(tt.file, tt.body))
			if (v == v0) != tt.same {
				t.Errorf("Version() = %q, base %q: same = %v, want %v", v, v0, v == v0, tt.same)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		files map[string]string
		want  string // in the message
		line  int    // of the first problem, if located
	}{
		{"parse error", map[string]string{"ok.rego": "package a\n", "sub/bad.rego": "package b\n\nx := )\n"}, "bad.rego:3", 3},
		{"compile error", map[string]string{"apply.rego": "package meshwork.apply\n\ndeny contains x if {\n\ty := 1\n}\n"}, "apply.rego:3", 3},
		{"rego v0 syntax", map[string]string{"p.rego": "package p\n\ndeny[msg] { msg := \"x\" }\n"}, "p.rego:3", 3},
		{"network refused", map[string]string{"p.rego": "package p\n\nx := http.send({\"method\": \"get\", \"url\": \"http://example.com\"})\n"}, "p.rego:3", 3},
		{"empty module", map[string]string{"p.rego": "# nothing\n"}, "p.rego", 0},
		{"data not JSON", map[string]string{"p.rego": "package p\n", "data.json": "{"}, "data.json: not valid JSON", 0},
		{"data not an object", map[string]string{"p.rego": "package p\n", "data.json": "[1]"}, "not an object", 0},
		{"data YAML with odd keys", map[string]string{"p.rego": "package p\n", "data.yaml": "{1: a}\n"}, "data.yaml", 0},
		{"data conflict", map[string]string{"p.rego": "package p\n", "data.json": `{"a": {"b": 1}}`, "a/data.json": `{"b": 2}`}, "data.a.b is set by two data files", 0},
		{"manifest not JSON", map[string]string{"p.rego": "package p\n", ".manifest": "revision: 1"}, ".manifest: not a JSON object", 0},
		{"manifest revision not a string", map[string]string{"p.rego": "package p\n", ".manifest": `{"revision": 1}`}, "revision is not a string", 0},
		{"no policy", map[string]string{"README.md": "# empty", "x_test.rego": "package x_test\n"}, "no .rego file", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, tt.files)
			_, err := LoadDir(ctx, dir)
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("LoadDir() = %v, want an Invalid error", err)
			}
			_, msg, details := errs.Public(err)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("LoadDir() message = %q, want it to contain %q", msg, tt.want)
			}
			if tt.line > 0 {
				problems, ok := details.([]Problem)
				if !ok || len(problems) == 0 {
					t.Fatalf("LoadDir() details = %#v, want []Problem", details)
				}
				if problems[0].Line != tt.line || !strings.HasPrefix(problems[0].File, dir) {
					t.Errorf("LoadDir() first problem = %+v, want line %d of a file under %s", problems[0], tt.line, dir)
				}
			}
		})
	}

	t.Run("not a directory", func(t *testing.T) {
		if _, err := LoadDir(ctx, filepath.Join(t.TempDir(), "missing")); !errs.Is(err, errs.Invalid) {
			t.Errorf("LoadDir(missing) = %v, want Invalid", err)
		}
	})
	t.Run("fs names are relative", func(t *testing.T) {
		_, err := Load(ctx, fstest.MapFS{"p/bad.rego": {Data: []byte("package p\n\nx if {\n")}})
		if _, msg, _ := errs.Public(err); !strings.Contains(msg, "p/bad.rego:") {
			t.Errorf("Load() = %v, want p/bad.rego:line", err)
		}
	})
}

func TestMalformedResults(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		policy string
		call   func(*Engine) error
		want   string
	}{
		{
			name:   "denial not an object",
			policy: "package meshwork.apply\n\ndeny contains \"no\"\n",
			call:   func(e *Engine) error { _, err := e.Apply(ctx, ApplyInput{}); return err },
			want:   "data.meshwork.apply.deny",
		},
		{
			name:   "denial without message",
			policy: "package meshwork.publish\n\ndeny contains {\"rule\": \"x.no_message\", \"object\": \"a\"}\n",
			call:   func(e *Engine) error { _, err := e.Publish(ctx, PublishInput{}); return err },
			want:   "x.no_message",
		},
		{
			name:   "denial without rule",
			policy: "package meshwork.apply\n\ndeny contains {\"message\": \"m\"}\n",
			call:   func(e *Engine) error { _, err := e.Apply(ctx, ApplyInput{}); return err },
			want:   `"rule"`,
		},
		{
			name:   "denial with a number object",
			policy: "package meshwork.apply\n\ndeny contains {\"rule\": \"x.num\", \"message\": \"m\", \"object\": 1}\n",
			call:   func(e *Engine) error { _, err := e.Apply(ctx, ApplyInput{}); return err },
			want:   "x.num",
		},
		{
			name:   "deny not a set",
			policy: "package meshwork.apply\n\ndeny := \"no\"\n",
			call:   func(e *Engine) error { _, err := e.Apply(ctx, ApplyInput{}); return err },
			want:   "not a set of denials",
		},
		{
			name:   "unknown mask method",
			policy: "package meshwork.query\n\ndecision := {\"masks\": {\"a\": \"scramble\"}}\n",
			call:   func(e *Engine) error { _, err := e.Query(ctx, QueryInput{}); return err },
			want:   "scramble",
		},
		{
			name:   "row filter values not strings",
			policy: "package meshwork.query\n\ndecision := {\"row_filters\": [{\"column\": \"a\", \"values\": [1]}]}\n",
			call:   func(e *Engine) error { _, err := e.Query(ctx, QueryInput{}); return err },
			want:   "row_filters",
		},
		{
			name:   "decision not an object",
			policy: "package meshwork.query\n\ndecision := true\n",
			call:   func(e *Engine) error { _, err := e.Query(ctx, QueryInput{}); return err },
			want:   "not an object",
		},
		{
			name:   "query denial",
			policy: "package meshwork.query\n\ndecision := {\"deny\": {{\"rule\": \"r\"}}}\n",
			call:   func(e *Engine) error { _, err := e.Query(ctx, QueryInput{}); return err },
			want:   "deny",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Load(ctx, fstest.MapFS{"p.rego": {Data: []byte(tt.policy)}})
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			err = tt.call(e)
			if !errs.Is(err, errs.Internal) || err == nil {
				t.Fatalf("decision error = %v, want an Internal error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decision error = %q, want it to name %q", err, tt.want)
			}
		})
	}
}

func TestQueryDenyAndFilters(t *testing.T) {
	ctx := context.Background()
	const policy = `package meshwork.query

decision := {"masks": {}, "row_filters": row_filters, "deny": deny}

row_filters contains {"column": "region", "values": input.principal.attrs.region} if input.principal.attrs.region

deny contains {"rule": "table.closed", "object": name, "message": sprintf("%s is closed", [name])} if {
	name := concat(".", [input.table.domain, input.table.product, input.table.name])
	input.table.name == "secret"
}
`
	e, err := Load(ctx, fstest.MapFS{"query.rego": {Data: []byte(policy)}})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	got, err := e.Query(ctx, QueryInput{
		Principal: Principal{Attrs: map[string][]string{"region": {"EU"}}},
		Table:     TableRef{Domain: "a", Product: "b", Name: "secret"},
	})
	if err != nil {
		t.Fatalf("Query() = %v", err)
	}
	want := QueryDecision{
		Filters: []RowFilter{{Column: "region", Values: []string{"EU"}}},
		Deny:    []Denial{{Rule: "table.closed", Object: "a.b.secret", Message: "a.b.secret is closed"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Query() (-want +got):\n%s", diff)
	}
}

func TestContextCanceled(t *testing.T) {
	e := loadDefault(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Query(ctx, QueryInput{Columns: []Column{{Name: "a", Classification: "pii"}}})
	if !errs.Is(err, errs.Canceled) {
		t.Errorf("Query(canceled) = %v, want Canceled", err)
	}
}

func TestDefaultBundleTests(t *testing.T) {
	var out bytes.Buffer
	results, err := Test(context.Background(), "bundle", &out)
	if err != nil {
		t.Fatalf("Test(bundle) = %v", err)
	}
	if len(results) < 30 {
		t.Errorf("Test(bundle) ran %d tests, want every rule covered (>= 30)", len(results))
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("Rego test %s (%s) failed: %s", r.Name, r.File, r.Message)
		}
	}
	if !strings.Contains(out.String(), "PASS data.meshwork.apply_test.test_good_specs_pass (apply_test.rego)\n") {
		t.Errorf("Test(bundle) report lacks the PASS line of test_good_specs_pass:\n%s", out.String())
	}
	if want := "PASS: " + strconv.Itoa(len(results)) + "/" + strconv.Itoa(len(results)) + "\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("Test(bundle) report ends %q, want %q", lastLine(out.String()), want)
	}
	// Every rule of the bundle has a Rego test naming it.
	for _, rule := range []string{"product.owner_required", "product.description_required", "pii.classification_required",
		"sla.active_requires_sla", "pii.card_number_hashed", "rows.attribute_filter"} {
		found := false
		for _, name := range []string{"apply_test.rego", "publish_test.rego", "query_test.rego"} {
			b, err := fs.ReadFile(Default(), name)
			if err != nil {
				t.Fatal(err)
			}
			found = found || bytes.Contains(b, []byte(rule))
		}
		if !found {
			t.Errorf("no Rego test names rule %s", rule)
		}
	}
}

func TestTestReportsFailures(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"p.rego":      "package p\n\nallow if input.ok\n\nn := data.p.limit\n",
		"data.json":   `{"p": {"limit": 3}}`,
		"p_test.rego": "package p_test\n\nimport data.p\n\ntest_allow if p.allow with input as {\"ok\": true}\n\ntest_denied if p.allow with input as {\"ok\": false}\n\ntest_data if p.n == 3\n",
	})
	var out bytes.Buffer
	results, err := Test(context.Background(), dir, &out)
	if err != nil {
		t.Fatalf("Test() = %v", err)
	}
	got := map[string]bool{}
	for _, r := range results {
		got[r.Name] = r.Pass
		if r.File != "p_test.rego" {
			t.Errorf("result %s file = %q, want p_test.rego", r.Name, r.File)
		}
	}
	want := map[string]bool{"data.p_test.test_allow": true, "data.p_test.test_denied": false, "data.p_test.test_data": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Test() pass by name (-want +got):\n%s", diff)
	}
	for _, line := range []string{"FAIL data.p_test.test_denied (p_test.rego)\n", "PASS data.p_test.test_allow (p_test.rego)\n", "FAIL: 1/3 failed\n"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("Test() report lacks %q:\n%s", line, out.String())
		}
	}
}

func TestTestCompileError(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"p.rego":      "package p\n\nallow if input.ok\n",
		"p_test.rego": "package p_test\n\ntest_x if {\n\tx == 1\n}\n",
	})
	_, err := Test(context.Background(), dir, &bytes.Buffer{})
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("Test() = %v, want Invalid", err)
	}
	if _, msg, _ := errs.Public(err); !strings.Contains(msg, filepath.Join(dir, "p_test.rego")+":4") {
		t.Errorf("Test() message = %q, want it to name p_test.rego:4", msg)
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("Test() error %T is not *errs.Error", err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// The README's recipe: a deny rule added beside the default bundle's query.rego.
func TestDefaultBundleWithAddedDeny(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.CopyFS(dir, Default()); err != nil {
		t.Fatal(err)
	}
	const rule = `package meshwork.query

deny contains {"rule": "table.contractors_no_pii", "object": table, "message": sprintf("%s has personal data, not readable by contractors", [table])} if {
	"contractors" in input.principal.groups
	some column in input.columns
	column.classification == "pii"
	table := concat(".", [input.table.domain, input.table.product, input.table.name])
}
`
	if err := os.WriteFile(filepath.Join(dir, "contractors.rego"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := LoadDir(ctx, dir)
	if err != nil {
		t.Fatalf("LoadDir() = %v", err)
	}
	if e.Version() == loadDefault(t).Version() {
		t.Errorf("Version() = %q, the same as the default bundle's", e.Version())
	}
	in := QueryInput{
		Principal: Principal{Name: "carl", Groups: []string{"contractors"}},
		Table:     TableRef{Domain: "customers", Product: "crm", Name: "customer"},
		Columns:   []Column{{Name: "c_phone", Classification: "pii"}},
	}
	got, err := e.Query(ctx, in)
	if err != nil {
		t.Fatalf("Query() = %v", err)
	}
	want := QueryDecision{
		Masks: map[string]string{"c_phone": MaskHash},
		Deny: []Denial{{Rule: "table.contractors_no_pii", Object: "customers.crm.customer",
			Message: "customers.crm.customer has personal data, not readable by contractors"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Query() (-want +got):\n%s", diff)
	}
	// The copy's Rego tests still pass.
	results, err := Test(ctx, dir, io.Discard)
	if err != nil {
		t.Fatalf("Test() = %v", err)
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("Rego test %s failed: %s", r.Name, r.Message)
		}
	}
}
