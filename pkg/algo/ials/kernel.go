package ials

import (
	"context"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"sync"
	"sync/atomic"
)

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
			linalg.Axpy4(g[a*k+a:(a+1)*k], c0*v0[a], c1*v1[a], c2*v2[a], c3*v3[a], v0[a:], v1[a:], v2[a:], v3[a:])
		}
	}
	for ; j < n; j++ {
		v, c := row(j)
		for a := 0; a < k; a++ {
			linalg.Axpy(c*v[a], v[a:], g[a*k+a:(a+1)*k])
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
