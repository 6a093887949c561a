//go:build !amd64 || purego

package svd

// useFMA reports whether the assembly kernels run; never on this build.
const useFMA = false

// axpy64x4 computes y += w[0]·x0 + w[1]·x1 + w[2]·x2 + w[3]·x3; every x
// must be at least as long as y.
func axpy64x4(y []float64, w *[4]float64, x0, x1, x2, x3 []float64) {
	axpy64x4Go(y, w, x0, x1, x2, x3)
}

// rot applies the rotation x' = c·x − s·y, y' = s·x + c·y.
func rot(x, y []float64, c, s float64) { rotGo(x, y, c, s) }

// dot64 returns Σ x[i]·y[i]; len(y) must be at least len(x).
func dot64(x, y []float64) float64 { return dot64Go(x, y) }
