package linalg

import "math"

// TopK writes into dst (reusing its storage) the indices of the min(k,
// len(scores)) largest scores, ordered by score descending and, on equal
// scores, by index ascending, and returns it. NaN ranks as -Inf. Entries
// equal to -Inf (masked items) still compete: they rank after every finite
// score and can fill the list when fewer than k entries are finite, which is
// the irspack 0.5.0 evaluator's semantics. It uses a bounded heap: O(n log k)
// with no full sort.
func TopK(scores []float32, k int, dst []int32) []int32 {
	return topK(scores, k, dst, false)
}

// TopKFinite is TopK that never returns an entry whose score is -Inf or NaN,
// so the result may hold fewer than k indices. Serving uses it to drop
// masked and excluded items.
func TopKFinite(scores []float32, k int, dst []int32) []int32 {
	return topK(scores, k, dst, true)
}

// key maps NaN to -Inf so every score is ordered.
func key(s float32) float32 {
	if s != s {
		return float32(math.Inf(-1))
	}
	return s
}

// worse reports whether entry a ranks below entry b.
func worse(sa float32, a int32, sb float32, b int32) bool {
	return sa < sb || (sa == sb && a > b)
}

func topK(scores []float32, k int, dst []int32, finite bool) []int32 {
	dst = dst[:0]
	if k <= 0 {
		return dst
	}
	negInf := float32(math.Inf(-1))
	h := heap{idx: dst, s: scores}
	i := 0
	n := len(scores)
	// Fill the heap with the first k eligible entries.
	for ; i < n && len(h.idx) < k; i++ {
		s := scores[i]
		if finite && !(s > negInf) {
			continue
		}
		h.idx = append(h.idx, int32(i))
	}
	h.init()
	if len(h.idx) == k {
		// Scanning in index order, a new entry beats the worst kept one
		// only with a strictly larger score: on a tie the kept one has the
		// lower index.
		worst := key(scores[h.idx[0]])
		for i = firstAbove(scores, i, worst); i < n; i = firstAbove(scores, i+1, worst) {
			h.idx[0] = int32(i)
			h.down(0)
			worst = key(scores[h.idx[0]])
		}
	}
	// Pop the worst entry to the end repeatedly: the slice ends up sorted
	// best first.
	out := h.idx
	for m := len(out) - 1; m > 0; m-- {
		out[0], out[m] = out[m], out[0]
		h.idx = out[:m]
		h.down(0)
	}
	return out
}

// heap is a min-heap of indices ordered by worse: the root is the entry
// that ranks lowest.
type heap struct {
	idx []int32
	s   []float32
}

func (h *heap) less(a, b int) bool {
	ia, ib := h.idx[a], h.idx[b]
	return worse(key(h.s[ia]), ia, key(h.s[ib]), ib)
}

func (h *heap) init() {
	for i := len(h.idx)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *heap) down(i int) {
	n := len(h.idx)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			return
		}
		h.idx[i], h.idx[j] = h.idx[j], h.idx[i]
		i = j
	}
}

// firstAboveGo is firstAbove in pure Go.
func firstAboveGo(s []float32, from int, thr float32) int {
	for i := from; i < len(s); i++ {
		if s[i] > thr {
			return i
		}
	}
	return len(s)
}
