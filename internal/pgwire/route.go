package pgwire

import (
	"context"
	"strings"

	"github.com/meshwork/meshwork/internal/query"
)

// Metadata answers the catalog queries that clients and BI tools send.
type Metadata interface {
	Handles(sql string) bool
	Query(ctx context.Context, sql string, args []any) ([]query.Column, [][]any, error)
}

// stmtKind is where a statement goes. Session statements are answered here;
// catalog queries by Metadata; everything else by the governed engine,
// whose guard refuses what is not a SELECT.
type stmtKind int

const (
	stmtQuery stmtKind = iota
	stmtMeta
	stmtEmpty
	stmtSet
	stmtShow
	stmtReset
	stmtBegin
	stmtCommit
	stmtRollback
	stmtNoop // SAVEPOINT, RELEASE, SET TRANSACTION: accepted, nothing to do
	stmtDiscard
	stmtDeallocate
)

// statement is one classified SQL statement.
type statement struct {
	kind  stmtKind
	sql   string
	name  string // the setting of SET/SHOW/RESET ("all" for SHOW ALL, RESET ALL); DEALLOCATE's statement
	value string // SET's value, unquoted; "" with def set means DEFAULT
	def   bool
	tag   string // the command tag of session statements
}

// classify decides what sql is. md may be nil.
func classify(sql string, md Metadata) statement {
	words := leadingWords(sql, 6)
	st := statement{kind: stmtQuery, sql: sql}
	if len(words) == 0 {
		st.kind = stmtEmpty
		return st
	}
	w := func(i int) string {
		if i < len(words) {
			return words[i]
		}
		return ""
	}
	switch w(0) {
	case "set":
		return classifySet(sql, st)
	case "show":
		st.kind, st.tag = stmtShow, "SHOW"
		rest := strings.ToLower(strings.TrimSpace(trimSemicolon(afterWords(sql, 1))))
		switch rest {
		case "transaction isolation level":
			rest = "transaction_isolation"
		case "time zone":
			rest = "timezone"
		}
		st.name = unquoteIdent(rest)
		return st
	case "reset":
		st.kind, st.tag = stmtReset, "RESET"
		st.name = unquoteIdent(strings.ToLower(strings.TrimSpace(trimSemicolon(afterWords(sql, 1)))))
		return st
	case "begin", "start":
		if w(0) == "start" && w(1) != "transaction" {
			return st
		}
		st.kind, st.tag = stmtBegin, "BEGIN"
		return st
	case "commit", "end":
		st.kind, st.tag = stmtCommit, "COMMIT"
		return st
	case "rollback", "abort":
		st.kind, st.tag = stmtRollback, "ROLLBACK"
		if w(1) == "to" {
			st.kind = stmtNoop
		}
		return st
	case "savepoint":
		st.kind, st.tag = stmtNoop, "SAVEPOINT"
		return st
	case "release":
		st.kind, st.tag = stmtNoop, "RELEASE"
		return st
	case "discard":
		st.kind, st.tag = stmtDiscard, "DISCARD "+strings.ToUpper(w(1))
		st.name = w(1)
		return st
	case "deallocate":
		st.kind, st.tag = stmtDeallocate, "DEALLOCATE"
		name := strings.TrimSpace(trimSemicolon(afterWords(sql, 1)))
		if w(1) == "prepare" {
			name = strings.TrimSpace(trimSemicolon(afterWords(sql, 2)))
		}
		if strings.EqualFold(name, "all") {
			st.tag, name = "DEALLOCATE ALL", ""
			st.def = true
		}
		st.name = unquoteIdent(name)
		return st
	}
	if md != nil && md.Handles(sql) {
		st.kind = stmtMeta
	}
	return st
}

func classifySet(sql string, st statement) statement {
	st.kind, st.tag = stmtSet, "SET"
	rest := strings.TrimSpace(trimSemicolon(afterWords(sql, 1)))
	lower := strings.ToLower(rest)
	for _, p := range []string{"session ", "local "} {
		if strings.HasPrefix(lower, p) && !strings.HasPrefix(lower, "session characteristics") && !strings.HasPrefix(lower, "session authorization") {
			rest, lower = strings.TrimSpace(rest[len(p):]), strings.TrimSpace(lower[len(p):])
		}
	}
	switch {
	case strings.HasPrefix(lower, "transaction") || strings.HasPrefix(lower, "session characteristics"):
		st.kind = stmtNoop
		return st
	case strings.HasPrefix(lower, "time zone"):
		st.name, rest = "timezone", strings.TrimSpace(rest[len("time zone"):])
	case strings.HasPrefix(lower, "names"):
		st.name, rest = "client_encoding", strings.TrimSpace(rest[len("names"):])
	case strings.HasPrefix(lower, "session authorization"):
		st.name, rest = "session_authorization", strings.TrimSpace(rest[len("session authorization"):])
	default:
		i := strings.IndexFunc(rest, func(r rune) bool { return r == ' ' || r == '=' || r == '\t' || r == '\n' })
		if i < 0 {
			st.name, rest = rest, ""
		} else {
			st.name, rest = rest[:i], strings.TrimSpace(rest[i:])
		}
		st.name = unquoteIdent(strings.ToLower(st.name))
		lr := strings.ToLower(rest)
		switch {
		case strings.HasPrefix(lr, "="):
			rest = strings.TrimSpace(rest[1:])
		case strings.HasPrefix(lr, "to ") || strings.HasPrefix(lr, "to\t") || strings.HasPrefix(lr, "to\n"):
			rest = strings.TrimSpace(rest[2:])
		}
	}
	if strings.EqualFold(rest, "default") || strings.EqualFold(rest, "local") && st.name == "timezone" {
		st.def = true
		return st
	}
	st.value = unquoteValue(rest)
	return st
}

// unquoteValue turns a SET value list into its text: 'a', "b", c -> a, b, c.
func unquoteValue(s string) string {
	var parts []string
	for _, p := range splitTop(s, ',') {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '\'' && p[len(p)-1] == '\'') {
			p = strings.ReplaceAll(p[1:len(p)-1], "''", "'")
		} else if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
			p = strings.ReplaceAll(p[1:len(p)-1], `""`, `"`)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

func unquoteIdent(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func trimSemicolon(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), "; \t\r\n")
}

// splitTop splits s at sep outside quotes.
func splitTop(s string, sep byte) []string {
	var out []string
	start := 0
	lexSQL(s, func(i int) {
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
	})
	return append(out, s[start:])
}

// leadingWords returns up to n lower-cased leading keywords of sql, after
// comments and whitespace.
func leadingWords(sql string, n int) []string {
	var words []string
	lexWords(sql, func(word string, _ int) bool {
		words = append(words, strings.ToLower(word))
		return len(words) < n
	})
	return words
}

// afterWords returns sql after its first n words.
func afterWords(sql string, n int) string {
	end := len(sql)
	count := 0
	lexWords(sql, func(word string, at int) bool {
		count++
		if count == n {
			end = at + len(word)
			return false
		}
		return true
	})
	if count < n {
		return ""
	}
	return sql[end:]
}

// lexWords calls fn with each bare word (letters, digits, _) outside
// comments and quotes, until fn returns false or a non-word token appears.
func lexWords(sql string, fn func(word string, at int) bool) {
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = skipBlockComment(sql, i)
		case isWordByte(c):
			j := i
			for j < len(sql) && isWordByte(sql[j]) {
				j++
			}
			if !fn(sql[i:j], i) {
				return
			}
			i = j
		default:
			return
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func skipBlockComment(sql string, i int) int {
	depth := 0
	for i < len(sql) {
		if sql[i] == '/' && i+1 < len(sql) && sql[i+1] == '*' {
			depth++
			i += 2
			continue
		}
		if sql[i] == '*' && i+1 < len(sql) && sql[i+1] == '/' {
			depth--
			i += 2
			if depth == 0 {
				return i
			}
			continue
		}
		i++
	}
	return i
}

// lexSQL calls fn with the index of every byte of sql that is code: not
// inside a string, a quoted identifier, a dollar-quoted string or a comment.
func lexSQL(sql string, fn func(i int)) {
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'':
			escapes := i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i < 2 || !isWordByte(sql[i-2]))
			i++
			for i < len(sql) {
				if escapes && sql[i] == '\\' {
					i += 2
					continue
				}
				if sql[i] == '\'' {
					if i+1 < len(sql) && sql[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case c == '"':
			i++
			for i < len(sql) && sql[i] != '"' {
				i++
			}
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = skipBlockComment(sql, i)
		case c == '$' && (i == 0 || !isWordByte(sql[i-1])):
			// $tag$ ... $tag$, or a parameter $1.
			j := i + 1
			for j < len(sql) && (isWordByte(sql[j])) && !(sql[j] >= '0' && sql[j] <= '9' && j == i+1) {
				j++
			}
			if j < len(sql) && sql[j] == '$' {
				tag := sql[i : j+1]
				end := strings.Index(sql[j+1:], tag)
				if end < 0 {
					return
				}
				i = j + 1 + end + len(tag)
				continue
			}
			fn(i)
			i++
		default:
			fn(i)
			i++
		}
	}
}

// splitStatements splits a simple Query message into its statements.
func splitStatements(sql string) []string {
	var out []string
	for _, s := range splitTop(sql, ';') {
		if hasCode(s) {
			out = append(out, s)
		}
	}
	return out
}

// hasCode reports whether s holds more than whitespace and comments.
func hasCode(s string) bool {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			i = skipBlockComment(s, i)
		default:
			return true
		}
	}
	return false
}

// countParams returns the highest $n in sql, the number of parameters a
// statement takes.
func countParams(sql string) int {
	max := 0
	lexSQL(sql, func(i int) {
		if sql[i] != '$' {
			return
		}
		n, j := 0, i+1
		for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' && n < 100000 {
			n = n*10 + int(sql[j]-'0')
			j++
		}
		if n > max {
			max = n
		}
	})
	return max
}
