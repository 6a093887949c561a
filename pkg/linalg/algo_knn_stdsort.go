package linalg

import "math/bits"

// stdSortDesc reorders pos (positions into vals) exactly as GNU libstdc++'s
// std::sort(pos.begin(), pos.end(), [&](a, b){ return vals[a] > vals[b]; })
// does: introsort with median-of-three pivots, a heapsort fallback at depth
// 2·⌊log2 n⌋ and a final insertion sort over runs of 16. The order of equal
// values is that algorithm's, not a stable one. irspack's KNN top-k selects
// with this call, so reproducing it reproduces which of several equally
// similar neighbours survive the cut.
func stdSortDesc(pos []int32, vals []float64) {
	n := len(pos)
	if n < 2 {
		return
	}
	s := stdSorter{pos: pos, vals: vals}
	s.introsortLoop(0, n, 2*(bits.Len(uint(n))-1))
	s.finalInsertionSort(0, n)
}

type stdSorter struct {
	pos  []int32
	vals []float64
}

const stdThreshold = 16

// less is the comparator: a ranks before b when its value is larger.
func (s *stdSorter) less(a, b int32) bool { return s.vals[a] > s.vals[b] }

func (s *stdSorter) introsortLoop(first, last, depth int) {
	for last-first > stdThreshold {
		if depth == 0 {
			s.heapSort(first, last)
			return
		}
		depth--
		cut := s.partitionPivot(first, last)
		s.introsortLoop(cut, last, depth)
		last = cut
	}
}

func (s *stdSorter) partitionPivot(first, last int) int {
	mid := first + (last-first)/2
	s.moveMedianToFirst(first, first+1, mid, last-1)
	return s.unguardedPartition(first+1, last, first)
}

func (s *stdSorter) moveMedianToFirst(result, a, b, c int) {
	p := s.pos
	swap := func(i int) { p[result], p[i] = p[i], p[result] }
	switch {
	case s.less(p[a], p[b]):
		switch {
		case s.less(p[b], p[c]):
			swap(b)
		case s.less(p[a], p[c]):
			swap(c)
		default:
			swap(a)
		}
	case s.less(p[a], p[c]):
		swap(a)
	case s.less(p[b], p[c]):
		swap(c)
	default:
		swap(b)
	}
}

func (s *stdSorter) unguardedPartition(first, last, pivot int) int {
	p := s.pos
	for {
		for s.less(p[first], p[pivot]) {
			first++
		}
		last--
		for s.less(p[pivot], p[last]) {
			last--
		}
		if first >= last {
			return first
		}
		p[first], p[last] = p[last], p[first]
		first++
	}
}

func (s *stdSorter) finalInsertionSort(first, last int) {
	if last-first > stdThreshold {
		s.insertionSort(first, first+stdThreshold)
		for i := first + stdThreshold; i < last; i++ {
			s.unguardedLinearInsert(i)
		}
		return
	}
	s.insertionSort(first, last)
}

func (s *stdSorter) insertionSort(first, last int) {
	p := s.pos
	for i := first + 1; i < last; i++ {
		if s.less(p[i], p[first]) {
			v := p[i]
			copy(p[first+1:i+1], p[first:i])
			p[first] = v
		} else {
			s.unguardedLinearInsert(i)
		}
	}
}

func (s *stdSorter) unguardedLinearInsert(last int) {
	p := s.pos
	v := p[last]
	next := last - 1
	for s.less(v, p[next]) {
		p[last] = p[next]
		last = next
		next--
	}
	p[last] = v
}

// heapSort is libstdc++'s __partial_sort(first, last, last): make_heap
// then sort_heap.
func (s *stdSorter) heapSort(first, last int) {
	p := s.pos[first:last]
	n := len(p)
	if n >= 2 {
		for parent := (n - 2) / 2; ; parent-- {
			s.adjustHeap(p, parent, n, p[parent])
			if parent == 0 {
				break
			}
		}
	}
	for end := n - 1; end > 0; end-- {
		v := p[end]
		p[end] = p[0]
		s.adjustHeap(p, 0, end, v)
	}
}

func (s *stdSorter) adjustHeap(p []int32, hole, n int, v int32) {
	top := hole
	child := hole
	for child < (n-1)/2 {
		child = 2 * (child + 1)
		if s.less(p[child], p[child-1]) {
			child--
		}
		p[hole] = p[child]
		hole = child
	}
	if n&1 == 0 && child == (n-2)/2 {
		child = 2 * (child + 1)
		p[hole] = p[child-1]
		hole = child - 1
	}
	parent := (hole - 1) / 2
	for hole > top && s.less(p[parent], v) {
		p[hole] = p[parent]
		hole = parent
		parent = (hole - 1) / 2
	}
	p[hole] = v
}
