package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/spec"
)

// The contract commands: the versions of a contract in the registry, one
// version's document, the difference between two versions (applied, or in
// files), and the major versions of a product with who still reads each.

// exitError ends a command with an exit code of its own. With a nil Err the
// command has said everything already (a lint report, a diff): mesh prints
// nothing more.
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *exitError) Unwrap() error { return e.Err }

// isProductName reports whether s names a product (DOMAIN.PRODUCT: two mesh
// names joined by one dot); anything else is taken for a contract id.
func isProductName(s string) bool {
	d, p, ok := strings.Cut(s, ".")
	return ok && spec.ValidName(d) && spec.ValidName(p)
}

// versionList is the answer of GET /contracts/{id}/versions.
type versionList struct {
	ID       string              `json:"id"`
	Domain   string              `json:"domain"`
	Product  string              `json:"product"`
	Versions []registry.Contract `json:"versions"`
}

// productContracts returns the ids of a product's contracts, sorted, and
// every applied version of them.
func productContracts(ctx context.Context, c *client, name string) (ids []string, versions []registry.Contract, err error) {
	n, err := splitName(name, 2)
	if err != nil {
		return nil, nil, err
	}
	var d struct {
		Contracts []registry.Contract `json:"contracts"`
	}
	if err := c.getJSON(ctx, "/api/v1/products/"+url.PathEscape(n[0])+"/"+url.PathEscape(n[1]), &d); err != nil {
		return nil, nil, err
	}
	for _, v := range d.Contracts {
		if !slices.Contains(ids, v.ID) {
			ids = append(ids, v.ID)
		}
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("product %s has no contracts", name)
	}
	return ids, d.Contracts, nil
}

// contractID resolves CONTRACT_ID|DOMAIN.PRODUCT to a contract id: a
// product's only contract, or the one contract of it that has every version
// named.
func contractID(ctx context.Context, c *client, name string, want ...string) (string, error) {
	if !isProductName(name) {
		return name, nil
	}
	ids, all, err := productContracts(ctx, c, name)
	if err != nil {
		return "", err
	}
	var fit []string
	for _, id := range ids {
		has := 0
		for _, w := range want {
			if slices.ContainsFunc(all, func(v registry.Contract) bool { return v.ID == id && v.Version == w }) {
				has++
			}
		}
		if has == len(want) {
			fit = append(fit, id)
		}
	}
	switch {
	case len(fit) == 1:
		return fit[0], nil
	case len(ids) == 1:
		return ids[0], nil // the server names what is missing
	case len(fit) == 0:
		return "", fmt.Errorf("no contract of %s (%s) has version %s", name, strings.Join(ids, ", "), strings.Join(want, " and "))
	}
	return "", usageError(fmt.Sprintf("product %s has several contracts with version %s (%s): name the contract id", name, strings.Join(want, " and "), strings.Join(fit, ", ")))
}

func cmdContract(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	sub, args, err := subcommand("contract", args, "versions", "show", "diff", "majors")
	if err != nil {
		return err
	}
	switch sub {
	case "versions":
		return contractVersions(ctx, args, stdout, getenv)
	case "show":
		return contractShow(ctx, args, stdout, getenv)
	case "diff":
		return contractDiff(ctx, args, stdout, getenv)
	}
	return contractMajors(ctx, args, stdout, getenv)
}

func contractVersions(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("contract versions", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: mesh contract versions DOMAIN.PRODUCT|CONTRACT_ID [--json]")
	}
	c := newClient(getenv)
	ids := []string{fs.Arg(0)}
	if isProductName(fs.Arg(0)) {
		var err error
		if ids, _, err = productContracts(ctx, c, fs.Arg(0)); err != nil {
			return err
		}
	}
	var lists []versionList
	for _, id := range ids {
		var l versionList
		if err := c.getJSON(ctx, "/api/v1/contracts/"+url.PathEscape(id)+"/versions", &l); err != nil {
			return err
		}
		lists = append(lists, l)
	}
	if *asJSON {
		return printJSON(stdout, map[string]any{"contracts": lists})
	}
	for i, l := range lists {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "contract %s (%s.%s)\n", l.ID, l.Domain, l.Product)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tMAJOR\tSTATUS\tAPPLIED_AT\tAPPLIED_BY")
		for _, v := range l.Versions {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", v.Version, v.Major, v.Status, when(&v.AppliedAt), orDash(v.AppliedBy))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func contractShow(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("contract show", flag.ContinueOnError)
	format := fs.String("format", "yaml", "yaml or json")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError("usage: mesh contract show DOMAIN.PRODUCT|CONTRACT_ID VERSION [--format yaml|json]")
	}
	if *format != "yaml" && *format != "json" {
		return usageError(fmt.Sprintf("--format %q: use yaml or json", *format))
	}
	c := newClient(getenv)
	id, err := contractID(ctx, c, fs.Arg(0), fs.Arg(1))
	if err != nil {
		return err
	}
	var v registry.Contract
	if err := c.getJSON(ctx, "/api/v1/contracts/"+url.PathEscape(id)+"/versions/"+url.PathEscape(fs.Arg(1)), &v); err != nil {
		return err
	}
	if *format == "json" {
		var buf bytes.Buffer
		if err := json.Indent(&buf, v.Doc, "", "  "); err != nil {
			return fmt.Errorf("read the server's answer: %w", err)
		}
		buf.WriteByte('\n')
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	b, err := jsonToYAML(v.Doc)
	if err != nil {
		return fmt.Errorf("read the server's answer: %w", err)
	}
	_, err = stdout.Write(b)
	return err
}

// jsonToYAML writes a JSON document as block YAML: keys in the order stored
// (sorted), numbers as written, strings quoted only where YAML needs it.
func jsonToYAML(doc []byte) ([]byte, error) {
	if !json.Valid(doc) {
		return nil, errors.New("the contract is not JSON")
	}
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, err
	}
	block(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// block drops the flow and quoting styles JSON gave a YAML tree; strings
// are quoted as yaml.Marshal quotes them (e.g. "y", which YAML 1.1 reads as
// true), multi-line ones written as literal blocks.
func block(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		var s yaml.Node
		if s.Encode(n.Value) == nil {
			n.Style = s.Style
		}
	}
	for _, c := range n.Content {
		block(c)
	}
}

func contractDiff(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("contract diff", flag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	exitCode := fs.Bool("exit-code", false, "exit with 1 when the versions differ (as git diff --exit-code)")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError(fmt.Sprintf("--format %q: use text or json", *format))
	}
	var d spec.ContractDiff
	switch fs.NArg() {
	case 2:
		var cs [2]*spec.Contract
		for i, name := range fs.Args() {
			var err error
			if cs[i], err = contractFile(name); err != nil {
				return err
			}
		}
		d = *spec.Diff(cs[0], cs[1])
	case 3:
		c := newClient(getenv)
		id, err := contractID(ctx, c, fs.Arg(0), fs.Arg(1), fs.Arg(2))
		if err != nil {
			return err
		}
		q := url.Values{"from": {fs.Arg(1)}, "to": {fs.Arg(2)}}
		if err := c.getJSON(ctx, "/api/v1/contracts/"+url.PathEscape(id)+"/diff?"+q.Encode(), &d); err != nil {
			return err
		}
	default:
		return usageError("usage: mesh contract diff DOMAIN.PRODUCT|CONTRACT_ID V1 V2, or mesh contract diff OLD.yaml NEW.yaml [--format text|json] [--exit-code]")
	}
	var err error
	if *format == "json" {
		err = printJSON(stdout, d)
	} else {
		err = d.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if *exitCode && !d.Empty() {
		return &exitError{Code: 1}
	}
	return nil
}

// contractFile reads the one DataContract document of a spec file (which may
// also hold its product).
func contractFile(name string) (*spec.Contract, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	f, err := spec.Parse(name, data)
	if err != nil {
		return nil, specError(err)
	}
	if len(f.Contracts) != 1 {
		return nil, fmt.Errorf("%s: want exactly one DataContract document, found %d", name, len(f.Contracts))
	}
	return f.Contracts[0], nil
}

// specError is a spec.Parse error for the terminal: its message, then every
// diagnostic on a line of its own.
func specError(err error) error {
	var me *errs.Error
	if !errors.As(err, &me) {
		return err
	}
	ds, ok := me.Details.([]spec.Diagnostic)
	if !ok {
		return localError(err)
	}
	msg := strconv.Itoa(len(ds)) + " error(s) in the spec"
	for _, d := range ds {
		msg += "\n    " + d.String()
	}
	return errors.New(msg)
}

func contractMajors(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("contract majors", flag.ContinueOnError)
	days := fs.Int("days", 30, "count the reads of the last N days")
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: mesh contract majors DOMAIN.PRODUCT [--days 30]")
	}
	if *days < 1 {
		return usageError(fmt.Sprintf("--days %d: count at least 1 day", *days))
	}
	n, err := splitName(fs.Arg(0), 2)
	if err != nil {
		return err
	}
	var res struct {
		Domain  string `json:"domain"`
		Product string `json:"product"`
		Days    int    `json:"days"`
		Majors  []struct {
			Major     int        `json:"major"`
			Status    string     `json:"status"`
			Sunset    *time.Time `json:"sunset,omitempty"`
			Default   bool       `json:"default"`
			Contracts []string   `json:"contracts"`
			Tables    []string   `json:"tables"`
			Consumers []struct {
				Principal string    `json:"principal"`
				Queries   int       `json:"queries"`
				LastRead  time.Time `json:"lastRead"`
			} `json:"consumers"`
		} `json:"majors"`
	}
	path := fmt.Sprintf("/api/v1/products/%s/%s/majors?days=%d", url.PathEscape(n[0]), url.PathEscape(n[1]), *days)
	if err := newClient(getenv).getJSON(ctx, path, &res); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, res)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MAJOR\tSTATUS\tDEFAULT\tSUNSET\tTABLES\tCONSUMERS")
	for _, m := range res.Majors {
		var who []string
		for _, c := range m.Consumers {
			who = append(who, fmt.Sprintf("%s(%d)", c.Principal, c.Queries))
		}
		fmt.Fprintf(tw, "%d\t%s\t%v\t%s\t%s\t%s\n", m.Major, m.Status, m.Default, when(m.Sunset),
			orDash(strings.Join(m.Tables, ",")), orDash(strings.Join(who, ",")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "(consumers: reads in the last %d days)\n", res.Days)
	return nil
}
