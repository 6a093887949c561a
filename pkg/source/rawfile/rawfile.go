// Package rawfile opens the raw bytes of a data file named by a recipe
// (`source.path`, `item_metadata.path`) with the checks of datasources.md
// §1.3 and §3.7: a size pre-check against RECOTEM_MAX_DOWNLOAD_BYTES, a
// bounded read, and the sha256 of the raw (still compressed) bytes.
//
// Local files (bare paths, file://) are read directly, http(s) URLs through
// the SSRF-guarded fetcher (package fetch), object stores through package
// uri. Files are streamed, never buffered whole (Parquet and zip, which need
// random access, spool remote files to a temporary file); the digest is
// verified when the caller has read everything (Finish), so a caller that
// streams rows onward must treat its output as provisional until Finish
// returns nil.
package rawfile

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/fetch"
	"github.com/codelibs/recotem-go/pkg/uri"
)

// EnvMaxDownloadBytes caps every file read (datasources.md §5).
const EnvMaxDownloadBytes = "RECOTEM_MAX_DOWNLOAD_BYTES"

// Limits of RECOTEM_MAX_DOWNLOAD_BYTES.
const (
	DefaultMaxDownload = 256 << 20
	MinMaxDownload     = 1 << 20
	MaxMaxDownload     = 16 << 30
)

// EnvInt reads an integer environment variable: unset, empty or
// unparseable gives def, out of range is clamped.
func EnvInt(getenv func(string) string, name string, def, lo, hi int64) int64 {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return def
	}
	return min(max(n, lo), hi)
}

// Truthy reports whether an environment value is one of 1/true/yes/on.
func Truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// MaxDownload returns RECOTEM_MAX_DOWNLOAD_BYTES.
func MaxDownload(getenv func(string) string) int64 {
	return EnvInt(getenv, EnvMaxDownloadBytes, DefaultMaxDownload, MinMaxDownload, MaxMaxDownload)
}

// Scheme returns the lower-cased URI scheme of p, or "" for a bare path.
func Scheme(p string) string {
	i := strings.IndexByte(p, ':')
	if i <= 0 {
		return ""
	}
	for j, c := range p[:i] {
		isAlpha := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if j == 0 && !isAlpha {
			return ""
		}
		if !isAlpha && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return ""
		}
	}
	return strings.ToLower(p[:i])
}

// LocalPath returns the filesystem path of a bare path or a file:// URI
// (host part dropped, percent-decoded) and whether p is local at all.
func LocalPath(p string) (string, bool) {
	switch Scheme(p) {
	case "":
		return p, true
	case "file":
		u, err := url.Parse(p)
		if err != nil {
			return strings.TrimPrefix(p, "file://"), true
		}
		return u.Path, true
	}
	return "", false
}

// Compression returns the compression implied by the case-insensitive
// suffix of the original path (for http(s) URLs the query and fragment are
// ignored): "gzip", "bz2", "zip", "xz", "zstd" or "".
func Compression(p string) string {
	if s := Scheme(p); s == "http" || s == "https" {
		if u, err := url.Parse(p); err == nil {
			p = u.Path
		}
	}
	l := strings.ToLower(p)
	switch {
	case strings.HasSuffix(l, ".gz"):
		return "gzip"
	case strings.HasSuffix(l, ".bz2"):
		return "bz2"
	case strings.HasSuffix(l, ".zip"):
		return "zip"
	case strings.HasSuffix(l, ".xz"):
		return "xz"
	case strings.HasSuffix(l, ".zst"):
		return "zstd"
	}
	return ""
}

// Redact removes userinfo from http(s)/ftp(s) URLs (datasources.md §3.6).
func Redact(p string) string {
	switch Scheme(p) {
	case "http", "https", "ftp", "ftps":
	default:
		return p
	}
	u, err := url.Parse(p)
	if err != nil || u.User == nil {
		return p
	}
	u.User = nil
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" {
		host += ":" + port
	}
	u.Host = host
	return u.String()
}

// groupThousands formats n with comma thousands separators.
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func dataErr(format string, args ...any) error {
	return exitcode.Reasoned(exitcode.DataSource, "datasource_error", format, args...)
}

// File is an opened data file: its raw (possibly compressed) bytes,
// bounded by the download cap and hashed when a sha256 is expected.
type File struct {
	kind string // "CSV" or "Parquet": the <K> of the messages
	name string // redacted path for messages
	f    *os.File
	rc   io.ReadCloser // remote stream; nil for local files and once spooled
	tmp  string        // spool file to remove
	size int64
	cap  int64

	n    int64
	h    hash.Hash
	want string
	r    *bufio.Reader
}

// Open opens path for reading. kind names the file in messages ("CSV",
// "Parquet"). Local paths (bare, file://) are read directly; http(s) URLs
// through the SSRF-guarded fetcher (package fetch, which verifies the
// sha256 itself and fails with exit code 7); object-store URIs (s3://,
// gs://, az://...) through package uri. A file larger than the cap fails
// before reading when its size is known; sha, when set, is the expected
// lowercase hex digest of the raw bytes. Other errors carry exit code 3.
func Open(ctx context.Context, kind, path string, sha *string, getenv func(string) string) (*File, error) {
	name := Redact(path)
	capBytes := MaxDownload(getenv)
	want := ""
	if sha != nil {
		want = strings.ToLower(*sha)
	}
	rf := &File{kind: kind, name: name, cap: capBytes, size: -1}
	switch sch := Scheme(path); {
	case sch == "http" || sch == "https":
		body, err := fetch.Open(ctx, path, want)
		if err != nil {
			return nil, err
		}
		rf.rc = body
		want = "" // the fetcher verifies the digest
	case sch != "" && sch != "file":
		if st, err := uri.Stat(ctx, path); err == nil && st.Size > capBytes {
			return nil, dataErr("%s file '%s' is %s bytes which exceeds the %d-byte cap set by %s. Increase the cap or split the file.",
				kind, name, groupThousands(st.Size), capBytes, EnvMaxDownloadBytes)
		}
		rc, err := uri.OpenCapped(ctx, path, capBytes)
		if err != nil {
			return nil, fileErr(kind, name, err)
		}
		rf.rc = rc
	default:
		lp, _ := LocalPath(path)
		if st, err := os.Stat(lp); err == nil && st.Mode().IsRegular() && st.Size() > capBytes {
			return nil, dataErr("%s file '%s' is %s bytes which exceeds the %d-byte cap set by %s. Increase the cap or split the file.",
				kind, path, groupThousands(st.Size()), capBytes, EnvMaxDownloadBytes)
		}
		f, err := os.Open(lp)
		if err != nil {
			return nil, fileErr(kind, name, err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fileErr(kind, name, err)
		}
		if st.IsDir() {
			f.Close()
			return nil, dataErr("Failed to read %s from '%s': is a directory", kind, name)
		}
		rf.f, rf.size = f, st.Size()
	}
	if want != "" {
		rf.h = sha256.New()
		rf.want = want
	}
	rf.r = bufio.NewReaderSize(readerFunc(rf.read), 256<<10)
	return rf, nil
}

// Probe checks that a file exists and can be read, without reading it (the
// file-source probe of datasources.md §1.7). A local path must name a
// regular file (or a symlink to one) that opens for reading: a directory, a
// named pipe, a socket or a device fails, and the file is opened and closed
// again so that a permission problem shows now rather than at train time.
// An object-store URI must name an object whose attributes can be read. For
// http(s) URLs no request is made: only the public-host check runs (skipped
// with RECOTEM_HTTP_ALLOW_PRIVATE), and a refusal is a fetch error (exit 7).
// Every other failure is a one-line data-source error (exit 3).
func Probe(ctx context.Context, kind, path string) error {
	name, sch := Redact(path), Scheme(path)
	if sch == "http" || sch == "https" {
		if err := fetch.Probe(ctx, path); err != nil {
			return exitcode.New(exitcode.Fetch, "%s HTTP probe refused: %w", kind, err)
		}
		return nil
	}
	if sch != "" && sch != "file" {
		if _, err := uri.Stat(ctx, path); err != nil {
			return probeErr(kind, name, err)
		}
		return nil
	}
	lp, _ := LocalPath(path)
	// Stat before opening: opening a named pipe would block until a writer
	// comes along.
	st, err := os.Stat(lp)
	if err != nil {
		return probeErr(kind, name, err)
	}
	if err := checkRegular(kind, name, st.Mode()); err != nil {
		return err
	}
	f, err := os.Open(lp)
	if err != nil {
		return probeErr(kind, name, err)
	}
	defer f.Close()
	// The path may have been replaced between the two calls.
	if st, err = f.Stat(); err != nil {
		return probeErr(kind, name, err)
	}
	return checkRegular(kind, name, st.Mode())
}

// checkRegular fails for anything but a regular file.
func checkRegular(kind, name string, m fs.FileMode) error {
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return dataErr("%s path '%s' is a directory, not a file", kind, name)
	}
	what := "special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		what = "named pipe"
	case m&fs.ModeSocket != 0:
		what = "socket"
	case m&fs.ModeDevice != 0:
		what = "device"
	}
	return dataErr("%s path '%s' is a %s, not a regular file", kind, name, what)
}

// probeErr maps a stat or open error of Probe to a one-line data-source
// error.
func probeErr(kind, name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return dataErr("%s file not found: %s", kind, name)
	case errors.Is(err, fs.ErrPermission):
		return dataErr("Permission denied reading %s file: %s", kind, name)
	}
	return dataErr("Failed to probe %s path '%s': %v", kind, name, err)
}

// fileErr maps an open error to the messages of datasources.md §1.3.
func fileErr(kind, name string, err error) error {
	var tl *uri.TooLargeError
	switch {
	case errors.As(err, &tl):
		return dataErr("%s %v", kind, tl)
	case errors.Is(err, fs.ErrNotExist):
		return dataErr("%s file not found: %s", kind, name)
	case errors.Is(err, fs.ErrPermission):
		return dataErr("Permission denied reading %s file: %s", kind, name)
	}
	return dataErr("Failed to read %s from '%s': %v", kind, name, err)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// read reads raw bytes, enforcing the cap and feeding the hash.
func (rf *File) read(p []byte) (int, error) {
	var src io.Reader = rf.f
	if rf.rc != nil {
		src = rf.rc
	}
	n, err := src.Read(p)
	if n > 0 {
		rf.n += int64(n)
		if rf.n > rf.cap {
			return 0, dataErr("%s file '%s' exceeds %s (%d) — increase the cap or split the file.", rf.kind, rf.name, EnvMaxDownloadBytes, rf.cap)
		}
		if rf.h != nil {
			rf.h.Write(p[:n])
		}
	}
	if err != nil && err != io.EOF {
		var tl *uri.TooLargeError
		if errors.As(err, &tl) {
			return n, dataErr("%s %v", rf.kind, tl)
		}
		var ce *exitcode.Error
		if errors.As(err, &ce) {
			return n, err // fetch errors (exit 7) keep their code and text
		}
		return n, dataErr("Failed to read %s from '%s': %v", rf.kind, rf.name, err)
	}
	return n, err
}

// Read implements io.Reader over the raw bytes.
func (rf *File) Read(p []byte) (int, error) { return rf.r.Read(p) }

// Name returns the redacted path.
func (rf *File) Name() string { return rf.name }

// ReaderAt returns random access to the file and its size, for formats
// that need it (Parquet, zip). A remote file is first spooled to a
// temporary file, within the cap. Call VerifyWhole before trusting the
// content.
func (rf *File) ReaderAt() (io.ReaderAt, int64, error) {
	if rf.rc != nil {
		tmp, err := os.CreateTemp("", "recotem-source-*")
		if err != nil {
			return nil, 0, dataErr("Failed to read %s from '%s': %v", rf.kind, rf.name, err)
		}
		rf.tmp = tmp.Name()
		n, err := io.Copy(tmp, rf.r)
		rf.rc.Close()
		rf.rc = nil
		rf.f = tmp
		if err != nil {
			return nil, 0, err
		}
		rf.size = n
	}
	return rf.f, rf.size, nil
}

// Finish reads what the parser left unread (so the digest covers the whole
// file), verifies the sha256 and closes the file. A mismatch is a fetch
// error (exit 7), as in the reference, even for local files.
func (rf *File) Finish() error {
	defer rf.Close()
	if rf.h == nil && rf.rc == nil {
		return nil
	}
	// A remote body verifies its digest (and cap) only at its end.
	if _, err := io.Copy(io.Discard, rf.r); err != nil {
		return err
	}
	if rf.h == nil {
		return nil
	}
	return checkSHA(rf.h.Sum(nil), rf.want)
}

// Close releases the file without verification.
func (rf *File) Close() {
	if rf.rc != nil {
		rf.rc.Close()
	}
	if rf.f != nil {
		rf.f.Close()
	}
	if rf.tmp != "" {
		os.Remove(rf.tmp)
	}
}

// VerifyWhole hashes the whole file up front and stops hashing reads; for
// parsers that need random access, or to find out whether a parse error
// was caused by a corrupt file (a mismatch outranks the parse error).
func (rf *File) VerifyWhole() error {
	if rf.h == nil {
		return nil
	}
	if rf.rc != nil {
		// A stream cannot be re-read: hash the rest of it.
		if _, err := io.Copy(io.Discard, rf.r); err != nil {
			return err
		}
		err := checkSHA(rf.h.Sum(nil), rf.want)
		rf.h = nil
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(rf.f, 0, rf.size)); err != nil {
		return dataErr("Failed to read %s from '%s': %v", rf.kind, rf.name, err)
	}
	rf.h = nil
	return checkSHA(h.Sum(nil), rf.want)
}

// Hashing reports whether a digest is being verified.
func (rf *File) Hashing() bool { return rf.h != nil }

// checkSHA compares a digest with the expected lowercase hex in constant
// time.
func checkSHA(sum []byte, want string) error {
	got := hex.EncodeToString(sum)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
		return nil
	}
	return exitcode.New(exitcode.Fetch, "sha256 mismatch: got %s…, expected %s…", got[:8], prefix8(want))
}

func prefix8(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return fmt.Sprint(s)
}
