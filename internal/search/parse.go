package search

import (
	"strings"
	"unicode"

	"github.com/meshwork/meshwork/internal/errs"
)

// Limits on query text. They bound the work of one query (each term is a
// prefix scan of the index) and keep URLs reasonable.
const (
	MaxQueryBytes = 256
	MaxTerms      = 16
)

// Parse splits text into search terms: the maximal runs of letters, digits,
// combining marks and underscores, in lower case, each term once. Every
// other character (quotes, operators, parentheses, '*', ':', '-', NUL,
// invalid UTF-8) only separates terms, so nothing a user types can act as
// FTS5 syntax. A run of underscores alone is not a term. Text over
// MaxQueryBytes bytes or with over MaxTerms terms is refused.
func Parse(text string) ([]string, error) {
	const op = "search.Parse"
	if len(text) > MaxQueryBytes {
		return nil, errs.E(errs.Invalid, op, "q is %d bytes long; at most %d are allowed", len(text), MaxQueryBytes)
	}
	var terms []string
	seen := map[string]bool{}
	n := 0
	var b strings.Builder
	word := false // b holds a letter or digit, not only underscores
	flush := func() {
		if word {
			n++
			if t := strings.ToLower(b.String()); !seen[t] {
				seen[t] = true
				terms = append(terms, t)
			}
		}
		b.Reset()
		word = false
	}
	for _, r := range text {
		switch {
		case r == '_', unicode.IsMark(r):
			b.WriteRune(r)
		case unicode.IsLetter(r), unicode.IsNumber(r):
			b.WriteRune(r)
			word = true
		default:
			flush()
		}
	}
	flush()
	if n > MaxTerms {
		return nil, errs.E(errs.Invalid, op, "q has %d terms; at most %d are allowed", n, MaxTerms)
	}
	return terms, nil
}

// Match returns the FTS5 query for terms: each term a quoted string
// matching as a prefix ("cust"* finds customer), all of them required.
// Terms come from Parse, so they hold no '"' or NUL and a quoted string is
// all FTS5 ever sees; an underscore inside a term makes a phrase of its
// parts, as the tokenizer splits names there too (order_date: order, date).
func Match(terms []string) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(t)
		b.WriteString(`"*`)
	}
	return b.String()
}
