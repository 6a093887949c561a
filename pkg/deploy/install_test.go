package deploy

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/repotest"
)

// testVersion is the version stamped into the binaries this test builds
// itself (without RECOTEM_TEST_EXAMPLES_BIN).
const testVersion = "0.0.0-install.test"

// installed is what `make install DESTDIR=d PREFIX=/usr` must create under
// d, and nothing else: the binaries, the units, a man page per binary, the
// completion scripts and the environment example.
func installed() []string {
	var files []string
	for _, b := range binaries {
		files = append(files, "usr/bin/"+b, "usr/share/man/man1/"+b+".1")
	}
	for _, u := range units {
		files = append(files, "lib/systemd/system/"+filepath.Base(u))
	}
	files = append(files,
		"usr/share/bash-completion/completions/recotem",
		"usr/share/zsh/site-functions/_recotem",
		"usr/share/doc/recotem/recotem.env.example",
	)
	slices.Sort(files)
	return files
}

// TestMakeInstall runs `make install DESTDIR=<tmp> PREFIX=/usr` on built
// binaries (those of RECOTEM_TEST_EXAMPLES_BIN, which `make test` points at
// bin/, else a fresh build) with `-o build`, so the repository's bin/ is
// only read, and checks every file that lands: binaries, units rewritten to
// /usr/bin, valid man pages with the binary's name and version in the
// header, the completion scripts of `recotem`, the environment example.
func TestMakeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make install")
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skipf("make not installed: %v", err)
	}
	r := repotest.Root(t)
	bin := installBinaries(t, r)
	dest, gen := t.TempDir(), t.TempDir()
	cmd := exec.Command(mk, "--no-print-directory", "-C", r, "-o", "build", "install",
		"BIN="+bin, "GENDIR="+gen, "DESTDIR="+dest, "PREFIX=/usr")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}

	var got []string
	err = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dest, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := installed(); !slices.Equal(got, want) {
		t.Errorf("installed files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	for _, b := range binaries {
		t.Run(b, func(t *testing.T) {
			checkSameFile(t, filepath.Join(dest, "usr/bin", b), filepath.Join(bin, b), 0o755)
			checkManPage(t, filepath.Join(dest, "usr/share/man/man1", b+".1"), b, binaryVersion(t, filepath.Join(bin, b)))
			// Every binary prints its own completion scripts too.
			for _, flag := range []string{"--completion-script-bash", "--completion-script-zsh"} {
				out, err := exec.Command(filepath.Join(bin, b), flag).Output()
				if err != nil || !strings.Contains(string(out), b) {
					t.Errorf("%s %s: %v\n%s", b, flag, err, out)
				}
			}
		})
	}
	for _, u := range units {
		p := filepath.Join(dest, "lib/systemd/system", filepath.Base(u))
		text := readFile(t, p)
		checkMode(t, p, 0o644)
		if want := strings.ReplaceAll(read(t, u), installBin, "/usr/bin/"); text != want {
			t.Errorf("%s: not the unit %s with %s rewritten to /usr/bin/", p, u, installBin)
		}
	}
	for _, c := range []struct{ path, flag string }{
		{"usr/share/bash-completion/completions/recotem", "--completion-script-bash"},
		{"usr/share/zsh/site-functions/_recotem", "--completion-script-zsh"},
	} {
		p := filepath.Join(dest, c.path)
		checkMode(t, p, 0o644)
		want, err := exec.Command(filepath.Join(bin, "recotem"), c.flag).Output()
		if err != nil {
			t.Fatalf("recotem %s: %v", c.flag, err)
		}
		if text := readFile(t, p); text != string(want) || !strings.Contains(text, "__complete") {
			t.Errorf("%s is not the output of recotem %s", p, c.flag)
		}
	}
	env := filepath.Join(dest, "usr/share/doc/recotem/recotem.env.example")
	checkMode(t, env, 0o644)
	if readFile(t, env) != read(t, envExample) {
		t.Errorf("%s differs from %s", env, envExample)
	}
}

// installBinaries returns a directory holding every binary: that of
// RECOTEM_TEST_EXAMPLES_BIN, or a new build stamped with testVersion.
func installBinaries(t *testing.T, r string) string {
	t.Helper()
	if dir := os.Getenv("RECOTEM_TEST_EXAMPLES_BIN"); dir != "" {
		for _, b := range binaries {
			if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
				t.Fatalf("RECOTEM_TEST_EXAMPLES_BIN: %v", err)
			}
		}
		return dir
	}
	dir := t.TempDir()
	args := []string{"build", "-ldflags", "-X github.com/codelibs/recotem-go/pkg/version.Version=" + testVersion,
		"-o", dir + string(filepath.Separator)}
	for _, b := range binaries {
		args = append(args, "./"+b)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = r
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return dir
}

// binaryVersion returns the version word of `b --version` ("NAME version
// VERSION (go...)").
func binaryVersion(t *testing.T, b string) string {
	t.Helper()
	out, err := exec.Command(b, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", b, err)
	}
	f := strings.Fields(string(out))
	if len(f) < 3 || f[0] != filepath.Base(b) || f[1] != "version" {
		t.Fatalf("%s --version = %q", b, out)
	}
	if env := os.Getenv("RECOTEM_TEST_EXAMPLES_BIN"); env == "" && f[2] != testVersion {
		t.Errorf("%s --version = %q, want version %s", b, out, testVersion)
	}
	return f[2]
}

var thRE = regexp.MustCompile(`^\.TH (\S+) 1 (\S+) "recotem (\S+)" "Recotem Manual"$`)

// checkManPage checks the header and NAME section of the page of binary
// name, and renders it with groff (every warning enabled) when installed.
func checkManPage(t *testing.T, p, name, version string) {
	t.Helper()
	checkMode(t, p, 0o644)
	text := readFile(t, p)
	lines := strings.Split(text, "\n")
	m := thRE.FindStringSubmatch(lines[0])
	if m == nil || m[1] != name || m[2] != version || m[3] != version {
		t.Errorf("%s: header %q, want .TH %s 1 %s \"recotem %s\" \"Recotem Manual\"", p, lines[0], name, version, version)
	}
	if len(lines) < 3 || lines[1] != `.SH "NAME"` || !strings.HasPrefix(lines[2], name+` \- `) {
		t.Errorf("%s: NAME section %q, want %q followed by %q", p, lines[1:min(3, len(lines))], `.SH "NAME"`, name+` \- summary`)
	}
	for _, want := range []string{`.SH "SYNOPSIS"`, `.SH "DESCRIPTION"`, `.SH "OPTIONS"`, `\fB--version\fR`} {
		if !strings.Contains(strings.ReplaceAll(text, `\-`, "-"), want) {
			t.Errorf("%s lacks %s", p, want)
		}
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		if os.Getenv("RECOTEM_TEST_REQUIRE_SERVICES") == "1" {
			t.Errorf("groff required (RECOTEM_TEST_REQUIRE_SERVICES=1) to render %s: %v", p, err)
		} else {
			t.Logf("groff not installed (apt-get install groff-base): %s not rendered", p)
		}
		return
	}
	var stderr bytes.Buffer
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", p)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("groff -man -ww %s: %v\n%s", p, err, stderr.String())
	}
}

// checkSameFile checks that p has mode perm and the content of src.
func checkSameFile(t *testing.T, p, src string, perm fs.FileMode) {
	t.Helper()
	checkMode(t, p, perm)
	a, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s differs from %s", p, src)
	}
}

func checkMode(t *testing.T, p string, perm fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Error(err)
		return
	}
	if fi.Mode().Perm() != perm {
		t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), perm)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
