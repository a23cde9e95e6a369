package tpch

import "sync"

// textPoolSize is the size of the shared pseudo-text pool. Comments are
// slices of the pool at random offsets, as in dbgen (which uses 300 MB).
const textPoolSize = 1 << 21

var (
	poolOnce sync.Once
	pool     []byte
)

// textPool returns the pseudo-text pool, built once from the TPC-H grammar
// (clause 4.2.2.13) with a fixed seed. It never contains a comma, a quote or
// a line break, so comments never need CSV quoting.
func textPool() []byte {
	poolOnce.Do(func() {
		r := rowRNG(seedText, 0)
		b := make([]byte, 0, textPoolSize+256)
		for len(b) < textPoolSize {
			b = appendSentence(b, &r)
		}
		pool = b[:textPoolSize]
	})
	return pool
}

func pick[T ~string](r *rng, list []T) T { return list[r.intn(int64(len(list)))] }

func appendNounPhrase(b []byte, r *rng) []byte {
	switch r.intn(4) {
	case 0:
	case 1:
		b = append(b, pick(r, adjectives[:])...)
		b = append(b, ' ')
	case 2:
		b = append(b, pick(r, adverbs[:])...)
		b = append(b, ' ')
		b = append(b, pick(r, adjectives[:])...)
		b = append(b, ' ')
	case 3:
		b = append(b, pick(r, adjectives[:])...)
		b = append(b, ' ')
		b = append(b, pick(r, adjectives[:])...)
		b = append(b, ' ')
	}
	return append(b, pick(r, nouns[:])...)
}

func appendVerbPhrase(b []byte, r *rng) []byte {
	switch r.intn(4) {
	case 0:
		b = append(b, pick(r, verbs[:])...)
	case 1:
		b = append(b, pick(r, auxiliaries[:])...)
		b = append(b, ' ')
		b = append(b, pick(r, verbs[:])...)
	case 2:
		b = append(b, pick(r, verbs[:])...)
		b = append(b, ' ')
		b = append(b, pick(r, adverbs[:])...)
	case 3:
		b = append(b, pick(r, auxiliaries[:])...)
		b = append(b, ' ')
		b = append(b, pick(r, verbs[:])...)
		b = append(b, ' ')
		b = append(b, pick(r, adverbs[:])...)
	}
	return b
}

// appendSentence appends one sentence and a trailing space:
// noun-phrase verb-phrase [preposition the noun-phrase] terminator.
func appendSentence(b []byte, r *rng) []byte {
	b = appendNounPhrase(b, r)
	b = append(b, ' ')
	b = appendVerbPhrase(b, r)
	if r.intn(2) == 0 {
		b = append(b, ' ')
		b = append(b, pick(r, prepositions[:])...)
		b = append(b, " the "...)
		b = appendNounPhrase(b, r)
	}
	b = append(b, pick(r, terminators[:])...)
	return append(b, ' ')
}

// drawText returns a slice of the text pool with a length in [minLen, maxLen]
// (shorter by any surrounding spaces, which are trimmed so that CSV readers
// that trim whitespace read the same value). The slice aliases the pool and
// must not be modified.
func drawText(r *rng, minLen, maxLen int64) []byte {
	p := textPool()
	n := r.between(minLen, maxLen)
	off := r.intn(int64(len(p)) - n)
	s := p[off : off+n]
	for len(s) > 1 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 1 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}
