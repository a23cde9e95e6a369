package pgcatalog

import (
	"strings"

	"github.com/meshwork/meshwork/internal/query"
)

// A small PostgreSQL lexer: enough to tell names from literals and comments,
// so that Handles can see which relations and functions a query names and
// the rewriter can drop the PostgreSQL-only OPERATOR(schema.op) syntax that
// DuckDB's parser misreads. It never needs to be complete: the text it
// accepts is parsed again by DuckDB, which refuses what it does not know.

type tokKind int

const (
	tokIdent  tokKind = iota + 1 // a name: unquoted (lower-cased) or quoted (as written)
	tokString                    // a string literal of any kind
	tokNumber
	tokParam // $1
	tokPunct // one character of ( ) , . [ ] ;
	tokOp    // an operator: a run of + - * / < > = ~ ! @ # % ^ & | ` ?
	tokSpace // white space and comments
)

type token struct {
	kind   tokKind
	text   string // the source text
	value  string // identifiers: the name
	quoted bool   // identifiers: written in double quotes
	start  int
}

const opChars = "+-*/<>=~!@#%^&|`?:"

// lex splits s into tokens; it never fails (an unterminated literal or
// comment runs to the end of the text).
func lex(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		start := i
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			for i < len(s) && strings.IndexByte(" \t\n\r\f\v", s[i]) >= 0 {
				i++
			}
			out = append(out, token{kind: tokSpace, text: s[start:i], start: start})
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				i = len(s)
			} else {
				i += j
			}
			out = append(out, token{kind: tokSpace, text: s[start:i], start: start})
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			depth := 0
			for i < len(s) {
				if strings.HasPrefix(s[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(s[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			out = append(out, token{kind: tokSpace, text: s[start:i], start: start})
		case c == '\'':
			i = query.QuotedEnd(s, i+1, '\'', false)
			out = append(out, token{kind: tokString, text: s[start:i], start: start})
		case (c == 'e' || c == 'E') && i+1 < len(s) && s[i+1] == '\'':
			i = query.QuotedEnd(s, i+2, '\'', true)
			out = append(out, token{kind: tokString, text: s[start:i], start: start})
		case c == '"':
			i = query.QuotedEnd(s, i+1, '"', false)
			name := s[start+1 : i]
			name = strings.TrimSuffix(name, `"`)
			out = append(out, token{kind: tokIdent, text: s[start:i], value: strings.ReplaceAll(name, `""`, `"`), quoted: true, start: start})
		case c == '$':
			if tag := query.DollarTag(s[i:]); tag != "" {
				i = query.DollarEnd(s, i, tag)
				out = append(out, token{kind: tokString, text: s[start:i], start: start})
				continue
			}
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			out = append(out, token{kind: tokParam, text: s[start:i], start: start})
		case c >= '0' && c <= '9':
			for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == 'e' || s[i] == 'E') {
				i++
			}
			out = append(out, token{kind: tokNumber, text: s[start:i], start: start})
		case identStart(c):
			for i < len(s) && identPart(s[i]) {
				i++
			}
			out = append(out, token{kind: tokIdent, text: s[start:i], value: strings.ToLower(s[start:i]), start: start})
		case strings.IndexByte(opChars, c) >= 0:
			for i < len(s) && strings.IndexByte(opChars, s[i]) >= 0 && !strings.HasPrefix(s[i:], "--") && !strings.HasPrefix(s[i:], "/*") {
				i++
			}
			if i == start {
				i++
			}
			out = append(out, token{kind: tokOp, text: s[start:i], start: start})
		default:
			i++
			out = append(out, token{kind: tokPunct, text: s[start:i], start: start})
		}
	}
	return out
}

func identStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func identPart(c byte) bool { return identStart(c) || c >= '0' && c <= '9' || c == '$' }

// code returns the tokens that are not white space or comments.
func code(ts []token) []token {
	out := make([]token, 0, len(ts))
	for _, t := range ts {
		if t.kind != tokSpace {
			out = append(out, t)
		}
	}
	return out
}

// dropOperatorSyntax rewrites OPERATOR(schema.op) and OPERATOR(op) to op,
// which DuckDB's parser reads as a function named after the schema, and
// ::pg_catalog.type to ::type.
func dropOperatorSyntax(s string) string {
	if l := strings.ToLower(s); !strings.Contains(l, "operator") && !strings.Contains(l, "pg_catalog") {
		return s
	}
	ts := lex(s)
	var b strings.Builder
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.kind == tokIdent && !t.quoted && t.value == "operator" {
			// OPERATOR ( [schema .] op )
			j := next(ts, i+1)
			if j < len(ts) && ts[j].text == "(" {
				k := next(ts, j+1)
				if k < len(ts) && ts[k].kind == tokIdent {
					if d := next(ts, k+1); d < len(ts) && ts[d].text == "." {
						k = next(ts, d+1)
					} else {
						k = len(ts)
					}
				}
				if k < len(ts) && ts[k].kind == tokOp {
					if e := next(ts, k+1); e < len(ts) && ts[e].text == ")" {
						b.WriteString(" " + ts[k].text + " ")
						i = e
						continue
					}
				}
			}
		}
		// ::pg_catalog.text: DuckDB's parser does not take a qualified type
		// name everywhere, and the stand-in types are unqualified anyway.
		if t.kind == tokIdent && !t.quoted && t.value == "pg_catalog" {
			if p := prev(ts, i-1); p >= 0 && ts[p].text == "::" {
				if d := next(ts, i+1); d < len(ts) && ts[d].text == "." {
					i = d
					continue
				}
			}
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// prev returns the index of the last token at or before i that is not space, or -1.
func prev(ts []token, i int) int {
	for i >= 0 && ts[i].kind == tokSpace {
		i--
	}
	return i
}

// next returns the index of the first token at or after i that is not space.
func next(ts []token, i int) int {
	for i < len(ts) && ts[i].kind == tokSpace {
		i++
	}
	return i
}
