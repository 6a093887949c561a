package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/keys"
)

func TestKeygenBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "recotem-keygen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return o.String(), e.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), 0
	}
	signing := regexp.MustCompile(`^kid=test-kid\nplaintext=([0-9a-f]{64})\nfingerprint=[0-9a-f]{8}  # matches /security.posture log; NOT for config\nenv_entry=RECOTEM_SIGNING_KEYS=test-kid:([0-9a-f]{64})\n$`)
	out, _, code := run("--type", "signing", "--kid", "test-kid")
	m := signing.FindStringSubmatch(out)
	if code != 0 || m == nil || m[1] != m[2] || strings.Contains(out, "hash=") {
		t.Errorf("signing: exit %d\n%s", code, out)
	}
	if _, err := keys.ParseSigning("test-kid:" + m[1]); err != nil {
		t.Errorf("signing entry does not parse: %v", err)
	}
	api := regexp.MustCompile(`^kid=[0-9a-f]{8}\nplaintext=([A-Za-z0-9_-]{43})\nhash=sha256:([0-9a-f]{64})\nenv_entry=RECOTEM_API_KEYS=[0-9a-f]{8}:sha256:([0-9a-f]{64})\n$`)
	out, _, code = run("--type", "api")
	m = api.FindStringSubmatch(out)
	if code != 0 || m == nil || m[2] != m[3] || keys.HashAPIKeyHex(m[1]) != m[2] || strings.Contains(out, "fingerprint=") {
		t.Errorf("api: exit %d\n%s", code, out)
	}
	out, stderr, code := run("--type", "bogus")
	if code != 8 || out != "" || !strings.Contains(stderr, "--type must be 'signing' or 'api', got 'bogus'.") {
		t.Errorf("bogus type: exit %d stderr %q", code, stderr)
	}
	if _, _, code = run("--kid", "has space"); code != 2 {
		t.Errorf("bad kid: exit %d, want 2", code)
	}
	if _, _, code = run("--nope"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}
