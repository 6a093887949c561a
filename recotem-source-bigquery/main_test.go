package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandLine runs the built plugin with the arguments recotem and
// people pass it: the protocol commands keep their exit codes, usage errors
// exit 2, and the kingpin flags every recotem binary has work.
func TestCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "recotem-source-bigquery")
	if out, err := exec.Command("go", "build", "-o", bin, "-ldflags",
		"-X github.com/codelibs/recotem-go/pkg/version.Version=1.2.3", ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	tests := []struct {
		name           string
		args           []string
		stdin          string
		code           int
		stdout, stderr string // substrings
	}{
		{"describe", []string{"describe"}, "", 0, `"type": "bigquery"`, ""},
		{"bad request", []string{"fetch"}, "nope", 3, "", "invalid request on stdin"},
		{"bad protocol", []string{"probe"}, `{"protocol":2}`, 3, "", "unsupported protocol 2"},
		{"no command", nil, "", 2, "", "expected a command"},
		{"unknown command", []string{"frobnicate"}, "", 2, "", `expected command but got "frobnicate"`},
		{"extra argument", []string{"describe", "x"}, "", 2, "", "unexpected x"},
		{"unknown flag", []string{"--bogus"}, "", 2, "", "unknown long flag '--bogus'"},
		{"help", []string{"--help"}, "", 0, "describe", ""},
		{"version", []string{"--version"}, "", 0, "recotem-source-bigquery version 1.2.3 (", ""},
		{"man page", []string{"--help-man"}, "", 0, ".TH recotem-source-bigquery 1 ", ""},
		{"bash completion script", []string{"--completion-script-bash"}, "", 0, "complete -F", ""},
		{"zsh completion script", []string{"--completion-script-zsh"}, "", 0, "#compdef recotem-source-bigquery", ""},
		{"completion", []string{"--completion-bash", "pr"}, "", 0, "probe", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					tc.args, code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}
