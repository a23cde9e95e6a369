package spec

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseMutations parses thousands of deterministic mutations of the
// official examples (flipped bytes, cut and duplicated spans). Parse must
// never panic, must fail only with located diagnostics, and whatever it
// accepts must export and parse back to the same data. It complements
// FuzzParse, and runs on every `go test`.
func TestParseMutations(t *testing.T) {
	var seeds [][]byte
	for _, name := range exampleFiles(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	seeds = append(seeds, []byte(contract("order_lines", goodColumns)), []byte(productYAML+"---\n"+contract("t", goodColumns)))
	r := rand.New(rand.NewPCG(20261122, 7))
	n := 1500
	if testing.Short() {
		n = 300
	}
	accepted := 0
	for i := 0; i < n; i++ {
		d := mutate(r, seeds[r.IntN(len(seeds))])
		file, err := Parse("mutant.yaml", d)
		if err != nil {
			diagnostics(t, err)
			continue
		}
		accepted++
		for _, c := range file.Contracts {
			out, err := ExportContract(c)
			if err != nil {
				t.Fatalf("ExportContract(mutant %d) = %v", i, err)
			}
			c2, err := ParseContract("exported.yaml", out)
			if err != nil {
				t.Fatalf("ParseContract(ExportContract(mutant %d)) = %v\n%s", i, err, d)
			}
			if diff := cmp.Diff(c.Doc.Data(), c2.Doc.Data()); diff != "" {
				t.Fatalf("mutant %d: contract round trip changed the data:\n%s", i, diff)
			}
		}
	}
	if accepted == 0 {
		t.Errorf("no mutant parsed: the mutations are too destructive to test the round trip")
	}
}

func mutate(r *rand.Rand, seed []byte) []byte {
	d := append([]byte(nil), seed...)
	for k := 0; k < 1+r.IntN(4); k++ {
		if len(d) == 0 {
			return []byte("x")
		}
		i := r.IntN(len(d))
		switch r.IntN(3) {
		case 0:
			d[i] = byte(r.IntN(256))
		case 1:
			d = append(d[:i], d[min(len(d), i+r.IntN(20)):]...)
		default:
			j := min(len(d), i+r.IntN(40))
			d = append(d[:j], append(append([]byte(nil), d[i:j]...), d[j:]...)...)
		}
	}
	return d
}
