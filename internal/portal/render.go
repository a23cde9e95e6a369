package portal

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// assetVersion is a hash of the embedded assets, appended to their URLs so
// that a new binary's assets are fetched fresh while old ones cache forever.
var assetVersion = func() string {
	h := sha256.New()
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFS.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == assetVersion {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// pages holds one template set per page, each the layout plus the page.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"asset": func(name string) string { return "/static/" + name + "?v=" + assetVersion },
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"ago":  ago,
	"join": func(sep string, xs []string) string { return strings.Join(xs, sep) },
	"json": func(v any) (string, error) {
		b, err := json.MarshalIndent(v, "", "  ")
		return string(b), err
	},
	"add":     func(a, b int) int { return a + b },
	"list":    func(xs ...string) []string { return xs },
	"snippet": snippet,
	"lower":   strings.ToLower,
	"pathEscape": func(s string) string {
		return strings.ReplaceAll(template.URLQueryEscaper(s), "+", "%20")
	},
}

// ago says how long ago t was, coarsely.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
}

func parsePages() (*pages, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("portal: parse layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		b := path.Base(n)
		if b == "layout.html" || strings.HasPrefix(b, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("portal: parse %s: %w", b, err)
		}
		p.byName[strings.TrimSuffix(b, ".html")] = t
	}
	return p, nil
}

// pageData is what every template gets.
type pageData struct {
	Title string
	Nav   string // the navigation entry to highlight
	View  *view  // nil on sign-in
	Data  any
	Error *APIError // a failure to show above the content
	Flash string    // a success message
}

// CSRF is the token forms carry.
func (d pageData) CSRF() string {
	if d.View == nil {
		return ""
	}
	return d.View.Session.CSRF
}

// render writes page name (its "layout", or the named fragment when
// fragment is not "") with status code.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, code int, name, fragment string, d pageData) {
	t, ok := p.pages.byName[name]
	if !ok {
		p.log.ErrorContext(r.Context(), "no such template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if fragment == "" {
		fragment = "layout"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, fragment, d); err != nil {
		p.log.ErrorContext(r.Context(), "render failed", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// fail renders an error page from err: the API's message when it refused,
// a generic one (and a log line) otherwise.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	ae := asAPIError(err)
	if ae.Status >= 500 {
		p.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	}
	p.render(w, r, ae.Status, "error", "", pageData{Title: http.StatusText(ae.Status), View: v, Error: ae})
}

func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return &APIError{Status: http.StatusInternalServerError, Code: "internal", Message: "Something went wrong on the server."}
}

// segment is a piece of a search snippet, marked when it matched.
type segment struct {
	Text string
	Mark bool
}

// snippet splits the search API's snippet, whose matches are between **,
// into segments the template escapes one by one.
func snippet(s string) []segment {
	var out []segment
	for i, part := range strings.Split(s, "**") {
		if part != "" {
			out = append(out, segment{Text: part, Mark: i%2 == 1})
		}
	}
	return out
}
