package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/keys"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func inspect(t *testing.T, path string, e map[string]string, dev, asJSON bool) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Inspect(InspectOptions{Artifact: path, DevAllowUnsigned: dev, JSON: asJSON, Getenv: env(e), Stdout: &out})
	return out.String(), err
}

func TestInspectReferenceGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/reference-pickle.inspect.golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, mmap := range []string{"", "false"} {
		got, err := inspect(t, "testdata/reference-pickle.recotem",
			map[string]string{keys.EnvSigning: "active:" + keyActive, EnvMmap: mmap}, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("mmap=%q: stdout\n%s\nwant\n%s", mmap, got, want)
		}
	}
	// The same artifact opens for serving but its pickle payload is refused.
	a, err := Open("testdata/reference-pickle.recotem", Options{Ring: activeRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Header().RecipeName != "référence" || string(a.Fields()["extra"]) == "" {
		t.Errorf("header %+v", a.Header())
	}
	if _, err := a.Payload(); err == nil || exitcode.ReasonOf(err) != ReasonDeserialize {
		t.Errorf("pickle payload: %v", err)
	}
}

func writeArtifact(t *testing.T, dir string, r *keys.SigningRing, versioning string) string {
	t.Helper()
	dest := filepath.Join(dir, "model.recotem")
	if _, err := WriteFile(dest, encodeTest(t, r), WriteOptions{Versioning: versioning}); err != nil {
		t.Fatal(err)
	}
	return dest
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	path := writeArtifact(t, dir, activeRing(t), AppendSHA) // a pointer
	devDir := t.TempDir()
	devPath := writeArtifact(t, devDir, keys.DevRing(), AlwaysOverwrite)
	bad := filepath.Join(dir, "bad.recotem")
	os.WriteFile(bad, []byte("NOTRECOTEM-and-more-bytes"), 0o600)
	big := filepath.Join(dir, "big.recotem")
	os.WriteFile(big, make([]byte, MiB+1), 0o600)
	bigPayload := filepath.Join(dir, "bigpayload.recotem")
	os.WriteFile(bigPayload, small(t, "active", keyActive, []byte("{}"), make([]byte, MiB+1)), 0o600)
	badHeader := filepath.Join(dir, "badheader.recotem")
	os.WriteFile(badHeader, small(t, "active", keyActive, []byte("{"), nil), 0o600)

	keysEnv := map[string]string{keys.EnvSigning: "active:" + keyActive}
	with := func(m map[string]string, k, v string) map[string]string {
		n := map[string]string{}
		for a, b := range m {
			n[a] = b
		}
		n[k] = v
		return n
	}
	tests := []struct {
		name   string
		path   string
		env    map[string]string
		dev    bool
		code   int
		stdout string // prefix
		msg    string
	}{
		{"ok via pointer", path, keysEnv, false, 0, "HMAC: OK  (kid='active')\n{\n  \"recipe_name\": \"demo\",", ""},
		{"file URI", "file://" + path, keysEnv, false, 0, "HMAC: OK  (kid='active')\n", ""},
		{"file URI localhost", "file://localhost" + path, keysEnv, false, 0, "HMAC: OK", ""},
		{"file URI other host", "file://example.com" + path, keysEnv, false, exitcode.Artifact, "", "host must be empty or localhost"},
		{"repaired scheme", "file:/" + path, keysEnv, false, exitcode.Artifact, "", "host must be empty"},
		{"s3 not in this build", "s3://bucket/model.recotem", keysEnv, false, exitcode.Artifact, "", "URI scheme 's3' is not supported"},
		{"repaired s3", "s3:/bucket/model.recotem", keysEnv, false, exitcode.Artifact, "", "Cannot open artifact 's3://bucket/model.recotem'"},
		{"missing file", filepath.Join(dir, "nope.recotem"), keysEnv, false, exitcode.Artifact, "", "Cannot read artifact"},
		{"no keys", path, nil, false, exitcode.Config, "", "Cannot verify artifact (kid='active'): RECOTEM_SIGNING_KEYS is not set and --dev-allow-unsigned was not passed."},
		{"bad magic without keys", bad, nil, false, exitcode.Artifact, "", "Artifact parse failed: bad magic"},
		{"wrong key", path, map[string]string{keys.EnvSigning: "active:" + keyOld}, false, exitcode.Artifact, "", "HMAC verification failed: HMAC mismatch"},
		{"unknown kid", path, map[string]string{keys.EnvSigning: "other:" + keyActive}, false, exitcode.Artifact, "", "HMAC verification failed: signed with unknown kid 'active'"},
		{"malformed keys", path, map[string]string{keys.EnvSigning: "nocolon"}, false, exitcode.Artifact, "", "HMAC verification failed: RECOTEM_SIGNING_KEYS"},
		{"bad header", badHeader, keysEnv, false, exitcode.Artifact, "", "Header JSON parse failed: "},
		{"file over artifact cap", big, with(with(keysEnv, EnvMaxArtifact, "1"), EnvMaxPayload, "1"), false, exitcode.Artifact, "", "Artifact parse failed: artifact of 1048577 bytes exceeds cap"},
		{"payload over cap", bigPayload, with(keysEnv, EnvMaxPayload, "1048576"), false, exitcode.Artifact, "", "Artifact parse failed: payload of 1048577 bytes exceeds cap"},
		{"payload cap above artifact cap", path, with(with(keysEnv, EnvMaxPayload, "3000000"), EnvMaxArtifact, "2000000"), false, exitcode.Config, "", "must not exceed"},
		{"dev flag, env unset", devPath, nil, true, exitcode.Config, "", "--dev-allow-unsigned requires RECOTEM_ENV=development. Current RECOTEM_ENV=''."},
		{"dev flag, production", devPath, map[string]string{"RECOTEM_ENV": "production"}, true, exitcode.Config, "", "Current RECOTEM_ENV='production'"},
		{"dev flag, development", devPath, map[string]string{"RECOTEM_ENV": " Development "}, true, 0, "HMAC: OK  (kid='dev')", ""},
		{"dev flag ignored when keys set", devPath, map[string]string{"RECOTEM_ENV": "development", keys.EnvSigning: "active:" + keyActive}, true, exitcode.Artifact, "", "unknown kid 'dev'"},
		{"dev artifact without flag", devPath, keysEnv, false, exitcode.Artifact, "", "unknown kid 'dev'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := inspect(t, tt.path, tt.env, tt.dev, false)
			if got := exitcode.Of(err); got != tt.code {
				t.Fatalf("exit %d, want %d (%v)", got, tt.code, err)
			}
			if !strings.HasPrefix(out, tt.stdout) {
				t.Errorf("stdout %q, want prefix %q", out, tt.stdout)
			}
			if tt.code != 0 && out != "" {
				t.Errorf("stdout on failure: %q", out)
			}
			if tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("error %v, want %q", err, tt.msg)
			}
		})
	}
}

func TestInspectJSON(t *testing.T) {
	dir := t.TempDir()
	path := writeArtifact(t, dir, activeRing(t), AppendSHA)
	out, err := inspect(t, path, map[string]string{keys.EnvSigning: "active:" + keyActive}, false, true)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Kid          string
		HMAC         string
		Header       json.RawMessage
		PayloadBytes int    `json:"payload_bytes"`
		ModelVersion string `json:"model_version"`
		Sections     []struct {
			Name   string
			Type   string
			Length uint64
			Bytes  uint64
			Offset uint64
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	e := encodeTest(t, activeRing(t))
	if doc.Kid != "active" || doc.HMAC != "ok" || doc.ModelVersion != e.ModelVersion() || doc.PayloadBytes <= 0 {
		t.Errorf("doc %+v", doc)
	}
	if !strings.HasPrefix(string(doc.Header), "{\n    \"recipe_name\": \"demo\",") {
		t.Errorf("header not in original order: %s", doc.Header)
	}
	var names []string
	for _, s := range doc.Sections {
		names = append(names, s.Name+":"+s.Type)
	}
	if strings.Join(names, ",") != "user_ids:strings,item_ids:strings,ials.item_factors:f32,seen.indptr:i64" || doc.Sections[2].Length != 8 {
		t.Errorf("sections %+v", doc.Sections)
	}

	// Reference artifact: no sections, NaN becomes null.
	out, err = inspect(t, "testdata/reference-pickle.recotem", map[string]string{keys.EnvSigning: "active:" + keyActive}, false, true)
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]any
	if err := json.Unmarshal([]byte(out), &ref); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if ref["sections"] != nil || ref["header"].(map[string]any)["extra"].(map[string]any)["nan"] != nil {
		t.Errorf("reference --json: %s", out)
	}
}

func TestPythonFloat(t *testing.T) {
	tests := map[float64]string{
		0: "0.0", 1: "1.0", -1.5: "-1.5", 0.1: "0.1", 1e-05: "1e-05", 0.0001: "0.0001", 1e16: "1e+16",
		1e15: "1000000000000000.0", 123456789012345680: "1.2345678901234568e+17", 1.5e-300: "1.5e-300",
		math.Copysign(0, -1): "-0.0", math.NaN(): "NaN", math.Inf(1): "Infinity", math.Inf(-1): "-Infinity",
		0.123456789012345: "0.123456789012345", 100: "100.0", 2.5e-5: "2.5e-05",
	}
	for f, want := range tests {
		if got := pythonFloat(f); got != want {
			t.Errorf("pythonFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestPythonRepr(t *testing.T) {
	tests := map[string]string{
		"active": "'active'", "it's": `"it's"`, `a'b"c`: `'a\'b"c'`, "tab\t": `'tab\t'`,
		"back\\slash": `'back\\slash'`, "é": "'é'", "\x01": `'\x01'`, "\u200b": `'\u200b'`,
	}
	for in, want := range tests {
		if got := pyRepr(in); got != want {
			t.Errorf("repr(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	for _, in := range []string{"", "{", `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `"\x01"`, `"\q"`, `{"a":1} x`,
		`-`, `"\ud8"`, strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1), `{1:2}`, `tru`} {
		if _, err := parseJSON([]byte(in)); err == nil {
			t.Errorf("parseJSON(%q) succeeded", in)
		}
	}
	v, err := parseJSON([]byte(`{"a":1,"b":2,"a":3}`))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	writeJSON(&sb, v)
	if sb.String() != `{"a":3,"b":2}` {
		t.Errorf("duplicate keys: %s", sb.String())
	}
	v, _ = parseJSON([]byte(`["\ud800x", "\ud83d\ude00", -0, 1E2]`))
	sb.Reset()
	writeJSON(&sb, v)
	if sb.String() != `["\ud800x","\ud83d\ude00",0,100.0]` {
		t.Errorf("surrogates/numbers: %s", sb.String())
	}
}

func TestRepairURI(t *testing.T) {
	tests := map[string]string{
		"s3:/b/k.recotem": "s3://b/k.recotem", "s3://b/k": "s3://b/k", "file:///abs/x": "file:///abs/x",
		"/abs/x": "/abs/x", "rel/x": "rel/x", "S3:/b/k": "S3:/b/k", "c:/x": "c:/x", "gs:/b": "gs://b",
	}
	for in, want := range tests {
		if got := RepairURI(in); got != want {
			t.Errorf("RepairURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadURI(t *testing.T) {
	e := encodeTest(t, activeRing(t))
	art := e.Bytes()
	objs := map[string][]byte{
		"s3://b/m/model.recotem":          []byte("model.1234abcd.recotem\n"),
		"s3://b/m/model.1234abcd.recotem": art,
		"s3://b/m/gone.recotem":           []byte("gone.deadbeef.recotem\n"),
		"s3://b/m/denied.recotem":         []byte("denied.00000000.recotem\n"),
	}
	read := func(u string, max int64) ([]byte, error) {
		if strings.Contains(u, "denied.0") {
			return nil, exitcode.Reasoned(exitcode.Fetch, "fetch_status", "HTTP 403 fetching %s: Forbidden", u)
		}
		b, ok := objs[u]
		if !ok {
			return nil, fmt.Errorf("read %s: not found: %w", u, fs.ErrNotExist)
		}
		return b[:min(int64(len(b)), max)], nil
	}
	for _, tc := range []struct {
		name, uri string
		limit     int64
		want      []byte
		err       string
	}{
		{"pointer", "s3://b/m/model.recotem", DefaultArtifactCap, art, ""},
		{"direct", "s3://b/m/model.1234abcd.recotem", DefaultArtifactCap, art, ""},
		{"missing", "s3://b/m/none.recotem", DefaultArtifactCap, nil,
			"Cannot read artifact 's3://b/m/none.recotem': read s3://b/m/none.recotem: not found: file does not exist"},
		{"pointer to missing", "s3://b/m/gone.recotem", DefaultArtifactCap, nil,
			"pointer 's3://b/m/gone.recotem' references missing artifact 's3://b/m/gone.deadbeef.recotem'"},
		{"pointer target unreadable", "s3://b/m/denied.recotem", DefaultArtifactCap, nil,
			"Cannot read artifact 's3://b/m/denied.00000000.recotem': HTTP 403 fetching"},
		{"over cap", "s3://b/m/model.recotem", int64(len(art)) - 1, nil,
			fmt.Sprintf("artifact of %d bytes exceeds cap of %d bytes (RECOTEM_MAX_ARTIFACT_BYTES)", len(art), len(art)-1)},
	} {
		b, err := ReadURI(tc.uri, tc.limit, read)
		if tc.err == "" {
			if err != nil || !bytes.Equal(b, tc.want) {
				t.Errorf("%s: %d bytes, %v", tc.name, len(b), err)
			}
			continue
		}
		// Every failure is an artifact error (exit 5), even when the
		// backend's error is a fetch error.
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) || exitcode.Of(err) != exitcode.Artifact {
			t.Errorf("%s: %v (exit %d), want %q (exit 5)", tc.name, err, exitcode.Of(err), tc.err)
		}
	}
	// One level only, as for files: a pointer to a pointer is not followed.
	objs["s3://b/m/chain.recotem"] = []byte("model.recotem\n")
	if b, err := ReadURI("s3://b/m/chain.recotem", DefaultArtifactCap, read); err != nil || string(b) != "model.1234abcd.recotem\n" {
		t.Errorf("pointer chain: %q, %v", b, err)
	}
}
