package policy

import (
	"context"
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/meshwork/meshwork/internal/errs"
)

// The queries prepared at load. A bundle without one of these rules denies
// nothing and masks nothing at that decision point.
const (
	applyQuery   = "data.meshwork.apply.deny"
	publishQuery = "data.meshwork.publish.deny"
	measureQuery = "data.meshwork.publish.measure"
	queryQuery   = "data.meshwork.query.decision"
)

//go:embed all:bundle
var embedded embed.FS

// Default is the embedded default bundle.
func Default() fs.FS {
	sub, err := fs.Sub(embedded, "bundle")
	if err != nil { // "bundle" is a valid path: cannot happen
		panic(err)
	}
	return sub
}

// Engine holds a compiled bundle. Safe for concurrent use.
type Engine struct {
	version string
	apply   rego.PreparedEvalQuery
	publish rego.PreparedEvalQuery
	measure rego.PreparedEvalQuery
	query   rego.PreparedEvalQuery
}

// Load compiles every .rego file of fsys (tests, *_test.rego, are skipped). Errors name file:line.
func Load(ctx context.Context, fsys fs.FS) (*Engine, error) {
	return load(ctx, fsys, func(name string) string { return name })
}

// LoadDir is Load over a directory on disk.
func LoadDir(ctx context.Context, dir string) (*Engine, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, "policy.LoadDir", err, "the policy directory %s cannot be read", dir)
	}
	if !fi.IsDir() {
		return nil, errs.E(errs.Invalid, "policy.LoadDir", "the policy directory %s is not a directory", dir)
	}
	return load(ctx, os.DirFS(dir), func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) })
}

func load(ctx context.Context, fsys fs.FS, display func(string) string) (*Engine, error) {
	const op = "policy.Load"
	src, err := readBundle(op, fsys, false, display)
	if err != nil {
		return nil, err
	}
	if len(src.modules) == 0 {
		// A mistyped policy directory must not silently turn governance off.
		return nil, errs.E(errs.Invalid, op, "the policy bundle has no .rego file")
	}
	compiler, err := compile(op, src.modules, display)
	if err != nil {
		return nil, err
	}
	store, err := newStore(src.data)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, err, "the policy data cannot be loaded")
	}
	e := &Engine{version: version(src)}
	for _, q := range []struct {
		query string
		dst   *rego.PreparedEvalQuery
	}{{applyQuery, &e.apply}, {publishQuery, &e.publish}, {measureQuery, &e.measure}, {queryQuery, &e.query}} {
		pq, err := rego.New(
			rego.Query(q.query),
			rego.Compiler(compiler),
			rego.Store(store),
			rego.GenerateJSON(rawTerm), // decode the AST ourselves: no generic conversion
		).PrepareForEval(ctx)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, op, err, "the policy query %s cannot be prepared", q.query)
		}
		*q.dst = pq
	}
	return e, nil
}

// capabilities are this OPA's minus what would let a decision leave the
// process: a policy answers from its input and data, fast.
func capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(slices.Clone(c.Builtins), func(b *ast.Builtin) bool {
		switch b.Name {
		case "http.send", "net.lookup_ip_addr", "opa.runtime":
			return true
		}
		return false
	})
	return c
}

func newCompiler() *ast.Compiler {
	return ast.NewCompiler().
		WithDefaultRegoVersion(ast.RegoV1).
		WithCapabilities(capabilities())
}

func compile(op string, modules map[string]*ast.Module, display func(string) string) (*ast.Compiler, error) {
	c := newCompiler()
	if c.Compile(modules); c.Failed() {
		return nil, invalid(op, "the policy bundle does not compile", astProblems(c.Errors, "", display))
	}
	return c, nil
}

func newStore(data map[string]any) (storage.Store, error) {
	v, err := ast.InterfaceToValue(data)
	if err != nil {
		return nil, err
	}
	obj, _ := v.(ast.Object) // data is a map: always an object
	return inmem.NewFromASTObject(obj), nil
}

func rawTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// Version identifies the bundle: its .manifest revision, if any, and a hash of its files ("rev 3 (sha256:ab12...)").
// The hash covers the files Load reads (policies, data, .manifest), not the tests or documentation.
func (e *Engine) Version() string { return e.version }

func version(src *source) string {
	h := "sha256:" + src.digest[:16]
	if src.revision == "" {
		return h
	}
	return "rev " + src.revision + " (" + h + ")"
}
