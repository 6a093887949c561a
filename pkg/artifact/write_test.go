package artifact

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteAppendSHA(t *testing.T) {
	dir := t.TempDir()
	e := encodeTest(t, activeRing(t))
	dest := filepath.Join(dir, "sub", "model.recotem")
	var checked []string
	w, err := WriteFile(dest, e, WriteOptions{Check: func(d string) error { checked = append(checked, d); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	versioned := filepath.Join(dir, "sub", "model."+e.SHA256()[:8]+".recotem")
	if w.Artifact != versioned || w.Pointer != dest {
		t.Errorf("written %+v", w)
	}
	// The versioned file is written (and checked) before the pointer.
	if len(checked) != 2 || checked[0] != versioned || checked[1] != dest {
		t.Errorf("check order %q", checked)
	}
	ptr, _ := os.ReadFile(dest)
	if string(ptr) != "model."+e.SHA256()[:8]+".recotem\n" {
		t.Errorf("pointer %q", ptr)
	}
	data, _ := os.ReadFile(versioned)
	if !bytes.Equal(data, e.Bytes()) {
		t.Error("versioned file differs from the encoded artifact")
	}
	for _, p := range []string{versioned, dest} {
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", p, st.Mode())
		}
	}
	// Open via the pointer: model version is the sha of the target bytes.
	a, err := Open(dest, Options{Ring: activeRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Path() != versioned || a.ModelVersion() != "sha256:"+e.SHA256() {
		t.Errorf("path %q version %q", a.Path(), a.ModelVersion())
	}
	a.Close()
	// Writing again: same name, old versions kept, no temp files.
	e2, _ := Encode(activeRing(t), &Header{RecipeName: "other"}, testModel().writer())
	if _, err := WriteFile(dest, e, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteFile(dest, e2, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	names := listDir(t, filepath.Join(dir, "sub"))
	if len(names) != 3 {
		t.Errorf("files %q, want pointer + 2 versions", names)
	}
	if ptr, _ := os.ReadFile(dest); string(ptr) != filepath.Base(VersionedName(dest, e2.SHA256()))+"\n" {
		t.Errorf("pointer after second write %q", ptr)
	}
}

func TestVersionedName(t *testing.T) {
	sha := "abcd1234" + strings.Repeat("0", 56)
	for in, want := range map[string]string{
		"model.recotem":          "model.abcd1234.recotem",
		"/a/b/model.recotem":     "/a/b/model.abcd1234.recotem",
		"model.bin":              "model.bin.abcd1234.recotem",
		"s3://b/k/model.recotem": "s3://b/k/model.abcd1234.recotem",
	} {
		if got := VersionedName(in, sha); got != want {
			t.Errorf("VersionedName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteFailuresLeaveNoTemp(t *testing.T) {
	dir := t.TempDir()
	e := encodeTest(t, activeRing(t))
	dest := filepath.Join(dir, "model.recotem")
	os.WriteFile(dest, []byte("model.old00000.recotem\n"), 0o600)

	// Check fails on the versioned file: nothing written, pointer untouched.
	refuse := errors.New("outside RECOTEM_ARTIFACT_ROOT")
	_, err := WriteFile(dest, e, WriteOptions{Check: func(string) error { return refuse }})
	if !errors.Is(err, refuse) || exitcode.Of(err) != exitcode.Artifact {
		t.Fatalf("check failure: %v", err)
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "model.recotem" {
		t.Errorf("leftovers %q", names)
	}
	if b, _ := os.ReadFile(dest); string(b) != "model.old00000.recotem\n" {
		t.Errorf("pointer changed: %q", b)
	}

	// Rename fails (destination is a non-empty directory): temp removed.
	blocked := filepath.Join(dir, "blocked.recotem")
	os.MkdirAll(filepath.Join(blocked, "x"), 0o755)
	_, err = WriteFile(blocked, e, WriteOptions{Versioning: AlwaysOverwrite})
	if err == nil || exitcode.Of(err) != exitcode.Artifact {
		t.Fatalf("rename failure: %v", err)
	}
	for _, n := range listDir(t, dir) {
		if strings.HasSuffix(n, ".tmp") {
			t.Errorf("temp file left: %s", n)
		}
	}

	// Pointer write fails after the versioned file: the versioned file stays.
	ptrDir := t.TempDir()
	ptrDest := filepath.Join(ptrDir, "m.recotem")
	os.MkdirAll(filepath.Join(ptrDest, "x"), 0o755)
	w, err := WriteFile(ptrDest, e, WriteOptions{})
	if err == nil || w.Artifact == "" || w.Pointer != "" {
		t.Fatalf("pointer failure: %+v %v", w, err)
	}
	if _, err := os.Stat(w.Artifact); err != nil {
		t.Errorf("versioned file missing: %v", err)
	}

	// Write error (unwritable directory is not testable as root; a writer
	// failing midway is).
	failing := func(w io.Writer) (int64, error) { w.Write([]byte("partial")); return 7, errors.New("disk full") }
	err = writeAtomic(filepath.Join(dir, "w.recotem"), failing, nil)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("write failure: %v", err)
	}
	for _, n := range listDir(t, dir) {
		if strings.HasSuffix(n, ".tmp") || n == "w.recotem" {
			t.Errorf("left after write failure: %s", n)
		}
	}

	if _, err := WriteFile(dest, e, WriteOptions{Versioning: "sometimes"}); err == nil || exitcode.Of(err) != exitcode.Recipe {
		t.Errorf("bad versioning: %v", err)
	}
}

type memStore struct {
	order []string
	objs  map[string][]byte
	fail  string
}

func (m *memStore) WriteAtomic(_ context.Context, name string, r io.Reader, size int64) error {
	if name == m.fail {
		return errors.New("injected failure")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if int64(len(b)) != size {
		return errors.New("size mismatch")
	}
	m.order = append(m.order, name)
	m.objs[name] = b
	return nil
}

func TestWriteStore(t *testing.T) {
	e := encodeTest(t, activeRing(t))
	s := &memStore{objs: map[string][]byte{}}
	name := "s3://bucket/models/model.recotem"
	w, err := WriteStore(context.Background(), s, name, e, AppendSHA)
	if err != nil {
		t.Fatal(err)
	}
	versioned := "s3://bucket/models/model." + e.SHA256()[:8] + ".recotem"
	if strings.Join(s.order, " ") != versioned+" "+name || w.Artifact != versioned || w.Pointer != name {
		t.Errorf("order %q written %+v", s.order, w)
	}
	if !bytes.Equal(s.objs[versioned], e.Bytes()) || string(s.objs[name]) != "model."+e.SHA256()[:8]+".recotem\n" {
		t.Error("object contents")
	}
	// The pointer text is recognised and the object bytes open.
	target, ok := ParsePointer(s.objs[name])
	if !ok || target != "model."+e.SHA256()[:8]+".recotem" {
		t.Errorf("ParsePointer = %q, %v", target, ok)
	}
	if _, err := OpenBytes(s.objs[versioned], Options{Ring: activeRing(t)}); err != nil {
		t.Error(err)
	}

	s = &memStore{objs: map[string][]byte{}, fail: versioned}
	if _, err := WriteStore(context.Background(), s, name, e, AppendSHA); err == nil || len(s.order) != 0 {
		t.Errorf("versioned failure must not write the pointer: %v %q", err, s.order)
	}
	s = &memStore{objs: map[string][]byte{}}
	if _, err := WriteStore(context.Background(), s, name, e, AlwaysOverwrite); err != nil || strings.Join(s.order, " ") != name {
		t.Errorf("always_overwrite: %v %q", err, s.order)
	}
}

func TestPointers(t *testing.T) {
	dir := t.TempDir()
	e := encodeTest(t, activeRing(t))
	target := filepath.Join(dir, "name.abcd1234.recotem")
	os.WriteFile(target, e.Bytes(), 0o600)
	tests := []struct {
		name, content string
		ok            bool
		msg           string
	}{
		{"pointer", "name.abcd1234.recotem\n", true, ""},
		{"pointer with spaces", "name.abcd1234.recotem \r\n\t", true, ""},
		{"missing target", "gone.recotem\n", false, "pointer '" + filepath.Join(dir, "p.recotem") + "' references missing artifact"},
		{"path separator is not a pointer", "../x.recotem\n", false, "bad magic"},
		{"two lines is not a pointer", "a.recotem\nb.recotem\n", false, "bad magic"},
		{"non-ascii is not a pointer", "é.recotem\n", false, "bad magic"},
		{"pointer to a pointer", "p2.recotem\n", false, "bad magic"},
	}
	os.WriteFile(filepath.Join(dir, "p2.recotem"), []byte("name.abcd1234.recotem\n"), 0o600)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "p.recotem")
			os.WriteFile(p, []byte(tt.content), 0o600)
			for _, noMmap := range []bool{false, true} {
				a, err := Open(p, Options{Ring: activeRing(t), NoMmap: noMmap})
				if tt.ok {
					if err != nil {
						t.Fatal(err)
					}
					if a.Path() != target || a.ModelVersion() != e.ModelVersion() {
						t.Errorf("resolved %q %q", a.Path(), a.ModelVersion())
					}
					a.Close()
					continue
				}
				if err == nil || exitcode.Of(err) != exitcode.Artifact || !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("err %v, want %q", err, tt.msg)
				}
			}
		})
	}
	long := strings.Repeat("a", 506) + ".recotem"
	if _, ok := ParsePointer([]byte(long)); ok {
		t.Error("514-byte pointer accepted")
	}
	if _, ok := ParsePointer([]byte(long[10:])); !ok {
		t.Error("504-byte pointer rejected")
	}
}

func TestOpenLocalErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, Options{Ring: activeRing(t)}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	empty := filepath.Join(dir, "empty.recotem")
	os.WriteFile(empty, nil, 0o600)
	if _, err := Open(empty, Options{Ring: activeRing(t)}); err == nil || !strings.Contains(err.Error(), "missing magic") {
		t.Errorf("empty: %v", err)
	}
	big := filepath.Join(dir, "big.recotem")
	os.WriteFile(big, make([]byte, MiB+1), 0o600)
	for _, noMmap := range []bool{false, true} {
		_, err := Open(big, Options{Ring: activeRing(t), NoMmap: noMmap, Caps: Caps{Artifact: MiB, Payload: MiB}})
		if err == nil || exitcode.ReasonOf(err) != ReasonCap || !strings.Contains(err.Error(), "exceeds cap") {
			t.Errorf("over cap (noMmap=%v): %v", noMmap, err)
		}
	}
	if _, err := OpenBytes(make([]byte, MiB+1), Options{Ring: activeRing(t), Caps: Caps{Artifact: MiB, Payload: MiB}}); err == nil || exitcode.ReasonOf(err) != ReasonCap {
		t.Errorf("OpenBytes over cap: %v", err)
	}
}

func TestCapsFromEnv(t *testing.T) {
	tests := []struct {
		art, pl      string
		wantA, wantP int64
		code         int
		warn         string
	}{
		{"", "", 2 * GiB, 512 * MiB, 0, ""},
		{"0", "", MiB, 512 * MiB, exitcode.Config, "env_var_clamped"},
		{"0", "0", MiB, MiB, 0, "env_var_clamped"},
		{"99999999999999999999999", "", 16 * GiB, 512 * MiB, 0, "env_var_clamped"},
		{"-5", "-5", MiB, MiB, 0, "env_var_clamped"},
		{"abc", "1.5", 2 * GiB, 512 * MiB, 0, "env_var_unparseable"},
		{" 3_000_000 ", "2097152", 3000000, 2 * MiB, 0, ""},
		{"1__0", "", 2 * GiB, 512 * MiB, 0, "env_var_unparseable"},
		{"2097152", "3145728", 2 * MiB, 3 * MiB, exitcode.Config, ""},
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, nil))
		c, err := CapsFromEnv(env(map[string]string{EnvMaxArtifact: tt.art, EnvMaxPayload: tt.pl}), log)
		if exitcode.Of(err) != tt.code {
			t.Errorf("(%q,%q): err %v, want exit %d", tt.art, tt.pl, err, tt.code)
		}
		if c.Artifact != tt.wantA || c.Payload != tt.wantP {
			t.Errorf("(%q,%q) = %+v, want %d/%d", tt.art, tt.pl, c, tt.wantA, tt.wantP)
		}
		if tt.warn != "" && !strings.Contains(logs.String(), tt.warn) || tt.warn == "" && logs.Len() > 0 {
			t.Errorf("(%q,%q): logs %q, want %q", tt.art, tt.pl, logs.String(), tt.warn)
		}
	}
	for v, want := range map[string]bool{"": true, "false": false, " OFF ": false, "0": false, "no": false, "true": true, "junk": true} {
		if got := MmapFromEnv(env(map[string]string{EnvMmap: v})); got != want {
			t.Errorf("MmapFromEnv(%q) = %v", v, got)
		}
	}
}
