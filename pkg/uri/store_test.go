package uri

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/spf13/afero"
)

// exerciseStore runs the behaviour every backend must share against
// base + "/<name>" locations.
func exerciseStore(t *testing.T, s *Store, base string) {
	t.Helper()
	ctx := context.Background()
	loc := base + "/dir/data.csv"
	data := []byte("user_id,item_id\nu1,i1\nu2,i2\n")

	if err := s.WriteFile(ctx, loc, data); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	got, err := s.ReadAll(ctx, loc, 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	info, err := s.Stat(ctx, loc)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Size != int64(len(data)) || info.Marker == "" {
		t.Fatalf("Stat = %+v", info)
	}

	// Replacing the content changes the marker.
	data2 := append(bytes.Repeat([]byte("u3,i3\n"), 10), data...)
	if err := s.WriteFile(ctx, loc, data2); err != nil {
		t.Fatalf("WriteFile (replace): %v", err)
	}
	info2, err := s.Stat(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if info2.Marker == info.Marker || info2.Size != int64(len(data2)) {
		t.Fatalf("after replace Stat = %+v, before %+v", info2, info)
	}

	// Exactly the cap is fine; one byte less is a size error before reading.
	if _, err := s.ReadAll(ctx, loc, int64(len(data2))); err != nil {
		t.Fatalf("ReadAll at cap: %v", err)
	}
	_, err = s.ReadAll(ctx, loc, int64(len(data2))-1)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != int64(len(data2)) || exitcode.Of(err) != exitcode.DataSource {
		t.Fatalf("ReadAll over cap: %v", err)
	}
	if !strings.Contains(err.Error(), "RECOTEM_MAX_DOWNLOAD_BYTES") {
		t.Errorf("cap error does not name the variable: %v", err)
	}

	// Streaming read.
	rc, err := s.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data2) {
		t.Fatalf("Open+ReadAll = %q, %v", got, err)
	}

	// Missing files.
	missing := base + "/dir/missing.csv"
	for name, err := range map[string]error{
		"ReadAll": func() error { _, err := s.ReadAll(ctx, missing, 0); return err }(),
		"Stat":    func() error { _, err := s.Stat(ctx, missing); return err }(),
		"Remove":  s.Remove(ctx, missing),
	} {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s(missing) = %v, want fs.ErrNotExist", name, err)
			continue
		}
		if !strings.Contains(err.Error(), Redact(missing)) {
			t.Errorf("%s(missing) = %q does not name the location", name, err)
		}
	}
	if _, err := s.ReadAll(ctx, missing, 0); exitcode.Of(err) != exitcode.DataSource {
		t.Errorf("read error exit code = %d", exitcode.Of(err))
	}

	// Aborted writes leave nothing behind.
	w, err := s.Create(ctx, base+"/dir/aborted.bin")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("partial"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, base+"/dir/aborted.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("aborted write is visible: %v", err)
	}

	// Conditional create: the primitive of the train lock lease.
	lease := base + "/dir/train.lock"
	if err := s.CreateExclusive(ctx, lease, []byte("owner-1")); err != nil {
		t.Fatalf("CreateExclusive: %v", err)
	}
	err = s.CreateExclusive(ctx, lease, []byte("owner-2"))
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second CreateExclusive = %v, want fs.ErrExist", err)
	}
	if got, _ := s.ReadAll(ctx, lease, 0); string(got) != "owner-1" {
		t.Fatalf("lease content = %q", got)
	}
	if err := s.Remove(ctx, lease); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateExclusive(ctx, lease, []byte("owner-2")); err != nil {
		t.Fatalf("CreateExclusive after Remove: %v", err)
	}
	if err := s.Remove(ctx, lease); err != nil {
		t.Fatal(err)
	}
}

func TestMemFS(t *testing.T) {
	mem := afero.NewMemMapFs()
	mem.MkdirAll("/data/dir", 0o755)
	exerciseStore(t, &Store{FS: mem}, "/data")
	exerciseStore(t, &Store{FS: mem}, "file:///data")
}

func TestOSFiles(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "dir"), 0o755)
	exerciseStore(t, &Store{}, dir)
	exerciseStore(t, &Store{}, "file://localhost"+dir)

	ctx := context.Background()
	p := filepath.Join(dir, "dir", "atomic.bin")
	if err := WriteFile(ctx, p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Join(dir, "dir"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	// Writing into a missing directory fails and names the path.
	if err := WriteFile(ctx, filepath.Join(dir, "nope", "x"), nil); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "nope", "x")) {
		t.Errorf("write into missing dir: %v", err)
	}
	// A directory is not a file.
	if _, err := ReadAll(ctx, dir, 0); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("ReadAll(dir) = %v", err)
	}
	// Permission errors are recognisable (root bypasses file modes).
	if os.Geteuid() != 0 {
		os.Chmod(p, 0)
		if _, err := ReadAll(ctx, p, 0); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("ReadAll(unreadable) = %v", err)
		}
	}
	// Percent-decoded file URI.
	spaced := filepath.Join(dir, "my file.csv")
	os.WriteFile(spaced, []byte("a"), 0o644)
	if got, err := ReadAll(ctx, "file://"+strings.ReplaceAll(spaced, " ", "%20"), 0); err != nil || string(got) != "a" {
		t.Errorf("ReadAll(percent-encoded) = %q, %v", got, err)
	}
}

// noStatFS hides file sizes, as a store that reports none would.
type noStatFS struct{ afero.Fs }

func (f noStatFS) Open(name string) (afero.File, error) {
	file, err := f.Fs.Open(name)
	if err != nil {
		return nil, err
	}
	return noStatFile{file}, nil
}

type noStatFile struct{ afero.File }

func (noStatFile) Stat() (fs.FileInfo, error) { return nil, errors.New("stat unavailable") }

// TestBoundedRead checks the second line of defence: without a size the
// read itself stops at cap+1 bytes.
func TestBoundedRead(t *testing.T) {
	mem := afero.NewMemMapFs()
	afero.WriteFile(mem, "/big.csv", bytes.Repeat([]byte("x"), 1434), 0o644) // 1.4 KiB
	afero.WriteFile(mem, "/fits.csv", bytes.Repeat([]byte("x"), 512), 0o644)
	s := &Store{FS: noStatFS{mem}}
	ctx := context.Background()
	_, err := s.ReadAll(ctx, "/big.csv", 512)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != -1 || tl.Cap != 512 {
		t.Fatalf("ReadAll = %v, want a read-time TooLargeError", err)
	}
	if !strings.Contains(err.Error(), "exceeds RECOTEM_MAX_DOWNLOAD_BYTES (512)") || exitcode.Of(err) != exitcode.DataSource {
		t.Errorf("err = %v (exit %d)", err, exitcode.Of(err))
	}
	if got, err := s.ReadAll(ctx, "/fits.csv", 512); err != nil || len(got) != 512 {
		t.Errorf("ReadAll(exactly cap) = %d bytes, %v", len(got), err)
	}
	// The streaming reader stops the same way, having passed at most cap bytes.
	rc, err := s.OpenCapped(ctx, "/big.csv", 512)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	if !errors.As(err, &tl) || n > 512 {
		t.Errorf("streamed %d bytes, err %v", n, err)
	}
}

func TestDefaultCap(t *testing.T) {
	mem := afero.NewMemMapFs()
	afero.WriteFile(mem, "/x.csv", bytes.Repeat([]byte("x"), 2<<20), 0o644)
	t.Setenv(MaxDownloadBytesEnv, "0") // clamped to 1 MiB
	_, err := (&Store{FS: mem}).ReadAll(context.Background(), "/x.csv", 0)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Cap != 1<<20 {
		t.Fatalf("err = %v", err)
	}
}

func TestRefusedLocations(t *testing.T) {
	ctx := context.Background()
	s := &Store{FS: afero.NewMemMapFs()}
	for _, raw := range []string{"https://example.com/x.csv", "memory://x", "s3://k:secret@b/x"} {
		_, err := s.ReadAll(ctx, raw, 0)
		if err == nil || exitcode.Of(err) != exitcode.DataSource || strings.Contains(err.Error(), "secret") {
			t.Errorf("ReadAll(%q) = %v", raw, err)
		}
		if err := s.WriteFile(ctx, raw, nil); err == nil {
			t.Errorf("WriteFile(%q) succeeded", raw)
		}
	}
}
