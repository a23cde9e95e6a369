package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/policy"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/spec"
)

// mesh lint checks spec files as an apply would, so that a domain's CI can
// block a merge: offline always (the documents, versions, tables and the
// apply policies), and with --against against a server's registry too (the
// compatibility rules, permissions and the server's own policies).

// The rules of lint's own checks; policy denials and compatibility
// violations carry their own rule ids, refusals their error code.
const (
	ruleSpec          = "spec"          // YAML, the ODPS/ODCS JSON Schema and Meshwork's document rules
	ruleVersion       = "version"       // a contract version that is not a semantic version
	ruleTable         = "table"         // a schema object that does not make a table: types, keys, partitioning, defaults
	ruleCompatibility = "compatibility" // a product's compatibility mode
)

// finding is one problem lint reports. In --format json it is
//
//	file        the spec file ("" when the finding belongs to none)
//	line        1-based line (0 with no file)
//	column      1-based column (0 with no file)
//	severity    "error" or "warning"
//	rule        what found it: spec, version, table, compatibility, a policy
//	            rule (e.g. pii.classification_required), a compatibility rule
//	            (e.g. drop-optional-column) or a refusal's code (e.g. forbidden)
//	message     what is wrong
//	path        the JSON pointer into the document, when known
//	object      what a policy denial is about, e.g. retail.shop.orders.email
//	contract    the contract id of a compatibility violation
//	table       its table
//	columnName  its column (a dotted path for nested fields), if any
//	from, to    the applied version it was compared with, and the new one
type finding struct {
	File       string `json:"file"`
	Line       int    `json:"line"`
	Column     int    `json:"column"`
	Severity   string `json:"severity"`
	Rule       string `json:"rule"`
	Message    string `json:"message"`
	Path       string `json:"path,omitempty"`
	Object     string `json:"object,omitempty"`
	Contract   string `json:"contract,omitempty"`
	Table      string `json:"table,omitempty"`
	ColumnName string `json:"columnName,omitempty"`
	From       string `json:"from,omitempty"`
	To         string `json:"to,omitempty"`
}

// place is where a finding points.
type place struct {
	file      string
	line, col int
}

func (f *finding) at(p place) {
	f.File, f.Line, f.Column = p.file, max(p.line, 1), max(p.col, 1)
	if p.file == "" {
		f.Line, f.Column = 0, 0
	}
}

const lintUsage = "usage: mesh lint PATH... [--against MESH_URL] [--format text|json|github] [--policy-dir DIR]"

func cmdLint(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	var paths multiFlag
	fs.Var(&paths, "f", "a spec file or a directory of *.yaml/*.yml files (repeatable; or name them as arguments)")
	against := fs.String("against", "", "also check the files against the server at this URL (its registry, rules and policies), authenticated with $MESH_TOKEN")
	format := fs.String("format", "text", "text, json or github (GitHub Actions annotations)")
	policyDir := fs.String("policy-dir", "", "evaluate the apply policies of this bundle directory (default: the built-in bundle)")
	if err := parseFlags(fs, flagsFirst(fs, args), stdout); err != nil {
		return err
	}
	paths = append(paths, fs.Args()...)
	if len(paths) == 0 {
		return usageError(lintUsage)
	}
	switch *format {
	case "text", "json", "github":
	default:
		return usageError(fmt.Sprintf("--format %q: use text, json or github", *format))
	}
	files, err := specFiles(paths)
	if err != nil {
		return &exitError{Code: 2, Err: err}
	}
	var engine *policy.Engine
	if *policyDir != "" {
		engine, err = policy.LoadDir(ctx, *policyDir)
	} else {
		engine, err = policy.Load(ctx, policy.Default())
	}
	if err != nil {
		return &exitError{Code: 2, Err: localError(err)}
	}
	l := &linter{}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return &exitError{Code: 2, Err: err}
		}
		l.parse(name, data)
	}
	l.link()
	if err := l.policies(ctx, engine); err != nil {
		return &exitError{Code: 2, Err: localError(err)}
	}
	if *against != "" {
		c := newClient(getenv)
		c.base = strings.TrimRight(*against, "/")
		if err := l.check(ctx, c); err != nil {
			return &exitError{Code: 2, Err: err}
		}
	}
	fds := l.report()
	if err := writeFindings(stdout, *format, fds); err != nil {
		return err
	}
	for _, f := range fds {
		if f.Severity == spec.SeverityError {
			return &exitError{Code: 1}
		}
	}
	return nil
}

// doc is a product or a contract document of a file that parsed, with its
// YAML tree to place findings in.
type doc struct {
	file     string
	root     *yaml.Node // the document's top-level mapping; nil if not found
	product  *spec.Product
	contract *spec.Contract
	owner    string // domain.product the document belongs to ("." if unknown)
}

type linter struct {
	inputs   []apply.Source // every file, as read
	docs     []*doc         // the documents of the files that parsed
	findings []finding
}

func (l *linter) add(f finding, at place) {
	f.at(at)
	l.findings = append(l.findings, f)
}

// diagnostic turns a spec diagnostic into a finding.
func (l *linter) diagnostic(d spec.Diagnostic) {
	l.add(finding{Severity: d.Severity, Rule: ruleSpec, Message: d.Message, Path: d.Path}, place{d.File, d.Line, d.Column})
}

// parse runs the offline checks of one file.
func (l *linter) parse(name string, data []byte) {
	l.inputs = append(l.inputs, apply.Source{Name: name, Data: data})
	file, err := spec.Parse(name, data)
	if err != nil {
		var me *errs.Error
		ds, ok := []spec.Diagnostic(nil), errors.As(err, &me)
		if ok {
			ds, ok = me.Details.([]spec.Diagnostic)
		}
		if !ok {
			ds = []spec.Diagnostic{{File: name, Severity: spec.SeverityError, Message: err.Error()}}
		}
		for _, d := range ds {
			l.diagnostic(d)
		}
		return
	}
	for _, w := range file.Warnings {
		l.diagnostic(w)
	}
	pRoots, cRoots := documentRoots(data)
	for i, p := range file.Products {
		d := &doc{file: name, root: nth(pRoots, i), product: p, owner: p.Domain + "." + p.Name}
		l.docs = append(l.docs, d)
		v, ok := spec.Custom(p.CustomProperties, "compatibility")
		if !ok {
			continue
		}
		s, _ := v.(string)
		if _, err := schema.ParseMode(s); err != nil {
			_, msg, _ := errs.Public(err)
			l.add(finding{Severity: spec.SeverityError, Rule: ruleCompatibility,
				Message: fmt.Sprintf("product %s: custom property compatibility: %s", d.owner, msg)}, d.customProperty("compatibility"))
		}
	}
	for i, c := range file.Contracts {
		d := &doc{file: name, root: nth(cRoots, i), contract: c}
		l.docs = append(l.docs, d)
		if _, err := spec.ParseVersion(c.Version); err != nil {
			l.add(finding{Severity: spec.SeverityError, Rule: ruleVersion, Path: "/version",
				Message: fmt.Sprintf("contract %q: %v", c.ID, err)}, d.pointer("/version"))
		}
		for _, o := range c.Schema {
			if _, err := schema.FromObject(o); err != nil {
				for _, p := range tableProblems(err.Error()) {
					ptr, msg, ok := strings.Cut(p, ": ")
					if !ok || !strings.HasPrefix(ptr, "/") {
						ptr, msg = o.Path, p
					}
					l.add(finding{Severity: spec.SeverityError, Rule: ruleTable, Path: ptr,
						Message: fmt.Sprintf("table %s: %s", o.Name, msg)}, d.pointer(ptr))
				}
			}
		}
	}
}

// link sets each contract's owner: the product whose output port publishes
// it, else the domain and product the contract names.
func (l *linter) link() {
	for _, c := range l.docs {
		if c.contract == nil {
			continue
		}
		c.owner = c.contract.Domain + "." + c.contract.DataProduct
		for _, p := range l.docs {
			if p.product != nil && slices.ContainsFunc(p.product.OutputPorts, func(o spec.OutputPort) bool { return o.ContractID == c.contract.ID }) {
				c.owner = p.owner
				break
			}
		}
	}
}

// tableProblems splits schema.FromObject's message into its problems, each
// of which starts with a JSON pointer.
func tableProblems(msg string) []string {
	var out []string
	for _, p := range strings.Split(msg, "; ") {
		if len(out) > 0 && !strings.HasPrefix(p, "/") {
			out[len(out)-1] += "; " + p
			continue
		}
		out = append(out, p)
	}
	return out
}

// places indexes what policies name, "domain.product[.table[.column]]",
// with where it is written.
func (l *linter) places() map[string]place {
	out := map[string]place{}
	for _, d := range l.docs {
		if d.product != nil {
			out[d.owner] = d.at(nil)
		}
	}
	for _, d := range l.docs {
		if d.contract == nil {
			continue
		}
		if _, ok := out[d.owner]; !ok {
			out[d.owner] = d.at(nil)
		}
		for _, o := range d.contract.Schema {
			out[d.owner+"."+o.Name] = d.column(o.Name, "")
			for _, col := range o.Properties {
				out[d.owner+"."+o.Name+"."+col.Name] = d.column(o.Name, col.Name)
			}
		}
	}
	return out
}

// denial adds a policy denial, placed at its object or the closest
// enclosing object these files declare.
func (l *linter) denial(d policy.Denial, places map[string]place) {
	var at place
	for obj := d.Object; obj != ""; {
		if p, ok := places[obj]; ok {
			at = p
			break
		}
		i := max(strings.LastIndexByte(obj, '.'), 0)
		obj = obj[:i]
	}
	l.add(finding{Severity: spec.SeverityError, Rule: d.Rule, Message: d.Message, Object: d.Object}, at)
}

// policies evaluates the apply policies on every document that parsed,
// each tagged with its product as the server tags it.
func (l *linter) policies(ctx context.Context, engine *policy.Engine) error {
	in := policy.ApplyInput{Principal: policy.Principal{Name: "lint", Groups: []string{}, Attrs: map[string][]string{}},
		Products: []map[string]any{}, Contracts: []map[string]any{}}
	for _, d := range l.docs {
		var data map[string]any
		if d.product != nil {
			data = maps.Clone(d.product.Doc.Data())
			in.Products = append(in.Products, data)
		} else {
			data = maps.Clone(d.contract.Doc.Data())
			in.Contracts = append(in.Contracts, data)
		}
		if dom, prod, _ := strings.Cut(d.owner, "."); dom != "" && prod != "" {
			data["_mesh"] = map[string]any{"domain": dom, "product": prod}
		}
	}
	if len(l.docs) == 0 {
		return nil
	}
	ds, err := engine.Apply(ctx, in)
	if err != nil {
		return err
	}
	places := l.places()
	for _, d := range ds {
		l.denial(d, places)
	}
	return nil
}

// check sends the files to the server's contracts:check and adds what it
// finds. Only a failure to check at all is an error.
func (l *linter) check(ctx context.Context, c *client) error {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, src := range l.inputs {
		part, err := mw.CreateFormFile("spec", src.Name)
		if err != nil {
			return err
		}
		part.Write(src.Data)
	}
	mw.Close()
	resp, err := c.do(ctx, http.MethodPost, "/api/v1/contracts:check", &body, map[string]string{"Content-Type": mw.FormDataContentType(), "Accept": "application/json"})
	var ae *apiError
	if err != nil && !errors.As(err, &ae) {
		return fmt.Errorf("cannot reach Meshwork at %s (--against): %w", c.base, errors.Unwrap(err))
	} else if err != nil {
		return err
	}
	defer resp.Body.Close()
	var rep apply.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return fmt.Errorf("read the server's answer: %w", err)
	}
	for _, d := range rep.Diagnostics {
		d.File = l.fileOf(d.File)
		l.diagnostic(d)
	}
	places := l.places()
	for _, r := range rep.Refusals {
		var pd struct {
			Policy []policy.Denial `json:"policy"`
		}
		if b, err := json.Marshal(r.Details); err == nil && json.Unmarshal(b, &pd) == nil && len(pd.Policy) > 0 {
			for _, d := range pd.Policy {
				l.denial(d, places)
			}
			continue
		}
		l.add(finding{Severity: spec.SeverityError, Rule: r.Code, Message: r.Message}, l.refusal(r.Message))
	}
	for _, cc := range rep.Contracts {
		for _, v := range cc.Violations {
			var at place
			for _, d := range l.docs {
				if d.contract != nil && d.contract.ID == cc.ID && d.contract.Version == cc.Version {
					at = d.column(v.Table, v.Column)
				}
			}
			l.add(finding{Severity: spec.SeverityError, Rule: v.Rule, Message: v.Message, Contract: cc.ID,
				Table: v.Table, ColumnName: v.Column, From: v.From, To: v.To}, at)
		}
	}
	return nil
}

// fileOf maps a file name from the server, which names a part by its base
// name, to the file sent.
func (l *linter) fileOf(name string) string {
	var match []string
	for _, src := range l.inputs {
		if src.Name == name {
			return name
		}
		if filepath.Base(src.Name) == name {
			match = append(match, src.Name)
		}
	}
	if len(match) == 1 {
		return match[0]
	}
	return name
}

// refusal places a refusal at the contract or product its message names, if any.
func (l *linter) refusal(msg string) place {
	for _, d := range l.docs {
		if d.contract != nil && strings.Contains(msg, fmt.Sprintf("contract %q", d.contract.ID)) {
			return d.at(nil)
		}
	}
	for _, d := range l.docs {
		if d.product != nil && strings.Contains(msg, "product "+d.owner) {
			return d.at(nil)
		}
	}
	return place{}
}

// report returns the findings sorted by file and position, duplicates (the
// server repeating what was found offline) removed; findings of no file last.
func (l *linter) report() []finding {
	out := []finding{}
	seen := map[finding]bool{}
	for _, f := range l.findings {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case (a.File == "") != (b.File == ""):
			return b.File == ""
		case a.File != b.File:
			return a.File < b.File
		case a.Line != b.Line:
			return a.Line < b.Line
		case a.Column != b.Column:
			return a.Column < b.Column
		case a.Rule != b.Rule:
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
	return out
}
