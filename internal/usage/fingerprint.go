package usage

import (
	"strings"

	"github.com/meshwork/meshwork/internal/query"
)

// MaxFingerprint is the longest fingerprint kept, in bytes: a longer one is
// most likely generated SQL, which tells other consumers little.
const MaxFingerprint = 4096

// Fingerprint returns the shape of a SQL text: every literal (string,
// E-strings and other prefixed strings, dollar-quoted string, number) and every
// parameter ($1, $name, ?) becomes ?, an IN list of them becomes IN (?),
// comments are dropped and white space collapses to one space. Names,
// quoted or not, stay as written: they are the product's, not the caller's.
//
// The lexing is PostgreSQL's and DuckDB's (the literal and dollar-tag rules
// are internal/query's), so a text that is not SQL still gets a fingerprint
// in which nothing that lexes as a literal survives. Fingerprint is
// idempotent: a fingerprint is its own fingerprint.
func Fingerprint(sqlText string) string {
	toks := lexTokens(sqlText)
	toks = collapseIn(toks)
	var b strings.Builder
	b.Grow(len(sqlText))
	for i, t := range toks {
		if i > 0 && t.space {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

type tokKind uint8

const (
	tokWord  tokKind = iota + 1 // a name or keyword, quoted or not
	tokLit                      // a literal or parameter, written ?
	tokPunct                    // ( ) , ; . [ ] { }
	tokOp                       // a run of operator characters
)

type token struct {
	kind  tokKind
	text  string
	space bool // white space or a comment came before it
}

const opChars = "+-*/<>=~!@#%^&|`:"

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lexTokens splits s into tokens, dropping white space and comments; it
// never fails (an unterminated literal or comment runs to the end).
func lexTokens(s string) []token {
	// About one token per five bytes of SQL: one allocation for most queries.
	out := make([]token, 0, len(s)/5+4)
	space := false
	emit := func(k tokKind, text string) {
		out = append(out, token{kind: k, text: text, space: space})
		space = false
	}
	lit := func() { emit(tokLit, "?") }
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			space = true
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				i = len(s)
			} else {
				i += j
			}
			space = true
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			i = commentEnd(s, i)
			space = true
		case c == '\'':
			i = query.QuotedEnd(s, i+1, '\'', false)
			lit()
		case c == '"':
			j := query.QuotedEnd(s, i+1, '"', false)
			emit(tokWord, s[i:j])
			i = j
		case c == '$':
			if tag := query.DollarTag(s[i:]); tag != "" {
				i = query.DollarEnd(s, i, tag)
				lit()
				continue
			}
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) && s[j] != '$' {
				j++
			}
			if j == i+1 {
				emit(tokOp, "$")
			} else {
				lit() // $1, $name
			}
			i = j
		case c == '?':
			lit()
			i++
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			i = numberEnd(s, i)
			lit()
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			if end, ok := prefixedString(s, i, j); ok {
				i = end
				lit()
				continue
			}
			emit(tokWord, s[i:j])
			i = j
		case strings.IndexByte("(),;.[]{}", c) >= 0:
			emit(tokPunct, s[i:i+1])
			i++
		case strings.IndexByte(opChars, c) >= 0:
			j := i + 1
			for j < len(s) && strings.IndexByte(opChars, s[j]) >= 0 &&
				!strings.HasPrefix(s[j:], "--") && !strings.HasPrefix(s[j:], "/*") {
				j++
			}
			emit(tokOp, s[i:j])
			i = j
		default:
			emit(tokOp, s[i:i+1])
			i++
		}
	}
	return out
}

// prefixedString reports whether the name s[i:j] is the prefix of a string
// literal (E'..', X'..', B'..', N'..', U&'..') and returns its end.
func prefixedString(s string, i, j int) (int, bool) {
	if j-i != 1 || j >= len(s) {
		return 0, false
	}
	switch s[i] {
	case 'e', 'E':
		if s[j] == '\'' {
			return query.QuotedEnd(s, j+1, '\'', true), true
		}
	case 'x', 'X', 'b', 'B', 'n', 'N':
		if s[j] == '\'' {
			return query.QuotedEnd(s, j+1, '\'', false), true
		}
	case 'u', 'U':
		if strings.HasPrefix(s[j:], "&'") {
			return query.QuotedEnd(s, j+2, '\'', false), true
		}
	}
	return 0, false
}

// numberEnd returns the end of the number that starts at s[i]: digits,
// letters (hexadecimal, exponents, a suffix the parser will refuse),
// underscores, dots and an exponent's sign.
func numberEnd(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case (c == 'e' || c == 'E') && i+2 < len(s) && (s[i+1] == '+' || s[i+1] == '-') && isDigit(s[i+2]):
			i += 3
		case isDigit(c) || c == '.' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			i++
		default:
			return i
		}
	}
	return i
}

// commentEnd returns the end of the (nestable) block comment at s[i].
func commentEnd(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(s[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return i
}

// collapseIn turns IN (?, ?, ...) into IN (?): a list's length is a detail
// of one call, not of the query's shape. Signed items (IN (-?, ?)) count too.
// It works in place: the output is never longer than what it has read.
func collapseIn(toks []token) []token {
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != tokWord || !strings.EqualFold(t.text, "in") || i+1 >= len(toks) || toks[i+1].text != "(" {
			out = append(out, t)
			continue
		}
		end, ok := litList(toks, i+2)
		if !ok {
			out = append(out, t)
			continue
		}
		open := toks[i+1]
		out = append(out, t, open, token{kind: tokLit, text: "?"}, token{kind: tokPunct, text: ")"})
		i = end
	}
	return out
}

// litList reads "[sign] ? {, [sign] ?} )" from toks[i] and returns the index
// of the closing parenthesis.
func litList(toks []token, i int) (int, bool) {
	for {
		if i < len(toks) && toks[i].kind == tokOp && (toks[i].text == "-" || toks[i].text == "+") {
			i++
		}
		if i >= len(toks) || toks[i].kind != tokLit {
			return 0, false
		}
		i++
		if i >= len(toks) {
			return 0, false
		}
		switch toks[i].text {
		case ")":
			return i, true
		case ",":
			i++
		default:
			return 0, false
		}
	}
}
