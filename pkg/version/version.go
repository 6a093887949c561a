// Package version holds the release version of the recotem binaries, set
// at build time by the Makefile with
// -ldflags "-X github.com/codelibs/recotem-go/pkg/version.Version=...".
// It imports only the standard library, so any binary or library may
// report it.
package version

import (
	"fmt"
	"runtime"
	"strings"
)

// Version is the release version ("dev" for untagged builds).
var Version = "dev"

// Text returns what --version prints: the command, the version, the Go
// runtime, and any extra lines (for example which numeric kernels the
// binary carries).
func Text(name string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s version %s (%s %s/%s)", name, Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, e := range extra {
		b.WriteString("\n")
		b.WriteString(e)
	}
	return b.String()
}
