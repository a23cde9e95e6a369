package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// newToken makes a token as the admin and returns its secret.
func newToken(t *testing.T, admin func(string) string, args ...string) string {
	t.Helper()
	code, out, errOut := mesh(t, admin, append([]string{"token", "create"}, args...)...)
	if code != 0 {
		t.Fatalf("mesh token create %v = exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
	}
	secret := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(secret, "mesh_") || strings.ContainsAny(secret, " \n") {
		t.Fatalf("mesh token create stdout = %q, want the secret alone on its line", out)
	}
	if !strings.Contains(errOut, "will not be shown again") {
		t.Errorf("mesh token create stderr = %q, want a note that the secret will not be shown again", errOut)
	}
	return secret
}

// shop applies the test product and publishes two orders into it.
func shop(t *testing.T, admin func(string) string) {
	t.Helper()
	mustMesh(t, admin, "apply", "-f", "testdata/specs")
	mustMesh(t, admin, "publish", "retail.shop.orders", writeFile(t, "o.csv", "order_id,customer,amount\n1,ada,1\n2,bob,2\n"))
}

const countOrders = "SELECT count(*) AS n FROM retail.shop.orders"

// canQuery reports whether getenv's principal may query the shop, failing
// the test if a refusal is not a 403 naming the missing role.
func canQuery(t *testing.T, getenv func(string) string) bool {
	t.Helper()
	code, out, errOut := mesh(t, getenv, "query", "--format", "csv", countOrders)
	switch {
	case code == 0 && out == "n\n2\n":
		return true
	case code == 1 && strings.Contains(errOut, "403") && strings.Contains(errOut, "consumer"):
		return false
	}
	t.Fatalf("mesh query = exit %d\nstdout %q\nstderr %q\nwant 2 rows or a 403", code, out, errOut)
	return false
}

func TestAuthRequired(t *testing.T) {
	_, admin := server(t)
	code, _, errOut := mesh(t, as(admin, ""), "products")
	if code != 1 || !strings.Contains(errOut, "401") || !strings.Contains(errOut, "set MESH_TOKEN") {
		t.Errorf("mesh products without MESH_TOKEN = exit %d, stderr %q, want 1, a 401 and advice to set MESH_TOKEN", code, errOut)
	}
	const bogus = "mesh_not-a-real-token"
	code, out, errOut := mesh(t, as(admin, bogus), "whoami")
	if code != 1 || !strings.Contains(errOut, "MESH_TOKEN was not accepted") {
		t.Errorf("mesh whoami with a bad token = exit %d, stderr %q, want 1 and the token refused", code, errOut)
	}
	if strings.Contains(out+errOut, bogus) {
		t.Errorf("mesh whoami printed the token: stdout %q, stderr %q", out, errOut)
	}
	out = mustMesh(t, admin, "whoami")
	want := [][]string{{"principal", "admin"}, {"via", "token"}, {"groups", "-"}, {"attrs", "-"}, {"admin", "true"}}
	if diff := cmp.Diff(want, fields(out)); diff != "" {
		t.Errorf("mesh whoami as admin (-want +got):\n%s", diff)
	}
}

func TestTokens(t *testing.T) {
	_, admin := server(t)
	secret := newToken(t, admin, "--principal", "alice", "--group", "eu", "--group", "analysts",
		"--attr", "nation=1", "--attr", "nation=3", "--attr", "tier=gold", "--expires", "30d")
	alice := as(admin, secret)

	out := mustMesh(t, alice, "whoami")
	want := [][]string{{"principal", "alice"}, {"via", "token"}, {"groups", "analysts,", "eu"}, {"attrs", "nation=1,3", "tier=gold"}, {"admin", "false"}}
	if diff := cmp.Diff(want, fields(out)); diff != "" {
		t.Errorf("mesh whoami as alice (-want +got):\n%s", diff)
	}
	var who struct {
		Principal struct {
			Name   string              `json:"name"`
			Groups []string            `json:"groups"`
			Attrs  map[string][]string `json:"attrs"`
		} `json:"principal"`
		Admin bool `json:"admin"`
	}
	if err := json.Unmarshal([]byte(mustMesh(t, alice, "whoami", "--json")), &who); err != nil {
		t.Fatal(err)
	}
	if who.Principal.Name != "alice" || !cmp.Equal(who.Principal.Groups, []string{"analysts", "eu"}) || who.Admin {
		t.Errorf("mesh whoami --json = %+v", who)
	}

	// A second token with --json: the full answer, with its id.
	var created struct {
		Token struct {
			ID, Principal, CreatedBy string
			ExpiresAt                *string
		} `json:"token"`
		Secret string `json:"secret"`
	}
	out = mustMesh(t, admin, "token", "create", "--principal", "alice", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("mesh token create --json: %v\n%s", err, out)
	}
	if created.Token.Principal != "alice" || created.Token.CreatedBy != "admin" || created.Token.ExpiresAt != nil || !strings.HasPrefix(created.Secret, "mesh_") {
		t.Errorf("mesh token create --json = %s", out)
	}

	// The list: alice's two tokens; every token for the admin.
	rows := fields(mustMesh(t, admin, "token", "list", "--principal", "alice"))
	if len(rows) != 3 || rows[0][0] != "ID" || rows[1][1] != "alice" || rows[2][0] != created.Token.ID {
		t.Errorf("mesh token list --principal alice = %v", rows)
	}
	if rows := fields(mustMesh(t, admin, "token", "list")); len(rows) != 4 || rows[1][1] != "admin" {
		t.Errorf("mesh token list = %v, want the admin's and alice's tokens", rows)
	}
	// alice sees her own tokens but may not make any, nor list everyone's.
	if rows := fields(mustMesh(t, alice, "token", "list", "--principal", "alice")); len(rows) != 3 {
		t.Errorf("mesh token list --principal alice as alice = %v", rows)
	}
	for _, args := range [][]string{{"token", "create", "--principal", "mallory"}, {"token", "list"}} {
		if code, _, errOut := mesh(t, alice, args...); code != 1 || !strings.Contains(errOut, "403") {
			t.Errorf("mesh %v as alice = exit %d, stderr %q, want 1 and a 403", args, code, errOut)
		}
	}

	// Revoking the first token: that secret no longer authenticates; the second still does.
	id := rows[1][0]
	if out := mustMesh(t, admin, "token", "revoke", id); out != "revoked token "+id+" of alice\n" {
		t.Errorf("mesh token revoke = %q", out)
	}
	if code, _, errOut := mesh(t, alice, "whoami"); code != 1 || !strings.Contains(errOut, "401") || !strings.Contains(errOut, "MESH_TOKEN") {
		t.Errorf("mesh whoami with a revoked token = exit %d, stderr %q, want 1 and a 401", code, errOut)
	}
	mustMesh(t, as(admin, created.Secret), "whoami")
	if rows := fields(mustMesh(t, admin, "token", "list", "--principal", "alice")); len(rows) != 3 || rows[1][4] == "-" || rows[2][4] != "-" {
		t.Errorf("mesh token list after revoke = %v, want the first revoked", rows)
	}
	if code, _, errOut := mesh(t, admin, "token", "revoke", "tok_nope"); code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("mesh token revoke of an unknown id = exit %d, stderr %q", code, errOut)
	}
}

func TestGrants(t *testing.T) {
	_, admin := server(t)
	shop(t, admin)
	bob := as(admin, newToken(t, admin, "--principal", "bob", "--group", "analysts"))
	if canQuery(t, bob) {
		t.Fatal("bob queried the shop without a grant")
	}

	out := mustMesh(t, admin, "grant", "consumer", "bob", "retail.shop")
	re := regexp.MustCompile(`^granted consumer on retail\.shop to bob \(grant (\S+), expires -\)\n$`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("mesh grant = %q, want it to match %s", out, re)
	}
	if !canQuery(t, bob) {
		t.Error("bob cannot query the shop with the consumer grant")
	}
	mustMesh(t, admin, "grant", "publisher", "group:analysts", "retail", "--expires", "2w")
	mustMesh(t, admin, "grant", "admin", "carol", "platform")

	// Sorted by scope (the platform first), then role and subject; the
	// expiry column is checked apart.
	got := fields(mustMesh(t, admin, "grants"))
	if want := []string{"ID", "ROLE", "SUBJECT", "SCOPE", "EXPIRES", "CREATED", "BY"}; !cmp.Equal(want, got[0]) {
		t.Errorf("mesh grants header = %q, want %q", got[0], want)
	}
	var rows, expiries [][]string
	for _, r := range got[1:] {
		rows = append(rows, []string{r[1], r[2], r[3], r[5]})
		expiries = append(expiries, []string{r[2], r[4]})
	}
	wantRows := [][]string{
		{"admin", "admin", "platform", "system"},
		{"admin", "carol", "platform", "admin"},
		{"publisher", "group:analysts", "retail", "admin"},
		{"consumer", "bob", "retail.shop", "admin"},
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("mesh grants (-want +got):\n%s", diff)
	}
	for _, e := range expiries {
		if (e[1] == "-") == (e[0] == "group:analysts") {
			t.Errorf("mesh grants: %s's grant expires %s, want only group:analysts' to expire", e[0], e[1])
		}
	}
	if rows := fields(mustMesh(t, admin, "grants", "retail.shop")); len(rows) != 2 || rows[1][0] != m[1] {
		t.Errorf("mesh grants retail.shop = %v, want bob's grant only", rows)
	}
	var js struct {
		Grants []struct{ ID, Role, Subject, Domain, Product string } `json:"grants"`
	}
	if err := json.Unmarshal([]byte(mustMesh(t, admin, "grants", "retail", "--json")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Grants) != 2 {
		t.Errorf("mesh grants retail --json = %+v, want the domain's and its product's grants", js.Grants)
	}
	// bob sees his own grants (his group's too), not carol's.
	if rows := fields(mustMesh(t, bob, "grants")); len(rows) != 3 {
		t.Errorf("mesh grants as bob = %v, want his and his group's grants", rows)
	}

	// Revoke by role, subject and scope; then by id.
	out = mustMesh(t, admin, "revoke", "consumer", "bob", "retail.shop")
	if want := "revoked grant " + m[1] + ": consumer on retail.shop from bob\n"; out != want {
		t.Errorf("mesh revoke consumer bob retail.shop = %q, want %q", out, want)
	}
	code, _, errOut := mesh(t, admin, "revoke", "consumer", "bob", "retail.shop")
	if code != 1 || !strings.Contains(errOut, "bob holds no consumer grant on retail.shop") {
		t.Errorf("mesh revoke of a revoked grant = exit %d, stderr %q", code, errOut)
	}
	// bob still reads through his group's publisher grant on the domain; revoke it by id.
	if !canQuery(t, bob) {
		t.Error("bob cannot query with his group's publisher grant")
	}
	for _, r := range fields(mustMesh(t, admin, "grants", "retail")) {
		if len(r) > 2 && r[2] == "group:analysts" {
			mustMesh(t, admin, "revoke", r[0])
		}
	}
	if canQuery(t, bob) {
		t.Error("bob queried the shop after his grants were revoked")
	}
	mustMesh(t, admin, "revoke", "admin", "carol", "platform")
	if rows := fields(mustMesh(t, admin, "grants")); len(rows) != 2 {
		t.Errorf("mesh grants after the revokes = %v, want only the bootstrap admin grant", rows)
	}

	// bob may not grant.
	code, _, errOut = mesh(t, bob, "grant", "consumer", "bob", "retail.shop")
	if code != 1 || !strings.Contains(errOut, "403") {
		t.Errorf("mesh grant as bob = exit %d, stderr %q, want 1 and a 403", code, errOut)
	}
	code, _, errOut = mesh(t, admin, "revoke", "g_nope")
	if code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("mesh revoke of an unknown grant = exit %d, stderr %q", code, errOut)
	}
}

var requestRE = regexp.MustCompile(`^request (\S+): (\w+) on retail\.shop for ruth is pending; an owner of retail\.shop decides it\n$`)

func TestAccessRequests(t *testing.T) {
	_, admin := server(t)
	shop(t, admin)
	olivia := as(admin, newToken(t, admin, "--principal", "olivia"))
	ruth := as(admin, newToken(t, admin, "--principal", "ruth"))
	mustMesh(t, admin, "grant", "owner", "olivia", "retail.shop")

	out := mustMesh(t, ruth, "access", "request", "retail.shop", "--purpose", "monthly revenue report")
	m := requestRE.FindStringSubmatch(out)
	if m == nil || m[2] != "consumer" {
		t.Fatalf("mesh access request = %q, want it to match %s", out, requestRE)
	}
	id := m[1]
	if canQuery(t, ruth) {
		t.Fatal("ruth queried the shop while her request was pending")
	}
	// The owner sees it pending; the admin too.
	for _, who := range []func(string) string{olivia, admin} {
		rows := fields(mustMesh(t, who, "access", "list", "--status", "pending"))
		want := [][]string{
			{"ID", "STATUS", "PRINCIPAL", "PRODUCT", "ROLE", "CREATED", "PURPOSE"},
			{id, "pending", "ruth", "retail.shop", "consumer", rows[len(rows)-1][5], "monthly", "revenue", "report"},
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("mesh access list --status pending (-want +got):\n%s", diff)
		}
	}
	// ruth may not decide her own request.
	if code, _, errOut := mesh(t, ruth, "access", "approve", id); code != 1 || !strings.Contains(errOut, "403") {
		t.Errorf("mesh access approve as the requester = exit %d, stderr %q, want 1 and a 403", code, errOut)
	}
	out = mustMesh(t, olivia, "access", "approve", id, "--expires", "90d")
	if !strings.HasPrefix(out, "approved "+id+": consumer on retail.shop for ruth (grant ") || strings.Contains(out, "expires -") {
		t.Errorf("mesh access approve = %q", out)
	}
	if !canQuery(t, ruth) {
		t.Error("ruth cannot query the shop after her request was approved")
	}
	if rows := fields(mustMesh(t, olivia, "access", "list", "--status", "pending")); len(rows) != 1 {
		t.Errorf("mesh access list --status pending after the approval = %v, want none", rows)
	}

	// A request denied: --reason is required.
	out = mustMesh(t, ruth, "access", "request", "--role", "unmask", "retail.shop", "--purpose", "check the customer names")
	m = requestRE.FindStringSubmatch(out)
	if m == nil || m[2] != "unmask" {
		t.Fatalf("mesh access request --role unmask = %q", out)
	}
	code, _, errOut := mesh(t, olivia, "access", "deny", m[1])
	if code != 2 || !strings.Contains(errOut, "--reason") {
		t.Errorf("mesh access deny without --reason = exit %d, stderr %q, want 2", code, errOut)
	}
	out = mustMesh(t, olivia, "access", "deny", m[1], "--reason", "names are PII")
	if want := "denied " + m[1] + ": unmask on retail.shop for ruth (names are PII)\n"; out != want {
		t.Errorf("mesh access deny = %q, want %q", out, want)
	}
	var res struct {
		Requests []struct{ ID, Status, DecidedBy, Reason string } `json:"requests"`
	}
	if err := json.Unmarshal([]byte(mustMesh(t, ruth, "access", "list", "--json", "--status", "denied")), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Requests) != 1 || res.Requests[0].ID != m[1] || res.Requests[0].DecidedBy != "olivia" || res.Requests[0].Reason != "names are PII" {
		t.Errorf("mesh access list --status denied as ruth = %+v", res.Requests)
	}
	if rows := fields(mustMesh(t, ruth, "access", "list")); len(rows) != 3 {
		t.Errorf("mesh access list as ruth = %v, want her two requests", rows)
	}
	code, _, errOut = mesh(t, ruth, "access", "request", "retail.nope", "--purpose", "x")
	if code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("mesh access request of an unknown product = exit %d, stderr %q, want 1 and a 404", code, errOut)
	}
}

// policyDir writes files into a new directory.
func policyDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const limitRego = `package shop.limits

deny contains msg if {
	input.amount > 100
	msg := "too much"
}
`

func TestPolicyTest(t *testing.T) {
	getenv := env("http://127.0.0.1:1", "") // local: no server
	pass := policyDir(t, map[string]string{
		"limits.rego": limitRego,
		"limits_test.rego": `package shop.limits_test

import data.shop.limits

test_small_amount_passes if count(limits.deny) == 0 with input as {"amount": 5}

test_large_amount_denied if "too much" in limits.deny with input as {"amount": 500}
`,
	})
	code, out, errOut := mesh(t, getenv, "policy", "test", pass)
	if code != 0 || !strings.Contains(out, "PASS data.shop.limits_test.test_large_amount_denied") || !strings.Contains(out, "PASS: 2/2") {
		t.Errorf("mesh policy test of passing tests = exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	fail := policyDir(t, map[string]string{
		"limits.rego": limitRego,
		"limits_test.rego": `package shop.limits_test

import data.shop.limits

test_small_amount_passes if count(limits.deny) == 0 with input as {"amount": 5}

test_wrong_limit if count(limits.deny) == 0 with input as {"amount": 101}
`,
	})
	code, out, errOut = mesh(t, getenv, "policy", "test", fail)
	if code != 1 || !strings.Contains(out, "FAIL data.shop.limits_test.test_wrong_limit") || !strings.Contains(out, "FAIL: 1/2 failed") ||
		!strings.Contains(errOut, "mesh policy: 1 of 2 policy tests failed") {
		t.Errorf("mesh policy test of a failing test = exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	broken := policyDir(t, map[string]string{"x.rego": "package x\n\nallow if {\n"})
	code, _, errOut = mesh(t, getenv, "policy", "test", broken)
	if code != 1 || !strings.Contains(errOut, "x.rego:") || strings.Contains(errOut, "policy.Test") {
		t.Errorf("mesh policy test of a bundle that does not parse = exit %d, stderr %q, want 1 naming the file", code, errOut)
	}
	code, _, errOut = mesh(t, getenv, "policy", "test", policyDir(t, map[string]string{"limits.rego": limitRego}))
	if code != 1 || !strings.Contains(errOut, "no policy tests") {
		t.Errorf("mesh policy test without tests = exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = mesh(t, getenv, "policy", "test", filepath.Join(pass, "missing"))
	if code != 1 || !strings.Contains(errOut, "missing") {
		t.Errorf("mesh policy test of a missing directory = exit %d, stderr %q", code, errOut)
	}
}

func TestPolicyVersionAndAudit(t *testing.T) {
	_, admin := server(t)
	if out := mustMesh(t, admin, "policy", "version"); strings.TrimSpace(out) == "" || strings.Count(out, "\n") != 1 {
		t.Errorf("mesh policy version = %q, want one line", out)
	}
	out := mustMesh(t, admin, "audit", "verify")
	if !regexp.MustCompile(`^audit log OK: \d+ records, head \S+\n$`).MatchString(out) {
		t.Errorf("mesh audit verify on a fresh server = %q", out)
	}
	var rep struct {
		OK      bool  `json:"ok"`
		Records int64 `json:"records"`
	}
	if err := json.Unmarshal([]byte(mustMesh(t, admin, "audit", "verify", "--json")), &rep); err != nil || !rep.OK || rep.Records == 0 {
		t.Errorf("mesh audit verify --json = %+v, %v", rep, err)
	}
	guest := as(admin, newToken(t, admin, "--principal", "guest"))
	if code, _, errOut := mesh(t, guest, "audit", "verify"); code != 1 || !strings.Contains(errOut, "403") {
		t.Errorf("mesh audit verify as a non-admin = exit %d, stderr %q", code, errOut)
	}
}

func TestRetentionRun(t *testing.T) {
	_, admin := server(t)
	// The shop's contract keeps a year of orders; age them by order_date.
	spec, err := os.ReadFile("testdata/specs/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	aged := strings.Replace(string(spec), "    unit: y\n", "    unit: y\n    element: orders.order_date\n", 1)
	if aged == string(spec) {
		t.Fatal("testdata/specs/shop.yaml no longer declares a retention of 1 y")
	}
	mustMesh(t, admin, "apply", "-f", writeFile(t, "shop.yaml", aged))
	mustMesh(t, admin, "publish", "retail.shop.orders", writeFile(t, "o.csv",
		"order_id,customer,amount,order_date\n1,ada,1,2001-02-03\n2,bob,2,2999-01-01\n3,cy,3,2002-03-04\n"))

	out := mustMesh(t, admin, "retention", "run")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "(1 table)") {
		t.Fatalf("mesh retention run =\n%s\nwant a header, one table and the count", out)
	}
	if want := []string{"TABLE", "RETENTION", "ROWS", "DELETED", "FILES", "REWRITTEN", "FILES", "DROPPED", "SNAPSHOTS", "EXPIRED"}; !cmp.Equal(want, strings.Fields(lines[0])) {
		t.Errorf("mesh retention run header = %q", lines[0])
	}
	row := strings.Fields(lines[1])
	if len(row) != 9 || row[0] != "retail.shop@v1.orders" || strings.Join(row[1:5], " ") != "1 year by order_date" || row[5] != "2" {
		t.Errorf("mesh retention run row = %q, want retail.shop@v1.orders, 1 year by order_date, 2 rows deleted", lines[1])
	}
	if out := mustMesh(t, admin, "query", "--format", "csv", "SELECT order_id FROM retail.shop.orders"); out != "order_id\n2\n" {
		t.Errorf("after mesh retention run, the orders are %q, want only order 2", out)
	}

	// Again: nothing more to delete.
	var res struct {
		Tables []struct {
			Table       string `json:"table"`
			RowsDeleted int64  `json:"rowsDeleted"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(mustMesh(t, admin, "retention", "run", "--json")), &res); err != nil {
		t.Fatalf("mesh retention run --json: %v", err)
	}
	if len(res.Tables) != 1 || res.Tables[0].Table != "retail.shop@v1.orders" || res.Tables[0].RowsDeleted != 0 {
		t.Errorf("mesh retention run --json again = %+v, want nothing deleted", res.Tables)
	}
	guest := as(admin, newToken(t, admin, "--principal", "guest"))
	if code, _, errOut := mesh(t, guest, "retention", "run"); code != 1 || !strings.Contains(errOut, "403") {
		t.Errorf("mesh retention run as a non-admin = exit %d, stderr %q", code, errOut)
	}
}

func TestGovernUsage(t *testing.T) {
	getenv := env("http://127.0.0.1:1", "") // never reached
	tests := []struct {
		args   []string
		stderr string // substring
	}{
		{[]string{"whoami", "extra"}, "usage: mesh whoami"},
		{[]string{"token"}, "a subcommand is required: use mesh token create|list|revoke"},
		{[]string{"token", "mint"}, `unknown subcommand "mint"`},
		{[]string{"token", "create"}, "usage: mesh token create --principal NAME"},
		{[]string{"token", "create", "--principal", "a", "--expires", "soon"}, `--expires: expiry "soon" is not a duration`},
		{[]string{"token", "create", "--principal", "a", "--expires", "-3d"}, "--expires:"},
		{[]string{"token", "create", "--principal", "a", "--attr", "novalue"}, `--attr "novalue": write it as key=value`},
		{[]string{"token", "create", "--principal"}, "flag needs an argument"},
		{[]string{"token", "revoke"}, "usage: mesh token revoke ID"},
		{[]string{"token", "list", "x"}, "usage: mesh token list"},
		{[]string{"grant", "consumer", "bob"}, "usage: mesh grant ROLE"},
		{[]string{"grant", "reader", "bob", "retail.shop"}, `role "reader" does not exist`},
		{[]string{"grant", "admin", "bob", "retail"}, "the admin role is granted on the platform only"},
		{[]string{"grant", "consumer", "bob", "platform"}, "not the platform"},
		{[]string{"grant", "consumer", "bob", "a.b.c"}, "name the scope as DOMAIN or DOMAIN.PRODUCT"},
		{[]string{"grant", "consumer", "bob", "retail.shop", "--expires", "30x"}, "--expires:"},
		{[]string{"grant", "consumer", "bob", "retail.shop", "--bogus"}, "flag provided but not defined"},
		{[]string{"revoke"}, "usage: mesh revoke GRANT_ID"},
		{[]string{"revoke", "consumer", "bob"}, "usage: mesh revoke GRANT_ID"},
		{[]string{"grants", "a", "b"}, "usage: mesh grants"},
		{[]string{"access"}, "use mesh access request|list|approve|deny"},
		{[]string{"access", "grant"}, `unknown subcommand "grant"`},
		{[]string{"access", "request", "retail.shop"}, "--purpose"},
		{[]string{"access", "request", "retail", "--purpose", "x"}, "name the product as DOMAIN.PRODUCT"},
		{[]string{"access", "list", "--status", "open"}, `--status "open": use pending, approved or denied`},
		{[]string{"access", "approve"}, "usage: mesh access approve ID"},
		{[]string{"access", "approve", "req_1", "--expires", "forever"}, "--expires:"},
		{[]string{"access", "deny", "req_1"}, "--reason"},
		{[]string{"access", "deny", "req_1", "--reason", " "}, "--reason"},
		{[]string{"policy"}, "use mesh policy test|version"},
		{[]string{"policy", "test"}, "usage: mesh policy test DIR"},
		{[]string{"policy", "version", "x"}, "usage: mesh policy version"},
		{[]string{"audit"}, "use mesh audit verify"},
		{[]string{"audit", "verify", "x"}, "usage: mesh audit verify"},
		{[]string{"retention"}, "use mesh retention run"},
		{[]string{"retention", "run", "--now"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := mesh(t, getenv, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.stderr) || !strings.HasPrefix(errOut, "mesh "+tt.args[0]+": ") {
				t.Errorf("mesh %q = exit %d\nstdout %q\nstderr %q\nwant exit 2 and stderr with %q", tt.args, code, out, errOut, tt.stderr)
			}
		})
	}
	// -h prints a subcommand's flags and succeeds.
	code, out, _ := mesh(t, getenv, "token", "create", "-h")
	if code != 0 || !strings.Contains(out, "Flags of mesh token create:") || !strings.Contains(out, "-principal") {
		t.Errorf("mesh token create -h = exit %d, stdout %q", code, out)
	}
	code, out, _ = mesh(t, getenv, "help")
	for _, w := range []string{"mesh whoami", "mesh token create", "mesh grant ROLE", "mesh access request", "mesh policy test DIR", "mesh audit verify", "mesh retention run", "MESH_TOKEN"} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("mesh help lacks %q", w)
		}
	}
}

func newFlagSetForTest() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.Bool("json", false, "")
	fs.String("expires", "", "")
	fs.String("reason", "", "")
	return fs
}

func TestFlagsFirst(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"a", "b", "--expires", "30d"}, []string{"--expires", "30d", "--", "a", "b"}},
		{[]string{"--json", "a"}, []string{"--json", "--", "a"}},
		{[]string{"a", "--json", "b"}, []string{"--json", "--", "a", "b"}},
		{[]string{"a", "--reason", "-weird-"}, []string{"--reason", "-weird-", "--", "a"}},
		{[]string{"--expires=1d", "a"}, []string{"--expires=1d", "--", "a"}},
		{[]string{"a", "--", "--json"}, []string{"--", "a", "--json"}},
		{[]string{"--json"}, []string{"--json"}},
		{[]string{"a", "--expires"}, []string{"--expires", "--", "a"}},
	}
	for _, tt := range tests {
		fs := newFlagSetForTest()
		if got := flagsFirst(fs, tt.in); !cmp.Equal(tt.want, got) {
			t.Errorf("flagsFirst(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
