package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/spec"
)

// handleApply applies spec files: the body is one YAML file, or a
// multipart/form-data upload with one part per file.
func (s *Server) handleApply(w http.ResponseWriter, r *http.Request) {
	const op = "http.apply"
	dry, err := boolParam(r, "dry_run")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	srcs, err := s.sources(w, r, op)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	plan, err := s.apply.Apply(r.Context(), srcs, dry)
	if !dry || err != nil {
		names := make([]string, len(srcs))
		for i, src := range srcs {
			names[i] = src.Name
		}
		var steps any
		if plan != nil {
			steps = plan.Steps
		}
		s.record(r, "apply", strings.Join(names, ","), err, map[string]any{"dryRun": dry, "steps": steps})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, plan)
}

// sources reads spec files from the body: one document stream, or a
// multipart form with one file a part.
func (s *Server) sources(w http.ResponseWriter, r *http.Request, op string) ([]apply.Source, error) {
	body := http.MaxBytesReader(w, r.Body, s.limits.SpecBytes)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, readErr(op, err, s.limits.SpecBytes)
		}
		return []apply.Source{{Name: "request", Data: data}}, nil
	}
	var srcs []apply.Source
	mr := multipart.NewReader(body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return srcs, nil
		}
		if err != nil {
			return nil, readErr(op, err, s.limits.SpecBytes)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, readErr(op, err, s.limits.SpecBytes)
		}
		name := part.FileName()
		if name == "" {
			name = part.FormName()
		}
		srcs = append(srcs, apply.Source{Name: name, Data: data})
	}
}

func readErr(op string, err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, op, "the request body is larger than the limit of %d bytes", limit)
	}
	return errs.Wrap(errs.Invalid, op, err, "the request body cannot be read")
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errs.E(errs.Invalid, "http", "query parameter %s must be true or false, not %q", name, v)
	}
	return b, nil
}

// ident reads and checks the table address from the path.
// ident reads the mesh name in the path. The product segment may pin a
// major version, as in /products/sales/orders@v2/...
func ident(r *http.Request) (lake.Ident, *int, error) {
	id := lake.Ident{Domain: r.PathValue("domain"), Product: r.PathValue("product"), Table: r.PathValue("table")}
	var major *int
	if p, v, ok := strings.Cut(id.Product, "@v"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || len(v) > 9 || (len(v) > 1 && v[0] == '0') {
			return id, nil, errs.E(errs.Invalid, "http.ident", "product %q: pin a major version as product@vN, e.g. orders@v2", id.Product)
		}
		id.Product, major = p, &n
	}
	for _, n := range []struct{ what, v string }{{"domain", id.Domain}, {"product", id.Product}, {"table", id.Table}} {
		if n.v == "" && n.what == "table" {
			continue
		}
		if err := spec.CheckName(n.what, n.v); err != nil {
			return id, nil, err // already Invalid, with a client-safe message (its Error() would add the op)
		}
	}
	return id, major, nil
}

func (s *Server) handlePublish(w http.ResponseWriter, r *http.Request) {
	const op = "http.publish"
	id, major, err := ident(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Before a byte of the upload is read.
	if err := s.authorize(r, access.ActionPublish, id.Domain, id.Product); err != nil {
		s.fail(w, r, err)
		return
	}
	mode, err := lake.ParseMode(r.URL.Query().Get("mode"))
	if err != nil {
		s.fail(w, r, errs.Wrap(errs.Invalid, op, err, "%v", err))
		return
	}
	format, err := publish.FormatOf(r.Header.Get("Content-Type"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var maxRejects int64
	if v := r.URL.Query().Get("max_rejects"); v != "" {
		maxRejects, err = strconv.ParseInt(v, 10, 64)
		if err != nil || maxRejects < 0 {
			s.fail(w, r, errs.E(errs.Invalid, op, "max_rejects must be a whole number of rows, not %q", v))
			return
		}
	}
	var body io.Reader = r.Body
	if s.limits.PublishBytes > 0 {
		body = http.MaxBytesReader(w, r.Body, s.limits.PublishBytes)
	}
	rep, err := s.pub.Publish(r.Context(), publish.Request{Table: id, Major: major, Mode: mode, Format: format, Body: body,
		IdempotencyKey: r.Header.Get("Idempotency-Key"), MaxRejects: maxRejects})
	// The audit keeps the report without its rejected-row examples: they
	// quote the upload, and the log can never be edited.
	var report any
	if rep != nil {
		trimmed := *rep
		trimmed.Rejects = nil
		report = trimmed
	}
	s.record(r, "publish", id.String(), err, report)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// QueryRequest is the body of POST /api/v1/query.
type QueryRequest struct {
	SQL       string `json:"sql"`
	TimeoutMs int64  `json:"timeout_ms,omitempty"`
	MaxRows   int64  `json:"max_rows,omitempty"`
}

// The result formats.
const (
	mediaJSON  = "application/json"
	mediaCSV   = "text/csv"
	mediaArrow = "application/vnd.apache.arrow.stream"
)

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	const op = "http.query"
	var req QueryRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.limits.QueryBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, r, errs.E(errs.TooLarge, op, "the request body is larger than the limit of %d bytes", s.limits.QueryBytes))
			return
		}
		s.fail(w, r, errs.Wrap(errs.Invalid, op, err, `the body must be JSON like {"sql": "SELECT ..."}: %v`, err))
		return
	}
	if strings.TrimSpace(req.SQL) == "" {
		s.fail(w, r, errs.E(errs.Invalid, op, `"sql" is required`))
		return
	}
	if req.TimeoutMs < 0 || req.MaxRows < 0 {
		s.fail(w, r, errs.E(errs.Invalid, op, "timeout_ms and max_rows must not be negative"))
		return
	}
	media, err := negotiate(r.Header.Get("Accept"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	maxRows := s.limits.MaxRows
	if req.MaxRows > 0 && (maxRows == 0 || req.MaxRows < maxRows) {
		maxRows = req.MaxRows
	}
	rows, err := s.engine.Query(query.WithDoor(r.Context(), query.DoorHTTP), req.SQL, time.Duration(req.TimeoutMs)*time.Millisecond)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rows.Close()
	// Fetch the first row before answering, so that an error in running the
	// query still gets a proper status and envelope.
	if err := rows.Prime(); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", media)
	var sum query.Summary
	switch media {
	case mediaCSV:
		sum, err = query.WriteCSV(w, rows, maxRows)
	case mediaArrow:
		sum, err = query.WriteArrow(w, rows, maxRows)
	default:
		sum, err = query.WriteJSON(w, rows, maxRows)
	}
	if err != nil {
		rows.Fail(err)
		s.log.WarnContext(r.Context(), "query result interrupted", "rows", sum.Rows, "err", err)
		if media != mediaJSON {
			// The status line is sent and CSV and Arrow have no place for an
			// error: break the connection so the client cannot mistake a
			// partial result for a whole one. (JSON ends with an error member.)
			panic(http.ErrAbortHandler)
		}
	}
}

func negotiate(accept string) (string, error) {
	if accept == "" {
		return mediaJSON, nil
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case mediaJSON, "*/*", "application/*":
			return mediaJSON, nil
		case mediaCSV, "text/*":
			return mediaCSV, nil
		case mediaArrow, "application/vnd.apache.arrow.file":
			return mediaArrow, nil
		}
	}
	return "", errs.E(errs.Invalid, "http.query", "cannot answer with %q: accept application/json, text/csv or %s", accept, mediaArrow)
}
