package lineage

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sender delivers an emitted event. The platform's sender must not block
// its caller: publishing never waits for a lineage endpoint.
type Sender interface {
	Send(ctx context.Context, url, contentType string, body []byte) error
}

// Producer is the producer URI of emitted events.
const Producer = "https://github.com/meshwork/meshwork"

// Facet schema URLs of emitted events.
const (
	schemaFacetURL     = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
	qualityFacetURL    = "https://openlineage.io/spec/facets/1-0-1/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet"
	statsFacetURL      = "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet"
	versionFacetURL    = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
	errorFacetURL      = "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
	jobTypeFacetURL    = "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
	runNamespaceUUIDv5 = "6ba7b811-9dad-11d1-80b4-00c04fd430c8" // RFC 4122 URL namespace
)

// PublishRun is what an emitted event says of one publish run.
type PublishRun struct {
	RunID                   string // the publish run id
	Domain, Product, Table  string
	Status                  string // committed, gate_failed, failed, ...
	Started, Finished       time.Time
	Columns                 []Column
	Checks                  []Check // the contract's constraints and quality rules
	Rows, Bytes, SnapshotID int64
	Problems                []string // why the run failed, if it did
}

// Column is a column of the published table.
type Column struct {
	Name        string `json:"name"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
}

// Check is one rule result of a run.
type Check struct {
	Name    string `json:"assertion"`
	Column  string `json:"column,omitempty"`
	Success bool   `json:"success"`
}

// RunUUID derives the OpenLineage run id of a publish run: a name-based
// (version 5) UUID, the same for the same run id, as OpenLineage wants one
// id per run across its events.
func RunUUID(runID string) string {
	ns := strings.ReplaceAll(runNamespaceUUIDv5, "-", "")
	var nsb [16]byte
	for i := range nsb {
		v, _ := strconv.ParseUint(ns[2*i:2*i+2], 16, 8)
		nsb[i] = byte(v)
	}
	h := sha1.New()
	h.Write(nsb[:])
	h.Write([]byte("meshwork:publish:" + runID))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// facet builds a facet with the standard _producer and _schemaURL fields.
func facet(schemaURL string, fields map[string]any) json.RawMessage {
	fields["_producer"] = Producer
	fields["_schemaURL"] = schemaURL
	b, _ := json.Marshal(fields)
	return b
}

// RunEvent builds the OpenLineage event of a recorded publish: COMPLETE for
// a commit, FAIL otherwise. Its inputs are the table's upstream tables and
// datasets in the graph; its output the table, with its schema, the rule
// results, the statistics of the run and the snapshot as dataset version.
func (s *Store) RunEvent(ctx context.Context, r PublishRun) ([]byte, error) {
	table := r.Domain + "." + r.Product + "." + r.Table
	e := Event{
		EventType: EventFail,
		EventTime: r.Finished.UTC().Format(time.RFC3339Nano),
		Run:       &Run{RunID: RunUUID(r.RunID)},
		Job: &Job{Namespace: s.ns, Name: "publish." + table, Facets: map[string]json.RawMessage{
			"jobType": facet(jobTypeFacetURL, map[string]any{"processingType": "BATCH", "integration": "MESHWORK", "jobType": "PUBLISH"}),
		}},
		Inputs:    []*Dataset{},
		Producer:  Producer,
		SchemaURL: SchemaURL,
	}
	if r.Status == "committed" {
		e.EventType = EventComplete
	} else {
		msg := "publish " + r.Status
		if len(r.Problems) > 0 {
			msg += ": " + strings.Join(r.Problems, "; ")
		}
		e.Run.Facets = map[string]json.RawMessage{"errorMessage": facet(errorFacetURL, map[string]any{"message": msg, "programmingLanguage": "go"})}
	}
	g, err := s.graph(ctx)
	if err != nil {
		return nil, err
	}
	// A table's in-edges come from tables and external datasets only; the
	// walk visits each once.
	g.walk(table, false, 1, func(st step) {
		if d, ok := g.datasets[st.id]; ok {
			if d.field == "" {
				e.Inputs = append(e.Inputs, &Dataset{Namespace: d.namespace, Name: d.name})
			}
		} else if !strings.Contains(st.id, "/") && strings.Count(st.id, ".") == 2 {
			e.Inputs = append(e.Inputs, &Dataset{Namespace: s.ns, Name: st.id})
		}
	}, func(int32) {})
	fields := make([]map[string]any, 0, len(r.Columns))
	for _, c := range r.Columns {
		f := map[string]any{"name": c.Name, "type": c.Type}
		if c.Description != "" {
			f["description"] = c.Description
		}
		fields = append(fields, f)
	}
	checks := r.Checks
	if checks == nil {
		checks = []Check{}
	}
	out := &Dataset{Namespace: s.ns, Name: table, Facets: map[string]json.RawMessage{
		"schema":                facet(schemaFacetURL, map[string]any{"fields": fields}),
		"dataQualityAssertions": facet(qualityFacetURL, map[string]any{"assertions": checks}),
	}}
	if r.SnapshotID != 0 {
		out.Facets["version"] = facet(versionFacetURL, map[string]any{"datasetVersion": strconv.FormatInt(r.SnapshotID, 10)})
	}
	out.OutputFacets = map[string]json.RawMessage{
		"outputStatistics": facet(statsFacetURL, map[string]any{"rowCount": r.Rows, "size": r.Bytes}),
	}
	e.Outputs = []*Dataset{out}
	return json.Marshal(e)
}
