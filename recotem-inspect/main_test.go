package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/blobtest"
	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/payload"
	"github.com/codelibs/recotem-go/pkg/uri"
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

// TestInspectRemote inspects artifacts behind s3://, az://, gs:// and
// https:// URIs (an S3-compatible server and a GCS emulator in process,
// Azurite when scripts/objectstores.sh installed it, a TLS server the
// binary trusts through SSL_CERT_FILE), following the pointer object that
// train writes beside the versioned artifact.
func TestInspectRemote(t *testing.T) {
	bin := build(t)
	ring, err := keys.ParseSigning("active:" + keyHex)
	if err != nil {
		t.Fatal(err)
	}
	w := payload.NewWriter()
	w.Strings("item_ids", []string{"i1", "i2"})
	e, err := artifact.Encode(ring, &artifact.Header{RecipeName: "remote", BestClass: "TopPopRecommender", Cutoff: 5}, w)
	if err != nil {
		t.Fatal(err)
	}
	versioned := artifact.VersionedName("demo.recotem", e.SHA256())
	keysEnv := "RECOTEM_SIGNING_KEYS=active:" + keyHex
	ctx := context.Background()

	// upload puts the versioned artifact and its pointer, as train does,
	// and a pointer whose target was never written, under prefix.
	upload := func(t *testing.T, prefix string) {
		t.Helper()
		store := &uri.Store{}
		for name, b := range map[string][]byte{versioned: e.Bytes(), "demo.recotem": []byte(versioned + "\n"),
			"gone.recotem": []byte("gone.0badf00d.recotem\n")} {
			if err := store.WriteFile(ctx, prefix+"/"+name, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	// check runs the binary on the artifacts under prefix.
	check := func(t *testing.T, prefix string, env []string) {
		t.Helper()
		wrongKey := append(env[:len(env):len(env)], "RECOTEM_SIGNING_KEYS=active:"+strings.Repeat("2", 64))
		env = append(env[:len(env):len(env)], keysEnv)
		for _, name := range []string{"demo.recotem", versioned} {
			out, stderr, code := run(t, bin, env, prefix+"/"+name)
			if code != 0 || !strings.HasPrefix(out, "HMAC: OK  (kid='active')\n{\n  \"recipe_name\": \"remote\",") {
				t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", name, code, out, stderr)
			}
		}
		out, stderr, code := run(t, bin, env, "--json", prefix+"/demo.recotem")
		var doc struct {
			HMAC         string `json:"hmac"`
			ModelVersion string `json:"model_version"`
			Sections     []struct{ Name string }
		}
		if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.HMAC != "ok" || doc.ModelVersion != e.ModelVersion() ||
			len(doc.Sections) != 1 || doc.Sections[0].Name != "item_ids" {
			t.Errorf("--json: exit %d\n%s\n%s", code, out, stderr)
		}
		// A pointer whose target is missing fails as a local one does.
		_, stderr, code = run(t, bin, env, prefix+"/gone.recotem")
		want := "pointer '" + prefix + "/gone.recotem' references missing artifact '" + prefix + "/gone.0badf00d.recotem'\n"
		if code != 5 || stderr != want {
			t.Errorf("pointer to a missing artifact: exit %d stderr %q, want 5 %q", code, stderr, want)
		}
		_, stderr, code = run(t, bin, env, prefix+"/none.recotem")
		if code != 5 || !strings.HasPrefix(stderr, "Cannot read artifact '"+prefix+"/none.recotem': ") {
			t.Errorf("missing object: exit %d stderr %q", code, stderr)
		}
		_, stderr, code = run(t, bin, wrongKey, prefix+"/demo.recotem")
		if code != 5 || !strings.HasPrefix(stderr, "HMAC verification failed: HMAC mismatch for kid 'active'") {
			t.Errorf("wrong key: exit %d stderr %q", code, stderr)
		}
	}

	t.Run("s3", func(t *testing.T) {
		backend := s3mem.New()
		if err := backend.CreateBucket("models"); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(gofakes3.New(backend).Server())
		defer srv.Close()
		env := []string{"AWS_ACCESS_KEY_ID=test-key", "AWS_SECRET_ACCESS_KEY=test-secret", "AWS_REGION=us-east-1",
			"AWS_ENDPOINT_URL_S3=" + srv.URL, "AWS_EC2_METADATA_DISABLED=true"}
		setenv(t, env)
		upload(t, "s3://models/demo")
		check(t, "s3://models/demo", env)
		// "s3:/x" (a slash lost in a shell or a path join) is repaired.
		if out, stderr, code := run(t, bin, append(env, keysEnv), "s3:/models/demo/demo.recotem"); code != 0 || !strings.HasPrefix(out, "HMAC: OK") {
			t.Errorf("s3:/ repaired: exit %d %s", code, stderr)
		}
	})

	t.Run("az", func(t *testing.T) {
		_, env := blobtest.StartAzurite(t, "models")
		upload(t, "az://models/demo")
		check(t, "az://models/demo", env)
	})

	t.Run("gs", func(t *testing.T) {
		_, env := blobtest.StartGCS(t, "models")
		upload(t, "gs://models/demo")
		check(t, "gs://models/demo", env)
	})

	t.Run("https", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := artifact.WriteFile(filepath.Join(dir, "demo.recotem"), e, artifact.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "gone.recotem"), []byte("gone.0badf00d.recotem\n"), 0o600)
		srv := httptest.NewUnstartedServer(http.FileServer(http.Dir(dir)))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case below
		srv.StartTLS()
		defer srv.Close()
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
			t.Fatal(err)
		}
		// The server listens on loopback, which the SSRF guard refuses
		// unless told otherwise.
		env := []string{"SSL_CERT_FILE=" + ca, "RECOTEM_HTTP_ALLOW_PRIVATE=1"}
		check(t, srv.URL, env)
		_, stderr, code := run(t, bin, []string{"SSL_CERT_FILE=" + ca, keysEnv}, srv.URL+"/demo.recotem")
		if code != 5 || !strings.HasPrefix(stderr, "Cannot read artifact '"+srv.URL+"/demo.recotem': Refusing fetch to private/internal address") {
			t.Errorf("guard: exit %d stderr %q", code, stderr)
		}
		_, stderr, code = run(t, bin, []string{"RECOTEM_HTTP_ALLOW_PRIVATE=1", keysEnv}, srv.URL+"/demo.recotem")
		if code != 5 || !strings.Contains(stderr, "certificate") {
			t.Errorf("untrusted certificate: exit %d stderr %q", code, stderr)
		}
	})
}

// setenv sets KEY=VALUE entries for this test (the in-process uploads).
func setenv(t *testing.T, env []string) {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}
