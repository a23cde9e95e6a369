package schema

import (
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
)

// Mode is a compatibility mode. The names and their meaning are Confluent
// Schema Registry's, so that people who know Kafka know them already; they
// apply to the tables of a contract instead of to one record schema.
type Mode string

// The compatibility modes.
const (
	ModeBackward           Mode = "BACKWARD"
	ModeBackwardTransitive Mode = "BACKWARD_TRANSITIVE"
	ModeForward            Mode = "FORWARD"
	ModeForwardTransitive  Mode = "FORWARD_TRANSITIVE"
	ModeFull               Mode = "FULL"
	ModeFullTransitive     Mode = "FULL_TRANSITIVE"
	ModeNone               Mode = "NONE"
	// DefaultMode is transitive because a lake keeps every version's data:
	// a reader on the newest contract still scans files written under the
	// first version of the major, not only under the previous one.
	DefaultMode = ModeBackwardTransitive
)

var modes = []Mode{ModeBackward, ModeBackwardTransitive, ModeForward, ModeForwardTransitive, ModeFull, ModeFullTransitive, ModeNone}

// Modes returns every mode, in documentation order.
func Modes() []Mode { return append([]Mode(nil), modes...) }

// ParseMode reads a mode name, ignoring case and surrounding spaces. An empty
// string is an error too: a contract that names no mode gets DefaultMode from
// its caller, not from a blank value that may be a mistake.
func ParseMode(s string) (Mode, error) {
	m := Mode(strings.ToUpper(strings.TrimSpace(s)))
	for _, k := range modes {
		if m == k {
			return k, nil
		}
	}
	names := make([]string, len(modes))
	for i, k := range modes {
		names[i] = string(k)
	}
	shown := s
	if len(shown) > 80 {
		shown = shown[:80] + "..."
	}
	return "", errs.E(errs.Invalid, "schema.ParseMode", "unknown compatibility mode %+q: want one of %s", shown, strings.Join(names, ", "))
}

// Backward reports whether m requires that readers on the new version can
// read data written under earlier ones.
func (m Mode) Backward() bool {
	return m == ModeBackward || m == ModeBackwardTransitive || m == ModeFull || m == ModeFullTransitive
}

// Forward reports whether m requires that readers on earlier versions can
// read data written under the new one.
func (m Mode) Forward() bool {
	return m == ModeForward || m == ModeForwardTransitive || m == ModeFull || m == ModeFullTransitive
}

// Transitive reports whether m checks against every earlier version of the
// major rather than only the latest.
func (m Mode) Transitive() bool {
	return m == ModeBackwardTransitive || m == ModeForwardTransitive || m == ModeFullTransitive
}

// effective is the mode Check applies: "" is DefaultMode, and a name
// ParseMode would refuse is checked as the strictest mode so that a typo can
// never loosen the check.
func (m Mode) effective() Mode {
	switch {
	case m == "":
		return DefaultMode
	case m.Backward() || m.Forward() || m == ModeNone:
		return m
	}
	return ModeFullTransitive
}

// Rule is one row of the rule table.
type Rule struct {
	ID       string // stable kebab-case id, e.g. "drop-optional-column"
	Change   string // what changed, as the docs say it
	Backward bool   // a reader on the new version can read data written under the old one
	Forward  bool   // a reader on the old version can read data written under the new one
	Breaking bool   // breaks consumers' SQL: refused within a major whatever the mode
	Note     string // why, one sentence
}

// Rule ids. The differ emits only these constants; TestRulesComplete checks
// that each one is a row of the table.
const (
	ruleAddTable                     = "add-table"
	ruleDropTable                    = "drop-table"
	ruleRenameTable                  = "rename-table"
	ruleAddOptionalColumn            = "add-optional-column"
	ruleAddRequiredColumn            = "add-required-column"
	ruleAddRequiredColumnWithDefault = "add-required-column-with-default"
	ruleDropOptionalColumn           = "drop-optional-column"
	ruleDropRequiredColumn           = "drop-required-column"
	ruleRenameColumn                 = "rename-column"
	rulePromoteType                  = "promote-type"
	ruleChangeType                   = "change-type"
	ruleRequiredToOptional           = "required-to-optional"
	ruleOptionalToRequired           = "optional-to-required"
	ruleChangePartitioning           = "change-partitioning"
	ruleChangePrimaryKey             = "change-primary-key"
	ruleTightenClassification        = "tighten-classification"
)

// rules is the rule table; docs/compatibility.md shows the same rows
// (TestRuleTableInDocs keeps them equal).
var rules = []Rule{
	{ruleAddTable, "add a table", true, true, false,
		"No reader of either version reads a table its contract does not declare."},
	{ruleDropTable, "drop a table", true, false, true,
		"Readers on the old contract still query the table, which is no longer published."},
	{ruleRenameTable, "rename a table (same ODCS id)", true, true, true,
		"The data is the same, but SQL that names the old table stops working."},
	{ruleAddOptionalColumn, "add an optional column", true, true, false,
		"Old rows read as null in the new column, and old readers ignore it."},
	{ruleAddRequiredColumn, "add a required column without a default", false, true, false,
		"Rows written before the column existed have no value for it, yet new readers expect one."},
	{ruleAddRequiredColumnWithDefault, "add a required column with a default", true, true, false,
		"Readers of old rows get the declared default, so the column is never missing."},
	{ruleDropOptionalColumn, "drop an optional column", true, true, true,
		"Old readers see null where the column was, which they allow, but SQL that names it fails."},
	{ruleDropRequiredColumn, "drop a required column", true, false, true,
		"Old readers expect a value the new data no longer carries."},
	{ruleRenameColumn, "rename a column (same ODCS id; the Iceberg field id is kept)", true, true, true,
		"Iceberg keeps the field id so the data reads fine, but SQL that names the old column fails."},
	{rulePromoteType, "int->long, float->double, decimal(P,S)->decimal(P',S) with P'>P", true, false, false,
		"Iceberg widens old values on read, but an old reader cannot hold the wider new values."},
	{ruleChangeType, "any other type change (incl. narrowing, primitive<->nested)", false, false, true,
		"Values of one type cannot be read as the other in either direction."},
	{ruleRequiredToOptional, "a required column becomes optional", true, false, false,
		"New readers accept the old non-null values, but old readers would meet nulls."},
	{ruleOptionalToRequired, "an optional column becomes required", false, true, false,
		"Old data may hold nulls that new readers do not accept."},
	{ruleChangePartitioning, "partition columns or transforms change", true, true, false,
		"Iceberg partition evolution keeps every file readable; only the layout of new files changes."},
	{ruleChangePrimaryKey, "the primary key (columns or order) changes", true, true, true,
		"Rows still read, but joins, deduplication and merges that rely on the key change meaning."},
	{ruleTightenClassification, "ordinary consumers get a mask they did not get, or a different one", true, true, true,
		"The data is intact, but consumers' queries and results see masked values they did not see before."},
}

var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(rules))
	for i, r := range rules {
		m[r.ID] = i
	}
	return m
}()

// Rules returns the rule table, in documentation order.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// RuleByID returns the rule with the given id.
func RuleByID(id string) (Rule, bool) {
	i, ok := ruleIndex[id]
	if !ok {
		return Rule{}, false
	}
	return rules[i], true
}
