package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/payload"
)

const keyHex = "1111111111111111111111111111111111111111111111111111111111111111"

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "recotem-inspect")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func run(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestInspectBinary(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	ring, err := keys.ParseSigning("active:" + keyHex)
	if err != nil {
		t.Fatal(err)
	}
	w := payload.NewWriter()
	w.Strings("item_ids", []string{"i1", "i2"})
	w.Float32("ials.item_factors", []float32{1, 2, 3, 4})
	e, err := artifact.Encode(ring, &artifact.Header{RecipeName: "demo", BestClass: "IALSRecommender", Cutoff: 10}, w)
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model.recotem")
	if _, err := artifact.WriteFile(model, e, artifact.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.recotem")
	os.WriteFile(bad, []byte("XECOTEM\x00\x01\x00\x00\x01k"), 0o600)
	keysEnv := "RECOTEM_SIGNING_KEYS=active:" + keyHex

	out, stderr, code := run(t, bin, []string{keysEnv}, model)
	want := regexp.MustCompile(`^HMAC: OK  \(kid='active'\)\n\{\n  "recipe_name": "demo",\n  "recipe_hash": "",\n(.|\n)*  "payload_encoding": "recotem-go/1",\n  "engine_version": ".+"\n\}\n$`)
	if code != 0 || !want.MatchString(out) || stderr != "" {
		t.Errorf("ok: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}

	out, stderr, code = run(t, bin, []string{keysEnv}, "--json", "file://"+model)
	var doc map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc["hmac"] != "ok" || doc["model_version"] != e.ModelVersion() {
		t.Errorf("--json: exit %d\n%s\n%s", code, out, stderr)
	}

	out, stderr, code = run(t, bin, nil, model)
	if code != 8 || out != "" || !strings.Contains(stderr, "Cannot verify artifact (kid='active'): RECOTEM_SIGNING_KEYS is not set") {
		t.Errorf("no keys: exit %d stdout %q stderr %q", code, out, stderr)
	}
	_, stderr, code = run(t, bin, []string{"RECOTEM_SIGNING_KEYS=active:" + strings.Repeat("2", 64)}, model)
	if code != 5 || !strings.HasPrefix(stderr, "HMAC verification failed: ") {
		t.Errorf("wrong key: exit %d stderr %q", code, stderr)
	}
	_, stderr, code = run(t, bin, nil, bad)
	if code != 5 || !strings.HasPrefix(stderr, "Artifact parse failed: bad magic") {
		t.Errorf("bad magic: exit %d stderr %q", code, stderr)
	}
	_, stderr, code = run(t, bin, []string{"RECOTEM_ENV=production"}, "--dev-allow-unsigned", model)
	if code != 8 || !strings.Contains(stderr, "RECOTEM_ENV=development") {
		t.Errorf("dev flag in production: exit %d stderr %q", code, stderr)
	}
	_, stderr, code = run(t, bin, []string{keysEnv, "RECOTEM_ENV=development"}, "--dev-allow-unsigned", model)
	if code != 0 || !strings.Contains(stderr, "dev_allow_unsigned_ignored") {
		t.Errorf("dev flag with keys: exit %d stderr %q", code, stderr)
	}
	_, _, code = run(t, bin, nil)
	if code != 2 {
		t.Errorf("missing argument: exit %d, want 2", code)
	}
	_, stderr, code = run(t, bin, []string{keysEnv}, filepath.Join(dir, "missing.recotem"))
	if code != 5 || !strings.HasPrefix(stderr, "Cannot read artifact '") {
		t.Errorf("missing file: exit %d stderr %q", code, stderr)
	}
}

func TestInspectReferenceFixture(t *testing.T) {
	bin := build(t)
	want, err := os.ReadFile("../pkg/artifact/testdata/reference-pickle.inspect.golden")
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, bin, []string{"RECOTEM_SIGNING_KEYS=active:" + keyHex}, "../pkg/artifact/testdata/reference-pickle.recotem")
	if code != 0 || out != string(want) {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
}
