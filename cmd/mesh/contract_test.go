package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/spec"
)

// testContract reads the contract of a spec file.
func testContract(t *testing.T, name string) *spec.Contract {
	t.Helper()
	c, err := contractFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var timestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

// TestContractCommands walks the shop through 1.0.0, 1.1.0 (an optional
// column) and 2.0.0 (a new major) and looks at it with mesh contract.
func TestContractCommands(t *testing.T) {
	_, admin := server(t)
	mustMesh(t, admin, "apply", "-f", "testdata/specs")
	mustMesh(t, admin, "apply", "-f", "testdata/lint/shop-1.1.0.yaml")

	t.Run("versions", func(t *testing.T) {
		for _, name := range []string{"retail.shop", "retail-shop-contract"} {
			rows := fields(mustMesh(t, admin, "contract", "versions", name))
			want := [][]string{
				{"contract", "retail-shop-contract", "(retail.shop)"},
				{"VERSION", "MAJOR", "STATUS", "APPLIED_AT", "APPLIED_BY"},
				{"1.0.0", "1", "active", "TS", "admin"},
				{"1.1.0", "1", "active", "TS", "admin"},
			}
			for _, r := range rows[2:] {
				if len(r) == 5 && timestamp.MatchString(r[3]) {
					r[3] = "TS"
				}
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("mesh contract versions %s (-want +got):\n%s", name, diff)
			}
		}
		var res struct {
			Contracts []struct {
				ID       string `json:"id"`
				Versions []struct{ Version string }
			} `json:"contracts"`
		}
		if err := json.Unmarshal([]byte(mustMesh(t, admin, "contract", "versions", "--json", "retail.shop")), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Contracts) != 1 || res.Contracts[0].ID != "retail-shop-contract" || len(res.Contracts[0].Versions) != 2 {
			t.Errorf("mesh contract versions --json = %+v", res)
		}
	})

	t.Run("show", func(t *testing.T) {
		want := testContract(t, "testdata/lint/shop-1.1.0.yaml")
		for _, args := range [][]string{
			{"retail.shop", "1.1.0"},
			{"retail-shop-contract", "1.1.0", "--format", "yaml"},
			{"--format", "json", "retail.shop", "1.1.0"},
		} {
			out := mustMesh(t, admin, append([]string{"contract", "show"}, args...)...)
			if json.Valid([]byte(out)) != slices.Contains(args, "json") {
				t.Errorf("mesh contract show %v printed %q", args, out)
			}
			got, err := spec.ParseContract("shown", []byte(out))
			if err != nil {
				t.Fatalf("mesh contract show %v does not read back: %v\n%s", args, err, out)
			}
			if d := spec.Diff(want, got); !d.Empty() || got.Version != "1.1.0" {
				var b strings.Builder
				d.WriteText(&b)
				t.Errorf("mesh contract show %v differs from the file applied:\n%s", args, b.String())
			}
		}
		out := mustMesh(t, admin, "contract", "show", "retail.shop", "1.0.0")
		if !strings.HasPrefix(out, "apiVersion: v3.1.0\n") || !strings.Contains(out, "\nversion: 1.0.0\n") || !strings.Contains(out, "\n  - description: One row per order.\n    name: orders\n") ||
			!strings.Contains(out, "\n    unit: \"y\"\n") {
			t.Errorf("mesh contract show 1.0.0 =\n%s\nwant block YAML, keys sorted", out)
		}
	})

	t.Run("diff", func(t *testing.T) {
		want := lines(
			"contract retail-shop-contract: 1.0.0 -> 1.1.0",
			"  table orders (changed)",
			"    + channel              string (optional)",
			"1 added, 0 removed, 0 changed columns",
		)
		for _, args := range [][]string{
			{"retail.shop", "1.0.0", "1.1.0"},
			{"retail-shop-contract", "1.0.0", "1.1.0"},
			{"testdata/specs/shop.yaml", "testdata/lint/shop-1.1.0.yaml"}, // offline
		} {
			if out := mustMesh(t, admin, append([]string{"contract", "diff"}, args...)...); out != want {
				t.Errorf("mesh contract diff %v =\n%s\nwant\n%s", args, out, want)
			}
		}
		// --exit-code: 1 when they differ, nothing on stderr.
		code, out, errOut := mesh(t, admin, "contract", "diff", "retail.shop", "1.0.0", "1.1.0", "--exit-code")
		if code != 1 || out != want || errOut != "" {
			t.Errorf("mesh contract diff --exit-code = exit %d, stdout %q, stderr %q; want 1, the diff, nothing", code, out, errOut)
		}
		code, out, _ = mesh(t, admin, "contract", "diff", "--exit-code", "retail.shop", "1.1.0", "1.1.0")
		if want := "contract retail-shop-contract: 1.1.0 -> 1.1.0\nno differences\n"; code != 0 || out != want {
			t.Errorf("mesh contract diff --exit-code of one version = exit %d, %q; want 0, %q", code, out, want)
		}
		var got spec.ContractDiff
		if err := json.Unmarshal([]byte(mustMesh(t, admin, "contract", "diff", "retail.shop", "1.0.0", "1.1.0", "--format", "json")), &got); err != nil {
			t.Fatal(err)
		}
		local := spec.Diff(testContract(t, "testdata/specs/shop.yaml"), testContract(t, "testdata/lint/shop-1.1.0.yaml"))
		if diff := cmp.Diff(local, &got); diff != "" {
			t.Errorf("mesh contract diff --format json (-local +server):\n%s", diff)
		}
		// Offline, backwards: the column is removed.
		out = mustMesh(t, admin, "contract", "diff", "testdata/lint/shop-1.1.0.yaml", "testdata/specs/shop.yaml")
		if !strings.Contains(out, "    - channel") || !strings.HasSuffix(out, "0 added, 1 removed, 0 changed columns\n") {
			t.Errorf("mesh contract diff NEW OLD =\n%s", out)
		}
	})

	// A new major beside the first; bob still reads major 1.
	mustMesh(t, admin, "apply", "-f", "testdata/lint/shop-2.0.0.yaml")
	bob := as(admin, newToken(t, admin, "--principal", "bob"))
	mustMesh(t, admin, "grant", "consumer", "bob", "retail.shop")

	t.Run("publish to a pinned major", func(t *testing.T) {
		out := mustMesh(t, admin, "publish", "retail.shop@v1.orders", writeFile(t, "v1.csv", "order_id,customer,amount,order_date,channel\n1,ada,1.50,2026-01-05,web\n"))
		if !strings.Contains(out, ": committed snapshot ") {
			t.Errorf("mesh publish retail.shop@v1.orders = %q", out)
		}
		mustMesh(t, admin, "publish", "retail.shop@v2.orders", writeFile(t, "v2.csv", "order_id,customer,amount_cents\n7,bob,250\n8,cy,100\n"))
		if out := mustMesh(t, bob, "query", "--format", "csv", "SELECT order_id, amount, channel FROM retail.shop@v1.orders"); out != "order_id,amount,channel\n1,1.50,web\n" {
			t.Errorf("major 1 = %q", out)
		}
		if out := mustMesh(t, bob, "query", "--format", "csv", "SELECT sum(amount_cents) AS c FROM retail.shop.orders"); out != "c\n350\n" {
			t.Errorf("major 2, unpinned = %q", out)
		}
		code, _, errOut := mesh(t, admin, "publish", "retail.shop@v3.orders", writeFile(t, "v3.csv", "order_id\n1\n"))
		if code != 1 || !strings.Contains(errOut, "404") {
			t.Errorf("mesh publish to a major that does not exist = exit %d, stderr %q", code, errOut)
		}
	})

	t.Run("majors", func(t *testing.T) {
		rows := fields(mustMesh(t, admin, "contract", "majors", "retail.shop", "--days", "7"))
		want := [][]string{
			{"MAJOR", "STATUS", "DEFAULT", "SUNSET", "TABLES", "CONSUMERS"},
			{"2", "active", "true", "-", "retail.shop@v2.orders", "bob(1)"},
			{"1", "active", "false", "-", "retail.shop@v1.orders", "bob(1)"},
			{"(consumers:", "reads", "in", "the", "last", "7", "days)"},
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("mesh contract majors (-want +got):\n%s", diff)
		}
		// Only those who may change the product see who reads it.
		if code, _, errOut := mesh(t, bob, "contract", "majors", "retail.shop"); code != 1 || !strings.Contains(errOut, "403") {
			t.Errorf("mesh contract majors as a consumer = exit %d, stderr %q", code, errOut)
		}
	})

	t.Run("versions of two majors", func(t *testing.T) {
		rows := fields(mustMesh(t, bob, "contract", "versions", "retail.shop"))
		var got [][]string
		for _, r := range rows[2:] {
			got = append(got, r[:3])
		}
		if diff := cmp.Diff([][]string{{"1.0.0", "1", "active"}, {"1.1.0", "1", "active"}, {"2.0.0", "2", "active"}}, got); diff != "" {
			t.Errorf("mesh contract versions after 2.0.0 (-want +got):\n%s", diff)
		}
	})
}

func TestContractErrors(t *testing.T) {
	_, admin := server(t)
	mustMesh(t, admin, "apply", "-f", "testdata/specs")
	// A second contract in the product: a product name no longer says which.
	two := strings.NewReplacer("id: retail-shop-contract", "id: retail-shop-returns", "name: orders", "name: returns").Replace(readFile(t, "testdata/specs/shop.yaml"))
	mustMesh(t, admin, "apply", "-f", "testdata/specs", "-f", writeFile(t, "two.yaml", two[strings.Index(two, "---"):]))
	rows := fields(mustMesh(t, admin, "contract", "versions", "retail.shop"))
	if len(rows) != 7 || rows[0][1] != "retail-shop-contract" || len(rows[3]) != 0 || rows[4][1] != "retail-shop-returns" {
		t.Errorf("mesh contract versions of a product with two contracts = %v", rows)
	}
	offline := env("http://127.0.0.1:1", "")
	tests := []struct {
		getenv func(string) string
		args   []string
		code   int
		stderr string
	}{
		{offline, []string{"contract"}, 2, "use mesh contract versions|show|diff|majors"},
		{offline, []string{"contract", "list"}, 2, `unknown subcommand "list"`},
		{offline, []string{"contract", "versions"}, 2, "usage: mesh contract versions"},
		{offline, []string{"contract", "show", "retail.shop"}, 2, "usage: mesh contract show"},
		{offline, []string{"contract", "show", "retail.shop", "1.0.0", "--format", "xml"}, 2, `--format "xml": use yaml or json`},
		{offline, []string{"contract", "diff", "a"}, 2, "usage: mesh contract diff"},
		{offline, []string{"contract", "diff", "a", "b", "c", "--format", "html"}, 2, `--format "html": use text or json`},
		{offline, []string{"contract", "diff", "testdata/specs/shop.yaml", "testdata/specs/missing.yaml"}, 1, "missing.yaml"},
		{offline, []string{"contract", "diff", "testdata/specs/shop.yaml", "testdata/lint/invalid.yaml"}, 1, "testdata/lint/invalid.yaml:6:9: "},
		{offline, []string{"contract", "diff", "testdata/specs/shop.yaml", "testdata/lint/good/product.yaml"}, 1, "want exactly one DataContract document, found 0"},
		{offline, []string{"contract", "majors"}, 2, "usage: mesh contract majors"},
		{offline, []string{"contract", "majors", "retail.shop", "--days", "0"}, 2, "--days 0"},
		{offline, []string{"contract", "majors", "retail"}, 2, "name the product as DOMAIN.PRODUCT"},
		{admin, []string{"contract", "show", "retail.shop", "1.0.0"}, 2, "product retail.shop has several contracts with version 1.0.0 (retail-shop-contract, retail-shop-returns): name the contract id"},
		{admin, []string{"contract", "show", "retail.shop", "9.9.9"}, 1, "no contract of retail.shop (retail-shop-contract, retail-shop-returns) has version 9.9.9"},
		{admin, []string{"contract", "show", "retail-shop-contract", "9.9.9"}, 1, `contract "retail-shop-contract" has no version "9.9.9" (404 not_found)`},
		{admin, []string{"contract", "versions", "nope"}, 1, "404"},
		{admin, []string{"contract", "versions", "retail.nope"}, 1, "404"},
		{admin, []string{"contract", "diff", "retail-shop-contract", "1.0.0", "2.0.0"}, 1, "404"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := mesh(t, tt.getenv, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) || !strings.HasPrefix(errOut, "mesh contract: ") {
				t.Errorf("mesh %q = exit %d\nstdout %q\nstderr %q\nwant exit %d and stderr with %q", tt.args, code, out, errOut, tt.code, tt.stderr)
			}
		})
	}
	if _, err := os.Stat("testdata/specs/missing.yaml"); err == nil {
		t.Fatal("testdata/specs/missing.yaml exists")
	}
}
