package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/meshwork/meshwork/internal/observe"
)

// APIError is a refusal or failure the REST API answered with; its message
// is the API's, safe to show.
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

// client calls the REST API in process with one principal's credential.
type client struct {
	api   http.Handler
	cred  string
	ctx   context.Context
	extra http.Header // e.g. Accept
}

// call sends method path?query with body (nil: none; []byte: as is; else
// JSON) and decodes a JSON answer into out (nil: discard).
func (c client) call(method, path string, query url.Values, body, out any) error {
	rec, err := c.raw(method, path, query, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		return fmt.Errorf("portal: decode %s %s: %w", method, path, err)
	}
	return nil
}

// raw sends a request and returns the recorded answer when it is a 2xx.
func (c client) raw(method, path string, query url.Values, body any) (*httptest.ResponseRecorder, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	u := path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(c.ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.RemoteAddr = "portal"
	req.Header.Set("Authorization", "Bearer "+c.cred)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if id := observe.RequestID(c.ctx); id != "" {
		req.Header.Set("X-Request-Id", id)
	}
	for k, v := range c.extra {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	c.api.ServeHTTP(rec, req)
	if rec.Code >= 200 && rec.Code < 300 {
		return rec, nil
	}
	return nil, decodeAPIError(rec.Code, rec.Body.Bytes())
}

func decodeAPIError(status int, body []byte) *APIError {
	var env struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"requestId"`
		} `json:"error"`
	}
	e := &APIError{Status: status, Code: "error", Message: http.StatusText(status)}
	if json.Unmarshal(body, &env) == nil && env.Error.Message != "" {
		e.Code, e.Message, e.RequestID = env.Error.Code, env.Error.Message, env.Error.RequestID
	}
	return e
}
