package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The findings of testdata/lint/bad.yaml, one of each offline check.
var badLines = []string{
	"testdata/lint/bad.yaml:2:1: error: retail.till has no owner: set team.name [product.owner_required]",
	"testdata/lint/bad.yaml:2:1: error: retail.till is active but its contracts declare no retention slaProperty [sla.active_requires_sla]",
	`testdata/lint/bad.yaml:18:12: error: product retail.till: custom property compatibility: unknown compatibility mode "SIDEWAYS": want one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE [compatibility]`,
	`testdata/lint/bad.yaml:23:1: error: contract "retail-till-contract": version "1.0" is not a semantic version MAJOR.MINOR.PATCH (e.g. 1.2.0) [version]`,
	"testdata/lint/bad.yaml:31:15: error: retail.till.receipts.email has no classification [pii.classification_required]",
	`testdata/lint/bad.yaml:33:9: error: table receipts: column "qty": default "lots" is not a BIGINT [table]`,
	`testdata/lint/bad.yaml:39:9: error: table receipts: column "basket": logicalType "object" (nested data) is not supported yet for tables [table]`,
}

var invalidLines = []string{
	"testdata/lint/invalid.yaml:6:9: error: status: got array, want string [spec]",
	"testdata/lint/invalid.yaml:13:22: error: logicalType: value must be one of 'string', 'date', 'timestamp', 'time', 'number', 'integer', 'object', 'array', 'boolean' [spec]",
	"testdata/lint/invalid.yaml:16:19: error: required: got string, want boolean [spec]",
}

const goodWarning = "testdata/lint/good/contract.yml:19:9: warning: transformLogic is documentation only: Meshwork does not run it [spec]"

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func TestLintOffline(t *testing.T) {
	getenv := env("http://127.0.0.1:1", "") // offline: never reached
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"good specs", []string{"testdata/specs"}, 0, lines("0 error(s), 0 warning(s)")},
		// A product and its contract in two files: the policies see them linked.
		{"good dir with a warning", []string{"testdata/lint/good"}, 0, lines(goodWarning, "0 error(s), 1 warning(s)")},
		{"compatible next version", []string{"testdata/lint/shop-1.1.0.yaml"}, 0, lines("0 error(s), 0 warning(s)")},
		{"every offline check", []string{"testdata/lint/bad.yaml"}, 1, lines(append(badLines, "7 error(s), 0 warning(s)")...)},
		{"document errors", []string{"testdata/lint/invalid.yaml"}, 1, lines(append(invalidLines, "3 error(s), 0 warning(s)")...)},
		{"several paths, flags after", []string{"testdata/lint/invalid.yaml", "-f", "testdata/lint/good", "testdata/lint/bad.yaml", "--format", "text"}, 1,
			lines(append(append(append(badLines, goodWarning), invalidLines...), "10 error(s), 1 warning(s)")...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := mesh(t, getenv, append([]string{"lint"}, tt.args...)...)
			if code != tt.code || errOut != "" {
				t.Errorf("mesh lint %v = exit %d, stderr %q, want exit %d and nothing on stderr", tt.args, code, errOut, tt.code)
			}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("mesh lint %v (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestLintFormats(t *testing.T) {
	getenv := env("http://127.0.0.1:1", "")
	code, out, _ := mesh(t, getenv, "lint", "--format", "github", "testdata/lint/bad.yaml", "testdata/lint/good")
	want := lines(
		"::error file=testdata/lint/bad.yaml,line=2,col=1,title=product.owner_required::retail.till has no owner: set team.name",
		"::error file=testdata/lint/bad.yaml,line=2,col=1,title=sla.active_requires_sla::retail.till is active but its contracts declare no retention slaProperty",
		`::error file=testdata/lint/bad.yaml,line=18,col=12,title=compatibility::product retail.till: custom property compatibility: unknown compatibility mode "SIDEWAYS": want one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE`,
		`::error file=testdata/lint/bad.yaml,line=23,col=1,title=version::contract "retail-till-contract": version "1.0" is not a semantic version MAJOR.MINOR.PATCH (e.g. 1.2.0)`,
		"::error file=testdata/lint/bad.yaml,line=31,col=15,title=pii.classification_required::retail.till.receipts.email has no classification",
		`::error file=testdata/lint/bad.yaml,line=33,col=9,title=table::table receipts: column "qty": default "lots" is not a BIGINT`,
		`::error file=testdata/lint/bad.yaml,line=39,col=9,title=table::table receipts: column "basket": logicalType "object" (nested data) is not supported yet for tables`,
		"::warning file=testdata/lint/good/contract.yml,line=19,col=9,title=spec::transformLogic is documentation only: Meshwork does not run it",
		"7 error(s), 1 warning(s)",
	)
	if code != 1 {
		t.Errorf("mesh lint --format github = exit %d, want 1", code)
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("mesh lint --format github (-want +got):\n%s", diff)
	}

	code, out, _ = mesh(t, getenv, "lint", "--format", "json", "testdata/lint/bad.yaml")
	var rep struct {
		OK       bool      `json:"ok"`
		Errors   int       `json:"errors"`
		Warnings int       `json:"warnings"`
		Findings []finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("mesh lint --format json: %v\n%s", err, out)
	}
	if code != 1 || rep.OK || rep.Errors != 7 || rep.Warnings != 0 || len(rep.Findings) != 7 {
		t.Errorf("mesh lint --format json = exit %d, ok %v, %d errors, %d warnings, %d findings; want 1, false, 7, 0, 7", code, rep.OK, rep.Errors, rep.Warnings, len(rep.Findings))
	}
	wantPII := finding{File: "testdata/lint/bad.yaml", Line: 31, Column: 15, Severity: "error", Rule: "pii.classification_required",
		Message: "retail.till.receipts.email has no classification", Object: "retail.till.receipts.email"}
	if len(rep.Findings) == 7 {
		if diff := cmp.Diff(wantPII, rep.Findings[4]); diff != "" {
			t.Errorf("mesh lint --format json, the policy denial (-want +got):\n%s", diff)
		}
		if f := rep.Findings[3]; f.Rule != "version" || f.Path != "/version" || f.Line != 23 {
			t.Errorf("mesh lint --format json, the version = %+v", f)
		}
	}
	code, out, _ = mesh(t, getenv, "lint", "testdata/specs", "--format=json")
	if want := "{\n  \"ok\": true,\n  \"errors\": 0,\n  \"warnings\": 0,\n  \"findings\": []\n}\n"; code != 0 || out != want {
		t.Errorf("mesh lint --format json of good specs = exit %d\n%s\nwant 0 and\n%s", code, out, want)
	}
}

// A policy of our own (--policy-dir) whose rule and message need escaping,
// in a file whose name needs it too.
func TestLintPolicyDirAndEscaping(t *testing.T) {
	getenv := env("http://127.0.0.1:1", "")
	dir := policyDir(t, map[string]string{"house.rego": `package meshwork.apply

deny contains d if {
	some p in input.products
	d := {"rule": "house:style,1", "object": concat(".", [p._mesh.domain, p._mesh.product]), "message": "100% wrong\nsee: the guide"}
}
`})
	spec := writeFile(t, "odd,name:1.yaml", readFile(t, "testdata/specs/shop.yaml"))
	code, out, _ := mesh(t, getenv, "lint", "--policy-dir", dir, "--format", "github", spec)
	file := strings.NewReplacer(":", "%3A", ",", "%2C").Replace(spec)
	want := lines("::error file="+file+",line=2,col=1,title=house%3Astyle%2C1::100%25 wrong%0Asee: the guide", "1 error(s), 0 warning(s)")
	if code != 1 || out != want {
		t.Errorf("mesh lint --policy-dir --format github = exit %d\n%q\nwant 1 and\n%q", code, out, want)
	}
	code, out, _ = mesh(t, getenv, "lint", "--policy-dir", dir, spec)
	want = lines(spec+":2:1: error: 100% wrong see: the guide [house:style,1]", "1 error(s), 0 warning(s)")
	if code != 1 || out != want {
		t.Errorf("mesh lint --policy-dir = exit %d\n%q\nwant 1 and\n%q", code, out, want)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLintAgainst(t *testing.T) {
	_, admin := server(t)
	mustMesh(t, admin, "apply", "-f", "testdata/specs")
	url := admin("MESH_URL")
	// The flag names the server; MESH_URL is not needed.
	ci := env("", admin("MESH_TOKEN"))

	out := mustMesh(t, ci, "lint", "--against", url, "testdata/lint/shop-1.1.0.yaml")
	if want := lines("0 error(s), 0 warning(s)"); out != want {
		t.Errorf("mesh lint --against of a compatible version = %q, want %q", out, want)
	}
	// A new product in a new domain (the admin may create it); the server's
	// warning is the one found offline, reported once.
	out = mustMesh(t, ci, "lint", "--against", url, "testdata/lint/good")
	if want := lines(goodWarning, "0 error(s), 1 warning(s)"); out != want {
		t.Errorf("mesh lint --against of a new product = %q, want %q", out, want)
	}

	code, out, errOut := mesh(t, ci, "lint", "testdata/lint/shop-drop.yaml", "--against", url)
	want := lines("testdata/lint/shop-drop.yaml:28:11: error: major: optional column retail.shop.orders.order_date would be dropped: "+
		"this breaks consumers' SQL and needs a new major version (rule drop-optional-column, 1.0.0 -> 1.1.0) [drop-optional-column]",
		"1 error(s), 0 warning(s)")
	if code != 1 || errOut != "" {
		t.Errorf("mesh lint --against of a dropped column = exit %d, stderr %q, want 1 and nothing on stderr", code, errOut)
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("mesh lint --against of a dropped column (-want +got):\n%s", diff)
	}
	var rep struct {
		Findings []finding `json:"findings"`
	}
	_, out, _ = mesh(t, ci, "lint", "testdata/lint/shop-drop.yaml", "--against", url, "--format", "json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("mesh lint --against --format json findings = %+v, want the violation", rep.Findings)
	}
	got := rep.Findings[0]
	got.Message = ""
	wantF := finding{File: "testdata/lint/shop-drop.yaml", Line: 28, Column: 11, Severity: "error", Rule: "drop-optional-column",
		Contract: "retail-shop-contract", Table: "orders", ColumnName: "order_date", From: "1.0.0", To: "1.1.0"}
	if diff := cmp.Diff(wantF, got); diff != "" {
		t.Errorf("mesh lint --against --format json (-want +got):\n%s", diff)
	}

	// What the server finds again is reported once; what it says in its
	// own words is added, at the product it names.
	code, out, _ = mesh(t, ci, "lint", "testdata/lint/bad.yaml", "--against", url)
	if code != 1 || strings.Count(out, "[pii.classification_required]") != 1 || strings.Count(out, "[product.owner_required]") != 1 ||
		!strings.Contains(out, "testdata/lint/bad.yaml:2:1: error: product retail.till: custom property compatibility:") ||
		!strings.Contains(out, lines(badLines[2:]...)) || !strings.HasSuffix(out, "8 error(s), 0 warning(s)\n") {
		t.Errorf("mesh lint --against of bad.yaml = exit %d\n%s", code, out)
	}
	code, out, _ = mesh(t, ci, "lint", "testdata/lint/invalid.yaml", "--against", url)
	if want := lines(append(invalidLines, "3 error(s), 0 warning(s)")...); code != 1 || out != want {
		t.Errorf("mesh lint --against of invalid.yaml = exit %d\n%s\nwant\n%s", code, out, want)
	}

	// The check itself fails: exit 2.
	code, _, errOut = mesh(t, env("", "mesh_bogus"), "lint", "--against", url, "testdata/specs")
	if code != 2 || !strings.Contains(errOut, "401") {
		t.Errorf("mesh lint --against with a bad token = exit %d, stderr %q, want 2 and a 401", code, errOut)
	}
	srv := httptest.NewServer(nil)
	dead := srv.URL
	srv.Close()
	code, out, errOut = mesh(t, ci, "lint", "--against", dead, "testdata/specs")
	if code != 2 || out != "" || !strings.Contains(errOut, "mesh lint: cannot reach Meshwork at "+dead+" (--against)") {
		t.Errorf("mesh lint --against a dead server = exit %d, stdout %q, stderr %q, want 2", code, out, errOut)
	}
}

func TestLintUsage(t *testing.T) {
	getenv := env("http://127.0.0.1:1", "")
	broken := policyDir(t, map[string]string{"x.rego": "package meshwork.apply\n\ndeny contains d if {\n"})
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"lint"}, "usage: mesh lint PATH..."},
		{[]string{"lint", "testdata/specs", "--format", "sarif"}, `--format "sarif": use text, json or github`},
		{[]string{"lint", "--bogus", "testdata/specs"}, "flag provided but not defined"},
		{[]string{"lint", filepath.Join(t.TempDir(), "missing.yaml")}, "missing.yaml"},
		{[]string{"lint", t.TempDir()}, "no *.yaml or *.yml files found"},
		{[]string{"lint", "--policy-dir", filepath.Join(t.TempDir(), "nope"), "testdata/specs"}, "cannot be read"},
		{[]string{"lint", "--policy-dir", broken, "testdata/specs"}, "x.rego:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := mesh(t, getenv, tt.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tt.stderr) || !strings.HasPrefix(errOut, "mesh lint: ") {
				t.Errorf("mesh %q = exit %d\nstdout %q\nstderr %q\nwant exit 2 and stderr with %q", tt.args, code, out, errOut, tt.stderr)
			}
		})
	}
}

func TestAnnotation(t *testing.T) {
	tests := []struct {
		f    finding
		want string
	}{
		{finding{File: "a.yaml", Line: 3, Column: 7, Severity: "error", Rule: "version", Message: "plain"},
			"::error file=a.yaml,line=3,col=7,title=version::plain"},
		{finding{File: "dir,x/b:c.yaml", Line: 1, Column: 1, Severity: "warning", Rule: "r:1,2", Message: "a: b, 50%\r\nnext"},
			"::warning file=dir%2Cx/b%3Ac.yaml,line=1,col=1,title=r%3A1%2C2::a: b, 50%25%0D%0Anext"},
		{finding{Severity: "error", Rule: "forbidden", Message: "%0A is not a newline"},
			"::error title=forbidden::%250A is not a newline"},
	}
	for _, tt := range tests {
		if got := annotation(tt.f); got != tt.want {
			t.Errorf("annotation(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

// unescapeAnnotation undoes escapeProperty (and escapeData, its subset).
var unescapeAnnotation = strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",")

func FuzzAnnotation(f *testing.F) {
	f.Add("specs/shop.yaml", "pii.classification_required", "retail.shop.orders.email has no classification")
	f.Add("a,b:c.yaml", "x:y,z", "100% done\r\nnext::line")
	f.Add("", "", "%0A%25%3A%2C")
	f.Fuzz(func(t *testing.T, file, rule, msg string) {
		a := annotation(finding{File: file, Line: 3, Column: 4, Severity: "error", Rule: rule, Message: msg})
		if strings.ContainsAny(a, "\r\n") {
			t.Fatalf("annotation is not one line: %q", a)
		}
		rest, ok := strings.CutPrefix(a, "::error ")
		if !ok {
			t.Fatalf("annotation %q does not start with ::error", a)
		}
		props, data, ok := strings.Cut(rest, "::")
		if !ok {
			t.Fatalf("annotation %q has no :: before its message", a)
		}
		if got := unescapeAnnotation.Replace(data); got != msg {
			t.Fatalf("message %q came back as %q from %q", msg, got, a)
		}
		got := map[string]string{}
		for _, p := range strings.Split(props, ",") {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				t.Fatalf("property %q of %q is not key=value", p, a)
			}
			got[k] = unescapeAnnotation.Replace(v)
		}
		want := map[string]string{"title": rule}
		if file != "" {
			want["file"], want["line"], want["col"] = file, "3", "4"
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("properties of %q (-want +got):\n%s", a, diff)
		}
	})
}
