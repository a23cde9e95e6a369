package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/meshwork/meshwork/internal/errs"
)

// Doc keeps a whole original document so that export loses nothing. The
// zero Doc means the value was built in code, not parsed.
type Doc struct {
	node *yaml.Node     // the YAML document as parsed, with comments and key order
	data map[string]any // its JSON-compatible form; never modified after Parse
}

// IsZero reports whether d holds no document.
func (d Doc) IsZero() bool { return d.data == nil }

// Data returns the document as JSON-compatible values (map[string]any, []any,
// string, int64, float64, bool, nil). It is shared: do not modify it.
func (d Doc) Data() map[string]any { return d.data }

// JSON returns the original document as JSON, for storing in a registry and
// for the API. Map keys are sorted, so equal documents give equal bytes.
func (d Doc) JSON() ([]byte, error) {
	if d.data == nil {
		return nil, errs.E(errs.Invalid, "spec.Doc.JSON", "no document: the value was not parsed")
	}
	b, err := json.Marshal(d.data)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "spec.Doc.JSON", err, "cannot encode the document as JSON")
	}
	return b, nil
}

// ExportContract returns the contract as YAML. A parsed contract is written
// from its Doc, so nothing is lost and the typed fields are ignored; a
// contract built in code (zero Doc) is written from its typed fields.
func ExportContract(c *Contract) ([]byte, error) {
	if c == nil {
		return nil, errs.E(errs.Invalid, "spec.ExportContract", "no contract")
	}
	if c.Doc.IsZero() {
		return marshalTyped("spec.ExportContract", c)
	}
	return exportDoc("spec.ExportContract", c.Doc)
}

// ExportProduct returns the product as YAML, like ExportContract.
func ExportProduct(p *Product) ([]byte, error) {
	if p == nil {
		return nil, errs.E(errs.Invalid, "spec.ExportProduct", "no product")
	}
	if p.Doc.IsZero() {
		return marshalTyped("spec.ExportProduct", p)
	}
	return exportDoc("spec.ExportProduct", p.Doc)
}

func marshalTyped(op string, v any) ([]byte, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "cannot encode as YAML")
	}
	return b, nil
}

// exportDoc writes the parsed YAML back, comments and all, when that
// re-reads as the same data. yaml.v3's encoder does not reproduce every
// input faithfully (odd comment placements, some scalar styles), so the
// result is checked; when it differs, a plain rendering of the same tree
// (original key order, no comments or styles) is written instead, and that
// too is checked.
func exportDoc(op string, d Doc) ([]byte, error) {
	if d.node != nil {
		if b, ok := encodeNode(d.node); ok && sameData(b, d.data) {
			return b, nil
		}
	}
	plain := plainNode(d.data, d.node)
	if b, ok := encodeNode(plain); ok && sameData(b, d.data) {
		return b, nil
	}
	return nil, errs.E(errs.Internal, op, "cannot write the document back without loss")
}

func encodeNode(n *yaml.Node) (b []byte, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, false
	}
	if err := enc.Close(); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// sameData reports whether b decodes to data.
func sameData(b []byte, data map[string]any) bool {
	docs, diags := decodeDocuments("", b)
	return len(diags) == 0 && len(docs) == 1 && reflect.DeepEqual(docs[0].data, data)
}

// plainNode builds a YAML tree for v. Mapping keys follow their order in
// orig (the parsed node) where it has them, so the output reads like the input.
func plainNode(v any, orig *yaml.Node) *yaml.Node {
	for orig != nil && (orig.Kind == yaml.DocumentNode || orig.Kind == yaml.AliasNode) {
		if orig.Kind == yaml.DocumentNode {
			if len(orig.Content) == 0 {
				orig = nil
				break
			}
			orig = orig.Content[0]
		} else {
			orig = orig.Alias
		}
	}
	switch x := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		done := map[string]bool{}
		add := func(k string, child *yaml.Node) {
			done[k] = true
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, plainNode(x[k], child))
		}
		if orig != nil && orig.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(orig.Content); i += 2 {
				k := orig.Content[i]
				for k.Kind == yaml.AliasNode && k.Alias != nil {
					k = k.Alias
				}
				if _, ok := x[k.Value]; ok && !done[k.Value] {
					add(k.Value, orig.Content[i+1])
				}
			}
		}
		for _, k := range sortedKeys(x) {
			if !done[k] {
				add(k, nil)
			}
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i, e := range x {
			var child *yaml.Node
			if orig != nil && orig.Kind == yaml.SequenceNode && i < len(orig.Content) {
				child = orig.Content[i]
			}
			n.Content = append(n.Content, plainNode(e, child))
		}
		return n
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	// Numbers and booleans: let the encoder format them.
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: fmt.Sprint(v)}
	}
	return &n
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Equal reports whether d and o hold equal documents (as data). go-cmp uses
// it, so Contracts and Products can be compared with cmp.Diff.
func (d Doc) Equal(o Doc) bool { return reflect.DeepEqual(d.data, o.data) }
