package restcatalog

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
)

// The spec's pagination of list responses: a request without pageToken
// gets every result (and no next-page-token); one with pageToken (empty to
// start) gets at most pageSize results and, while more remain, a
// next-page-token to send back. The last page omits the token rather than
// sending null, which the spec's 3.1 schema (a string) would not accept;
// clients read a missing token as the end.
//
// A token is the key of the last result returned, so a listing continues
// after it even when namespaces or tables come or go between pages.

// defaultPageSize bounds a page when the client sends a pageToken without
// a pageSize.
const defaultPageSize = 1000

// page is the pagination a list request asked for.
type page struct {
	on    bool   // pageToken was sent
	after string // results with a key after this one
	size  int
}

// pageOf reads pageToken and pageSize from r.
func pageOf(r *http.Request) (page, error) {
	const op = "iceberg.page"
	q := r.URL.Query()
	p := page{on: q.Has("pageToken"), size: defaultPageSize}
	if s := q.Get("pageSize"); s != "" || q.Has("pageSize") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return page{}, errs.E(errs.Invalid, op, "pageSize %q is not a positive integer", printable(s))
		}
		p.size = n
	}
	if t := q.Get("pageToken"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		k, ok := strings.CutPrefix(string(b), "after:")
		if err != nil || !ok {
			return page{}, errs.E(errs.Invalid, op, "pageToken %q is not a token this catalog issued: start again without one (or with an empty one)", printable(t))
		}
		p.after = k
	}
	return p, nil
}

// cut returns the page of n sorted results whose keys key(i) gives, and
// the token of the next page ("" at the end).
func (p page) cut(n int, key func(int) string) (from, to int, next string) {
	if !p.on {
		return 0, n, ""
	}
	for from < n && p.after != "" && key(from) <= p.after {
		from++
	}
	to = n
	if to-from > p.size {
		to = from + p.size
		next = base64.RawURLEncoding.EncodeToString([]byte("after:" + key(to-1)))
	}
	return from, to, next
}
