package ials

import (
	"context"
	"sync"
	"sync/atomic"
)

// The pure-Go float32 kernels below are unrolled by hand: the Go compiler
// does not vectorise, so their speed comes from independent accumulators
// (hiding the add latency) and from processing four factor rows per pass
// over the shared vector (five loads per four multiply-adds instead of
// eight). dot, axpy, dot4 and axpy4 dispatch to them, or to the AVX2
// kernels of kernel_simd_amd64.go in a GOEXPERIMENT=simd build on a CPU
// with AVX2 and FMA.

// dotGo returns a·b; len(b) must be at least len(a).
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 4 && len(b) >= 4 {
		s0 += a[0] * b[0]
		s1 += a[1] * b[1]
		s2 += a[2] * b[2]
		s3 += a[3] * b[3]
		a, b = a[4:], b[4:]
	}
	for i := range a {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyGo computes y += s·x; len(x) must be at least len(y).
func axpyGo(y []float32, s float32, x []float32) {
	x = x[:len(y)]
	for len(y) >= 4 && len(x) >= 4 {
		y[0] += s * x[0]
		y[1] += s * x[1]
		y[2] += s * x[2]
		y[3] += s * x[3]
		y, x = y[4:], x[4:]
	}
	for i := range y {
		y[i] += s * x[i]
	}
}

// dot4Go returns p·v0, p·v1, p·v2 and p·v3; every v must be at least as
// long as p.
func dot4Go(p, v0, v1, v2, v3 []float32) (float32, float32, float32, float32) {
	n := len(p)
	v0, v1, v2, v3 = v0[:n], v1[:n], v2[:n], v3[:n]
	var a0, a1, a2, a3, b0, b1, b2, b3 float32
	k := 0
	for ; k+1 < n; k += 2 {
		p0, p1 := p[k], p[k+1]
		a0 += p0 * v0[k]
		a1 += p0 * v1[k]
		a2 += p0 * v2[k]
		a3 += p0 * v3[k]
		b0 += p1 * v0[k+1]
		b1 += p1 * v1[k+1]
		b2 += p1 * v2[k+1]
		b3 += p1 * v3[k+1]
	}
	if k < n {
		p0 := p[k]
		a0 += p0 * v0[k]
		a1 += p0 * v1[k]
		a2 += p0 * v2[k]
		a3 += p0 * v3[k]
	}
	return a0 + b0, a1 + b1, a2 + b2, a3 + b3
}

// axpy4Go computes y += s0·v0 + s1·v1 + s2·v2 + s3·v3; every v must be at
// least as long as y.
func axpy4Go(y []float32, s0, s1, s2, s3 float32, v0, v1, v2, v3 []float32) {
	n := len(y)
	v0, v1, v2, v3 = v0[:n], v1[:n], v2[:n], v3[:n]
	for k := range y {
		y[k] += s0*v0[k] + s1*v1[k] + s2*v2[k] + s3*v3[k]
	}
}

// matVec computes y = M·x for the k×k row-major matrix M.
func matVec(y, m, x []float32) {
	k := len(x)
	a := 0
	for ; a+4 <= k; a += 4 {
		r := m[a*k : (a+4)*k]
		y[a], y[a+1], y[a+2], y[a+3] = dot4(x, r[:k], r[k:2*k], r[2*k:3*k], r[3*k:])
	}
	for ; a < k; a++ {
		y[a] = dot(x, m[a*k:(a+1)*k])
	}
}

// gramAdd accumulates the upper triangle of Σ_r w_r·f_r f_rᵀ into the k×k
// row-major g, for the rows f_r = f[r*k:(r+1)*k] listed in rows (all rows when
// rows is nil) with weights w (all 1 when w is nil).
func gramAdd(g, f []float32, k int, rows []int32, w []float32) {
	n := len(rows)
	if rows == nil {
		n = len(f) / k
	}
	row := func(j int) ([]float32, float32) {
		r := j
		if rows != nil {
			r = int(rows[j])
		}
		c := float32(1)
		if w != nil {
			c = w[j]
		}
		return f[r*k : (r+1)*k], c
	}
	j := 0
	for ; j+4 <= n; j += 4 {
		v0, c0 := row(j)
		v1, c1 := row(j + 1)
		v2, c2 := row(j + 2)
		v3, c3 := row(j + 3)
		for a := 0; a < k; a++ {
			axpy4(g[a*k+a:(a+1)*k], c0*v0[a], c1*v1[a], c2*v2[a], c3*v3[a], v0[a:], v1[a:], v2[a:], v3[a:])
		}
	}
	for ; j < n; j++ {
		v, c := row(j)
		for a := 0; a < k; a++ {
			axpy(g[a*k+a:(a+1)*k], c*v[a], v[a:])
		}
	}
}

// symmetrize copies the upper triangle of the k×k matrix g to its lower one.
func symmetrize(g []float32, k int) {
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			g[b*k+a] = g[a*k+b]
		}
	}
}

// parallelChunks calls fn(worker, lo, hi) for consecutive chunks of [0, n)
// on up to threads goroutines, handing out chunks dynamically. It stops
// handing out chunks once ctx is done or fn fails and returns the first
// error (ctx.Err() on cancellation).
func parallelChunks(ctx context.Context, threads, n, chunk int, fn func(w, lo, hi int) error) error {
	if threads < 1 {
		threads = 1
	}
	if chunk < 1 {
		chunk = 1
	}
	nChunks := (n + chunk - 1) / chunk
	if threads > nChunks {
		threads = nChunks
	}
	var (
		next     atomic.Int64
		failed   atomic.Bool
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	work := func(w int) {
		for !failed.Load() {
			if err := ctx.Err(); err != nil {
				fail(err)
				return
			}
			c := int(next.Add(1) - 1)
			if c >= nChunks {
				return
			}
			lo := c * chunk
			hi := min(lo+chunk, n)
			if err := fn(w, lo, hi); err != nil {
				fail(err)
				return
			}
		}
	}
	if threads <= 1 {
		work(0)
	} else {
		var wg sync.WaitGroup
		for w := 0; w < threads; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(w)
			}()
		}
		wg.Wait()
	}
	return firstErr
}
