package rawfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/uri"
)

func TestMaxDownload(t *testing.T) {
	for in, want := range map[string]int64{
		"": 256 << 20, "0": 1 << 20, "68719476736": 16 << 30, "not-a-number": 256 << 20, " 2097152 ": 2 << 20,
	} {
		if got := MaxDownload(func(string) string { return in }); got != want {
			t.Errorf("MaxDownload(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestLocalPathAndScheme(t *testing.T) {
	cases := []struct{ in, path, scheme string }{
		{"/abs/x.csv", "/abs/x.csv", ""},
		{"rel/x.csv", "rel/x.csv", ""},
		{"file://localhost/abs/x.csv", "/abs/x.csv", "file"},
		{"file:///abs/a%20b.csv", "/abs/a b.csv", "file"},
		{"S3://b/k", "", "s3"},
		{"C:/x.csv", "", "c"},
	}
	for _, tc := range cases {
		p, local := LocalPath(tc.in)
		if Scheme(tc.in) != tc.scheme || (local && p != tc.path) || local != (tc.path != "") {
			t.Errorf("%q: scheme %q path %q local %v", tc.in, Scheme(tc.in), p, local)
		}
	}
}

func TestProbeLocal(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(file, []byte("user_id,item_id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dirCSV := filepath.Join(dir, "x.csv")
	if err := os.Mkdir(dirCSV, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.csv")
	dirLink := filepath.Join(dir, "dirlink.csv")
	dangling := filepath.Join(dir, "dangling.csv")
	for target, name := range map[string]string{file: link, dirCSV: dirLink, filepath.Join(dir, "gone"): dangling} {
		if err := os.Symlink(target, name); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, path string
		errHas     string // "" for success
	}{
		{"regular file", file, ""},
		{"file URI", "file://" + file, ""},
		{"symlink to a file", link, ""},
		{"directory", dirCSV, "CSV path '" + dirCSV + "' is a directory, not a file"},
		{"directory URI", "file://" + dirCSV, "is a directory, not a file"},
		{"symlink to a directory", dirLink, "is a directory, not a file"},
		{"missing", filepath.Join(dir, "nope.csv"), "CSV file not found: " + filepath.Join(dir, "nope.csv")},
		{"dangling symlink", dangling, "CSV file not found: "},
		{"below a file", filepath.Join(file, "x.csv"), "Failed to probe CSV path '"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertProbe(t, tc.path, tc.errHas)
		})
	}
}

func TestProbeUnreadable(t *testing.T) {
	t.Run("mode 000", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: permission bits do not stop root from opening a file")
		}
		p := filepath.Join(t.TempDir(), "secret.csv")
		if err := os.WriteFile(p, []byte("a,b\n"), 0o000); err != nil {
			t.Fatal(err)
		}
		assertProbe(t, p, "Permission denied reading CSV file: "+p)
	})
	t.Run("write-only sysctl", func(t *testing.T) {
		// A procfs sysctl of mode 0200 is a regular file that even root
		// cannot open for reading.
		const p = "/proc/sys/vm/drop_caches"
		if f, err := os.Open(p); err == nil {
			f.Close()
			t.Skip(p + " is readable here")
		} else if !errors.Is(err, fs.ErrPermission) {
			t.Skipf("%s: %v", p, err)
		}
		assertProbe(t, p, "Permission denied reading CSV file: "+p)
	})
}

// assertProbe probes path as a CSV file and checks the result: success when
// errHas is empty, otherwise a one-line data-source error (exit 3)
// containing errHas.
func assertProbe(t *testing.T, path, errHas string) {
	t.Helper()
	err := Probe(context.Background(), "CSV", path)
	switch {
	case errHas == "" && err != nil:
		t.Errorf("Probe(%q) = %v, want success", path, err)
	case errHas == "":
	case err == nil:
		t.Errorf("Probe(%q) succeeded, want an error with %q", path, errHas)
	case exitcode.Of(err) != exitcode.DataSource || !strings.Contains(err.Error(), errHas) || strings.Contains(err.Error(), "\n"):
		t.Errorf("Probe(%q) = %v (exit %d), want one line with %q, exit %d", path, err, exitcode.Of(err), errHas, exitcode.DataSource)
	}
}

func TestProbeObjectStore(t *testing.T) {
	old := uri.Default
	defer func() { uri.Default = old }()
	uri.Default = &uri.Store{OpenBucket: func(ctx context.Context, _ uri.Location) (*blob.Bucket, error) {
		// The store closes the bucket after each call: hand out a fresh one
		// holding the same objects.
		b := memblob.OpenBucket(nil)
		for _, key := range []string{"data/x.csv", "data/dir.csv/part-0.csv"} {
			if err := b.WriteAll(ctx, key, []byte("user_id,item_id\n"), nil); err != nil {
				return nil, err
			}
		}
		return b, nil
	}}
	assertProbe(t, "s3://bucket/data/x.csv", "")
	assertProbe(t, "s3://bucket/data/nope.csv", "CSV file not found: s3://bucket/data/nope.csv")
	// A "directory" is only a key prefix: no object of that name exists.
	assertProbe(t, "s3://bucket/data/dir.csv", "CSV file not found: s3://bucket/data/dir.csv")
}
