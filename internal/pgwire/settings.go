package pgwire

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// serverVersion is what clients are told; drivers parse the leading number.
const serverVersion = "15.0 (Meshwork)"

// settings are a session's parameters. Only settings that cannot change
// what a query reads or how much it may use are settable; everything else
// is refused here and never reaches DuckDB.
type settings struct {
	values  map[string]string // canonical lower-case name -> value
	timeout time.Duration     // statement_timeout; 0: the engine's limit
}

// setting describes one parameter: its default, how a value is checked and
// normalised, and whether changes are reported with ParameterStatus.
type setting struct {
	name     string // as PostgreSQL spells it in ParameterStatus
	def      string
	report   bool
	readOnly bool
	check    func(string) (string, error)
}

func anyValue(v string) (string, error) {
	if len(v) > 256 {
		return "", newPgError(codeInvalidParam, "the value is longer than 256 bytes")
	}
	return v, nil
}

func oneOf(name string, vals ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		for _, ok := range vals {
			if strings.EqualFold(strings.ReplaceAll(v, " ", ""), strings.ReplaceAll(ok, " ", "")) {
				return vals[0], nil
			}
		}
		return "", newPgError(codeFeature, "%s %q is not supported: Meshwork supports only %s", name, clip(v), vals[0])
	}
}

func onOff(v string) (string, error) {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return "on", nil
	case "off", "false", "no", "0":
		return "off", nil
	}
	return "", newPgError(codeInvalidParam, "parameter requires a Boolean value")
}

func intRange(lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return "", newPgError(codeInvalidParam, "%q is outside the valid range (%d .. %d)", clip(v), lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

func durationValue(v string) (string, error) {
	if _, err := parseDuration(v); err != nil {
		return "", err
	}
	return v, nil
}

// parseDuration reads a PostgreSQL time setting: milliseconds, or a number
// with a unit (ms, s, min, h, d).
func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(strings.ToLower(v))
	i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := v, "ms"
	if i >= 0 {
		num, unit = strings.TrimSpace(v[:i]), strings.TrimSpace(v[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	mult := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[unit]
	if err != nil || f < 0 || mult == 0 || f > float64(1<<31) {
		return 0, newPgError(codeInvalidParam, "invalid value for a time setting: %q", clip(v))
	}
	return time.Duration(f * float64(mult)), nil
}

var knownSettings = func() map[string]setting {
	list := []setting{
		{name: "application_name", def: "", report: true, check: anyValue},
		{name: "client_encoding", def: "UTF8", report: true, check: oneOf("client_encoding", "UTF8", "UTF-8", "unicode")},
		{name: "DateStyle", def: "ISO, MDY", report: true, check: oneOf("DateStyle", "ISO, MDY", "ISO")},
		{name: "TimeZone", def: "UTC", report: true, check: oneOf("TimeZone", "UTC", "Etc/UTC", "GMT", "Z", "+00", "0", "+00:00", "Etc/GMT", "Universal", "Zulu")},
		{name: "IntervalStyle", def: "postgres", report: true, check: oneOf("IntervalStyle", "postgres")},
		{name: "extra_float_digits", def: "1", check: intRange(-15, 3)},
		{name: "search_path", def: `"$user", public`, check: anyValue},
		{name: "statement_timeout", def: "0", check: durationValue},
		{name: "lock_timeout", def: "0", check: durationValue},
		{name: "idle_in_transaction_session_timeout", def: "0", check: durationValue},
		{name: "client_min_messages", def: "notice", check: oneOf("client_min_messages", "notice", "debug5", "debug4", "debug3", "debug2", "debug1", "log", "info", "warning", "error")},
		{name: "standard_conforming_strings", def: "on", report: true, check: oneOf("standard_conforming_strings", "on")},
		{name: "bytea_output", def: "hex", check: oneOf("bytea_output", "hex")},
		{name: "default_transaction_read_only", def: "on", check: onOff},
		{name: "default_transaction_isolation", def: "read committed", check: anyValue},
		{name: "transaction_isolation", def: "read committed", check: anyValue},
		{name: "transaction_read_only", def: "on", readOnly: true},
		{name: "server_version", def: serverVersion, report: true, readOnly: true},
		{name: "server_version_num", def: "150000", readOnly: true},
		{name: "server_encoding", def: "UTF8", report: true, readOnly: true},
		{name: "integer_datetimes", def: "on", report: true, readOnly: true},
		{name: "is_superuser", def: "off", report: true, readOnly: true},
		{name: "session_authorization", def: "", report: true, readOnly: true},
		{name: "max_identifier_length", def: "63", readOnly: true},
		{name: "lc_collate", def: "C", readOnly: true},
		{name: "lc_ctype", def: "C", readOnly: true},
		{name: "jit", def: "off", check: onOff},
	}
	m := make(map[string]setting, len(list))
	for _, s := range list {
		m[strings.ToLower(s.name)] = s
	}
	return m
}()

func newSettings(user string) *settings {
	s := &settings{values: map[string]string{}}
	for k, def := range knownSettings {
		s.values[k] = def.def
	}
	s.values["session_authorization"] = user
	return s
}

// set checks and stores a value; it returns the setting for reporting.
func (s *settings) set(name, value string, def bool) (setting, error) {
	k := strings.ToLower(name)
	st, ok := knownSettings[k]
	if !ok {
		return st, newPgError(codeUndefinedObject, "unrecognized configuration parameter %q", clip(name))
	}
	if st.readOnly {
		if k == "session_authorization" && (def || value == s.values[k]) {
			return st, nil
		}
		return st, newPgError(codeFeature, "parameter %q cannot be changed", st.name)
	}
	v := st.def
	if !def {
		var err error
		if v, err = st.check(value); err != nil {
			return st, err
		}
	}
	if k == "statement_timeout" {
		d, _ := parseDuration(v)
		s.timeout = d
	}
	s.values[k] = v
	return st, nil
}

// show returns a setting's value.
func (s *settings) show(name string) (string, string, error) {
	k := strings.ToLower(name)
	st, ok := knownSettings[k]
	if !ok {
		return "", "", newPgError(codeUndefinedObject, "unrecognized configuration parameter %q", clip(name))
	}
	return st.name, s.values[k], nil
}

// all lists every setting, sorted, for SHOW ALL.
func (s *settings) all() [][2]string {
	var out [][2]string
	for k, st := range knownSettings {
		out = append(out, [2]string{st.name, s.values[k]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// reported lists the settings a client is told of at startup.
func (s *settings) reported() [][2]string {
	var out [][2]string
	for _, kv := range s.all() {
		if knownSettings[strings.ToLower(kv[0])].report {
			out = append(out, kv)
		}
	}
	return out
}

func (s *settings) String() string { return fmt.Sprint(s.values) }
