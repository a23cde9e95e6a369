package policy

// Denial is one policy violation: rule "pii.classification_required", object
// "customers.crm.customer.c_phone", message "customers.crm.customer.c_phone has no classification".
type Denial struct {
	Rule    string `json:"rule"`
	Object  string `json:"object,omitempty"`
	Message string `json:"message"`
}

// String is "denied by policy RULE: MESSAGE".
func (d Denial) String() string { return "denied by policy " + d.Rule + ": " + d.Message }

// Mask methods.
const (
	MaskNull    = "null"
	MaskHash    = "hash"
	MaskPartial = "partial"
	MaskRedact  = "redact"
)

// RowFilter keeps only the rows whose Column is one of Values.
type RowFilter struct {
	Column string   `json:"column"`
	Values []string `json:"values"`
	Rule   string   `json:"rule,omitempty"`
}

// QueryDecision is what a principal sees of one table.
type QueryDecision struct {
	Masks   map[string]string `json:"masks,omitempty"` // column -> mask method
	Filters []RowFilter       `json:"rowFilters,omitempty"`
	Deny    []Denial          `json:"deny,omitempty"` // the table may not be read at all
}

// Principal is the policy's view of the caller.
type Principal struct {
	Name   string              `json:"name"`
	Groups []string            `json:"groups"`
	Attrs  map[string][]string `json:"attrs"`
	Unmask bool                `json:"unmask"` // holds the unmask right on the table's product
	Admin  bool                `json:"admin"`
}

// TableRef names a table.
type TableRef struct {
	Domain  string `json:"domain"`
	Product string `json:"product"`
	Name    string `json:"name"`
}

// Column is a column as the query policy sees it.
type Column struct {
	Name           string            `json:"name"`
	Type           string            `json:"type"` // DuckDB type, e.g. VARCHAR
	Classification string            `json:"classification,omitempty"`
	Custom         map[string]string `json:"customProperties,omitempty"`
}

// ApplyInput is the apply decision's input: the documents as JSON objects (ODPS / ODCS as written).
type ApplyInput struct {
	Principal Principal        `json:"principal"`
	Products  []map[string]any `json:"products"`
	Contracts []map[string]any `json:"contracts"`
}

// ColumnStats are measured on the data being published, for classified columns.
type ColumnStats struct {
	Nulls     int64 `json:"nulls"`
	NotHashed int64 `json:"notHashed"` // non-null values that do not look like a hex digest (md5/sha1/sha256/sha512)
}

// PublishInput is the publish decision's input.
type PublishInput struct {
	Principal Principal              `json:"principal"`
	Table     TableRef               `json:"table"`
	Mode      string                 `json:"mode"`
	Contract  map[string]any         `json:"contract"` // the ODCS document
	Columns   []Column               `json:"columns"`
	Rows      int64                  `json:"rows"`
	Stats     map[string]ColumnStats `json:"stats"` // by column
}

// QueryInput is the query decision's input, one table at a time.
type QueryInput struct {
	Principal Principal `json:"principal"`
	Table     TableRef  `json:"table"`
	Columns   []Column  `json:"columns"`
}

// TestResult is one Rego test's outcome.
type TestResult struct {
	Name    string `json:"name"` // data.pkg.test_name
	File    string `json:"file"`
	Pass    bool   `json:"pass"`
	Message string `json:"message,omitempty"`
}
