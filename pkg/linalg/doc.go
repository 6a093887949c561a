// Package linalg holds the few hot float32 kernels every algorithm and the
// evaluator share: dot products, axpy, Gram (outer-product) accumulation,
// small dense SPD solves, blocked dense scoring, bounded top-k selection,
// and the thread knob with a parallel-for over index ranges.
//
// On amd64 the vector kernels (Dot, Dot4, Axpy, Axpy4) are assembly using
// AVX2 and FMA, selected at start-up when the CPU has both; everywhere else,
// and with the build tag purego, they are pure Go: loops unrolled by hand
// with independent accumulators, written so the compiler can drop bounds
// checks. Both are tested on every run of the suite. Every kernel is deterministic: its result does not depend on the
// number of threads. Kernels reports which implementation a binary carries.
//
// Algorithm engineers may add their own kernels to this package in files
// named algo_*.go.
package linalg
