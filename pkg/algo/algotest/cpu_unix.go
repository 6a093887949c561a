//go:build unix

package algotest

import (
	"syscall"
	"time"
)

// CPUTime returns the user+system CPU time consumed by the process so far,
// or 0 when the platform cannot tell.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
