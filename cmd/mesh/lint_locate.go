package main

import (
	"bytes"
	"cmp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/meshwork/meshwork/internal/spec"
)

// Finding where in a spec file a finding belongs: the YAML node of a
// document, an object, a column or a custom property.

// documentRoots decodes data again, as spec.Parse does, to find lines: the
// top-level mapping of each DataProduct and each DataContract document, in
// file order (the order of spec.File's lists).
func documentRoots(data []byte) (products, contracts []*yaml.Node) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			return products, contracts
		}
		if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
			continue
		}
		switch k, _ := member(n.Content[0], "kind"); {
		case k != nil && k.Value == spec.KindDataProduct:
			products = append(products, n.Content[0])
		case k != nil && k.Value == spec.KindDataContract:
			contracts = append(contracts, n.Content[0])
		}
	}
}

func nth(ns []*yaml.Node, i int) *yaml.Node {
	if i < len(ns) {
		return ns[i]
	}
	return nil
}

// member returns the value and key of a mapping's member.
func member(m *yaml.Node, key string) (val, k *yaml.Node) {
	for i := 0; m != nil && m.Kind == yaml.MappingNode && i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1], m.Content[i]
		}
	}
	return nil, nil
}

// named returns the item of a list whose field by is value, and that field's value node.
func named(list *yaml.Node, by, value string) (item, pos *yaml.Node) {
	for i := 0; list != nil && list.Kind == yaml.SequenceNode && i < len(list.Content); i++ {
		if v, _ := member(list.Content[i], by); v != nil && v.Value == value {
			return list.Content[i], v
		}
	}
	return nil, nil
}

// at places a node of the document; nil is its start (or the file's).
func (d *doc) at(n *yaml.Node) place {
	if n = cmp.Or(n, d.root); n == nil {
		return place{file: d.file, line: 1, col: 1}
	}
	return place{d.file, n.Line, n.Column}
}

// pointer places a JSON pointer: the key of a mapping's member, the element
// of a list; as deep as the document goes.
func (d *doc) pointer(ptr string) place {
	n, at := d.root, d.root
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		i, err := strconv.Atoi(tok)
		switch {
		case n == nil:
		case n.Kind == yaml.MappingNode:
			v, k := member(n, tok)
			n, at = v, cmp.Or(k, at)
		case n.Kind == yaml.SequenceNode && err == nil && i >= 0 && i < len(n.Content):
			n, at = n.Content[i], n.Content[i]
		default:
			n = nil
		}
	}
	return d.at(at)
}

// customProperty places the value of one of the document's custom properties.
func (d *doc) customProperty(name string) place {
	cps, _ := member(d.root, "customProperties")
	it, _ := named(cps, "property", name)
	v, k := member(it, "value")
	return d.at(cmp.Or(v, cmp.Or(k, it)))
}

// column places a table of a contract, or its column (a dotted path;
// "element" is an array's items) as far as the document has it.
func (d *doc) column(table, column string) place {
	objs, key := member(d.root, "schema")
	obj, at := named(objs, "name", table)
	if obj == nil {
		return d.at(key)
	}
	for _, seg := range strings.Split(column, ".") {
		if items, k := member(obj, "items"); seg == "element" && items != nil {
			obj, at = items, k
			continue
		}
		props, _ := member(obj, "properties")
		p, name := named(props, "name", seg)
		if p == nil {
			break
		}
		obj, at = p, name
	}
	return d.at(at)
}
