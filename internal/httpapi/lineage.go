package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lineage"
)

// Lineage: OpenLineage events in, traversals out. Authorization is the
// lineage store's (deny by default, per dataset); this layer reads the
// request, audits what was accepted or refused, and writes the answer.

// LineageGraph is what the API reads and writes of the lineage graph
// (internal/lineage.Store).
type LineageGraph interface {
	Ingest(ctx context.Context, e *lineage.Event) (lineage.Ingested, error)
	Query(ctx context.Context, root string, dir lineage.Direction, depth int) (*lineage.Graph, error)
}

func (s *Server) lineageRoutes() {
	if s.lineage == nil {
		return
	}
	s.mux.HandleFunc("POST /api/v1/lineage", s.handleLineageEvent)
	s.mux.HandleFunc("GET /api/v1/lineage/{node}", s.handleLineage)
}

func (s *Server) handleLineageEvent(w http.ResponseWriter, r *http.Request) {
	const op = "http.lineage"
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, lineage.MaxEventBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			err = errs.E(errs.TooLarge, op, "body: an OpenLineage event may hold at most %d bytes", lineage.MaxEventBytes)
		} else {
			err = errs.Wrap(errs.Invalid, op, err, "body: could not be read")
		}
		s.fail(w, r, err)
		return
	}
	ev, err := lineage.ParseEvent(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.lineage.Ingest(r.Context(), ev)
	resource := "job:" + ev.Job.Namespace + "/" + ev.Job.Name
	if err != nil {
		if errs.Is(err, errs.Forbidden) {
			s.record(r, "lineage.event", clipText(resource, 200), err, map[string]any{"runId": ev.Run.RunID, "eventType": ev.EventType})
		}
		s.fail(w, r, err)
		return
	}
	s.record(r, "lineage.event", clipText(resource, 200), nil, res)
	writeJSON(w, http.StatusAccepted, res)
}

func (s *Server) handleLineage(w http.ResponseWriter, r *http.Request) {
	const op = "http.lineage"
	q := r.URL.Query()
	dir, err := lineage.ParseDirection(q.Get("direction"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	depth := 1
	if v := q.Get("depth"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > lineage.MaxDepth {
			s.fail(w, r, errs.E(errs.Invalid, op, "depth: must be a whole number from 1 to %d", lineage.MaxDepth))
			return
		}
		depth = n
	}
	g, err := s.lineage.Query(r.Context(), r.PathValue("node"), dir, depth)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}
