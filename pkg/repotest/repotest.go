// Package repotest locates the recotem repository from a test, for tests
// that check files outside their package (examples, docs, units).
package repotest

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the repository root: the nearest ancestor of the test's
// working directory (its package directory) that holds go.work. It fails
// the test when there is none.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the package directory: cannot find the repository root")
		}
		dir = parent
	}
}
