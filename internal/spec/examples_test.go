package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
)

// standardsDir holds the official schemas and examples, shared by the repo's
// checkouts; tests read them in place so an updated copy is tested as is.
const standardsDir = "../../../shared/standards"

func exampleFiles(t testing.TB) []string {
	t.Helper()
	if _, err := os.Stat(standardsDir); err != nil {
		t.Skipf("official examples not found at %s: %v", standardsDir, err)
	}
	var files []string
	for _, dir := range []string{"odcs/examples", "odps/examples"} {
		m, err := filepath.Glob(filepath.Join(standardsDir, dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no examples in %s", standardsDir)
	}
	return files
}

// want is an expected diagnostic: its line and a substring of its message.
type want struct {
	line int
	msg  string
}

// failingExamples lists the official examples Meshwork rejects, and why.
// All of them pass the official JSON Schema; they break Meshwork's rules.
var failingExamples = map[string][]want{
	// A data product name with spaces cannot be an address.
	"all--full-example.odcs.yaml": {{3, `dataProduct "my quantum" is not a valid mesh name`}},
	// Its columns declare logicalType object for scalar PostgreSQL domains
	// (Name, Flag) without fields, and logicalType date for timestamps.
	"all--postgresql-adventureworks-contract.odcs.yaml": {
		{25, `column "name" is an object but has no properties`},
		{49, `physicalType "timestamp" stores a timestamp, which does not agree with logicalType "date"`},
		{438, `physicalType "time" stores a time, which does not agree with logicalType "date"`},
	},
	// An array without items and an object without properties: we never guess types.
	"data-types--all-data-types.odcs.yaml": {
		{68, `column "latest_txns" is an array but has no items`},
		{75, `column "customer_details" is an object but has no properties`},
	},
	// Mixed-case table and column names.
	"quality--column-accuracy.odcs.yaml": {
		{8, `table name "Air_Quality" is not a valid mesh name: use lower-case letters, digits and _ starting with a letter`},
		{16, `column name "DataValue" is not a valid mesh name`},
	},
	"quality--column-completeness.odcs.yaml": {{8, `table name "Air_Quality"`}, {17, `column name "UniqueID"`}},
	"quality--column-custom.odcs.yaml":       {{8, `table name "Air_Quality"`}, {16, `column name "UniqueID"`}},
	"quality--column-validity.odcs.yaml":     {{8, `table name "Air_Quality"`}},
	"schema--all-schema-types.odcs.yaml":     {{78, `table name "AnObject"`}, {87, `table name "AnotherObject"`}},
	"schema--kafka-schema.odcs.yaml":         {{8, `table name "Orders"`}},
	// Contracts without tables or columns describe nothing we can store.
	"schema--kafka-schemaregistry.odcs.yaml":         {{8, `table "Orders" has no properties`}, {8, `table name "Orders"`}},
	"server--kafka-server.odcs.yaml":                 {{7, `table "Orders" has no properties`}},
	"server--azure-server.odcs.yaml":                 {{1, "a contract needs at least one schema object"}},
	"roles--service-and-operational-roles.odcs.yaml": {{7, "a contract needs at least one schema object"}},
	"sla--database-table-sla.odcs.yaml":              {{8, "a contract needs at least one schema object"}},
	"stakeholders--basic-four-dpo.odcs.yaml":         {{8, "a contract needs at least one schema object"}},
	// ODPS examples use display names ("Customer Data Product") as names.
	"customer-data-product.odps.yaml": {{4, `name "Customer Data Product" is not a valid mesh name`}},
	"simple-data-product.odps.yaml": {
		{1, `missing "domain"`},
		{5, `name "Simple Data Product" is not a valid mesh name`},
	},
}

func diagnostics(t testing.TB, err error) []Diagnostic {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.Invalid {
		t.Fatalf("error %v (%T) is not an *errs.Error of kind Invalid", err, err)
	}
	ds, ok := e.Details.([]Diagnostic)
	if !ok || len(ds) == 0 {
		t.Fatalf("error %v has details %T, want a non-empty []Diagnostic", err, e.Details)
	}
	return ds
}

// hasDiag reports whether ds holds an error at line w.line containing w.msg.
func hasDiag(ds []Diagnostic, w want) bool {
	for _, d := range ds {
		if d.Line == w.line && strings.Contains(d.Message, w.msg) {
			return true
		}
	}
	return false
}

func TestOfficialExamples(t *testing.T) {
	for _, f := range exampleFiles(t) {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Every official example passes the official schema.
			if ds := schemaErrors(t, name, data); len(ds) > 0 {
				t.Errorf("%s fails the official JSON Schema: %v", name, ds)
			}
			file, err := Parse(name, data)
			wants, wantFail := failingExamples[name]
			switch {
			case wantFail && err == nil:
				t.Fatalf("Parse(%s) = ok, want errors %v", name, wants)
			case !wantFail && err != nil:
				t.Fatalf("Parse(%s) = %v, want ok; details %v", name, err, diagnostics(t, err))
			case wantFail:
				ds := diagnostics(t, err)
				for _, d := range ds {
					if d.Line == 0 || d.File != name || d.Severity != SeverityError {
						t.Errorf("Parse(%s): diagnostic %+v is not a located error", name, d)
					}
				}
				for _, w := range wants {
					if !hasDiag(ds, w) {
						t.Errorf("Parse(%s) diagnostics = %v, want one at line %d containing %q", name, ds, w.line, w.msg)
					}
				}
				return
			}
			for _, c := range file.Contracts {
				roundTripContract(t, c)
			}
			for _, p := range file.Products {
				roundTripProduct(t, p)
			}
		})
	}
}

// TestOfficialExamplesRawRoundTrip writes back every example, including those
// Meshwork rejects, at the YAML-data level.
func TestOfficialExamplesRawRoundTrip(t *testing.T) {
	for _, f := range exampleFiles(t) {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs, diags := decodeDocuments(name, data)
			if len(diags) > 0 || len(docs) != 1 {
				t.Fatalf("decodeDocuments(%s) = %d docs, %v", name, len(docs), diags)
			}
			out, err := exportDoc("test", Doc{node: docs[0].node, data: docs[0].data})
			if err != nil {
				t.Fatalf("exportDoc(%s) = %v", name, err)
			}
			back, diags := decodeDocuments(name, out)
			if len(diags) > 0 || len(back) != 1 {
				t.Fatalf("decodeDocuments(export of %s) = %d docs, %v", name, len(back), diags)
			}
			if diff := cmp.Diff(docs[0].data, back[0].data); diff != "" {
				t.Errorf("round trip of %s changed the data (-orig +exported):\n%s", name, diff)
			}
		})
	}
}

// schemaErrors validates data against the official schema only.
func schemaErrors(t testing.TB, name string, data []byte) []Diagnostic {
	t.Helper()
	docs, diags := decodeDocuments(name, data)
	for _, d := range docs {
		k, _ := d.data["kind"].(string)
		d.validateSchema(k)
		diags = append(diags, d.diags...)
	}
	return diags
}

func roundTripContract(t *testing.T, c *Contract) {
	t.Helper()
	out, err := ExportContract(c)
	if err != nil {
		t.Fatalf("ExportContract = %v", err)
	}
	c2, err := ParseContract("exported", out)
	if err != nil {
		t.Fatalf("ParseContract(ExportContract(c)) = %v; details %v\n%s", err, diagnostics(t, err), out)
	}
	if diff := cmp.Diff(c.Doc.Data(), c2.Doc.Data()); diff != "" {
		t.Errorf("contract round trip changed the data (-orig +exported):\n%s", diff)
	}
	if diff := cmp.Diff(c, c2, cmpTyped); diff != "" {
		t.Errorf("contract round trip changed the typed view (-orig +exported):\n%s", diff)
	}
}

func roundTripProduct(t *testing.T, p *Product) {
	t.Helper()
	out, err := ExportProduct(p)
	if err != nil {
		t.Fatalf("ExportProduct = %v", err)
	}
	p2, err := ParseProduct("exported", out)
	if err != nil {
		t.Fatalf("ParseProduct(ExportProduct(p)) = %v; details %v\n%s", err, diagnostics(t, err), out)
	}
	if diff := cmp.Diff(p.Doc.Data(), p2.Doc.Data()); diff != "" {
		t.Errorf("product round trip changed the data (-orig +exported):\n%s", diff)
	}
	if diff := cmp.Diff(p, p2, cmpTyped); diff != "" {
		t.Errorf("product round trip changed the typed view (-orig +exported):\n%s", diff)
	}
}

// cmpTyped compares typed views, ignoring the Doc (compared as data) and the
// warnings' file names and positions (comments may move lines).
var cmpTyped = cmp.Options{
	cmp.Comparer(func(a, b Doc) bool { return true }),
	cmp.Transformer("messages", func(ds []Diagnostic) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Path+": "+d.Message)
		}
		return out
	}),
}
