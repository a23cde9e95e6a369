package spec

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// exports to YAML that parses back to the same data.
func FuzzParse(f *testing.F) {
	if _, err := os.Stat(standardsDir); err == nil {
		for _, name := range exampleFiles(f) {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			// Small seeds only: mutations of the large examples run so
			// slowly under coverage instrumentation that the fuzzer makes
			// no visible progress; the example tests cover them.
			if len(data) <= 4<<10 {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(contract("order_lines", goodColumns)))
	f.Add([]byte(productYAML + "---\n" + contract("t", goodColumns)))
	f.Add([]byte("kind: DataContract\nx: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			diagnostics(t, err) // must be Invalid with diagnostics
			return
		}
		for _, c := range file.Contracts {
			out, err := ExportContract(c)
			if err != nil {
				t.Fatalf("ExportContract = %v", err)
			}
			c2, err := ParseContract("exported.yaml", out)
			if err != nil {
				t.Fatalf("ParseContract(ExportContract(c)) = %v\ninput:\n%s\nexported:\n%s", err, data, out)
			}
			if diff := cmp.Diff(c.Doc.Data(), c2.Doc.Data()); diff != "" {
				t.Fatalf("contract round trip changed the data (-orig +exported):\n%s", diff)
			}
		}
		for _, p := range file.Products {
			out, err := ExportProduct(p)
			if err != nil {
				t.Fatalf("ExportProduct = %v", err)
			}
			p2, err := ParseProduct("exported.yaml", out)
			if err != nil {
				t.Fatalf("ParseProduct(ExportProduct(p)) = %v\ninput:\n%s\nexported:\n%s", err, data, out)
			}
			if diff := cmp.Diff(p.Doc.Data(), p2.Doc.Data()); diff != "" {
				t.Fatalf("product round trip changed the data (-orig +exported):\n%s", diff)
			}
		}
	})
}

func BenchmarkParseFullExample(b *testing.B) {
	files := exampleFiles(b)
	var data []byte
	for _, f := range files {
		if strings.HasSuffix(f, "all--full-example.odcs.yaml") {
			var err error
			if data, err = os.ReadFile(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	if data == nil {
		b.Skip("all--full-example.odcs.yaml not found")
	}
	// The example's dataProduct "my quantum" is not a mesh name; fix it so
	// the benchmark measures the whole successful path.
	data = []byte(strings.Replace(string(data), "dataProduct: my quantum", "dataProduct: my_quantum", 1))
	if _, err := Parse("full.yaml", data); err != nil {
		b.Fatalf("Parse = %v", err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("full.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
