package lineage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// SchemaURL is the OpenLineage RunEvent schema events are written against.
const SchemaURL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"

// The event types of a RunEvent.
const (
	EventStart    = "START"
	EventRunning  = "RUNNING"
	EventComplete = "COMPLETE"
	EventAbort    = "ABORT"
	EventFail     = "FAIL"
	EventOther    = "OTHER"
)

// Limits of an accepted event.
const (
	MaxEventBytes = 1 << 20 // a request body
	maxDatasets   = 1000    // inputs, outputs
	maxName       = 1024    // a namespace, name or field
	maxFields     = 10000   // columnLineage fields of one output
	maxPairs      = 10000   // inputs × outputs: the table edges one event may add
)

// Event is an OpenLineage RunEvent (spec 2-0-2). Facets are kept as raw
// JSON: lineage reads only columnLineage and passes the others through.
type Event struct {
	EventType string     `json:"eventType,omitempty"`
	EventTime string     `json:"eventTime"`
	Run       *Run       `json:"run"`
	Job       *Job       `json:"job"`
	Inputs    []*Dataset `json:"inputs,omitempty"`
	Outputs   []*Dataset `json:"outputs,omitempty"`
	Producer  string     `json:"producer"`
	SchemaURL string     `json:"schemaURL"`

	time time.Time
}

// Run is the run of an event.
type Run struct {
	RunID  string                     `json:"runId"`
	Facets map[string]json.RawMessage `json:"facets,omitempty"`
}

// Job is the job of an event.
type Job struct {
	Namespace string                     `json:"namespace"`
	Name      string                     `json:"name"`
	Facets    map[string]json.RawMessage `json:"facets,omitempty"`
}

// Dataset is an input or output of a run.
type Dataset struct {
	Namespace    string                     `json:"namespace"`
	Name         string                     `json:"name"`
	Facets       map[string]json.RawMessage `json:"facets,omitempty"`
	InputFacets  map[string]json.RawMessage `json:"inputFacets,omitempty"`
	OutputFacets map[string]json.RawMessage `json:"outputFacets,omitempty"`

	columns map[string][]FieldRef // from the columnLineage facet
}

// FieldRef names a field of a dataset, as the columnLineage facet does.
type FieldRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Field     string `json:"field"`
}

// columnLineage is the columnLineage dataset facet.
type columnLineage struct {
	Fields map[string]struct {
		InputFields []FieldRef `json:"inputFields"`
	} `json:"fields"`
}

// Time is the event time.
func (e *Event) Time() time.Time { return e.time }

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ParseEvent decodes and validates a RunEvent. Every error is Invalid and
// starts with the path of the field at fault, e.g. "run.runId: must be a UUID".
func ParseEvent(b []byte) (*Event, error) {
	const op = "lineage.ParseEvent"
	bad := func(field, format string, args ...any) error {
		return errs.E(errs.Invalid, op, "%s: %s", field, fmt.Sprintf(format, args...))
	}
	if len(b) > MaxEventBytes {
		return nil, bad("body", "larger than %d bytes", MaxEventBytes)
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] != '{' && json.Valid(t) {
		return nil, bad("body", "must be a JSON object") // null would decode as an empty event
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var e Event
	if err := dec.Decode(&e); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return nil, bad(te.Field, "must be %s", jsonKind(te.Type.Kind().String()))
		case errors.As(err, &te):
			return nil, bad("body", "must be a JSON object")
		case errors.As(err, &se):
			return nil, bad("body", "not JSON (offset %d)", se.Offset)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, bad("body", "not JSON: empty or cut short")
		default:
			return nil, bad("body", "not JSON")
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("body", "trailing data after the event")
	}
	switch e.EventType {
	case "", EventStart, EventRunning, EventComplete, EventAbort, EventFail, EventOther:
	default:
		return nil, bad("eventType", "must be one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER")
	}
	if e.EventTime == "" {
		return nil, bad("eventTime", "required")
	}
	t, err := time.Parse(time.RFC3339Nano, e.EventTime)
	if err != nil {
		return nil, bad("eventTime", "not RFC 3339")
	}
	e.time = t
	if e.Run == nil {
		return nil, bad("run", "required")
	}
	if e.Run.RunID == "" {
		return nil, bad("run.runId", "required")
	}
	if !uuidRE.MatchString(e.Run.RunID) {
		return nil, bad("run.runId", "must be a UUID")
	}
	if e.Job == nil {
		return nil, bad("job", "required")
	}
	if err := checkName("job.namespace", e.Job.Namespace); err != nil {
		return nil, err
	}
	if err := checkName("job.name", e.Job.Name); err != nil {
		return nil, err
	}
	if err := checkURI("producer", e.Producer); err != nil {
		return nil, err
	}
	if err := checkURI("schemaURL", e.SchemaURL); err != nil {
		return nil, err
	}
	for _, side := range []struct {
		name string
		ds   []*Dataset
	}{{"inputs", e.Inputs}, {"outputs", e.Outputs}} {
		if len(side.ds) > maxDatasets {
			return nil, bad(side.name, "more than %d datasets", maxDatasets)
		}
		for i, d := range side.ds {
			at := fmt.Sprintf("%s[%d]", side.name, i)
			if d == nil {
				return nil, bad(at, "must be an object")
			}
			if err := checkName(at+".namespace", d.Namespace); err != nil {
				return nil, err
			}
			if err := checkName(at+".name", d.Name); err != nil {
				return nil, err
			}
			if err := d.parseColumns(at); err != nil {
				return nil, err
			}
		}
	}
	if len(e.Inputs)*len(e.Outputs) > maxPairs {
		return nil, bad("outputs", "%d inputs and %d outputs make more than %d edges: split the event", len(e.Inputs), len(e.Outputs), maxPairs)
	}
	return &e, nil
}

// parseColumns reads the columnLineage facet of a dataset, if any.
func (d *Dataset) parseColumns(at string) error {
	raw, ok := d.Facets["columnLineage"]
	if !ok {
		return nil
	}
	at += ".facets.columnLineage"
	var cl columnLineage
	if err := json.Unmarshal(raw, &cl); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return errs.E(errs.Invalid, "lineage.ParseEvent", "%s.%s: must be %s", at, te.Field, jsonKind(te.Type.Kind().String()))
		}
		return errs.E(errs.Invalid, "lineage.ParseEvent", "%s: must be an object with fields", at)
	}
	if len(cl.Fields) > maxFields {
		return errs.E(errs.Invalid, "lineage.ParseEvent", "%s.fields: more than %d fields", at, maxFields)
	}
	d.columns = map[string][]FieldRef{}
	keys := make([]string, 0, len(cl.Fields))
	for k := range cl.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first error named is the same on every run
	for _, k := range keys {
		fat := fmt.Sprintf("%s.fields[%q]", at, k)
		if err := checkName(fat, k); err != nil {
			return err
		}
		for j, f := range cl.Fields[k].InputFields {
			iat := fmt.Sprintf("%s.inputFields[%d]", fat, j)
			for _, c := range []struct{ n, v string }{{"namespace", f.Namespace}, {"name", f.Name}, {"field", f.Field}} {
				if err := checkName(iat+"."+c.n, c.v); err != nil {
					return err
				}
			}
		}
		d.columns[k] = cl.Fields[k].InputFields
	}
	return nil
}

func checkName(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return errs.E(errs.Invalid, "lineage.ParseEvent", "%s: required", field)
	case len(v) > maxName:
		return errs.E(errs.Invalid, "lineage.ParseEvent", "%s: longer than %d bytes", field, maxName)
	case strings.ContainsAny(v, "\x00\n\r"):
		return errs.E(errs.Invalid, "lineage.ParseEvent", "%s: holds a control character", field)
	}
	return nil
}

func checkURI(field, v string) error {
	if v == "" {
		return errs.E(errs.Invalid, "lineage.ParseEvent", "%s: required", field)
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || len(v) > maxName {
		return errs.E(errs.Invalid, "lineage.ParseEvent", "%s: must be an absolute URI", field)
	}
	return nil
}

// jsonKind names a Go kind as the JSON type that decodes into it.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "struct", "map", "ptr":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	default:
		return "a number"
	}
}
