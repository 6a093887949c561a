//go:build !unix

package algotest

import "time"

// CPUTime returns 0: the platform cannot tell.
func CPUTime() time.Duration { return 0 }
