package spec

import "fmt"

// Severities of a Diagnostic.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Kinds of document.
const (
	KindDataProduct  = "DataProduct"
	KindDataContract = "DataContract"
)

// Diagnostic is one located finding. Severity is "error" or "warning".
type Diagnostic struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"` // 1-based, 0 if unknown
	Column   int    `json:"column,omitempty"`
	Path     string `json:"path,omitempty"` // JSON pointer into the document, e.g. /schema/0/properties/2/logicalType
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// String formats d as "file:line:col: path: message", leaving out what is unknown.
func (d Diagnostic) String() string {
	s := d.File
	if d.Line > 0 {
		s += fmt.Sprintf(":%d", d.Line)
		if d.Column > 0 {
			s += fmt.Sprintf(":%d", d.Column)
		}
	}
	if s != "" {
		s += ": "
	}
	if d.Path != "" {
		s += d.Path + ": "
	}
	if d.Severity == SeverityWarning {
		s += "warning: "
	}
	return s + d.Message
}

// File is the result of parsing one file.
type File struct {
	Products  []*Product
	Contracts []*Contract
	Warnings  []Diagnostic // what we parse but do not yet honour
}

// Description is the description object of both standards. ODCS and ODPS
// also allow authoritativeDefinitions and customProperties in it; those stay
// in Doc.
type Description struct {
	Purpose     string `yaml:"purpose,omitempty"`
	Limitations string `yaml:"limitations,omitempty"`
	Usage       string `yaml:"usage,omitempty"`
}

// Product is an ODPS data product. The yaml tags are used only when a Product
// built in code (with an empty Doc) is exported.
type Product struct {
	APIVersion  string       `yaml:"apiVersion"`
	Kind        string       `yaml:"kind"`
	ID          string       `yaml:"id"`
	Name        string       `yaml:"name,omitempty"`
	Version     string       `yaml:"version,omitempty"`
	Status      string       `yaml:"status"`
	Domain      string       `yaml:"domain,omitempty"`
	Tenant      string       `yaml:"tenant,omitempty"`
	Description Description  `yaml:"description,omitempty"`
	Tags        []string     `yaml:"tags,omitempty"`
	InputPorts  []InputPort  `yaml:"inputPorts,omitempty"`
	OutputPorts []OutputPort `yaml:"outputPorts,omitempty"`
	Team        *Team        `yaml:"team,omitempty"`
	Support     []Support    `yaml:"support,omitempty"`
	// CustomProperties carry Meshwork's extensions, e.g. compatibility.
	CustomProperties []CustomProperty `yaml:"customProperties,omitempty"`
	Doc              Doc              `yaml:"-"`
	Warnings         []Diagnostic     `yaml:"-"` // this document's warnings (also in File.Warnings)
}

// InputPort is an ODPS input port: the contract a product reads.
type InputPort struct {
	Name       string `yaml:"name"`
	Version    string `yaml:"version"`
	ContractID string `yaml:"contractId"`
}

// OutputPort is an ODPS output port: the contract a product promises.
type OutputPort struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	Type        string `yaml:"type,omitempty"`
	Version     string `yaml:"version"`
	ContractID  string `yaml:"contractId,omitempty"`
}

// Team owns a product or contract. ODCS before 3.1 wrote the team as a bare
// list of members; that form is read into Members with an empty Name.
type Team struct {
	Name        string       `yaml:"name,omitempty"`
	Description string       `yaml:"description,omitempty"`
	Members     []TeamMember `yaml:"members,omitempty"`
}

// TeamMember is one member of a Team. Dates stay in Doc.
type TeamMember struct {
	Username    string `yaml:"username"`
	Name        string `yaml:"name,omitempty"`
	Role        string `yaml:"role,omitempty"`
	Description string `yaml:"description,omitempty"`
}

// Support is a support channel.
type Support struct {
	Channel     string `yaml:"channel"`
	URL         string `yaml:"url,omitempty"`
	Tool        string `yaml:"tool,omitempty"`
	Scope       string `yaml:"scope,omitempty"`
	Description string `yaml:"description,omitempty"`
}

// Contract is an ODCS data contract.
type Contract struct {
	APIVersion  string        `yaml:"apiVersion"`
	Kind        string        `yaml:"kind"`
	ID          string        `yaml:"id"`
	Name        string        `yaml:"name,omitempty"`
	Version     string        `yaml:"version"`
	Status      string        `yaml:"status"`
	Domain      string        `yaml:"domain,omitempty"`
	DataProduct string        `yaml:"dataProduct,omitempty"` // deprecated by ODCS 3.1 but still read
	Tenant      string        `yaml:"tenant,omitempty"`
	Description Description   `yaml:"description,omitempty"`
	Tags        []string      `yaml:"tags,omitempty"`
	Schema      []Object      `yaml:"schema,omitempty"`
	SLA         []SLAProperty `yaml:"slaProperties,omitempty"`
	Team        *Team         `yaml:"team,omitempty"`
	Support     []Support     `yaml:"support,omitempty"`
	Roles       []Role        `yaml:"roles,omitempty"`
	// CustomProperties carry Meshwork's extensions, e.g. sunset.
	CustomProperties []CustomProperty `yaml:"customProperties,omitempty"`
	Doc              Doc              `yaml:"-"`
	Warnings         []Diagnostic     `yaml:"-"` // this document's warnings (also in File.Warnings)
}

// Object is an ODCS schema object: one table.
type Object struct {
	ID                         string     `yaml:"id,omitempty"` // ODCS stable id: the same id under another name is a rename
	Name                       string     `yaml:"name"`
	PhysicalName               string     `yaml:"physicalName,omitempty"`
	PhysicalType               string     `yaml:"physicalType,omitempty"`
	BusinessName               string     `yaml:"businessName,omitempty"`
	Description                string     `yaml:"description,omitempty"`
	DataGranularityDescription string     `yaml:"dataGranularityDescription,omitempty"`
	Tags                       []string   `yaml:"tags,omitempty"`
	Properties                 []Property `yaml:"properties,omitempty"`
	Quality                    []Rule     `yaml:"quality,omitempty"`
	Path                       string     `yaml:"-"` // JSON pointer of this object in its document
}

// Property is an ODCS schema property: a column, a nested field, or the
// element of an array (Items, which has no name).
type Property struct {
	ID                   string         `yaml:"id,omitempty"` // ODCS stable id: the same id under another name is a rename
	Name                 string         `yaml:"name,omitempty"`
	PhysicalName         string         `yaml:"physicalName,omitempty"`
	PhysicalType         string         `yaml:"physicalType,omitempty"`
	BusinessName         string         `yaml:"businessName,omitempty"`
	Description          string         `yaml:"description,omitempty"`
	LogicalType          string         `yaml:"logicalType,omitempty"` // as written, or inferred from PhysicalType when absent
	LogicalTypeOptions   map[string]any `yaml:"logicalTypeOptions,omitempty"`
	Required             bool           `yaml:"required,omitempty"`
	Unique               bool           `yaml:"unique,omitempty"`
	PrimaryKey           bool           `yaml:"primaryKey,omitempty"`
	Partitioned          bool           `yaml:"partitioned,omitempty"`
	CriticalDataElement  bool           `yaml:"criticalDataElement,omitempty"`
	PrimaryKeyPosition   int            `yaml:"primaryKeyPosition,omitempty"`   // -1 or 0 when absent, as in the document
	PartitionKeyPosition int            `yaml:"partitionKeyPosition,omitempty"` // -1 or 0 when absent, as in the document
	Classification       string         `yaml:"classification,omitempty"`
	Tags                 []string       `yaml:"tags,omitempty"`
	Examples             []any          `yaml:"examples,omitempty"`
	Quality              []Rule         `yaml:"quality,omitempty"`
	Items                *Property      `yaml:"items,omitempty"`      // for logicalType array
	Properties           []Property     `yaml:"properties,omitempty"` // for logicalType object
	// Not in the brief's shape, kept because a warning is issued for them:
	EncryptedName  string `yaml:"encryptedName,omitempty"`
	TransformLogic string `yaml:"transformLogic,omitempty"`
	// CustomProperties carry Meshwork's extensions, e.g. partitionTransform.
	CustomProperties []CustomProperty `yaml:"customProperties,omitempty"`
	Path             string           `yaml:"-"`
}

// CustomProperty is an ODCS customProperties entry.
type CustomProperty struct {
	Property string `yaml:"property"`
	Value    any    `yaml:"value"`
}

// Custom returns the value of the named custom property, if set.
func Custom(cps []CustomProperty, name string) (any, bool) {
	for _, cp := range cps {
		if cp.Property == name {
			return cp.Value, true
		}
	}
	return nil, false
}

// Rule is an ODCS quality rule, at schema object or property level.
//
// Numbers from the document are int64 or float64 in the `any` fields; the
// comparison operators are float64 because the quality gate compares measured
// values as doubles.
type Rule struct {
	Type        string         `yaml:"type,omitempty"`   // "library" (the default), "sql", "custom", "text"
	Metric      string         `yaml:"metric,omitempty"` // ODCS 3.1 metric; the pre-3.1 `rule` key is read as an alias
	Name        string         `yaml:"name,omitempty"`
	Description string         `yaml:"description,omitempty"`
	Dimension   string         `yaml:"dimension,omitempty"`
	Severity    string         `yaml:"severity,omitempty"`
	Unit        string         `yaml:"unit,omitempty"`
	Engine      string         `yaml:"engine,omitempty"` // for type custom
	Query       string         `yaml:"query,omitempty"`  // for type sql
	Arguments   map[string]any `yaml:"arguments,omitempty"`
	Schedule    string         `yaml:"schedule,omitempty"`  // not honoured: rules run at every publish
	Scheduler   string         `yaml:"scheduler,omitempty"` // not honoured

	MustBe                 any         `yaml:"mustBe,omitempty"`
	MustNotBe              any         `yaml:"mustNotBe,omitempty"`
	MustBeGreaterThan      *float64    `yaml:"mustBeGreaterThan,omitempty"`
	MustBeGreaterOrEqualTo *float64    `yaml:"mustBeGreaterOrEqualTo,omitempty"`
	MustBeLessThan         *float64    `yaml:"mustBeLessThan,omitempty"`
	MustBeLessOrEqualTo    *float64    `yaml:"mustBeLessOrEqualTo,omitempty"`
	MustBeBetween          *[2]float64 `yaml:"mustBeBetween,omitempty"`
	MustNotBeBetween       *[2]float64 `yaml:"mustNotBeBetween,omitempty"`
	Path                   string      `yaml:"-"`
}

// Operators returns how many comparison operators the rule sets; a runnable
// rule has exactly one. A `mustBe: null` in the document does not count.
func (r Rule) Operators() int {
	n := 0
	for _, set := range []bool{r.MustBe != nil, r.MustNotBe != nil,
		r.MustBeGreaterThan != nil, r.MustBeGreaterOrEqualTo != nil,
		r.MustBeLessThan != nil, r.MustBeLessOrEqualTo != nil,
		r.MustBeBetween != nil, r.MustNotBeBetween != nil} {
		if set {
			n++
		}
	}
	return n
}

// SLAProperty is one ODCS service-level property (latency, frequency,
// retention, ...). Value and ValueExt are string, int64, float64, bool or nil.
type SLAProperty struct {
	Property string `yaml:"property"`
	Value    any    `yaml:"value"`
	ValueExt any    `yaml:"valueExt,omitempty"`
	Unit     string `yaml:"unit,omitempty"`
	Element  string `yaml:"element,omitempty"`
	Driver   string `yaml:"driver,omitempty"`
}

// Role is an ODCS access role. Roles are kept but not yet enforced (grants
// live in internal/access).
type Role struct {
	Role                 string `yaml:"role"`
	Access               string `yaml:"access,omitempty"`
	Description          string `yaml:"description,omitempty"`
	FirstLevelApprovers  string `yaml:"firstLevelApprovers,omitempty"`
	SecondLevelApprovers string `yaml:"secondLevelApprovers,omitempty"`
}
