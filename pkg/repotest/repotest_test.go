package repotest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoot(t *testing.T) {
	root := Root(t)
	if _, err := os.Stat(filepath.Join(root, "pkg", "repotest", "repotest.go")); err != nil {
		t.Fatalf("Root = %s, which does not hold this package: %v", root, err)
	}
}
