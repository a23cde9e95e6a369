package policy

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/meshwork/meshwork/internal/errs"
)

// FuzzLoad feeds arbitrary bytes to Load as a policy module: it must compile
// or say why (Invalid), never panic; a bundle that loads must evaluate.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"apply.rego", "publish.rego", "query.rego", "lib.rego", "apply_test.rego"} {
		b, err := fs.ReadFile(Default(), name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("package meshwork.apply\n\ndeny contains 1\n"))
	f.Add([]byte("package p\n\nx := {\n"))
	f.Add([]byte(""))
	f.Add([]byte("package meshwork.query\n\ndecision := {\"masks\": {\"a\": \"hash\"}}\n"))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, src []byte) {
		e, err := Load(ctx, fstest.MapFS{"policy.rego": {Data: src}})
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Load() = %v, want nil or Invalid", err)
			}
			return
		}
		if e.Version() == "" {
			t.Fatal("Version() is empty")
		}
		// Decisions may fail (a malformed policy is Internal), but must not panic.
		_, _ = e.Apply(ctx, ApplyInput{Products: []map[string]any{goodProduct()}, Contracts: []map[string]any{goodContract()}})
		_, _ = e.Publish(ctx, PublishInput{Columns: []Column{{Name: "a", Classification: "pci"}}, Rows: 1})
		_, _ = e.Query(ctx, QueryInput{Columns: []Column{{Name: "a", Classification: "pii"}}})
	})
}

// FuzzLoadData feeds arbitrary bytes as the bundle's data.json and data.yaml.
func FuzzLoadData(f *testing.F) {
	b, err := fs.ReadFile(Default(), "data.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, []byte("a: 1\n"))
	f.Add([]byte("[]"), []byte("{1: 2}"))
	f.Add([]byte(`{"a": {"b": 1}}`), []byte("a:\n  b: 2\n"))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, jsonData, yamlData []byte) {
		_, err := Load(ctx, fstest.MapFS{
			"p.rego":        {Data: []byte("package p\n\nx := data.a\n")},
			"data.json":     {Data: jsonData},
			"sub/data.yaml": {Data: yamlData},
		})
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("Load() = %v, want nil or Invalid", err)
		}
	})
}
