package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/policy"
	"github.com/meshwork/meshwork/internal/publish"
)

// The governance commands: whoami, token, grant, revoke, grants, access,
// policy, audit and retention.

// subcommand splits "mesh CMD SUB ..." and names the choices when SUB is missing or unknown.
func subcommand(cmd string, args []string, subs ...string) (string, []string, error) {
	if len(args) == 0 || !slices.Contains(subs, args[0]) {
		what := "a subcommand is required"
		if len(args) > 0 {
			what = fmt.Sprintf("unknown subcommand %q", args[0])
		}
		return "", nil, usageError(fmt.Sprintf("%s: use mesh %s %s", what, cmd, strings.Join(subs, "|")))
	}
	return args[0], args[1:], nil
}

// checkTTL refuses a bad --expires before anything is sent.
func checkTTL(s string) error {
	if _, err := access.ParseTTL(s); err != nil {
		_, msg, _ := errs.Public(err)
		return usageError("--expires: " + msg)
	}
	return nil
}

// printJSON writes v indented, for --json.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// when formats an optional time for a table; empty is "-" (never).
func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// scope is a grant's scope as users type it: platform, DOMAIN or DOMAIN.PRODUCT.
func scope(domain, product string) string {
	switch {
	case domain == "":
		return "platform"
	case product == "":
		return domain
	}
	return domain + "." + product
}

// parseScope reads DOMAIN or DOMAIN.PRODUCT; "platform" is the platform scope of the admin role.
func parseScope(role access.Role, s string) (domain, product string, err error) {
	if role == access.RoleAdmin {
		if s != "platform" {
			return "", "", usageError(fmt.Sprintf("%q: the admin role is granted on the platform only: name the scope platform", s))
		}
		return "", "", nil
	}
	if s == "platform" {
		return "", "", usageError(fmt.Sprintf("the %s role is granted on a DOMAIN or DOMAIN.PRODUCT, not the platform", role))
	}
	domain, product, _ = strings.Cut(s, ".")
	if domain == "" || strings.Contains(product, ".") || (strings.Contains(s, ".") && product == "") {
		return "", "", usageError(fmt.Sprintf("%q: name the scope as DOMAIN or DOMAIN.PRODUCT", s))
	}
	return domain, product, nil
}

var roles = []access.Role{access.RoleAdmin, access.RoleOwner, access.RolePublisher, access.RoleConsumer, access.RoleUnmask, access.RoleViewer}

func parseRole(s string) (access.Role, error) {
	if r := access.Role(s); slices.Contains(roles, r) {
		return r, nil
	}
	return "", usageError(fmt.Sprintf("role %q does not exist: use admin, owner, publisher, consumer, unmask or viewer", s))
}

func cmdWhoami(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("whoami", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("usage: mesh whoami [--json]")
	}
	var res struct {
		Principal access.Principal `json:"principal"`
		Admin     bool             `json:"admin"`
	}
	if err := newClient(getenv).getJSON(ctx, "/api/v1/whoami", &res); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, res)
	}
	p := res.Principal
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "principal\t%s\n", p.Name)
	fmt.Fprintf(tw, "via\t%s\n", p.Via)
	fmt.Fprintf(tw, "groups\t%s\n", orDash(strings.Join(p.Groups, ", ")))
	fmt.Fprintf(tw, "attrs\t%s\n", orDash(attrString(p.Attrs)))
	fmt.Fprintf(tw, "admin\t%v\n", res.Admin)
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// attrString is k=v1,v2 k2=v, keys sorted.
func attrString(attrs map[string][]string) string {
	var parts []string
	for k, vs := range attrs {
		parts = append(parts, k+"="+strings.Join(vs, ","))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	sub, args, err := subcommand("token", args, "create", "list", "revoke")
	if err != nil {
		return err
	}
	c := newClient(getenv)
	switch sub {
	case "create":
		return tokenCreate(ctx, c, args, stdout, stderr)
	case "list":
		return tokenList(ctx, c, args, stdout)
	}
	fs := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: mesh token revoke ID")
	}
	var res struct {
		Token access.Token `json:"token"`
	}
	if err := c.sendJSON(ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(fs.Arg(0)), nil, &res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked token %s of %s\n", res.Token.ID, res.Token.Principal)
	return nil
}

func tokenCreate(ctx context.Context, c *client, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	principal := fs.String("principal", "", "the principal the token authenticates (required)")
	var groups, attrs multiFlag
	fs.Var(&groups, "group", "a group of the principal (repeatable)")
	fs.Var(&attrs, "attr", "an attribute of the principal as key=value, for row filters (repeatable)")
	expires := fs.String("expires", "", "lifetime of the token, e.g. 30d, 12h, 2w (default: never expires)")
	asJSON := fs.Bool("json", false, "print the server's answer (token and secret) as JSON")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 0 || *principal == "" {
		return usageError("usage: mesh token create --principal NAME [--group G]... [--attr k=v]... [--expires 30d]")
	}
	if err := checkTTL(*expires); err != nil {
		return err
	}
	req := map[string]any{"principal": *principal, "expires": *expires}
	if len(groups) > 0 {
		req["groups"] = []string(groups)
	}
	if len(attrs) > 0 {
		m := map[string][]string{}
		for _, a := range attrs {
			k, v, ok := strings.Cut(a, "=")
			if !ok || k == "" {
				return usageError(fmt.Sprintf("--attr %q: write it as key=value", a))
			}
			m[k] = append(m[k], v)
		}
		req["attrs"] = m
	}
	var res struct {
		Token  access.Token `json:"token"`
		Secret string       `json:"secret"`
	}
	if err := c.sendJSON(ctx, http.MethodPost, "/api/v1/tokens", req, &res); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, res)
	}
	exp := "it does not expire"
	if res.Token.ExpiresAt != nil {
		exp = "it expires " + when(res.Token.ExpiresAt)
	}
	// The note goes to stderr, so that TOKEN=$(mesh token create ...) captures only the secret.
	fmt.Fprintf(stderr, "Token %s for %s (%s). The secret follows; it will not be shown again:\n", res.Token.ID, res.Token.Principal, exp)
	fmt.Fprintln(stdout, res.Secret)
	return nil
}

func tokenList(ctx context.Context, c *client, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token list", flag.ContinueOnError)
	principal := fs.String("principal", "", "only this principal's tokens (without it: every token, admins only)")
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("usage: mesh token list [--principal NAME]")
	}
	path := "/api/v1/tokens"
	if *principal != "" {
		path += "?" + url.Values{"principal": {*principal}}.Encode()
	}
	var res struct {
		Tokens []access.Token `json:"tokens"`
	}
	if err := c.getJSON(ctx, path, &res); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, res)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPRINCIPAL\tCREATED\tEXPIRES\tREVOKED\tCREATED BY")
	for _, t := range res.Tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Principal, when(&t.CreatedAt), when(t.ExpiresAt), when(t.RevokedAt), t.CreatedBy)
	}
	return tw.Flush()
}

const grantUsage = "usage: mesh grant ROLE PRINCIPAL|group:NAME DOMAIN[.PRODUCT]|platform [--expires 30d]"

func cmdGrant(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("grant", flag.ContinueOnError)
	expires := fs.String("expires", "", "lifetime of the grant, e.g. 30d (default: never expires)")
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 3 {
		return usageError(grantUsage)
	}
	role, err := parseRole(fs.Arg(0))
	if err != nil {
		return err
	}
	domain, product, err := parseScope(role, fs.Arg(2))
	if err != nil {
		return err
	}
	if err := checkTTL(*expires); err != nil {
		return err
	}
	req := map[string]any{"role": role, "subject": fs.Arg(1), "domain": domain, "product": product, "expires": *expires}
	var res struct {
		Grant access.Grant `json:"grant"`
	}
	if err := newClient(getenv).sendJSON(ctx, http.MethodPost, "/api/v1/grants", req, &res); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, res)
	}
	g := res.Grant
	fmt.Fprintf(stdout, "granted %s on %s to %s (grant %s, expires %s)\n", g.Role, scope(g.Domain, g.Product), g.Subject, g.ID, when(g.ExpiresAt))
	return nil
}

// cmdRevoke revokes a grant by id, or the grant of ROLE to SUBJECT on a scope.
func cmdRevoke(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("revoke", flag.ContinueOnError)
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	c := newClient(getenv)
	var id string
	switch fs.NArg() {
	case 1:
		id = fs.Arg(0)
	case 3:
		role, err := parseRole(fs.Arg(0))
		if err != nil {
			return err
		}
		domain, product, err := parseScope(role, fs.Arg(2))
		if err != nil {
			return err
		}
		gs, err := listGrants(ctx, c, domain, product)
		if err != nil {
			return err
		}
		for _, g := range gs {
			if g.Role == role && g.Subject == fs.Arg(1) && g.Domain == domain && g.Product == product {
				id = g.ID
			}
		}
		if id == "" {
			return fmt.Errorf("%s holds no %s grant on %s that you can see", fs.Arg(1), role, scope(domain, product))
		}
	default:
		return usageError("usage: mesh revoke GRANT_ID, or mesh revoke ROLE PRINCIPAL|group:NAME DOMAIN[.PRODUCT]|platform")
	}
	var res struct {
		Grant access.Grant `json:"grant"`
	}
	if err := c.sendJSON(ctx, http.MethodDelete, "/api/v1/grants/"+url.PathEscape(id), nil, &res); err != nil {
		return err
	}
	g := res.Grant
	fmt.Fprintf(stdout, "revoked grant %s: %s on %s from %s\n", g.ID, g.Role, scope(g.Domain, g.Product), g.Subject)
	return nil
}

func listGrants(ctx context.Context, c *client, domain, product string) ([]access.Grant, error) {
	q := url.Values{}
	if domain != "" {
		q.Set("domain", domain)
	}
	if product != "" {
		q.Set("product", product)
	}
	path := "/api/v1/grants"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var res struct {
		Grants []access.Grant `json:"grants"`
	}
	err := c.getJSON(ctx, path, &res)
	return res.Grants, err
}

func cmdGrants(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("grants", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the grants as JSON")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	var domain, product string
	switch fs.NArg() {
	case 0:
	case 1:
		var err error
		if domain, product, err = parseScope(access.RoleConsumer, fs.Arg(0)); err != nil {
			return err
		}
	default:
		return usageError("usage: mesh grants [DOMAIN[.PRODUCT]]")
	}
	gs, err := listGrants(ctx, newClient(getenv), domain, product)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, map[string]any{"grants": gs})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tSUBJECT\tSCOPE\tEXPIRES\tCREATED BY")
	for _, g := range gs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.Role, g.Subject, scope(g.Domain, g.Product), when(g.ExpiresAt), g.CreatedBy)
	}
	return tw.Flush()
}

func cmdAccess(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	sub, args, err := subcommand("access", args, "request", "list", "approve", "deny")
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("access "+sub, flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	var purpose, role, status, expires, reason *string
	var usage string
	switch sub {
	case "request":
		purpose = fs.String("purpose", "", "why you need the access (required)")
		role = fs.String("role", "consumer", "the role asked for: consumer, publisher or unmask")
		usage = `usage: mesh access request DOMAIN.PRODUCT --purpose "..." [--role consumer]`
	case "list":
		status = fs.String("status", "", "only requests with this status: pending, approved or denied")
		usage = "usage: mesh access list [--status pending]"
	case "approve":
		expires = fs.String("expires", "", "lifetime of the grant the approval makes, e.g. 90d (default: never expires)")
		usage = "usage: mesh access approve ID [--expires 90d]"
	case "deny":
		reason = fs.String("reason", "", "why the request is denied (required)")
		usage = `usage: mesh access deny ID --reason "..."`
	}
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	want := 1
	if sub == "list" {
		want = 0
	}
	if fs.NArg() != want {
		return usageError(usage)
	}
	c := newClient(getenv)
	var res struct {
		Request access.Request `json:"request"`
	}
	switch sub {
	case "request":
		name, err := splitName(fs.Arg(0), 2)
		if err != nil {
			return err
		}
		if strings.TrimSpace(*purpose) == "" {
			return usageError("say why you need the access with --purpose \"...\"")
		}
		body := map[string]any{"domain": name[0], "product": name[1], "role": *role, "purpose": *purpose}
		if err := c.sendJSON(ctx, http.MethodPost, "/api/v1/access-requests", body, &res); err != nil {
			return err
		}
	case "list":
		return accessList(ctx, c, *status, *asJSON, stdout)
	case "approve":
		if err := checkTTL(*expires); err != nil {
			return err
		}
		path := "/api/v1/access-requests/" + url.PathEscape(fs.Arg(0)) + "/approve"
		if err := c.sendJSON(ctx, http.MethodPost, path, map[string]any{"expires": *expires}, &res); err != nil {
			return err
		}
	case "deny":
		if strings.TrimSpace(*reason) == "" {
			return usageError("say why the request is denied with --reason \"...\"")
		}
		path := "/api/v1/access-requests/" + url.PathEscape(fs.Arg(0)) + "/deny"
		if err := c.sendJSON(ctx, http.MethodPost, path, map[string]any{"reason": *reason}, &res); err != nil {
			return err
		}
	}
	if *asJSON {
		return printJSON(stdout, res)
	}
	r := res.Request
	what := fmt.Sprintf("%s on %s.%s for %s", r.Role, r.Domain, r.Product, r.Principal)
	switch sub {
	case "request":
		fmt.Fprintf(stdout, "request %s: %s is %s; an owner of %s.%s decides it\n", r.ID, what, r.Status, r.Domain, r.Product)
	case "approve":
		fmt.Fprintf(stdout, "approved %s: %s (grant %s, expires %s)\n", r.ID, what, r.GrantID, when(r.ExpiresAt))
	case "deny":
		fmt.Fprintf(stdout, "denied %s: %s (%s)\n", r.ID, what, r.Reason)
	}
	return nil
}

func accessList(ctx context.Context, c *client, status string, asJSON bool, stdout io.Writer) error {
	switch status {
	case "", access.StatusPending, access.StatusApproved, access.StatusDenied:
	default:
		return usageError(fmt.Sprintf("--status %q: use pending, approved or denied", status))
	}
	path := "/api/v1/access-requests"
	if status != "" {
		path += "?" + url.Values{"status": {status}}.Encode()
	}
	var res struct {
		Requests []access.Request `json:"requests"`
	}
	if err := c.getJSON(ctx, path, &res); err != nil {
		return err
	}
	if asJSON {
		return printJSON(stdout, res)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tPRINCIPAL\tPRODUCT\tROLE\tCREATED\tPURPOSE")
	for _, r := range res.Requests {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s.%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Principal, r.Domain, r.Product, r.Role, when(&r.CreatedAt), firstLine(r.Purpose))
	}
	return tw.Flush()
}

func cmdPolicy(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	sub, args, err := subcommand("policy", args, "test", "version")
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("policy "+sub, flag.ContinueOnError)
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if sub == "version" {
		if fs.NArg() != 0 {
			return usageError("usage: mesh policy version")
		}
		var res struct {
			Version string `json:"version"`
		}
		if err := newClient(getenv).getJSON(ctx, "/api/v1/policies", &res); err != nil {
			return err
		}
		fmt.Fprintln(stdout, res.Version)
		return nil
	}
	if fs.NArg() != 1 {
		return usageError("usage: mesh policy test DIR")
	}
	results, err := policy.Test(ctx, fs.Arg(0), stdout)
	if err != nil {
		return localError(err)
	}
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
		}
	}
	switch {
	case len(results) == 0:
		return fmt.Errorf("no policy tests in %s (tests are rules named test_* in *_test.rego files)", fs.Arg(0))
	case failed > 0:
		return fmt.Errorf("%d of %d policy tests failed", failed, len(results))
	}
	return nil
}

// localError is an error of a package run in the CLI: its message without
// the ops, and the policy problems it lists, one a line.
func localError(err error) error {
	var me *errs.Error
	if !errors.As(err, &me) || me.Msg == "" {
		return err
	}
	msg := me.Msg
	if me.Err != nil {
		msg += ": " + me.Err.Error()
	}
	if ps, ok := me.Details.([]policy.Problem); ok && len(ps) > 1 {
		for _, p := range ps {
			msg += "\n    " + p.String()
		}
	}
	return errors.New(msg)
}

func cmdAudit(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	sub, args, err := subcommand("audit", args, "verify")
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("audit "+sub, flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the server's report as JSON")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("usage: mesh audit verify [--json]")
	}
	var rep struct {
		Records  int64  `json:"records"`
		OK       bool   `json:"ok"`
		Head     string `json:"head"`
		Problems []struct {
			Seq     int64  `json:"seq"`
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"problems,omitempty"`
		Omitted int `json:"omitted,omitempty"`
	}
	if err := newClient(getenv).getJSON(ctx, "/api/v1/audit/verify", &rep); err != nil {
		return err
	}
	if *asJSON {
		if err := printJSON(stdout, rep); err != nil {
			return err
		}
	} else if rep.OK {
		fmt.Fprintf(stdout, "audit log OK: %d records, head %s\n", rep.Records, orDash(rep.Head))
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tPROBLEM\tMESSAGE")
		for _, p := range rep.Problems {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", p.Seq, p.Kind, p.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if rep.Omitted > 0 {
			fmt.Fprintf(stdout, "... and %d more problems\n", rep.Omitted)
		}
	}
	if !rep.OK {
		return fmt.Errorf("the audit log is broken: %d problems in %d records", len(rep.Problems)+rep.Omitted, rep.Records)
	}
	return nil
}

func cmdRetention(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	sub, args, err := subcommand("retention", args, "run")
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("retention "+sub, flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the server's report as JSON")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("usage: mesh retention run [--json]")
	}
	var raw struct {
		Tables json.RawMessage `json:"tables"`
	}
	if err := newClient(getenv).sendJSON(ctx, http.MethodPost, "/api/v1/maintenance/retention", nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, raw)
	}
	var reps []publish.RetentionReport
	if err := json.Unmarshal(raw.Tables, &reps); err != nil {
		return fmt.Errorf("read the server's answer: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tRETENTION\tROWS DELETED\tFILES REWRITTEN\tFILES DROPPED\tSNAPSHOTS EXPIRED")
	for _, r := range reps {
		period := "-" // the contract declares none: nothing was done
		if r.Retention != "" {
			period = r.Retention
			if r.Column != "" {
				period += " by " + r.Column
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", r.Table, period, r.RowsDeleted, r.FilesRewritten, r.FilesDropped, r.SnapshotsExpired)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	plural := "s"
	if len(reps) == 1 {
		plural = ""
	}
	fmt.Fprintf(stdout, "(%d table%s)\n", len(reps), plural)
	return nil
}
