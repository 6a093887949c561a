package examples

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"sort"
)

// Quickstart example: 120 users, 60 items with Zipf-like popularity
// (weight 1/(i+1)^0.9), 4-25 distinct items per user, one interaction every
// 1-600 seconds from 2026-01-01. The committed file was first written by a
// Python script (random.seed(2026)); quickstartInteractions reproduces that
// script draw for draw with a port of CPython's random module (Mersenne
// Twister, random(), randint(), choices()), so the file, and every output
// pasted from it in the README and docs, stays byte for byte the same.

const (
	qsUsers = 120
	qsItems = 60
	qsSeed  = 2026
)

// quickstartInteractions is examples/quickstart/data/interactions.csv.
func quickstartInteractions() []byte {
	r := newPyRandom(qsSeed)
	cum := make([]float64, qsItems) // itertools.accumulate of the weights
	var sum float64
	for i := range cum {
		sum += 1 / math.Pow(float64(i+1), 0.9)
		cum[i] = sum
	}
	at := int64(epoch2026)
	var b bytes.Buffer
	b.WriteString("user_id,item_id,timestamp\n")
	for u := 0; u < qsUsers; u++ {
		n := r.randint(4, 25)
		seen := map[int]bool{}
		for len(seen) < n {
			seen[r.choice(cum)] = true
		}
		items := make([]int, 0, n)
		for i := range seen {
			items = append(items, i)
		}
		sort.Ints(items)
		for _, i := range items {
			at += int64(r.randint(1, 600))
			fmt.Fprintf(&b, "user%03d,item%03d,%d\n", u, i, at)
		}
	}
	return b.Bytes()
}

// pyRandom is CPython's random.Random: MT19937 seeded as random.seed(int)
// seeds it, with the same derivations of random(), randint() and choices().
type pyRandom struct {
	mt  [624]uint32
	idx int
}

// newPyRandom returns the generator of random.seed(seed) for 0 <= seed <
// 2^32 (init_by_array with the one-word key [seed]).
func newPyRandom(seed uint32) *pyRandom {
	r := &pyRandom{}
	r.initGenrand(19650218)
	key := []uint32{seed}
	i, j := 1, 0
	for k := max(len(r.mt), len(key)); k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= len(r.mt) {
			r.mt[0] = r.mt[len(r.mt)-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := len(r.mt) - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= len(r.mt) {
			r.mt[0] = r.mt[len(r.mt)-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
	return r
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < len(r.mt); i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = len(r.mt)
}

// uint32 is genrand_uint32.
func (r *pyRandom) uint32() uint32 {
	const n, m = 624, 397
	if r.idx >= n {
		mag := [2]uint32{0, 0x9908b0df}
		for k := 0; k < n; k++ {
			y := r.mt[k]&0x80000000 | r.mt[(k+1)%n]&0x7fffffff
			r.mt[k] = r.mt[(k+m)%n] ^ y>>1 ^ mag[y&1]
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// random is random.random(): 53 bits from two draws.
func (r *pyRandom) random() float64 {
	a, b := r.uint32()>>5, r.uint32()>>6
	return (float64(a)*67108864 + float64(b)) * (1.0 / 9007199254740992)
}

// randint is random.randint(a, b) (b-a+1 <= 2^32): rejection sampling on
// getrandbits(bit_length(b-a+1)).
func (r *pyRandom) randint(a, b int) int {
	n := uint32(b - a + 1)
	k := bits.Len32(n)
	for {
		if v := r.uint32() >> (32 - k); v < n {
			return a + int(v)
		}
	}
}

// choice is random.choices(range(len(cum)), cum_weights=cum)[0]: the first
// index whose cumulative weight exceeds random()*total (bisect_right).
func (r *pyRandom) choice(cum []float64) int {
	x := r.random() * cum[len(cum)-1]
	return sort.Search(len(cum)-1, func(i int) bool { return cum[i] > x })
}
