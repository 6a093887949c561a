// Package linalg holds the few hot float32 kernels every algorithm and the
// evaluator share: dot products, axpy, Gram (outer-product) accumulation,
// small dense SPD solves, blocked dense scoring, bounded top-k selection,
// and the thread knob with a parallel-for over index ranges.
//
// The default build is pure Go: the loops are unrolled by hand with
// independent accumulators and written so the compiler can drop bounds
// checks. Every kernel is deterministic: its result does not depend on the
// number of threads. Kernels reports which implementation a binary carries.
//
// Algorithm engineers may add their own kernels to this package in files
// named algo_*.go.
package linalg
