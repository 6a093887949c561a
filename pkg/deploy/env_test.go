package deploy

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/logx"
	"github.com/codelibs/recotem-go/pkg/repotest"
	"github.com/codelibs/recotem-go/pkg/serve"
)

// assignment is one `#NAME=value` line of the env example.
type assignment struct {
	name, value string
	line        int
	// example: the comment block above the line says "Example", so the
	// value is an illustration, not the default.
	example bool
}

var assignRE = regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=(.*)$`)

// parseEnvExample returns the assignments of the env example, commented
// out or not, in file order.
func parseEnvExample(text string) []assignment {
	var out []assignment
	var block []string // comment lines since the last blank line
	for i, line := range strings.Split(text, "\n") {
		if m := assignRE.FindStringSubmatch(line); m != nil {
			out = append(out, assignment{name: m[1], value: m[2], line: i + 1,
				example: strings.Contains(strings.Join(block, " "), "Example")})
			continue
		}
		if strings.TrimSpace(line) == "" {
			block = block[:0]
			continue
		}
		block = append(block, line)
	}
	return out
}

func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	as := parseEnvExample(read(t, envExample))
	seen := map[string]bool{}
	recipeVars := 0
	for _, a := range as {
		seen[a.name] = true
		if strings.HasPrefix(a.name, recipePrefix) {
			recipeVars++
		}
	}
	for _, name := range documented {
		if !seen[name] {
			t.Errorf("%s: %s is not documented (want a line '#%s=<default>')", envExample, name, name)
		}
	}
	if recipeVars == 0 {
		t.Errorf("%s: no %s* example line", envExample, recipePrefix)
	}
}

func TestEnvExampleNamesAreKnown(t *testing.T) {
	for _, a := range parseEnvExample(read(t, envExample)) {
		if strings.HasPrefix(a.name, "RECOTEM_") && !isDocumented(a.name) {
			t.Errorf("%s:%d: %s is not a variable recotem reads (typo?)", envExample, a.line, a.name)
		}
	}
}

// TestEnvExampleIsCommentedOut: a copied example must apply the defaults
// and never activate a placeholder key.
func TestEnvExampleIsCommentedOut(t *testing.T) {
	for i, line := range strings.Split(read(t, envExample), "\n") {
		if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "#") {
			t.Errorf("%s:%d: active line %q; every line of the example must be commented out", envExample, i+1, line)
		}
	}
}

// TestEnvExampleShowsServeDefaults uncomments every non-example line and
// checks that recotem-serve's configuration is the same as with an empty
// environment, without a single warning: the values the file calls
// defaults are the defaults.
func TestEnvExampleShowsServeDefaults(t *testing.T) {
	shown := map[string]string{}
	for _, a := range parseEnvExample(read(t, envExample)) {
		if !a.example && strings.HasPrefix(a.name, "RECOTEM_") {
			shown[a.name] = a.value
		}
	}
	for _, name := range []string{"RECOTEM_HOST", "RECOTEM_PORT", "RECOTEM_DRAIN_SECONDS", "RECOTEM_MAX_ARTIFACT_BYTES", "RECOTEM_MAX_BODY_BYTES"} {
		if _, ok := shown[name]; !ok {
			t.Fatalf("%s: %s shows no default", envExample, name)
		}
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	lookup := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	want, err := serve.ConfigFromEnv(lookup(nil), log, true)
	if err != nil {
		t.Fatalf("empty environment: %v", err)
	}
	got, err := serve.ConfigFromEnv(lookup(shown), log, true)
	if err != nil {
		t.Fatalf("environment of %s: %v", envExample, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: the values shown change the serve configuration:\n got  %+v\n want %+v", envExample, got, want)
	}
	if logs.Len() > 0 {
		t.Errorf("%s: the values shown cause warnings:\n%s", envExample, logs.String())
	}

	f, err := logx.ParseFormat(shown[logx.EnvFormat])
	if def, _ := logx.ParseFormat(""); err != nil || f != def {
		t.Errorf("%s: %s=%s is not the default (%v)", envExample, logx.EnvFormat, shown[logx.EnvFormat], err)
	}
	n, err := linalg.ParseThreads(shown[linalg.ThreadsEnv])
	if def, _ := linalg.ParseThreads(""); err != nil || n != def {
		t.Errorf("%s: %s=%s is not the default (%v)", envExample, linalg.ThreadsEnv, shown[linalg.ThreadsEnv], err)
	}
}

// nameRE matches a RECOTEM_ variable name (or, ending in '_', a prefix).
var nameRE = regexp.MustCompile(`RECOTEM_[A-Z0-9_]+`)

// TestSourceVariablesAreDocumented scans the non-test Go sources of every
// module for RECOTEM_ names: a variable the code reads must be in the
// documented list (and so in the env example). Test-helper packages (whose
// directory name ends in "test") and test switches (RECOTEM_TEST_*) are
// skipped.
func TestSourceVariablesAreDocumented(t *testing.T) {
	r := repotest.Root(t)
	found := scanSources(t, r, nameRE, 0)
	if len(found) == 0 {
		t.Fatal("no RECOTEM_ name found in the sources")
	}
	for name, p := range found {
		if name == recipePrefix || isDocumented(name) || strings.HasPrefix(name, "RECOTEM_TEST_") {
			continue
		}
		rel, _ := filepath.Rel(r, p)
		t.Errorf("%s reads %s, which is not documented: add it to %s and to the documented list of this test", rel, name, envExample)
	}
}

// libraryVariableRE matches an environment variable read by name in Go
// code: os.Getenv("NAME"), os.LookupEnv("NAME"), an injected getenv("NAME"),
// or a constant `EnvSomething = "NAME"`.
var libraryVariableRE = regexp.MustCompile(`(?:(?:Getenv|LookupEnv|getenv|lookupEnv)\(|Env[A-Za-z]* *= *)"([A-Z][A-Z0-9_]*)"`)

// TestEnvExampleNamesLibraryVariables: every variable outside RECOTEM_*
// that the code reads by name (NO_COLOR, the object-store endpoints and
// emulators, systemd's notify variables, ...) is mentioned in the env
// example. PATH needs no explanation.
func TestEnvExampleNamesLibraryVariables(t *testing.T) {
	example := read(t, envExample)
	r := repotest.Root(t)
	found := scanSources(t, r, libraryVariableRE, 1)
	for _, name := range []string{"NO_COLOR", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "STORAGE_EMULATOR_HOST", "NOTIFY_SOCKET"} {
		if _, ok := found[name]; !ok {
			t.Errorf("the scan did not find %s, which the code reads: is the pattern stale?", name)
		}
	}
	for name, p := range found {
		if strings.HasPrefix(name, "RECOTEM_") || name == "PATH" {
			continue
		}
		if !regexp.MustCompile(`\b` + name + `\b`).MatchString(example) {
			rel, _ := filepath.Rel(r, p)
			t.Errorf("%s reads %s, which %s does not mention", rel, name, envExample)
		}
	}
}

// scanSources returns, for every match of re (its submatch group) in the
// non-test Go sources of every module under root, the first file it occurs
// in. Test-helper packages (directory names ending in "test"), testdata and
// this package are skipped.
func scanSources(t *testing.T, root string, re *regexp.Regexp, group int) map[string]string {
	t.Helper()
	mods, err := filepath.Glob(filepath.Join(root, "recotem*"))
	if err != nil {
		t.Fatal(err)
	}
	mods = append(mods, filepath.Join(root, "pkg"))
	self, _ := os.Getwd()
	found := map[string]string{}
	for _, mod := range mods {
		err := filepath.WalkDir(mod, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" || strings.HasSuffix(d.Name(), "test") || p == self {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if _, ok := found[m[group]]; !ok {
					found[m[group]] = p
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return found
}
