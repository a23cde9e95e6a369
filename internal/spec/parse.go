package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/meshwork/meshwork/internal/errs"
)

// MaxInputSize is the largest input Parse accepts. A spec is hand-written;
// anything bigger is a mistake or an attack, and refusing it early bounds the
// memory the YAML parser can be made to use.
const MaxInputSize = 8 << 20

// yamlLineErr matches yaml.v3's located syntax errors.
var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse parses and validates every document in data. name is used in
// diagnostics. On failure the error is an *errs.Error of kind errs.Invalid
// whose Details is a []Diagnostic listing every error found, sorted by
// position; warnings are not included there but in File.Warnings on success.
func Parse(name string, data []byte) (*File, error) {
	const op = "spec.Parse"
	var f File
	var all []Diagnostic
	if len(data) > MaxInputSize {
		all = append(all, Diagnostic{File: name, Severity: SeverityError,
			Message: fmt.Sprintf("input is %d bytes, over the limit of %d bytes (8 MiB)", len(data), MaxInputSize)})
		return nil, failure(op, name, all)
	}
	docs, diags := decodeDocuments(name, data)
	all = append(all, diags...)
	if len(docs) == 0 && len(all) == 0 {
		all = append(all, Diagnostic{File: name, Line: 1, Severity: SeverityError,
			Message: "no documents: want at least one YAML document of kind DataProduct or DataContract"})
	}
	for _, d := range docs {
		p, c := d.check()
		all = append(all, d.diags...)
		if p != nil {
			f.Products = append(f.Products, p)
		}
		if c != nil {
			f.Contracts = append(f.Contracts, c)
		}
	}
	sortDiagnostics(all)
	var errors []Diagnostic
	for _, d := range all {
		if d.Severity == SeverityError {
			errors = append(errors, d)
		} else {
			f.Warnings = append(f.Warnings, d)
		}
	}
	if len(errors) > 0 {
		return nil, failure(op, name, errors)
	}
	return &f, nil
}

// ParseProduct parses data that must hold exactly one document, of kind
// DataProduct. Its warnings are in the product's Warnings.
func ParseProduct(name string, data []byte) (*Product, error) {
	const op = "spec.ParseProduct"
	f, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	if len(f.Products) != 1 || len(f.Contracts) != 0 {
		return nil, failure(op, name, []Diagnostic{{File: name, Severity: SeverityError,
			Message: fmt.Sprintf("want exactly one DataProduct document, got %d product(s) and %d contract(s)", len(f.Products), len(f.Contracts))}})
	}
	return f.Products[0], nil
}

// ParseContract parses data that must hold exactly one document, of kind
// DataContract. Its warnings are in the contract's Warnings.
func ParseContract(name string, data []byte) (*Contract, error) {
	const op = "spec.ParseContract"
	f, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	if len(f.Contracts) != 1 || len(f.Products) != 0 {
		return nil, failure(op, name, []Diagnostic{{File: name, Severity: SeverityError,
			Message: fmt.Sprintf("want exactly one DataContract document, got %d contract(s) and %d product(s)", len(f.Contracts), len(f.Products))}})
	}
	return f.Contracts[0], nil
}

// failure builds the Invalid error that carries every diagnostic.
func failure(op, name string, diags []Diagnostic) error {
	msg := fmt.Sprintf("%d error(s)", len(diags))
	if name != "" {
		msg = name + ": " + msg
	}
	msg += "; first: " + diags[0].String()
	return errs.WithDetails(errs.E(errs.Invalid, op, "%s", msg), diags)
}

func sortDiagnostics(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
}

// document is one YAML document of a file and what was found in it.
type document struct {
	file  string
	index int        // 0-based position in the file
	node  *yaml.Node // the DocumentNode, kept for lossless export
	root  *yaml.Node // its content: the top-level mapping
	data  map[string]any
	diags []Diagnostic
}

// decodeDocuments splits data into YAML documents and converts each to
// JSON-compatible data. A syntax error stops the scan: yaml.v3 cannot resume
// after one.
func decodeDocuments(name string, data []byte) (docs []*document, diags []Diagnostic) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var n yaml.Node
		err := safeDecode(dec, &n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			diags = append(diags, syntaxDiagnostic(name, err))
			break
		}
		if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
			continue // an empty document, e.g. a trailing "---"
		}
		d := &document{file: name, index: i, node: &n, root: root}
		if root.Kind != yaml.MappingNode {
			d.errorf("", "document %d is a %s, want a mapping (a DataProduct or DataContract)", i+1, nodeKind(root))
			diags = append(diags, d.diags...)
			continue
		}
		c := newConverter(d, root)
		v, ok := c.value(root, "")
		if !ok {
			diags = append(diags, d.diags...)
			continue
		}
		d.data = v.(map[string]any)
		docs = append(docs, d)
	}
	return docs, diags
}

// safeDecode turns a panic in the YAML parser into an error: Parse reads
// untrusted input and must never crash the server.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse: %v", r)
		}
	}()
	return dec.Decode(n)
}

func syntaxDiagnostic(name string, err error) Diagnostic {
	msg := err.Error()
	d := Diagnostic{File: name, Severity: SeverityError}
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		d.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	d.Message = "YAML syntax error: " + msg
	return d
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "document"
}

// converter turns a YAML node tree into JSON-compatible values: map[string]any,
// []any, string, int64, float64, bool and nil.
type converter struct {
	d      *document
	budget int                 // nodes left to visit; aliases can multiply a small file
	active map[*yaml.Node]bool // anchors being expanded, to catch cycles
}

func newConverter(d *document, root *yaml.Node) *converter {
	// Alias expansion may visit more nodes than the file holds, but not
	// vastly more: a billion-laughs document exhausts this budget in
	// milliseconds, while real specs that reuse a few anchors never notice it.
	return &converter{d: d, budget: 4*countNodes(root) + 100_000, active: map[*yaml.Node]bool{}}
}

func countNodes(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

func (c *converter) value(n *yaml.Node, path string) (any, bool) {
	c.budget--
	if c.budget < 0 {
		if c.budget == -1 {
			c.d.errorAt(n, path, "too many nodes after expanding YAML aliases (an alias bomb?): refusing the document")
		}
		return nil, false
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			c.d.errorAt(n, path, "undefined YAML alias")
			return nil, false
		}
		if c.active[n.Alias] {
			c.d.errorAt(n, path, fmt.Sprintf("YAML alias *%s refers to itself", n.Value))
			return nil, false
		}
		c.active[n.Alias] = true
		v, ok := c.value(n.Alias, path)
		delete(c.active, n.Alias)
		return v, ok
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		seen := make(map[string]*yaml.Node, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			for k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				c.d.errorAt(n.Content[i], path, "a mapping key must be a scalar")
				ok = false
				continue
			}
			if k.ShortTag() == "!!merge" {
				c.d.errorAt(n.Content[i], path, "YAML merge keys (<<) are not supported: write the fields out")
				ok = false
				continue
			}
			key := k.Value
			kp := path + "/" + escapePointer(key)
			if first, dup := seen[key]; dup {
				c.d.errorAt(n.Content[i], kp, fmt.Sprintf("duplicate key %q (first at line %d)", key, first.Line))
				ok = false
				continue
			}
			seen[key] = n.Content[i]
			v, vok := c.value(n.Content[i+1], kp)
			if !vok {
				ok = false
				if c.budget < 0 {
					return nil, false
				}
				continue
			}
			m[key] = v
		}
		return m, ok
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		ok := true
		for i, e := range n.Content {
			v, vok := c.value(e, path+"/"+strconv.Itoa(i))
			if !vok {
				ok = false
				if c.budget < 0 {
					return nil, false
				}
			}
			s = append(s, v)
		}
		return s, ok
	case yaml.ScalarNode:
		return c.scalar(n, path)
	}
	c.d.errorAt(n, path, "unexpected YAML node")
	return nil, false
}

// scalar keeps the written text for everything JSON has no type for
// (timestamps, binary, custom tags): the schemas want strings there, and the
// text is what the author meant.
func (c *converter) scalar(n *yaml.Node, path string) (any, bool) {
	switch n.ShortTag() {
	case "!!null":
		return nil, true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			c.d.errorAt(n, path, fmt.Sprintf("invalid boolean %q", n.Value))
			return nil, false
		}
		return b, true
	case "!!int":
		var v any
		if err := n.Decode(&v); err != nil {
			c.d.errorAt(n, path, fmt.Sprintf("invalid integer %q", n.Value))
			return nil, false
		}
		switch x := v.(type) {
		case int:
			return int64(x), true
		case int64:
			return x, true
		case uint64:
			if x <= math.MaxInt64 {
				return int64(x), true
			}
			return float64(x), true
		case float64:
			return x, true
		}
		c.d.errorAt(n, path, fmt.Sprintf("invalid integer %q", n.Value))
		return nil, false
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			c.d.errorAt(n, path, fmt.Sprintf("invalid number %q", n.Value))
			return nil, false
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			c.d.errorAt(n, path, fmt.Sprintf("number %q cannot be represented in JSON", n.Value))
			return nil, false
		}
		return f, true
	}
	return n.Value, true
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func splitPointer(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}

// locate finds the nodes a JSON pointer names: the key node (nil for list
// elements and the root) and the value node. When the pointer goes further
// than the document, it returns the deepest node found.
func locate(root *yaml.Node, ptr string) (key, val *yaml.Node) {
	val = root
	for _, tok := range splitPointer(ptr) {
		for val.Kind == yaml.AliasNode && val.Alias != nil {
			val = val.Alias
		}
		switch val.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(val.Content); i += 2 {
				k := val.Content[i]
				kk := k
				for kk.Kind == yaml.AliasNode && kk.Alias != nil {
					kk = kk.Alias
				}
				if kk.Value == tok {
					key, val, found = k, val.Content[i+1], true
					break
				}
			}
			if !found {
				return key, val
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(val.Content) {
				return key, val
			}
			key, val = nil, val.Content[i]
		default:
			return key, val
		}
	}
	return key, val
}

func (d *document) add(n *yaml.Node, path, severity, msg string) {
	diag := Diagnostic{File: d.file, Path: path, Severity: severity, Message: msg}
	if n != nil {
		diag.Line, diag.Column = n.Line, n.Column
	}
	d.diags = append(d.diags, diag)
}

func (d *document) errorAt(n *yaml.Node, path, msg string) { d.add(n, path, SeverityError, msg) }

// errorf reports an error located at the value path names.
func (d *document) errorf(path, format string, args ...any) {
	_, v := locate(d.root, path)
	d.add(v, path, SeverityError, fmt.Sprintf(format, args...))
}

// keyErrorf reports an error located at the key of the field path names,
// which is where a reader looks for an unknown or misplaced field.
func (d *document) keyErrorf(path, format string, args ...any) {
	k, v := locate(d.root, path)
	if k == nil {
		k = v
	}
	d.add(k, path, SeverityError, fmt.Sprintf(format, args...))
}

// warnf reports a warning located at the key of the field path names.
func (d *document) warnf(path, format string, args ...any) {
	k, v := locate(d.root, path)
	if k == nil {
		k = v
	}
	d.add(k, path, SeverityWarning, fmt.Sprintf(format, args...))
}

func (d *document) hasErrors() bool {
	for _, x := range d.diags {
		if x.Severity == SeverityError {
			return true
		}
	}
	return false
}
