package spec

import "testing"

func TestParseVersion(t *testing.T) {
	for _, s := range []string{"1.0.0", "0.1.0", "12.34.56", "2.0.0-rc.1", "1.0.0+build.5", "1.0.0-alpha+b"} {
		if _, err := ParseVersion(s); err != nil {
			t.Errorf("ParseVersion(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "1", "1.0", "v1.0.0", "1.0.0.0", "01.0.0", "1.-1.0", "a.b.c", "1..0", "1.0.0 "} {
		if _, err := ParseVersion(s); err == nil {
			t.Errorf("ParseVersion(%q) = nil, want an error", s)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	// Each is lower than the next (semver's own example order, and more).
	order := []string{"0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"}
	for i := range order {
		for j := range order {
			a, _ := ParseVersion(order[i])
			b, _ := ParseVersion(order[j])
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	a, _ := ParseVersion("1.0.0+a")
	b, _ := ParseVersion("1.0.0+b")
	if a.Compare(b) != 0 {
		t.Errorf("build metadata must not order versions")
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.0.0", "2.0.0-rc.1", "1.0.0+b", "01.0.0", "1.2", ""} {
		f.Add(s, "1.2.3")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err := ParseVersion(a)
		if err != nil {
			return
		}
		if va.Compare(va) != 0 || va.String() != a {
			t.Fatalf("ParseVersion(%q) does not compare equal to itself or lost its text", a)
		}
		vb, err := ParseVersion(b)
		if err != nil {
			return
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q, %q) is not antisymmetric", a, b)
		}
	})
}
