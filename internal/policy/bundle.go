package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"gopkg.in/yaml.v3"

	"github.com/meshwork/meshwork/internal/errs"
)

// Problem is one located error in a policy bundle; a slice of them is the
// Details of the errs.Invalid that Load, LoadDir and Test return.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return p.File + ":" + strconv.Itoa(p.Line) + ": " + p.Message
	}
	return p.File + ": " + p.Message
}

// source is a bundle read from a file system: what Load compiles and what
// Version identifies.
type source struct {
	modules  map[string]*ast.Module // by path inside the bundle
	tests    []string               // paths of the *_test.rego modules, when they were asked for
	data     map[string]any         // data.json / data.yaml files merged by directory
	revision string                 // .manifest "revision"
	digest   string                 // sha256 over the names and contents of the files read
}

// readBundle reads the policy files of fsys: every .rego module (the
// *_test.rego ones only when withTests), the data.json/data.yaml documents,
// mounted at their directory as in an OPA bundle, and the .manifest. Hidden
// directories and every other file (README.md ...) are ignored. display turns
// a path inside the bundle into the name errors show.
func readBundle(op string, fsys fs.FS, withTests bool, display func(string) string) (*source, error) {
	src := &source{modules: map[string]*ast.Module{}, data: map[string]any{}}
	type file struct {
		name string
		body []byte
	}
	var files []file
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := d.Name()
		if d.IsDir() {
			if name != "." && strings.HasPrefix(base, ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		isTest := strings.HasSuffix(base, "_test.rego")
		switch {
		case isTest && !withTests:
			return nil
		case strings.HasSuffix(base, ".rego"), base == ".manifest" && name == base,
			base == "data.json", base == "data.yaml", base == "data.yml":
		default:
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		files = append(files, file{name, body})
		return nil
	})
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, err, "the policy bundle cannot be read")
	}

	var problems []Problem
	h := sha256.New()
	for _, f := range files { // WalkDir visits in lexical order: the digest is stable
		fmt.Fprintf(h, "%s\x00%d\x00", f.name, len(f.body))
		h.Write(f.body)
		base := path.Base(f.name)
		switch {
		case strings.HasSuffix(base, ".rego"):
			m, err := ast.ParseModuleWithOpts(f.name, string(f.body), ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				problems = append(problems, astProblems(err, f.name, display)...)
				continue
			}
			if m == nil { // an empty file or only comments
				problems = append(problems, Problem{File: display(f.name), Message: "no package declaration"})
				continue
			}
			src.modules[f.name] = m
			if strings.HasSuffix(base, "_test.rego") {
				src.tests = append(src.tests, f.name)
			}
		case base == ".manifest":
			var man struct {
				Revision any `json:"revision"`
			}
			if err := json.Unmarshal(f.body, &man); err != nil {
				problems = append(problems, Problem{File: display(f.name), Message: "not a JSON object: " + err.Error()})
				continue
			}
			switch r := man.Revision.(type) {
			case nil:
			case string:
				src.revision = r
			default:
				problems = append(problems, Problem{File: display(f.name), Message: "revision is not a string"})
			}
		default:
			doc, err := decodeData(base, f.body)
			if err != nil {
				problems = append(problems, Problem{File: display(f.name), Message: err.Error()})
				continue
			}
			if err := mount(src.data, dirSegments(f.name), doc); err != nil {
				problems = append(problems, Problem{File: display(f.name), Message: err.Error()})
			}
		}
	}
	if len(problems) > 0 {
		return nil, invalid(op, "the policy bundle does not parse", problems)
	}
	src.digest = hex.EncodeToString(h.Sum(nil))
	return src, nil
}

// decodeData decodes a data.json or data.yaml document; it must be an object.
func decodeData(base string, body []byte) (map[string]any, error) {
	var doc any
	if base == "data.json" {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		if dec.More() {
			return nil, fmt.Errorf("not valid JSON: more than one value")
		}
	} else if err := yaml.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if doc == nil {
		return map[string]any{}, nil
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the document is not an object")
	}
	// Reject what OPA cannot represent (non-string YAML keys ...) here, with the file's name.
	if _, err := ast.InterfaceToValue(m); err != nil {
		return nil, fmt.Errorf("the document cannot be used as policy data: %w", err)
	}
	return m, nil
}

// dirSegments is the data path a data file is mounted at: its directory.
func dirSegments(name string) []string {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	return strings.Split(dir, "/")
}

// mount merges doc into root at the path segs; two files may not set the same leaf.
func mount(root map[string]any, segs []string, doc map[string]any) error {
	node := root
	for i, s := range segs {
		next, ok := node[s]
		if !ok {
			m := map[string]any{}
			node[s] = m
			node = m
			continue
		}
		m, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("data.%s is set by two data files", strings.Join(segs[:i+1], "."))
		}
		node = m
	}
	return merge(node, doc, segs)
}

func merge(dst, src map[string]any, at []string) error {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := src[k]
		old, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		om, ok1 := old.(map[string]any)
		nm, ok2 := v.(map[string]any)
		where := slices.Concat(at, []string{k})
		if !ok1 || !ok2 {
			return fmt.Errorf("data.%s is set by two data files", strings.Join(where, "."))
		}
		if err := merge(om, nm, where); err != nil {
			return err
		}
	}
	return nil
}

// astProblems turns OPA's parse and compile errors into located problems.
func astProblems(err error, fallback string, display func(string) string) []Problem {
	var list ast.Errors
	var one *ast.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = ast.Errors{one}
	default:
		return []Problem{{File: display(fallback), Message: err.Error()}}
	}
	out := make([]Problem, 0, len(list))
	for _, e := range list {
		p := Problem{File: display(fallback), Message: e.Code + ": " + e.Message}
		if e.Location != nil {
			if e.Location.File != "" {
				p.File = display(e.Location.File)
			}
			p.Line = e.Location.Row
		}
		out = append(out, p)
	}
	return out
}

// invalid is the errs.Invalid for a list of located problems: the message
// names the first one, the details carry them all.
func invalid(op, what string, problems []Problem) error {
	msg := what + ": " + problems[0].String()
	if n := len(problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return errs.WithDetails(errs.E(errs.Invalid, op, "%s", msg), problems)
}
