package uri

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/afero"
	"gocloud.dev/blob"
)

// Writer writes a location atomically: readers see either the old content or
// the whole new content, never a part. Call Commit to publish or Abort to
// discard; after either, further calls are no-ops returning the first result.
//
// Locally the bytes go to a temporary file (mode 0600) beside the target,
// which Commit fsyncs and renames over the target (then fsyncs the
// directory). On an object store the upload itself is atomic: Commit
// completes it, Abort cancels it.
type Writer struct {
	loc  Location
	done bool
	err  error

	// local
	fsys afero.Fs
	tmp  afero.File

	// object store: Write feeds pw, an upload goroutine reads the other end
	bucket *blob.Bucket
	pw     *io.PipeWriter
	upload chan error
	cancel context.CancelFunc
}

// errAborted ends the upload stream of an aborted object-store write.
var errAborted = errors.New("write aborted")

// Create starts an atomic write of raw. The parent directory of a local
// path must exist. Errors are *Error values without an exit code: the
// caller decides what a failed write means.
func (s *Store) Create(ctx context.Context, raw string) (*Writer, error) {
	return s.create(ctx, raw, false)
}

func (s *Store) create(ctx context.Context, raw string, exclusive bool) (*Writer, error) {
	op := "write"
	if exclusive {
		op = "create"
	}
	loc, err := parse(op, raw)
	if err != nil {
		return nil, err
	}
	if loc.Kind == Local {
		fsys := s.fs()
		if exclusive {
			f, err := fsys.OpenFile(loc.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return nil, &Error{Op: op, URI: loc.String(), Err: normalize(err)}
			}
			return &Writer{loc: loc, fsys: fsys, tmp: f}, nil
		}
		dir, base := filepath.Split(loc.Path)
		if dir == "" {
			dir = "."
		}
		f, err := afero.TempFile(fsys, dir, "."+base+".tmp-*")
		if err != nil {
			return nil, &Error{Op: op, URI: loc.String(), Err: normalize(err)}
		}
		if err := fsys.Chmod(f.Name(), 0o600); err != nil {
			f.Close()
			fsys.Remove(f.Name())
			return nil, &Error{Op: op, URI: loc.String(), Err: normalize(err)}
		}
		return &Writer{loc: loc, fsys: fsys, tmp: f}, nil
	}
	b, err := s.bucket(ctx, loc)
	if err != nil {
		return nil, &Error{Op: op, URI: loc.String(), Err: normalize(err)}
	}
	// The upload reads from a pipe. Aborting cancels the context first (so no
	// driver commits what it has), then fails the stream. Bucket.Upload is
	// used rather than a blob.Writer because cancelling a blob.Writer while
	// the Azure driver is uploading races inside the driver.
	wctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	w := &Writer{loc: loc, bucket: b, pw: pw, upload: make(chan error, 1), cancel: cancel}
	opts := &blob.WriterOptions{ContentType: "application/octet-stream", IfNotExist: exclusive}
	go func() {
		err := b.Upload(wctx, loc.Key, pr, opts)
		if err != nil {
			pr.CloseWithError(err)
		} else {
			pr.Close()
		}
		w.upload <- err
	}()
	return w, nil
}

// Write writes p to the pending content.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, &Error{Op: "write", URI: w.loc.String(), Err: errors.New("write after commit or abort")}
	}
	var (
		n   int
		err error
	)
	if w.tmp != nil {
		n, err = w.tmp.Write(p)
		if err != nil {
			err = &Error{Op: "write", URI: w.loc.String(), Err: normalize(err)}
		}
		return n, err
	}
	n, err = w.pw.Write(p)
	if err != nil {
		err = &Error{Op: "write", URI: w.loc.String(), Err: bucketErr(w.bucket, err)}
	}
	return n, err
}

// Commit publishes what was written. On failure nothing is published and
// any temporary file is removed.
func (w *Writer) Commit() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.tmp != nil {
		w.err = w.commitLocal()
		return w.err
	}
	w.pw.Close()
	err := <-w.upload
	w.cancel()
	if cerr := w.bucket.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		w.err = &Error{Op: "write", URI: w.loc.String(), Err: bucketErr(w.bucket, err)}
	}
	return w.err
}

func (w *Writer) commitLocal() error {
	name := w.tmp.Name()
	exclusive := name == w.loc.Path
	fail := func(err error) error {
		w.tmp.Close()
		w.fsys.Remove(name)
		return &Error{Op: "write", URI: w.loc.String(), Err: normalize(err)}
	}
	if err := w.tmp.Sync(); err != nil && !syncUnsupported(err) {
		return fail(err)
	}
	if err := w.tmp.Close(); err != nil {
		w.fsys.Remove(name)
		return &Error{Op: "write", URI: w.loc.String(), Err: normalize(err)}
	}
	if !exclusive {
		if err := w.fsys.Rename(name, w.loc.Path); err != nil {
			w.fsys.Remove(name)
			return &Error{Op: "write", URI: w.loc.String(), Err: normalize(err)}
		}
	}
	syncDir(w.fsys, filepath.Dir(w.loc.Path))
	return nil
}

// Abort discards what was written.
func (w *Writer) Abort() error {
	if w.done {
		return w.err
	}
	w.done = true
	w.err = errAborted
	if w.tmp != nil {
		w.tmp.Close()
		w.fsys.Remove(w.tmp.Name())
		return nil
	}
	w.cancel()
	w.pw.CloseWithError(errAborted)
	<-w.upload // the cancellation; nothing was published
	w.bucket.Close()
	return nil
}

// syncUnsupported reports an fsync failure that only means the filesystem
// cannot sync (some network and virtual filesystems).
func syncUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, errors.ErrUnsupported)
}

// syncDir fsyncs a directory of the OS filesystem so a rename survives a
// crash. Failures are ignored: not every filesystem can sync a directory.
func syncDir(fsys afero.Fs, dir string) {
	if _, ok := fsys.(*afero.OsFs); !ok {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// WriteFile atomically replaces raw with data (see Writer).
func (s *Store) WriteFile(ctx context.Context, raw string, data []byte) error {
	return s.write(ctx, raw, data, false)
}

// CreateExclusive writes data to raw only if raw does not exist yet; when it
// does, the error Is fs.ErrExist. On an object store this is a conditional
// write (If-None-Match: * or its equivalent), the primitive of a lease.
// Locally the file is created with O_EXCL, so a crash mid-write can leave a
// partial file: use it for small lock records, not for data.
func (s *Store) CreateExclusive(ctx context.Context, raw string, data []byte) error {
	return s.write(ctx, raw, data, true)
}

// write stores data at raw through a Writer, aborting it on failure.
func (s *Store) write(ctx context.Context, raw string, data []byte, exclusive bool) error {
	w, err := s.create(ctx, raw, exclusive)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// Remove deletes raw. Removing a missing location fails with an error that
// Is fs.ErrNotExist.
func (s *Store) Remove(ctx context.Context, raw string) error {
	loc, err := parse("remove", raw)
	if err != nil {
		return err
	}
	if loc.Kind == Local {
		if err := s.fs().Remove(loc.Path); err != nil {
			return &Error{Op: "remove", URI: loc.String(), Err: normalize(err)}
		}
		return nil
	}
	b, err := s.bucket(ctx, loc)
	if err != nil {
		return &Error{Op: "remove", URI: loc.String(), Err: normalize(err)}
	}
	defer b.Close()
	if err := b.Delete(ctx, loc.Key); err != nil {
		return &Error{Op: "remove", URI: loc.String(), Err: bucketErr(b, err)}
	}
	return nil
}
