package portal

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	long := "/" + strings.Repeat("a", 2048)
	tests := []struct {
		in, want string
	}{
		{"", "/"},
		{"/", "/"},
		{"/search?q=orders&domain=sales", "/search?q=orders&domain=sales"},
		{"/products/sales/orders#tables", "/products/sales/orders#tables"},
		{"/%2F%2Fevil.com", "/%2F%2Fevil.com"}, // a path on this site
		{"//evil.com", "/"},
		{"//evil.com/path", "/"},
		{"///evil.com", "/"},
		{`/\evil.com`, "/"},
		{`/\/evil.com`, "/"},
		{`\\evil.com`, "/"},
		{"https://evil.com", "/"},
		{"http://evil.com/", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.com", "/"},
		{"search", "/"},
		{" /search", "/"},
		{"/search\r\nSet-Cookie: x=1", "/"},
		{"/search\nLocation: //evil.com", "/"},
		{"/search\r", "/"},
		{"/\t/evil.com", "/"}, // browsers drop the tab: //evil.com
		{"/\x00/evil.com", "/"},
		{"/a\\b", "/"}, // browsers read \ as /
		{"/caf\u00e9", "/caf\u00e9"},
		{long, "/"},
		{long[:2048], long[:2048]},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		t.Run(name, func(t *testing.T) {
			if got := safeNext(tt.in); got != tt.want {
				t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzSafeNext: whatever comes in, the result is a path on this site, and
// a browser resolving it against this site stays on this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"", "/", "/search?q=x", "//evil.com", `/\evil.com`, "https://evil.com", "/a\r\nb",
		"/\t/evil.com", "/%5Cevil.com", "/.//evil.com", "\x00/", "/\x7f"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://mesh.example/")
	f.Fuzz(func(t *testing.T, in string) {
		got := safeNext(in)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, `/\`) {
			t.Fatalf("safeNext(%q) = %q: not a path on this site", in, got)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Fatalf("safeNext(%q) = %q: holds a line break", in, got)
		}
		if len(got) > 2048 {
			t.Fatalf("safeNext(%q) is %d bytes long", in, len(got))
		}
		if got != "/" && got != in {
			t.Fatalf("safeNext(%q) = %q: a changed destination", in, got)
		}
		// What browsers do with a Location: WHATWG URL parsing drops tabs and
		// newlines and treats \ as /, so "/\t/evil.com" would be //evil.com.
		norm := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(got)
		if strings.HasPrefix(norm, "//") {
			t.Fatalf("safeNext(%q) = %q: a browser reads it as %q, another host", in, got, norm)
		}
		if u, err := base.Parse(got); err == nil && u.Host != base.Host {
			t.Fatalf("safeNext(%q) = %q resolves to host %q", in, got, u.Host)
		}
	})
}
