package recipe

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/recipe-reference.md from Reference()")

// referencePath is the committed recipe reference, relative to this package.
var referencePath = filepath.Join("..", "..", "docs", "recipe-reference.md")

// TestReference fails when the committed recipe reference differs from
// what Reference renders from the Go types; -update rewrites it.
func TestReference(t *testing.T) {
	got, err := Reference()
	if err != nil {
		t.Fatalf("Reference: %v", err)
	}
	if *update {
		tmp := referencePath + ".tmp"
		if err := os.WriteFile(tmp, got, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, referencePath); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("read %s: %v; run `go test ./recipe -run TestReference -update`", referencePath, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale; run `go test ./recipe -run TestReference -update`", referencePath)
	}
}

// TestReferenceContent checks that the reference names every field of
// the recipe, with its type, default and constraints.
func TestReferenceContent(t *testing.T) {
	got, err := Reference()
	if err != nil {
		t.Fatalf("Reference: %v", err)
	}
	text := string(got)
	for _, want := range []string{
		"| `name` | string | yes |",
		"`source` (type: csv)",
		"`source` (type: sql)",
		"| `source.connect_timeout_seconds` | integer |  | `10` | >= 1; <= 60 |",
		"| `training.split.scheme` | string |  | `\"random\"` |",
		"| `training.params` | mapping of (mapping or null) or null |",
		"| `cleansing.dedup` |",
		"| `item_metadata.fields` | list of string | yes |",
		"| `output.versioning` |",
		"When `training.split.scheme` is `time_user` or `time_global`, `schema.time_column` must be set.",
		"accepted names: ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "| `") && strings.HasSuffix(line, "|  |") {
			t.Errorf("field without description: %s", line)
		}
	}
}
