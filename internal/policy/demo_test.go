package policy

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/meshwork/meshwork/internal/demo/specs"
)

// demoInput is the apply input of the demo mesh: every product and contract
// of internal/demo/specs, as written, with the "_mesh" the caller adds.
func demoInput(t testing.TB) ApplyInput {
	t.Helper()
	names, err := fs.Glob(specs.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("demo specs: %v, %d files", err, len(names))
	}
	var in ApplyInput
	for _, name := range names {
		f, err := specs.FS.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(f)
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			switch doc["kind"] {
			case "DataProduct":
				doc["_mesh"] = map[string]any{"domain": doc["domain"], "product": doc["name"]}
				in.Products = append(in.Products, doc)
			case "DataContract":
				doc["_mesh"] = map[string]any{"domain": doc["domain"], "product": doc["dataProduct"]}
				in.Contracts = append(in.Contracts, doc)
			}
		}
		f.Close()
	}
	if len(in.Products) != 3 || len(in.Contracts) != 3 {
		t.Fatalf("demo specs: %d products, %d contracts, want 3 and 3", len(in.Products), len(in.Contracts))
	}
	return in
}

func TestDemoSpecsPassApply(t *testing.T) {
	e := loadDefault(t)
	in := demoInput(t)
	got, err := e.Apply(context.Background(), in)
	if err != nil {
		t.Fatalf("Apply(demo) = %v", err)
	}
	if len(got) > 0 {
		t.Errorf("Apply(demo) = %v, want no denial", got)
	}

	// The same specs with c_phone's classification dropped are refused.
	for _, c := range in.Contracts {
		if c["domain"] != "customers" {
			continue
		}
		for _, table := range c["schema"].([]any) {
			for _, col := range table.(map[string]any)["properties"].([]any) {
				if col := col.(map[string]any); col["name"] == "c_phone" {
					delete(col, "classification")
				}
			}
		}
	}
	got, err = e.Apply(context.Background(), in)
	if err != nil {
		t.Fatalf("Apply(demo without a classification) = %v", err)
	}
	want := []Denial{{Rule: "pii.classification_required", Object: "customers.crm.customer.c_phone", Message: "customers.crm.customer.c_phone has no classification"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Apply(demo without a classification) (-want +got):\n%s", diff)
	}
}
