// Package openblas binds the few OpenBLAS entry points the blas build uses
// (go build -tags blas, CGO_ENABLED=1, Debian's libopenblas-dev). It is a
// package of its own because a package using cgo cannot hold Go assembly,
// and linalg's kernels are assembly. Without the blas tag it is empty.
package openblas
