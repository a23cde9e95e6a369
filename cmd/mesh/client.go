package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/meshwork/meshwork/internal/publish"
)

// parseFlags parses a command's flags. A bad flag is a usage error (exit 2)
// carrying the flag package's message; -h prints the flags to stdout.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var msg strings.Builder
	fs.SetOutput(&msg)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fmt.Fprintf(stdout, "Flags of mesh %s:\n", fs.Name())
		fs.PrintDefaults()
		return errHelp
	case err != nil:
		return usageError(err.Error())
	}
	return nil
}

// errHelp ends a command after printing its help.
var errHelp = errors.New("help")

// usageError is a command line the command cannot run; mesh exits with 2.
type usageError string

func (e usageError) Error() string { return string(e) }

// client talks to a Meshwork server.
type client struct {
	base  string
	token string // the bearer token ($MESH_TOKEN); never printed
	http  *http.Client
}

func newClient(getenv func(string) string) *client {
	base := strings.TrimRight(getenv("MESH_URL"), "/")
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	return &client{base: base, token: strings.TrimSpace(getenv("MESH_TOKEN")), http: &http.Client{}}
}

// apiError is an error envelope from the server.
type apiError struct {
	Status  int
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details"`
	Hint    string          `json:"-"` // what the user can do about it
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// authHint is what a 401 tells the user, depending on whether a token was sent.
func (c *client) authHint() string {
	if c.token == "" {
		return "set MESH_TOKEN to an API token (the admin token 'mesh serve' printed, or one from 'mesh token create')"
	}
	return "the token in MESH_TOKEN was not accepted (mistyped, expired or revoked); set MESH_TOKEN to a valid token"
}

// do sends a request and returns the response body of a 2xx answer; any
// other answer becomes an *apiError.
func (c *client) do(ctx context.Context, method, path string, body io.Reader, header map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Meshwork at %s (set MESH_URL): %w", c.base, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var env struct {
		Error apiError `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err := json.Unmarshal(b, &env); err != nil || env.Error.Message == "" {
		env.Error = apiError{Code: "http", Message: strings.TrimSpace(string(b))}
	}
	env.Error.Status = resp.StatusCode
	if resp.StatusCode == http.StatusUnauthorized {
		env.Error.Hint = c.authHint()
	}
	return nil, &env.Error
}

// sendJSON sends in (nil: no body) as JSON and decodes a 2xx answer into out (nil: discard it).
func (c *client) sendJSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	h := map[string]string{"Accept": "application/json"}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
		h["Content-Type"] = "application/json"
	}
	resp, err := c.do(ctx, method, path, body, h)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read the server's answer: %w", err)
	}
	return nil
}

func (c *client) getJSON(ctx context.Context, path string, v any) error {
	return c.sendJSON(ctx, http.MethodGet, path, nil, v)
}

// printDetails prints an API error's details (diagnostics, a publish report) indented.
// copyJSON writes the server's JSON answer to path to w as it comes, for
// --format json.
func (c *client) copyJSON(ctx context.Context, path string, w io.Writer) error {
	resp, err := c.do(ctx, http.MethodGet, path, nil, map[string]string{"Accept": "application/json"})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

func printDetails(w io.Writer, err error) {
	var ae *apiError
	if errors.As(err, &ae) && len(ae.Details) > 0 && string(ae.Details) != "null" {
		var buf bytes.Buffer
		if json.Indent(&buf, ae.Details, "", "  ") == nil {
			fmt.Fprintln(w, buf.String())
		}
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func cmdApply(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	var files multiFlag
	fs.Var(&files, "f", "a spec file or a directory of *.yaml/*.yml files (repeatable)")
	dry := fs.Bool("dry-run", false, "print the plan and change nothing")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	files = append(files, fs.Args()...)
	if len(files) == 0 {
		return usageError("name the spec files with -f FILE|DIR")
	}
	paths, err := specFiles(files)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		part, err := mw.CreateFormFile("spec", p)
		if err != nil {
			return err
		}
		part.Write(data)
	}
	mw.Close()
	path := "/api/v1/apply"
	if *dry {
		path += "?dry_run=true"
	}
	resp, err := newClient(getenv).do(ctx, http.MethodPost, path, &body, map[string]string{"Content-Type": mw.FormDataContentType()})
	if err != nil {
		printDetails(stdout, err)
		return err
	}
	defer resp.Body.Close()
	var plan struct {
		DryRun bool `json:"dryRun"`
		Steps  []struct {
			Kind, Name, Action string
			Changes            []string
		} `json:"steps"`
		Warnings []struct {
			File     string
			Line     int
			Path     string
			Message  string
			Severity string
		} `json:"warnings"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&plan); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, s := range plan.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Action, s.Kind, s.Name, strings.Join(s.Changes, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, w := range plan.Warnings {
		fmt.Fprintf(stdout, "warning: %s:%d: %s: %s\n", w.File, w.Line, w.Path, w.Message)
	}
	if plan.DryRun {
		fmt.Fprintln(stdout, "dry run: nothing was changed")
	}
	return nil
}

// specFiles expands directories into their YAML files.
func specFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(a, pat))
			out = append(out, m...)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, errors.New("no *.yaml or *.yml files found")
	}
	return out, nil
}

func splitName(s string, parts int) ([]string, error) {
	p := strings.Split(s, ".")
	if len(p) != parts {
		if parts == 3 {
			return nil, usageError(fmt.Sprintf("%q: name the table as DOMAIN.PRODUCT.TABLE (or DOMAIN.PRODUCT@vN.TABLE for major version N)", s))
		}
		return nil, usageError(fmt.Sprintf("%q: name the product as DOMAIN.PRODUCT", s))
	}
	return p, nil
}

func cmdPublish(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	mode := fs.String("mode", "append", "append or replace")
	format := fs.String("format", "", "csv, ndjson or parquet (default: from the file extension)")
	key := fs.String("idempotency-key", "", "a key that makes a retried publish commit at most once")
	maxRejects := fs.Int64("max-rejects", 0, "rows that may be rejected before the publish fails")
	if err := parseFlags(fs, reorder(args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError("usage: mesh publish DOMAIN.PRODUCT[@vN].TABLE FILE [--mode append|replace]")
	}
	name, err := splitName(fs.Arg(0), 3)
	if err != nil {
		return err
	}
	file := fs.Arg(1)
	ext := *format
	if ext == "" {
		ext = filepath.Ext(file)
	}
	f, err := publish.ParseFormat(ext)
	if err != nil {
		return err
	}
	in, err := os.Open(file)
	if err != nil {
		return err
	}
	defer in.Close()
	q := url.Values{"mode": {*mode}}
	if *maxRejects > 0 {
		q.Set("max_rejects", strconv.FormatInt(*maxRejects, 10))
	}
	path := fmt.Sprintf("/api/v1/products/%s/%s/tables/%s/publish?%s", url.PathEscape(name[0]), url.PathEscape(name[1]), url.PathEscape(name[2]), q.Encode())
	h := map[string]string{"Content-Type": f.ContentType()}
	if *key != "" {
		h["Idempotency-Key"] = *key
	}
	resp, err := newClient(getenv).do(ctx, http.MethodPost, path, in, h)
	if err != nil {
		printDetails(stdout, err)
		return err
	}
	defer resp.Body.Close()
	var rep publish.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s snapshot %d (%d rows accepted, %d rejected, %.0f ms)\n", rep.Table, rep.Status, rep.SnapshotID, rep.RowsOK, rep.RowsFailed, rep.DurationMs)
	if rep.Replayed {
		fmt.Fprintln(stdout, "replayed: this idempotency key was already published; nothing new was committed")
	}
	return nil
}

// reorder moves flags before positional arguments, so that
// `mesh publish a.b.c file.csv --mode replace` works as users expect.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && a != "--dry-run" && a != "-dry-run" {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

// flagsFirst is reorder for fs: it knows which of fs's flags are booleans
// (they take no value), lets a flag's value start with "-" as the flag
// package does, and keeps everything after "--" positional.
func flagsFirst(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || len(a) == 1 {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // the parser names it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	if len(pos) == 0 {
		return flags
	}
	return append(append(flags, "--"), pos...)
}
