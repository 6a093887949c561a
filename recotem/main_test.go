package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// builtBinary is the recotem dispatcher built once by TestMain; tests copy
// it into their own temporary directory, which then is its "own directory".
var builtBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "recotem-dispatch-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	builtBinary = filepath.Join(dir, "recotem")
	build := exec.Command("go", "build", "-o", builtBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building recotem:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// install copies the dispatcher into a new directory and returns its path.
func install(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "recotem")
	data, err := os.ReadFile(builtBinary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// script writes an executable /bin/sh script dir/name.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// result is the outcome of one process run.
type result struct {
	stdout, stderr string
	code           int
}

// run executes bin with args, PATH set to path plus the system directories
// the test scripts need, and RECOTEM_EXEC_PATH set to execPath.
func run(t *testing.T, bin, execPath, path string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = testEnv(execPath, path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", bin, err)
	}
	return result{out.String(), errb.String(), code}
}

func testEnv(execPath, path string) []string {
	sys := "/usr/bin:/bin"
	if path != "" {
		sys = path + ":" + sys
	}
	return []string{"PATH=" + sys, "RECOTEM_EXEC_PATH=" + execPath, "LC_ALL=C"}
}

func TestStreamsAndExitCodeArePassedThrough(t *testing.T) {
	bin := install(t)
	body := `printf 'out\000\377bytes\n'
printf 'err\001line\n' >&2
printf 'more-out' 
exit 6`
	fake := script(t, filepath.Dir(bin), "recotem-foo", body)

	want := run(t, fake, "", "")
	got := run(t, bin, "", "", "foo")
	if got.code != 6 || want.code != 6 {
		t.Fatalf("exit code = %d (direct %d), want 6", got.code, want.code)
	}
	if got.stdout != want.stdout || got.stderr != want.stderr {
		t.Errorf("streams differ:\nvia recotem stdout %q stderr %q\ndirect      stdout %q stderr %q",
			got.stdout, got.stderr, want.stdout, want.stderr)
	}
	if !strings.Contains(got.stdout, "out\x00\xffbytes") {
		t.Errorf("stdout %q lacks the binary bytes", got.stdout)
	}
}

func TestArgumentsPassThroughUntouched(t *testing.T) {
	bin := install(t)
	script(t, filepath.Dir(bin), "recotem-args", `printf 'argv0=%s\n' "$0"; for a in "$@"; do printf '[%s]\n' "$a"; done`)
	args := []string{"--help", "--version", "-v", "", "a b", "--", "x=y", "help"}
	got := run(t, bin, "", "", append([]string{"args"}, args...)...)
	if got.code != 0 {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	want := "argv0=" + filepath.Join(filepath.Dir(bin), "recotem-args") + "\n"
	for _, a := range args {
		want += "[" + a + "]\n"
	}
	if got.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", got.stdout, want)
	}
}

func TestSignalReachesCommand(t *testing.T) {
	bin := install(t)
	dir := t.TempDir()
	pidFile, marker := filepath.Join(dir, "pid"), filepath.Join(dir, "marker")
	script(t, filepath.Dir(bin), "recotem-wait", fmt.Sprintf(`trap 'echo term > %s; exit 77' TERM
echo $$ > %s.tmp && mv %s.tmp %s
while :; do sleep 0.01; done`, marker, pidFile, pidFile, pidFile))

	cmd := exec.Command(bin, "wait")
	cmd.Env = testEnv("", "")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pid []byte
	for deadline := time.Now().Add(20 * time.Second); ; {
		var err error
		if pid, err = os.ReadFile(pidFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("command did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got, err := strconv.Atoi(strings.TrimSpace(string(pid))); err != nil || got != cmd.Process.Pid {
		t.Errorf("command pid = %q, dispatcher pid = %d: exec must replace the process", pid, cmd.Process.Pid)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 77 {
		t.Fatalf("wait = %v, want exit status 77 from the command's TERM trap", err)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "term\n" {
		t.Errorf("marker = %q, %v", b, err)
	}
}

func TestLookupOrder(t *testing.T) {
	bin := install(t)
	own := filepath.Dir(bin)
	exec1, exec2, path := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []struct{ dir, names string }{
		{own, "a"},
		{exec1, "a b"},
		{exec2, "a b c"},
		{path, "a b c d"},
	} {
		for _, n := range strings.Fields(d.names) {
			script(t, d.dir, "recotem-"+n, "echo "+d.dir)
		}
	}
	// A non-executable file and a directory earlier on the path are skipped.
	if err := os.WriteFile(filepath.Join(exec1, "recotem-c"), []byte("#!/bin/sh\necho wrong\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(exec1, "recotem-d"), 0o755); err != nil {
		t.Fatal(err)
	}
	execPath := "relative/dir::" + exec1 + ":" + exec2
	for cmd, want := range map[string]string{"a": own, "b": exec1, "c": exec2, "d": path} {
		got := run(t, bin, execPath, path, cmd)
		if got.code != 0 || strings.TrimSpace(got.stdout) != want {
			t.Errorf("recotem %s ran from %q (exit %d, stderr %q), want %s", cmd, got.stdout, got.code, got.stderr, want)
		}
	}
}

func TestOwnDirectoryResolvesSymlinks(t *testing.T) {
	bin := install(t)
	script(t, filepath.Dir(bin), "recotem-where", "echo real")
	linkDir := t.TempDir()
	link := filepath.Join(linkDir, "recotem")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	script(t, linkDir, "recotem-where", "echo link")
	got := run(t, link, "", "", "where")
	if strings.TrimSpace(got.stdout) != "real" {
		t.Errorf("via symlink ran %q (stderr %q), want the command beside the real binary", got.stdout, got.stderr)
	}
}

func TestHelpListsCommandsAndExtensions(t *testing.T) {
	bin := install(t)
	own := filepath.Dir(bin)
	later := t.TempDir()
	script(t, own, "recotem-foo", "exit 0")
	script(t, own, "recotem-train", "exit 0")
	script(t, own, "recotem-source-bigquery", "exit 0")
	script(t, later, "recotem-foo", "exit 0") // duplicate: first found wins
	script(t, later, "recotem-zeta", "exit 0")
	if err := os.WriteFile(filepath.Join(later, "recotem-noexec"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(later, "recotem-adir"), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {}} {
		got := run(t, bin, later, "", args...)
		wantCode, out := 0, got.stdout
		if len(args) == 0 {
			wantCode, out = 2, got.stderr
		}
		if got.code != wantCode {
			t.Errorf("recotem %v exit %d, want %d", args, got.code, wantCode)
		}
		for _, want := range []string{
			`\n  train +Fetch`, `\n  serve +Serve`, `\n  inspect +Verify`, `\n  validate +Check`,
			`\n  schema +Print`, `\n  keygen +Generate`,
			`\n  foo +` + regexp.QuoteMeta(filepath.Join(own, "recotem-foo")) + `\n`,
			`\n  zeta +` + regexp.QuoteMeta(filepath.Join(later, "recotem-zeta")) + `\n`,
			`Source plugins[^\n]*\n  bigquery +` + regexp.QuoteMeta(filepath.Join(own, "recotem-source-bigquery")),
		} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("recotem %v output lacks %q:\n%s", args, want, out)
			}
		}
		for _, bad := range []string{"noexec", "adir", filepath.Join(later, "recotem-foo"), "  source-bigquery"} {
			if strings.Contains(out, bad) {
				t.Errorf("recotem %v output contains %q:\n%s", args, bad, out)
			}
		}
		if strings.Contains(lineWith(out, "  train "), "not installed") ||
			!strings.Contains(lineWith(out, "  serve "), "not installed") {
			t.Errorf("installed markers wrong:\n%s", out)
		}
	}
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func TestHelpCommandRunsCommandHelp(t *testing.T) {
	bin := install(t)
	script(t, filepath.Dir(bin), "recotem-foo", `echo "foo got: $*"; exit 3`)
	got := run(t, bin, "", "", "help", "foo")
	if got.code != 3 || got.stdout != "foo got: --help\n" {
		t.Errorf("recotem help foo = %+v, want recotem-foo --help", got)
	}
	got = run(t, bin, "", "", "help", "fooo")
	if got.code != 2 || got.stderr != "recotem: 'fooo' is not a recotem command. Did you mean 'foo'?\n" {
		t.Errorf("recotem help fooo = %+v", got)
	}
	got = run(t, bin, "", "", "help", "foo", "bar")
	if got.code != 2 || strings.Count(got.stderr, "\n") != 1 {
		t.Errorf("recotem help foo bar = %+v, want one usage line and exit 2", got)
	}
}

func TestUnknownCommand(t *testing.T) {
	bin := install(t)
	script(t, filepath.Dir(bin), "recotem-frobnicate", "exit 0")
	for _, c := range []struct{ arg, stderr string }{
		{"trian", "recotem: 'trian' is not a recotem command. Did you mean 'train'?\n"},
		{"srve", "recotem: 'srve' is not a recotem command. Did you mean 'serve'?\n"},
		{"val", "recotem: 'val' is not a recotem command. Did you mean 'validate'?\n"},
		{"frobnicat", "recotem: 'frobnicat' is not a recotem command. Did you mean 'frobnicate'?\n"},
		{"xyzzy", "recotem: 'xyzzy' is not a recotem command. See 'recotem help'.\n"},
		{"../recotem-frobnicate", "recotem: '../recotem-frobnicate' is not a recotem command. See 'recotem help'.\n"},
		{"--bogus", "recotem: unknown flag '--bogus', try 'recotem --help'\n"},
	} {
		got := run(t, bin, "", "", c.arg)
		if got.code != 2 || got.stderr != c.stderr || got.stdout != "" {
			t.Errorf("recotem %s = %+v, want exit 2 and %q", c.arg, got, c.stderr)
		}
	}
}

func TestMissingBuiltinExitsConfig(t *testing.T) {
	bin := install(t)
	got := run(t, bin, "", "", "train", "recipe.yaml")
	if got.code != 8 || strings.Count(got.stderr, "\n") != 1 ||
		!strings.Contains(got.stderr, "'train' is not installed") ||
		!strings.Contains(got.stderr, filepath.Dir(bin)) {
		t.Errorf("missing recotem-train = %+v, want one line naming the search path and exit 8", got)
	}
}

func TestNotExecutableFoundExitsConfig(t *testing.T) {
	bin := install(t)
	// A script whose interpreter does not exist: execve fails with ENOENT.
	p := filepath.Join(filepath.Dir(bin), "recotem-broken")
	if err := os.WriteFile(p, []byte("#!/nonexistent/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := run(t, bin, "", "", "broken")
	if got.code != 8 || !strings.HasPrefix(got.stderr, "recotem: cannot execute "+p+": ") {
		t.Errorf("broken command = %+v", got)
	}
}

func TestVersion(t *testing.T) {
	bin := install(t)
	got := run(t, bin, "", "", "--version")
	if got.code != 0 || !strings.HasPrefix(got.stdout, "recotem version dev (go") {
		t.Errorf("--version = %+v", got)
	}
	// The Makefile sets the version with -ldflags -X.
	out := filepath.Join(t.TempDir(), "recotem")
	build := exec.Command("go", "build", "-o", out, "-ldflags",
		"-X github.com/codelibs/recotem-go/pkg/version.Version=1.2.3", ".")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	got = run(t, out, "", "", "--version")
	if !strings.HasPrefix(got.stdout, "recotem version 1.2.3 (") {
		t.Errorf("--version with -X = %q", got.stdout)
	}
}

func TestComplete(t *testing.T) {
	bin := install(t)
	script(t, filepath.Dir(bin), "recotem-foo", `printf '%s|' "$@"`)
	script(t, filepath.Dir(bin), "recotem-source-x", "exit 0")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete"}, "help\ntrain\nserve\ninspect\nvalidate\nschema\nkeygen\nfoo\n"},
		{[]string{"__complete", ""}, "help\ntrain\nserve\ninspect\nvalidate\nschema\nkeygen\nfoo\n"},
		{[]string{"__complete", "s"}, "serve\nschema\n"},
		{[]string{"__complete", "--"}, "--help\n--version\n"},
		{[]string{"__complete", "help", "f"}, "foo\n"},
		{[]string{"--completion-bash", "tr"}, "train\n"},
		// Past the command name, the command's kingpin completion answers.
		{[]string{"__complete", "foo", "--fl"}, "--completion-bash|--fl|"},
		{[]string{"__complete", "foo", "x", ""}, "--completion-bash|x||"},
		{[]string{"__complete", "nosuch", ""}, ""},
	} {
		got := run(t, bin, "", "", c.args...)
		if got.code != 0 || got.stdout != c.want {
			t.Errorf("recotem %q = %+v, want %q", c.args, got, c.want)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	bin := install(t)
	scripts := map[string]string{}
	for _, flag := range []string{"--completion-script-bash", "--completion-script-zsh"} {
		got := run(t, bin, "", "", flag)
		if got.code != 0 || !strings.Contains(got.stdout, "__complete") {
			t.Errorf("%s = %+v", flag, got)
		}
		scripts[flag] = got.stdout
	}
	script(t, filepath.Dir(bin), "recotem-foo", `printf -- '--alpha\n--beta\n'`)
	t.Run("bash", func(t *testing.T) {
		bash := lookTool(t, "bash", "bash", "the bash script was only checked for content")
		// Load the bash script and complete "recotem tr<TAB>" and
		// "recotem foo --a<TAB>" as bash would.
		prog := `eval "$(recotem --completion-script-bash)"
COMP_WORDS=(recotem tr); COMP_CWORD=1; _recotem_bash_autocomplete; echo "${COMPREPLY[@]}"
COMP_WORDS=(recotem foo --a); COMP_CWORD=2; _recotem_bash_autocomplete; echo "${COMPREPLY[@]}"`
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
		cmd.Env = testEnv("", filepath.Dir(bin))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		if string(out) != "train\n--alpha\n" {
			t.Errorf("bash completion = %q, want %q", out, "train\n--alpha\n")
		}
	})
	t.Run("zsh", func(t *testing.T) {
		zsh := lookTool(t, "zsh", "zsh", "the zsh script was only checked for content")
		// The script installed by `make install` as site-functions/_recotem.
		fpath := t.TempDir()
		if err := os.WriteFile(filepath.Join(fpath, "_recotem"), []byte(scripts["--completion-script-zsh"]), 0o644); err != nil {
			t.Fatal(err)
		}
		want := "train\nserve\nschema\n--alpha\nkeygen\n<files>\n"
		for _, mode := range []struct{ name, load, want string }{
			// source <(recotem --completion-script-zsh): registers _recotem.
			{"eval", `eval "$(recotem --completion-script-zsh)"`, "compdef _recotem recotem\n" + want},
			// Autoloaded from $fpath: the first call completes too.
			{"fpath", `fpath=(` + fpath + ` $fpath); autoload -Uz _recotem`, want},
		} {
			cmd := exec.Command(zsh, "-f", "-c", zshCompletionHarness+mode.load+"\n"+zshCompletions)
			cmd.Env = testEnv("", filepath.Dir(bin))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("zsh (%s): %v\n%s", mode.name, err, out)
			}
			if string(out) != mode.want {
				t.Errorf("zsh completion (%s) = %q, want %q", mode.name, out, mode.want)
			}
		}
	})
}

// zshCompletionHarness runs the zsh completion function outside the line
// editor: compadd, compdef and _files only work inside a completion widget,
// so they are replaced by functions that print what they were given
// (compadd keeps the candidates starting with $PREFIX, as the real one does).
// `complete WORDS...` completes the last word of a command line.
const zshCompletionHarness = `typeset -gA compstate
compadd() {
    [[ $1 == -a ]] || return 1
    local -a m=("${(@P)2}")
    m=(${(M)m:#${PREFIX}*})
    compstate[nmatches]=${#m}
    (( ${#m} )) && print -rl -- $m
    return 0
}
_files() { print -r -- "<files>" }
compdef() { print -r -- "compdef $*" }
complete() { words=("$@"); CURRENT=$#; PREFIX=${words[-1]}; compstate[nmatches]=0; _recotem }
`

// zshCompletions are the command lines completed by the zsh test: a
// command, two commands sharing a prefix, an extension's flag (answered by
// the extension), a command after help, and the file fallback.
const zshCompletions = `complete recotem tr
complete recotem s
complete recotem foo --a
complete recotem help ke
complete recotem nosuch x
`

// lookTool returns the path of the program name (Debian package pkg), or
// skips the test, saying what stays unchecked; with
// RECOTEM_TEST_REQUIRE_SERVICES=1 (CI, which installs it) a missing
// program fails the test instead.
func lookTool(t *testing.T, name, pkg, unchecked string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("RECOTEM_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("%s required (RECOTEM_TEST_REQUIRE_SERVICES=1) but not installed (apt-get install %s): %v", name, pkg, err)
		}
		t.Skipf("%s not installed (apt-get install %s): %s", name, pkg, unchecked)
	}
	return p
}

func TestManPage(t *testing.T) {
	bin := install(t)
	got := run(t, bin, "", "", "--help-man")
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("--help-man = %+v", got)
	}
	lines := strings.Split(got.stdout, "\n")
	if lines[0] != `.TH recotem 1 dev "recotem dev" "Recotem Manual"` {
		t.Errorf("header %q: want the name, section 1 and the version as one word", lines[0])
	}
	for _, want := range []string{".SH \"NAME\"\nrecotem \\- ", ".SH \"SYNOPSIS\"", ".SH \"EXIT STATUS\"", "RECOTEM_EXEC_PATH", "\\fB\\-\\-help\\-man\\fR"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	for _, b := range builtins {
		if !strings.Contains(got.stdout, ".SS\n\\fB"+b.name+"\\fR\n") || !strings.Contains(got.stdout, "\\fBrecotem-"+b.name+"\\fR(1)") {
			t.Errorf("man page lacks command %s", b.name)
		}
	}
	// The page is static: extension commands are not listed.
	script(t, filepath.Dir(bin), "recotem-foo", "exit 0")
	if again := run(t, bin, "", "", "--help-man"); again.stdout != got.stdout {
		t.Error("the man page depends on the installed extensions")
	}
	groff := lookTool(t, "groff", "groff-base", "the man page was not rendered")
	page := filepath.Join(t.TempDir(), "recotem.1")
	if err := os.WriteFile(page, []byte(got.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	// -ww: every warning; -z: no output, only the diagnostics.
	if out, err := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", page).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff: %v\n%s", err, out)
	}
}

func TestHelpLongIsHelp(t *testing.T) {
	bin := install(t)
	help, long := run(t, bin, "", "", "--help"), run(t, bin, "", "", "--help-long")
	if long.code != 0 || long.stdout != help.stdout {
		t.Errorf("--help-long = %+v, want the --help output", long)
	}
}
