package tpch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshwork/meshwork/internal/demo/specs"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const standardsDir = "../../../shared/standards"

// specDoc is one YAML document of a spec file, decoded twice: generically for
// schema validation and into the few contract fields the tests read.
type specDoc struct {
	file string
	raw  any
	c    contract
}

type contract struct {
	Kind        string         `yaml:"kind"`
	ID          string         `yaml:"id"`
	Domain      string         `yaml:"domain"`
	DataProduct string         `yaml:"dataProduct"`
	Name        string         `yaml:"name"`
	Schema      []schemaObject `yaml:"schema"`
	OutputPorts []struct {
		ContractID string `yaml:"contractId"`
	} `yaml:"outputPorts"`
	InputPorts []struct {
		ContractID string `yaml:"contractId"`
	} `yaml:"inputPorts"`
}

type schemaObject struct {
	Name       string     `yaml:"name"`
	Quality    []rule     `yaml:"quality"`
	Properties []property `yaml:"properties"`
}

type property struct {
	Name               string `yaml:"name"`
	LogicalType        string `yaml:"logicalType"`
	PhysicalType       string `yaml:"physicalType"`
	Required           bool   `yaml:"required"`
	PrimaryKey         bool   `yaml:"primaryKey"`
	PrimaryKeyPosition int    `yaml:"primaryKeyPosition"`
	Partitioned        bool   `yaml:"partitioned"`
	Classification     string `yaml:"classification"`
	Description        string `yaml:"description"`
	BusinessName       string `yaml:"businessName"`
	Quality            []rule `yaml:"quality"`
}

type rule struct {
	Type              string    `yaml:"type"`
	Metric            string    `yaml:"metric"`
	Query             string    `yaml:"query"`
	Arguments         arguments `yaml:"arguments"`
	MustBe            *float64  `yaml:"mustBe"`
	MustBeGreaterThan *float64  `yaml:"mustBeGreaterThan"`
}

type arguments struct {
	ValidValues []string `yaml:"validValues"`
}

func loadSpecs(t *testing.T) []specDoc {
	t.Helper()
	files, err := fs.Glob(specs.FS, "*.yaml")
	if err != nil || len(files) != 3 {
		t.Fatalf("spec files %v, %v; want 3", files, err)
	}
	var docs []specDoc
	for _, f := range files {
		b, err := specs.FS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, dec, dec2 := 0, yaml.NewDecoder(bytes.NewReader(b)), yaml.NewDecoder(bytes.NewReader(b)); ; i++ {
			var d specDoc
			d.file = fmt.Sprintf("%s#%d", f, i)
			if err := dec.Decode(&d.raw); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", d.file, err)
			}
			if err := dec2.Decode(&d.c); err != nil {
				t.Fatalf("%s: %v", d.file, err)
			}
			docs = append(docs, d)
		}
	}
	return docs
}

func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("official schema %s not present; skipping validation", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "file:///" + filepath.Base(path)
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return s
}

func TestSpecsValidate(t *testing.T) {
	odps := compileSchema(t, filepath.Join(standardsDir, "odps", "odps-json-schema-v1.0.0.json"))
	odcs := compileSchema(t, filepath.Join(standardsDir, "odcs", "odcs-json-schema-v3.1.0.json"))
	// The validator must reject what the schemas forbid, or the test proves nothing.
	bad := []struct {
		schema *jsonschema.Schema
		doc    string
	}{
		{odps, `{"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "x", "status": "active", "owner": "nope"}`},
		{odcs, `{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "1.0.0", "status": "active",
			"schema": [{"name": "t", "properties": [{"name": "c", "logicalType": "decimal"}]}]}`},
	}
	for i, b := range bad {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(b.doc))
		if err != nil {
			t.Fatal(err)
		}
		if b.schema.Validate(inst) == nil {
			t.Errorf("bad document %d validated", i)
		}
	}
	for _, d := range loadSpecs(t) {
		t.Run(d.file, func(t *testing.T) {
			b, err := json.Marshal(d.raw)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			schema := map[string]*jsonschema.Schema{"DataProduct": odps, "DataContract": odcs}[d.c.Kind]
			if schema == nil {
				t.Fatalf("unexpected kind %q", d.c.Kind)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("%v", err)
			}
		})
	}
}

// TestSpecsMatchGenerator checks that the contracts describe exactly the
// generated tables, so the demo and the generator never drift.
func TestSpecsMatchGenerator(t *testing.T) {
	docs := loadSpecs(t)
	contracts := map[string]bool{}
	seen := map[string]bool{}
	for _, d := range docs {
		if d.c.Kind == "DataContract" {
			contracts[d.c.ID] = true
		}
	}
	pkPositions := map[string][]string{"lineitem": {"l_orderkey", "l_linenumber"}, "partsupp": {"ps_partkey", "ps_suppkey"}}
	pii := map[string]bool{"c_name": true, "c_address": true, "c_phone": true}
	confidential := map[string]bool{"s_phone": true, "s_address": true}
	for _, d := range docs {
		switch d.c.Kind {
		case "DataProduct":
			if len(d.c.OutputPorts) == 0 {
				t.Errorf("%s: no output port", d.file)
			}
			for _, p := range append(d.c.OutputPorts, d.c.InputPorts...) {
				if !contracts[p.ContractID] {
					t.Errorf("%s: port references unknown contract %q", d.file, p.ContractID)
				}
			}
			continue
		case "DataContract":
		default:
			t.Fatalf("%s: unexpected kind %q", d.file, d.c.Kind)
		}
		for _, obj := range d.c.Schema {
			t.Run(obj.Name, func(t *testing.T) {
				seen[obj.Name] = true
				if want := d.c.Domain + "." + d.c.DataProduct + "." + obj.Name; TableNames[obj.Name] != want {
					t.Errorf("mesh name %s, TableNames says %q", want, TableNames[obj.Name])
				}
				cols, err := Columns(obj.Name)
				if err != nil {
					t.Fatal(err)
				}
				if len(cols) != len(obj.Properties) {
					t.Fatalf("%d properties, generator has %d columns", len(obj.Properties), len(cols))
				}
				var pk []string
				for i, p := range obj.Properties {
					c := cols[i]
					if p.Name != c.Name || p.PhysicalType != strings.ToLower(c.Type) || p.LogicalType != logicalType(c.Type) {
						t.Errorf("property %d = %s %s/%s, generator has %s %s", i, p.Name, p.LogicalType, p.PhysicalType, c.Name, c.Type)
					}
					if !p.Required || p.Partitioned || p.Description == "" || p.BusinessName == "" || p.Classification == "" {
						t.Errorf("%s: want required, not partitioned, description, businessName, classification", p.Name)
					}
					if pii[p.Name] && p.Classification != "pii" || confidential[p.Name] && p.Classification != "confidential" {
						t.Errorf("%s: classification %q", p.Name, p.Classification)
					}
					if p.PrimaryKey {
						for len(pk) < p.PrimaryKeyPosition {
							pk = append(pk, "")
						}
						pk[p.PrimaryKeyPosition-1] = p.Name
					}
				}
				want := pkPositions[obj.Name]
				if want == nil {
					want = []string{cols[0].Name}
				}
				if strings.Join(pk, ",") != strings.Join(want, ",") {
					t.Errorf("primary key %v, want %v", pk, want)
				}
			})
		}
	}
	for _, table := range Tables {
		if !seen[table] {
			t.Errorf("no contract describes %s", table)
		}
	}
}

func logicalType(sqlType string) string {
	switch sqlType {
	case TypeInteger:
		return "integer"
	case TypeDecimal:
		return "number"
	case TypeDate:
		return "date"
	}
	return "string"
}

// TestSpecsQualityRules measures every contract quality rule over the
// generated sf 0.01 data with plain SQL and checks that it passes.
func TestSpecsQualityRules(t *testing.T) {
	if testing.Short() {
		t.Skip("loads generated data into DuckDB")
	}
	db := loadMesh(t, testSF)
	for _, d := range loadSpecs(t) {
		for _, obj := range d.c.Schema {
			table := TableNames[obj.Name]
			check := func(column string, r rule) {
				name := obj.Name + "/" + column + "/" + r.Metric + r.Query
				var q string
				switch {
				case r.Type == "sql":
					q = strings.NewReplacer("${table}", table, "${column}", column).Replace(r.Query)
				case r.Metric == "rowCount":
					q = "SELECT count(*) FROM " + table
				case r.Metric == "nullValues":
					q = fmt.Sprintf("SELECT count(*) FROM %s WHERE %s IS NULL", table, column)
				case r.Metric == "duplicateValues":
					q = fmt.Sprintf("SELECT count(%s) - count(DISTINCT %s) FROM %s", column, column, table)
				case r.Metric == "invalidValues" && len(r.Arguments.ValidValues) > 0:
					q = fmt.Sprintf("SELECT count(*) FROM %s WHERE %s NOT IN ('%s')", table, column,
						strings.Join(r.Arguments.ValidValues, "', '"))
				default:
					t.Errorf("%s: rule not understood by the test: %+v", name, r)
					return
				}
				got := float64(queryInt(t, db, q))
				switch {
				case r.MustBe != nil && got != *r.MustBe:
					t.Errorf("%s: measured %v, mustBe %v", name, got, *r.MustBe)
				case r.MustBeGreaterThan != nil && got <= *r.MustBeGreaterThan:
					t.Errorf("%s: measured %v, mustBeGreaterThan %v", name, got, *r.MustBeGreaterThan)
				case r.MustBe == nil && r.MustBeGreaterThan == nil:
					t.Errorf("%s: no operator the test understands", name)
				}
			}
			if len(obj.Quality) == 0 {
				t.Errorf("%s: no schema-level quality rules", obj.Name)
			}
			for _, r := range obj.Quality {
				check("", r)
			}
			for _, p := range obj.Properties {
				for _, r := range p.Quality {
					check(p.Name, r)
				}
			}
		}
	}
}
