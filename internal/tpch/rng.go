package tpch

import "math/bits"

// rng is a splitmix64 generator. Each generated row seeds its own rng from
// (table seed, row index), which makes rows independent of each other and
// the output independent of generation order.
type rng struct{ s uint64 }

const golden = 0x9e3779b97f4a7c15

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// rowRNG returns the generator for row idx of the stream identified by seed.
func rowRNG(seed uint64, idx int64) rng {
	return rng{s: mix64(seed ^ mix64(uint64(idx)+golden))}
}

func (r *rng) next() uint64 {
	r.s += golden
	return mix64(r.s)
}

// intn returns a uniform value in [0, n) for n > 0 (Lemire's multiply-shift;
// the bias is below 2^-32 for the ranges used here and is deterministic).
func (r *rng) intn(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// between returns a uniform value in [lo, hi].
func (r *rng) between(lo, hi int64) int64 {
	return lo + r.intn(hi-lo+1)
}

// Per-table seeds; any fixed distinct values will do.
const (
	seedSupplier uint64 = 0x51
	seedCustomer uint64 = 0xc1
	seedPart     uint64 = 0x9a
	seedPartsupp uint64 = 0x95
	seedOrders   uint64 = 0x0d
	seedNation   uint64 = 0x4a
	seedRegion   uint64 = 0x7e
	seedText     uint64 = 0x7e47
)
