// Package errs is Meshwork's one error style: an error carries a Kind (what
// went wrong, which the HTTP layer maps to a status code), the Op that failed,
// a message that is safe to show a client, optional structured details, and
// the wrapped cause, which is for logs only and never reaches a client.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers and for the HTTP layer.
type Kind int

// The kinds of error. Internal is the default for errors without a kind.
const (
	Internal        Kind = iota // a bug or an unexpected failure; its text stays in the logs
	Invalid                     // bad input: malformed, wrong type, bad name
	NotFound                    // the named object does not exist
	Conflict                    // the change conflicts with the current state
	Forbidden                   // the principal may not do this
	Unauthenticated             // no or bad credentials
	GateFailed                  // a publish gate (contract, quality, policy) refused the data
	Unavailable                 // a dependency is down or the server is shutting down
	TooLarge                    // the request is over a size limit
	Unsupported                 // unsupported media type or feature
	Timeout                     // the operation ran past its deadline
	Canceled                    // the caller went away
)

var kindNames = [...]string{
	Internal:        "internal",
	Invalid:         "invalid",
	NotFound:        "not_found",
	Conflict:        "conflict",
	Forbidden:       "forbidden",
	Unauthenticated: "unauthenticated",
	GateFailed:      "gate_failed",
	Unavailable:     "unavailable",
	TooLarge:        "too_large",
	Unsupported:     "unsupported",
	Timeout:         "timeout",
	Canceled:        "canceled",
}

// String returns the kind's stable code, used in the API's error envelope.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "internal"
	}
	return kindNames[k]
}

// Error is the structured error of every Meshwork package.
type Error struct {
	Kind    Kind
	Op      string // the operation, e.g. "publish.Run"
	Msg     string // safe to show a client
	Details any    // safe to show a client (e.g. a publish report, a list of diagnostics)
	Err     error  // the cause; logged, never shown
}

func (e *Error) Error() string {
	var s string
	if e.Op != "" {
		s = e.Op + ": "
	}
	if e.Msg != "" {
		s += e.Msg
	}
	if e.Err != nil {
		if e.Msg != "" {
			s += ": "
		}
		s += e.Err.Error()
	}
	if s == "" {
		s = e.Kind.String()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of the given kind with a client-safe message.
func E(kind Kind, op, format string, args ...any) *Error {
	return &Error{Kind: kind, Op: op, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns err with a kind, op and client-safe message. If err is nil it returns nil.
func Wrap(kind Kind, op string, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Op: op, Msg: fmt.Sprintf(format, args...), Err: err}
}

// WithDetails attaches client-safe structured details to an error.
func WithDetails(err *Error, details any) *Error {
	err.Details = details
	return err
}

// KindOf returns the kind of the outermost *Error in err's chain whose kind is
// not Internal, or Internal if there is none. Context errors map to Timeout and Canceled.
func KindOf(err error) Kind {
	if err == nil {
		return Internal
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		var me *Error
		if errors.As(e, &me) {
			if me.Kind != Internal {
				return me.Kind
			}
			e = me
		}
	}
	if errors.Is(err, errDeadline) {
		return Timeout
	}
	if errors.Is(err, errCanceled) {
		return Canceled
	}
	return Internal
}

// Is reports whether err has the given kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// Public returns the message and details of err that may be shown to a client.
// For Internal errors the message is generic: internal text never reaches a client.
func Public(err error) (kind Kind, msg string, details any) {
	kind = KindOf(err)
	if kind == Internal {
		return Internal, "internal error", nil
	}
	var me *Error
	for e := err; e != nil; {
		if !errors.As(e, &me) {
			break
		}
		if me.Kind == kind && me.Msg != "" {
			return kind, me.Msg, me.Details
		}
		e = me.Err
	}
	switch kind {
	case Timeout:
		return kind, "the operation ran past its deadline", nil
	case Canceled:
		return kind, "the request was canceled", nil
	}
	return Internal, "internal error", nil
}
