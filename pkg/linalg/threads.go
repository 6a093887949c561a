package linalg

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ThreadsEnv is the environment variable that bounds the goroutines used by
// fit, scoring and evaluation.
const ThreadsEnv = "RECOTEM_THREADS"

// ParseThreads parses a thread count as given in RECOTEM_THREADS: a positive
// integer. An empty string means GOMAXPROCS.
func ParseThreads(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return runtime.GOMAXPROCS(0), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: %q is not a positive integer", ThreadsEnv, s)
	}
	return n, nil
}

// Threads returns the default thread count: RECOTEM_THREADS when it holds a
// positive integer, GOMAXPROCS otherwise. Commands that want to reject a
// malformed value call ParseThreads(os.Getenv(ThreadsEnv)) themselves.
func Threads() int {
	n, err := ParseThreads(os.Getenv(ThreadsEnv))
	if err != nil {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// ParallelFor calls fn over disjoint sub-ranges [lo, hi) covering [0, n),
// using at most threads goroutines (threads < 1 means 1). Ranges are handed
// out dynamically in chunks of about n/(8·threads) so skewed work balances.
// It returns when every call has returned. With one thread (or n small)
// fn runs on the calling goroutine.
func ParallelFor(n, threads int, fn func(lo, hi int)) {
	ParallelForWorker(n, 0, threads, func(_, lo, hi int) { fn(lo, hi) })
}

// ParallelForWorker is ParallelFor with an explicit chunk size (grain < 1
// picks one) and the worker number w ∈ [0, threads) passed to fn, so each
// worker can own a scratch buffer. Two calls with the same w never run
// concurrently.
func ParallelForWorker(n, grain, threads int, fn func(w, lo, hi int)) {
	_ = ParallelForErr(context.Background(), n, grain, threads, func(w, lo, hi int) error {
		fn(w, lo, hi)
		return nil
	})
}

// ParallelForErr is ParallelForWorker for work that can fail or be
// cancelled: it stops handing out chunks once ctx is done or a call of fn
// has failed, waits for the calls running, and returns the first error
// (ctx.Err() on cancellation).
func ParallelForErr(ctx context.Context, n, grain, threads int, fn func(w, lo, hi int) error) error {
	if n <= 0 {
		return ctx.Err()
	}
	threads = max(threads, 1)
	if grain < 1 {
		grain = max(n/(8*threads), 1)
	}
	chunks := (n + grain - 1) / grain
	threads = min(threads, chunks)
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
			c := int(next.Add(1)) - 1
			if c >= chunks {
				return
			}
			lo := c * grain
			if err := fn(w, lo, min(lo+grain, n)); err != nil {
				fail(err)
				return
			}
		}
	}
	if threads == 1 {
		work(0)
		return firstErr
	}
	var wg sync.WaitGroup
	wg.Add(threads)
	for w := range threads {
		go func() {
			defer wg.Done()
			work(w)
		}()
	}
	wg.Wait()
	return firstErr
}
