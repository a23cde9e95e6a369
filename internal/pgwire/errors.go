package pgwire

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/meshwork/meshwork/internal/errs"
)

// SQLSTATE codes this server sends.
const (
	codeSyntax           = "42601"
	codeForbidden        = "42501"
	codeUndefinedTable   = "42P01"
	codeUndefinedObject  = "42704"
	codeInvalidParam     = "22023"
	codeFeature          = "0A000"
	codeCanceled         = "57014"
	codeTooManyConns     = "53300"
	codeOutOfMemory      = "53200"
	codeProtocol         = "08P01"
	codeBadPassword      = "28P01"
	codeAuthSpec         = "28000"
	codeInternal         = "XX000"
	codeUnavailable      = "57P03"
	codeAdminShutdown    = "57P01"
	codeInFailedTx       = "25P02"
	codeInvalidStmtName  = "26000"
	codeInvalidPortal    = "34000"
	codeInvalidText      = "22P02"
	codeProgramLimit     = "54000"
	codeInvalidBinaryRep = "22P03"
)

// pgError is an error with the SQLSTATE the client should see. Its message
// is client-safe by construction.
type pgError struct {
	code, msg, hint string
	fatal           bool
}

func (e *pgError) Error() string { return e.msg }

func newPgError(code, format string, args ...any) *pgError {
	return &pgError{code: code, msg: fmt.Sprintf(format, args...)}
}

// sqlState maps an error to its SQLSTATE and client-safe message: the one
// place where Meshwork's error kinds meet PostgreSQL's codes. Internal
// errors say nothing of their cause.
func sqlState(err error) (code, msg string) {
	var pe *pgError
	if errors.As(err, &pe) {
		return pe.code, pe.msg
	}
	kind, msg, _ := errs.Public(err)
	switch kind {
	case errs.Invalid:
		return invalidCode(msg), msg
	case errs.NotFound:
		return codeUndefinedTable, msg
	case errs.Forbidden:
		return codeForbidden, msg
	case errs.Unauthenticated:
		return codeBadPassword, msg
	case errs.Timeout:
		return codeCanceled, "canceling statement due to statement timeout: " + msg
	case errs.Canceled:
		return codeCanceled, "canceling statement due to user request"
	case errs.TooLarge:
		if strings.Contains(strings.ToLower(msg), "memory") {
			return codeOutOfMemory, msg
		}
		return codeProgramLimit, msg
	case errs.Unsupported:
		return codeFeature, msg
	case errs.Unavailable:
		return codeUnavailable, msg
	case errs.Conflict, errs.GateFailed:
		return codeFeature, msg
	}
	return codeInternal, "internal error"
}

// errorResponse builds the message for err.
func errorResponse(err error) *pgproto3.ErrorResponse {
	code, msg := sqlState(err)
	sev := "ERROR"
	var pe *pgError
	hint := ""
	if errors.As(err, &pe) {
		hint = pe.hint
		if pe.fatal {
			sev = "FATAL"
		}
	}
	return &pgproto3.ErrorResponse{Severity: sev, SeverityUnlocalized: sev, Code: code, Message: msg, Hint: hint}
}

func fatal(code, hint, format string, args ...any) *pgError {
	return &pgError{code: code, msg: fmt.Sprintf(format, args...), hint: hint, fatal: true}
}

// invalidCode refines the code of a refused query by DuckDB's error class,
// which the engine keeps at the start of the message.
func invalidCode(msg string) string {
	for _, p := range []struct{ prefix, code string }{
		{"Conversion Error", "22P02"},
		{"Invalid Input Error", "22P02"},
		{"Out of Range Error", "22003"},
		{"Binder Error: Referenced column", "42703"},
		{"Catalog Error", codeUndefinedTable},
		{"Not implemented Error", codeFeature},
	} {
		if strings.HasPrefix(msg, p.prefix) {
			return p.code
		}
	}
	if strings.Contains(msg, "Division by zero") {
		return "22012"
	}
	if strings.HasPrefix(msg, "unknown table") {
		return codeUndefinedTable
	}
	// The guard's refusals: what the mesh does not let anyone do.
	if strings.HasPrefix(msg, "only SELECT") || strings.Contains(msg, "is not allowed") || strings.Contains(msg, "are not allowed") {
		return codeForbidden
	}
	return codeSyntax
}
