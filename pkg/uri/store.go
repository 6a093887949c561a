package uri

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/spf13/afero"
	"gocloud.dev/blob"
)

// Error is a storage failure. It names the operation and the location with
// credentials redacted; Err is the cause, normalised so that errors.Is finds
// fs.ErrNotExist, fs.ErrPermission and fs.ErrExist for every backend, and
// ErrNoCredentials when an object store has no credentials.
type Error struct {
	Op  string // "read", "stat", "write", "create", "remove"
	URI string // redacted
	Err error
}

// Error returns "<op> <uri>: <cause>" on one line.
func (e *Error) Error() string {
	return e.Op + " " + e.URI + ": " + oneLine(e.Err.Error())
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrNoCredentials is the cause of an Error when an object store found no
// credentials in its standard environment.
var ErrNoCredentials = errors.New("no credentials")

// credentialError is a missing-credentials cause with the hint for one cloud.
type credentialError struct{ msg string }

func (e *credentialError) Error() string        { return e.msg }
func (e *credentialError) Is(target error) bool { return target == ErrNoCredentials }

// Info describes a stored file.
type Info struct {
	Size    int64     // bytes; -1 when the store did not report it
	ModTime time.Time // zero when unknown
	ETag    string    // object stores only; may be empty
	MD5     []byte    // object stores only; may be nil

	// Marker changes whenever the content may have changed: for local files
	// "<mtime ns>:<size>", for objects the ETag, else the hex MD5, else
	// "<mtime ns>:<size>". Compare markers only for equality.
	Marker string
}

// Store reads and writes locations. The zero value uses the operating
// system's filesystem and the cloud drivers configured from the standard
// environment of each cloud.
type Store struct {
	// FS serves bare paths and file:// URIs; nil means afero.NewOsFs().
	FS afero.Fs

	// OpenBucket opens the bucket of an object-store location; nil means
	// the default openers (see OpenBucket). Tests set it to reach a local
	// server or an in-memory bucket.
	OpenBucket func(ctx context.Context, loc Location) (*blob.Bucket, error)
}

// Default is the store the package-level functions use.
var Default = &Store{}

// Open opens raw for reading with Default.
func Open(ctx context.Context, raw string) (io.ReadCloser, error) { return Default.Open(ctx, raw) }

// OpenCapped opens raw for reading with Default, bounded by max bytes.
func OpenCapped(ctx context.Context, raw string, max int64) (io.ReadCloser, error) {
	return Default.OpenCapped(ctx, raw, max)
}

// ReadAll reads raw with Default, bounded by max bytes.
func ReadAll(ctx context.Context, raw string, max int64) ([]byte, error) {
	return Default.ReadAll(ctx, raw, max)
}

// Stat describes raw with Default.
func Stat(ctx context.Context, raw string) (Info, error) { return Default.Stat(ctx, raw) }

// WriteFile atomically replaces raw with data using Default.
func WriteFile(ctx context.Context, raw string, data []byte) error {
	return Default.WriteFile(ctx, raw, data)
}

// Create starts an atomic write of raw with Default.
func Create(ctx context.Context, raw string) (*Writer, error) { return Default.Create(ctx, raw) }

// CreateExclusive writes raw with Default only if it does not exist yet.
func CreateExclusive(ctx context.Context, raw string, data []byte) error {
	return Default.CreateExclusive(ctx, raw, data)
}

// Remove deletes raw with Default.
func Remove(ctx context.Context, raw string) error { return Default.Remove(ctx, raw) }

func (s *Store) fs() afero.Fs {
	if s.FS == nil {
		return afero.NewOsFs()
	}
	return s.FS
}

func (s *Store) bucket(ctx context.Context, loc Location) (*blob.Bucket, error) {
	if s.OpenBucket != nil {
		return s.OpenBucket(ctx, loc)
	}
	return OpenBucket(ctx, loc)
}

// parse parses raw for op, refusing HTTP(S) locations.
func parse(op, raw string) (Location, error) {
	loc, err := Parse(raw)
	if err != nil {
		return loc, &Error{Op: op, URI: Redact(raw), Err: errors.New(strings.TrimPrefix(err.Error(), Redact(raw)+": "))}
	}
	if loc.Kind == HTTP {
		return loc, &Error{Op: op, URI: loc.String(), Err: errors.New("http(s) locations are served by the fetcher, not by the storage layer")}
	}
	return loc, nil
}

// readErr returns a storage error for a data read: exit code 3.
func readErr(op string, loc Location, err error) error {
	return exitcode.Wrap(exitcode.DataSource, &Error{Op: op, URI: loc.String(), Err: normalize(err)})
}

// Open opens raw for reading. The caller must close the reader. Errors carry
// exit code 3 (data source).
func (s *Store) Open(ctx context.Context, raw string) (io.ReadCloser, error) {
	return s.OpenCapped(ctx, raw, -1)
}

// OpenCapped opens raw for reading at most max bytes; max 0 means
// MaxDownloadBytes() and a negative max means no cap. When the backend
// reports a size over max, OpenCapped fails with a *TooLargeError before
// anything is read; a read past max bytes fails with a *TooLargeError
// (Size -1). Errors carry exit code 3 (data source).
func (s *Store) OpenCapped(ctx context.Context, raw string, max int64) (io.ReadCloser, error) {
	loc, err := parse("read", raw)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.DataSource, err)
	}
	if max == 0 {
		max = MaxDownloadBytes()
	}
	var (
		rc   io.ReadCloser
		size int64 = -1
	)
	switch loc.Kind {
	case Local:
		f, err := s.fs().Open(loc.Path)
		if err != nil {
			return nil, readErr("read", loc, err)
		}
		if fi, err := f.Stat(); err == nil {
			if fi.IsDir() {
				f.Close()
				return nil, readErr("read", loc, errors.New("is a directory"))
			}
			size = fi.Size()
		}
		rc = f
	default:
		b, err := s.bucket(ctx, loc)
		if err != nil {
			return nil, readErr("read", loc, err)
		}
		r, err := b.NewReader(ctx, loc.Key, nil)
		if err != nil {
			b.Close()
			return nil, readErr("read", loc, bucketErr(b, err))
		}
		size = r.Size()
		rc = &bucketReader{Reader: r, bucket: b}
	}
	if max < 0 {
		return &errReader{rc: rc, loc: loc}, nil
	}
	if size > max {
		rc.Close()
		return nil, exitcode.Wrap(exitcode.DataSource, &TooLargeError{URI: loc.String(), Size: size, Cap: max})
	}
	return &cappedReader{errReader: errReader{rc: rc, loc: loc}, left: max, cap: max, size: size}, nil
}

// ReadAll reads the whole of raw, at most max bytes (0 means
// MaxDownloadBytes(), negative means no cap). See OpenCapped for the checks.
func (s *Store) ReadAll(ctx context.Context, raw string, max int64) ([]byte, error) {
	rc, err := s.OpenCapped(ctx, raw, max)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if cr, ok := rc.(*cappedReader); ok && cr.size >= 0 {
		buf.Grow(int(cr.size) + 1)
	}
	if _, err := buf.ReadFrom(rc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Stat describes raw: its size and a change marker. Errors carry exit code 3.
func (s *Store) Stat(ctx context.Context, raw string) (Info, error) {
	loc, err := parse("stat", raw)
	if err != nil {
		return Info{}, exitcode.Wrap(exitcode.DataSource, err)
	}
	if loc.Kind == Local {
		fi, err := s.fs().Stat(loc.Path)
		if err != nil {
			return Info{}, readErr("stat", loc, err)
		}
		if fi.IsDir() {
			return Info{}, readErr("stat", loc, errors.New("is a directory"))
		}
		return Info{Size: fi.Size(), ModTime: fi.ModTime(), Marker: sizeTimeMarker(fi.Size(), fi.ModTime())}, nil
	}
	b, err := s.bucket(ctx, loc)
	if err != nil {
		return Info{}, readErr("stat", loc, err)
	}
	defer b.Close()
	a, err := b.Attributes(ctx, loc.Key)
	if err != nil {
		return Info{}, readErr("stat", loc, bucketErr(b, err))
	}
	info := Info{Size: a.Size, ModTime: a.ModTime, ETag: a.ETag, MD5: a.MD5}
	switch {
	case a.ETag != "":
		info.Marker = a.ETag
	case len(a.MD5) > 0:
		info.Marker = fmt.Sprintf("%x", a.MD5)
	default:
		info.Marker = sizeTimeMarker(a.Size, a.ModTime)
	}
	return info, nil
}

func sizeTimeMarker(size int64, t time.Time) string {
	return strconv.FormatInt(t.UnixNano(), 10) + ":" + strconv.FormatInt(size, 10)
}

// bucketReader closes its bucket with the reader.
type bucketReader struct {
	*blob.Reader
	bucket *blob.Bucket
}

func (r *bucketReader) Close() error {
	err := r.Reader.Close()
	if cerr := r.bucket.Close(); err == nil {
		err = cerr
	}
	return err
}

// errReader turns read errors into storage errors naming the location.
type errReader struct {
	rc  io.ReadCloser
	loc Location
}

func (r *errReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		err = readErr("read", r.loc, err)
	}
	return n, err
}

func (r *errReader) Close() error { return r.rc.Close() }

// cappedReader fails once more than cap bytes have been read.
type cappedReader struct {
	errReader
	left, cap int64
	size      int64 // size reported at open, -1 if unknown
}

func (r *cappedReader) Read(p []byte) (int, error) {
	if r.left < 0 {
		return 0, exitcode.Wrap(exitcode.DataSource, &TooLargeError{URI: r.loc.String(), Size: -1, Cap: r.cap})
	}
	// Read at most left+1 bytes: the extra byte proves the file is too large.
	if int64(len(p)) > r.left+1 {
		p = p[:r.left+1]
	}
	n, err := r.errReader.Read(p)
	r.left -= int64(n)
	if r.left < 0 {
		return n + int(r.left), exitcode.Wrap(exitcode.DataSource, &TooLargeError{URI: r.loc.String(), Size: -1, Cap: r.cap})
	}
	return n, err
}

// oneLine folds a multi-line driver message onto one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
