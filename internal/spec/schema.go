package spec

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

//go:embed schemas/odcs-json-schema-v3.1.0.json
var odcsSchemaJSON []byte

//go:embed schemas/odps-json-schema-v1.0.0.json
var odpsSchemaJSON []byte

// The official schemas, compiled once on first use: compiling the ODCS
// schema takes milliseconds and most processes never parse a spec.
var (
	schemasOnce  sync.Once
	odcsSchema   *jsonschema.Schema
	odpsSchema   *jsonschema.Schema
	schemasError error
)

func compileSchemas() {
	c := jsonschema.NewCompiler()
	// Formats (date, date-time, uri) stay annotations, as the 2019-09 draft
	// says by default: the official examples are validated that way too.
	for _, s := range []struct {
		url  string
		data []byte
	}{{"https://meshwork.local/odcs-v3.1.0.json", odcsSchemaJSON}, {"https://meshwork.local/odps-v1.0.0.json", odpsSchemaJSON}} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(s.data))
		if err != nil {
			schemasError = fmt.Errorf("embedded schema %s: %w", s.url, err)
			return
		}
		if err := c.AddResource(s.url, doc); err != nil {
			schemasError = fmt.Errorf("embedded schema %s: %w", s.url, err)
			return
		}
	}
	odcsSchema, schemasError = c.Compile("https://meshwork.local/odcs-v3.1.0.json")
	if schemasError != nil {
		return
	}
	odpsSchema, schemasError = c.Compile("https://meshwork.local/odps-v1.0.0.json")
}

// officialSchema returns the compiled schema for a document kind.
func officialSchema(k string) (*jsonschema.Schema, error) {
	schemasOnce.Do(compileSchemas)
	if schemasError != nil {
		return nil, schemasError
	}
	if k == KindDataProduct {
		return odpsSchema, nil
	}
	return odcsSchema, nil
}

// validateSchema checks d against the official schema of its kind and
// reports every leaf failure where it happened.
func (d *document) validateSchema(k string) {
	sch, err := officialSchema(k)
	if err != nil {
		// The embedded schemas are tested; this is a build defect.
		d.errorf("", "internal error: cannot compile the %s schema", k)
		return
	}
	err = sch.Validate(any(d.data))
	if err == nil {
		return
	}
	var ve *jsonschema.ValidationError
	ok := errors.As(err, &ve)
	if !ok {
		d.errorf("", "does not validate against the %s schema: %v", k, err)
		return
	}
	var fs []finding
	lf := leafFinder{memo: map[*jsonschema.ValidationError][]leaf{}}
	for _, l := range lf.leaves(ve) {
		fs = append(fs, d.describe(l)...)
	}
	seen := map[string]bool{}
	for _, f := range fs {
		if seen[f.key] || (f.unevaluated && realErrorUnder(fs, parentPointer(f.path))) {
			continue
		}
		seen[f.key] = true
		if f.atKey {
			d.keyErrorf(f.path, "%s", f.msg)
		} else {
			d.errorf(f.path, "%s", f.msg)
		}
	}
}

// realErrorUnder reports whether a finding other than an unevaluated field
// sits inside the object at path. With unevaluatedProperties: false, a
// failing subschema (say, a bad quality rule) makes every field it declares
// "unevaluated"; those reports are noise next to the real error.
func realErrorUnder(fs []finding, path string) bool {
	for _, f := range fs {
		if !f.unevaluated && strings.HasPrefix(f.path, path+"/") {
			return true
		}
	}
	return false
}

func parentPointer(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

type finding struct {
	path, msg, key string
	atKey          bool // locate at the field's key rather than its value
	unevaluated    bool // an unevaluatedProperties report, maybe noise
}

// leafFinder walks a validation error tree; the memo keeps the walk linear,
// since deciding what to report at a oneOf looks at each branch's leaves.
type leafFinder struct {
	memo map[*jsonschema.ValidationError][]leaf
}

// leaf is one innermost schema failure. oneOf lists the fields of a oneOf
// whose every branch only missed one required field ("set one of these").
type leaf struct {
	loc   []string
	kind  jsonschema.ErrorKind
	oneOf []string
}

// describe turns one leaf error into findings with messages that name the
// field, since the JSON Schema library's own wording assumes you see the schema.
func (d *document) describe(e leaf) []finding {
	ptr := pointer(e.loc)
	one := func(path, msg string, atKey bool) []finding {
		return []finding{{path: path, msg: msg, key: path + "\x00" + msg, atKey: atKey}}
	}
	if len(e.oneOf) > 0 {
		return one(ptr, fmt.Sprintf("set one of %s", strings.Join(e.oneOf, ", ")), false)
	}
	switch k := e.kind.(type) {
	case *kind.AdditionalProperties:
		var fs []finding
		for _, p := range k.Properties {
			fs = append(fs, one(ptr+"/"+escapePointer(p), fmt.Sprintf("unknown field %q is not allowed here", p), true)...)
		}
		return fs
	case *kind.FalseSchema:
		if len(e.loc) > 0 {
			f := one(ptr, fmt.Sprintf("unknown field %q is not allowed here", e.loc[len(e.loc)-1]), true)
			f[0].unevaluated = true
			return f
		}
		return one(ptr, "not allowed here", false)
	case *kind.Required:
		var fs []finding
		for _, p := range k.Missing {
			fs = append(fs, one(ptr, fmt.Sprintf("missing required field %q", p), false)...)
		}
		return fs
	case *kind.Type:
		return one(ptr, fmt.Sprintf("%s: got %s, want %s", fieldName(e.loc), k.Got, strings.Join(k.Want, " or ")), false)
	case *kind.OneOf:
		if m, ok := valueAt(d.data, ptr).(map[string]any); ok && operatorCount(m) > 1 {
			return one(ptr, "set exactly one operator (mustBe, mustNotBe, mustBeGreaterThan, mustBeGreaterOrEqualTo, mustBeLessThan, mustBeLessOrEqualTo, mustBeBetween, mustNotBeBetween), not several", false)
		}
	}
	// Other kinds: the library's English wording, through its public API.
	msg := strings.Join(e.kind.KeywordPath(), "/") + " failed"
	if out := (&jsonschema.ValidationError{ErrorKind: e.kind, InstanceLocation: e.loc}).BasicOutput(); out.Error != nil {
		msg = out.Error.String()
	}
	return one(ptr, fmt.Sprintf("%s: %s", fieldName(e.loc), msg), false)
}

// fieldName names the field a message is about; the diagnostic's path
// already says where it is.
func fieldName(loc []string) string {
	if len(loc) == 0 {
		return "document"
	}
	return loc[len(loc)-1]
}

// mergeTypes folds "got X, want A" ... "got X, want B" into "want A or B".
func (lf leafFinder) mergeTypes(causes []*jsonschema.ValidationError) *kind.Type {
	merged := &kind.Type{}
	for _, c := range causes {
		for _, l := range lf.leaves(c) {
			t, ok := l.kind.(*kind.Type)
			if !ok {
				return nil
			}
			merged.Got = t.Got
			merged.Want = append(merged.Want, t.Want...)
		}
	}
	if len(merged.Want) == 0 {
		return nil
	}
	return merged
}

func pointer(toks []string) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteByte('/')
		b.WriteString(escapePointer(t))
	}
	return b.String()
}

// leaves returns the innermost causes of e. Under oneOf/anyOf, branches that
// failed only because the value had another type are dropped when some
// branch got further: for `team`, "want array" is noise next to the real
// problem inside the team object. A oneOf whose branches each miss one
// required field becomes one leaf naming them all.
func (lf leafFinder) leaves(e *jsonschema.ValidationError) []leaf {
	if l, ok := lf.memo[e]; ok {
		return l
	}
	l := lf.find(e)
	lf.memo[e] = l
	return l
}

func (lf leafFinder) find(e *jsonschema.ValidationError) []leaf {
	if len(e.Causes) == 0 {
		return []leaf{{loc: e.InstanceLocation, kind: e.ErrorKind}}
	}
	causes := e.Causes
	switch e.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf:
		var deeper []*jsonschema.ValidationError
		for _, c := range causes {
			if !lf.onlyTypeMismatch(c, len(e.InstanceLocation)) {
				deeper = append(deeper, c)
			}
		}
		if len(deeper) > 0 {
			causes = deeper
		} else if t := lf.mergeTypes(causes); t != nil {
			return []leaf{{loc: e.InstanceLocation, kind: t}}
		}
		if names := lf.missingEach(causes, len(e.InstanceLocation)); names != nil {
			return []leaf{{loc: e.InstanceLocation, kind: e.ErrorKind, oneOf: names}}
		}
	}
	var out []leaf
	for _, c := range causes {
		out = append(out, lf.leaves(c)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return pointer(out[i].loc) < pointer(out[j].loc) })
	return out
}

// missingEach returns the missing field of each cause if every cause is
// exactly one "required" failure of one field at depth, else nil.
func (lf leafFinder) missingEach(causes []*jsonschema.ValidationError, depth int) []string {
	var names []string
	for _, c := range causes {
		ls := lf.leaves(c)
		if len(ls) != 1 || len(ls[0].loc) != depth {
			return nil
		}
		r, ok := ls[0].kind.(*kind.Required)
		if !ok || len(r.Missing) != 1 {
			return nil
		}
		names = append(names, r.Missing[0])
	}
	return names
}

func (lf leafFinder) onlyTypeMismatch(e *jsonschema.ValidationError, depth int) bool {
	for _, l := range lf.leaves(e) {
		if _, ok := l.kind.(*kind.Type); !ok || len(l.loc) != depth {
			return false
		}
	}
	return true
}
