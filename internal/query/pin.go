package query

import (
	"regexp"
	"strconv"
	"strings"
)

// A major version of a product is pinned in SQL as domain.product@vN.table.
// DuckDB's parser does not accept @ in an unquoted name, so before parsing,
// the guard quotes the product part (sales."orders@v1".orders) wherever the
// pattern appears outside string literals, quoted names and comments; the
// quoted form is accepted as written too.

var pinRE = regexp.MustCompile(`(?i)(^|[^a-z0-9_$"])([a-z_][a-z0-9_]*)(\s*\.\s*)([a-z_][a-z0-9_]*)@(v)([0-9]{1,9})(\s*\.)`)

// pinMajors quotes every domain.product@vN.table of sqlText.
func pinMajors(sqlText string) string {
	if !strings.Contains(sqlText, "@") {
		return sqlText
	}
	var b strings.Builder
	for _, seg := range lexSegments(sqlText) {
		if seg.code {
			b.WriteString(pinRE.ReplaceAllString(seg.text, `$1$2$3"$4@$5$6"$7`))
		} else {
			b.WriteString(seg.text)
		}
	}
	return b.String()
}

// splitPinned reads a schema name "product@vN".
func splitPinned(s string) (product string, major int, ok bool) {
	p, v, found := strings.Cut(s, "@v")
	if !found || v == "" || len(v) > 9 || (len(v) > 1 && v[0] == '0') {
		return "", 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || !guardNameRE.MatchString(p) {
		return "", 0, false
	}
	return p, n, true
}

type segment struct {
	text string
	code bool // outside strings, quoted names and comments
}

// lexSegments splits SQL into code and non-code (literals, quoted names,
// comments) the way DuckDB reads them.
func lexSegments(s string) []segment {
	var out []segment
	start := 0
	emit := func(end int, code bool) {
		if end > start {
			out = append(out, segment{s[start:end], code})
		}
		start = end
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'':
			emit(i, true)
			escapes := i > 0 && (s[i-1] == 'e' || s[i-1] == 'E')
			i = QuotedEnd(s, i+1, '\'', escapes)
			emit(i, false)
		case c == '"':
			emit(i, true)
			i = QuotedEnd(s, i+1, '"', false)
			emit(i, false)
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			emit(i, true)
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				i = len(s)
			} else {
				i += j
			}
			emit(i, false)
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			emit(i, true)
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
			emit(i, false)
		case c == '$':
			tag := DollarTag(s[i:])
			if tag == "" {
				i++
				continue
			}
			emit(i, true)
			i = DollarEnd(s, i, tag)
			emit(i, false)
		default:
			i++
		}
	}
	emit(len(s), true)
	return out
}

// QuotedEnd returns the index just past the closing quote q (doubled quotes,
// and with escapes backslashes, do not close), or len(s).
func QuotedEnd(s string, i int, q byte, escapes bool) int {
	for i < len(s) {
		switch {
		case escapes && s[i] == '\\':
			i += 2
		case s[i] == q && i+1 < len(s) && s[i+1] == q:
			i += 2
		case s[i] == q:
			return i + 1
		default:
			i++
		}
	}
	return len(s)
}

// DollarEnd returns the index just past the dollar-quoted string that tag
// opens at s[i:], or len(s) when it is never closed.
func DollarEnd(s string, i int, tag string) int {
	j := strings.Index(s[i+len(tag):], tag)
	if j < 0 {
		return len(s)
	}
	return i + len(tag) + j + len(tag)
}

// DollarTag returns the $tag$ that opens a dollar-quoted string at the start
// of s, or "". QuotedEnd and DollarTag are the lexing shared by everything
// that must skip SQL literals and quoted names without parsing.
func DollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			if j > 1 && s[1] >= '0' && s[1] <= '9' {
				return "" // $1 is a parameter, not a tag
			}
			return s[:j+1]
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
		default:
			return ""
		}
	}
	return ""
}
