package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/meshwork/meshwork/internal/errs"
)

// status maps an error kind to an HTTP status.
func status(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.GateFailed:
		return http.StatusUnprocessableEntity
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.Unsupported:
		return http.StatusUnsupportedMediaType
	case errs.Timeout:
		return http.StatusRequestTimeout
	case errs.Canceled:
		return 499 // client closed request, as nginx says
	}
	return http.StatusInternalServerError
}

// ErrorBody is the error envelope.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of the error envelope.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Details   any    `json:"details,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	kind, msg, details := errs.Public(err)
	id := requestID(r.Context())
	level := slog.LevelInfo
	if kind == errs.Internal || kind == errs.Unavailable {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request failed", "code", kind.String(), "err", err.Error())
	writeJSON(w, status(kind), ErrorBody{Error: ErrorDetail{Code: kind.String(), Message: msg, Details: details, RequestID: id}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
