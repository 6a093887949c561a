package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/payload"
	"github.com/codelibs/recotem-go/pkg/version"
)

// Versioning policies of output.versioning.
const (
	AppendSHA       = "append_sha"
	AlwaysOverwrite = "always_overwrite"
)

// Encoded is a complete artifact ready to be written: the container head
// and the payload chunks (which alias the slices given to the payload
// writer), with its size and SHA-256 known.
type Encoded struct {
	chunks [][]byte
	size   int64
	sum    [sha256.Size]byte
	kid    string
}

// Encode signs header h and payload pw with the ring's active key.
// It sets h.PayloadEncoding to payload.Encoding and, when empty,
// h.EngineVersion to the build's version (version.Version). The payload
// sections are laid out 64-byte aligned in the file.
func Encode(ring *keys.SigningRing, h *Header, pw *payload.Writer) (*Encoded, error) {
	if ring == nil {
		return nil, keys.ErrSigningMissing
	}
	h.PayloadEncoding = payload.Encoding
	if h.EngineVersion == "" {
		h.EngineVersion = version.Version
	}
	hb, err := MarshalHeader(h)
	if err != nil {
		return nil, err
	}
	k := ring.Active()
	chunks, err := pw.Chunks(PayloadOffset(len(k.Kid), len(hb)))
	if err != nil {
		return nil, exitcode.New(exitcode.Artifact, "encode payload: %w", err)
	}
	return Seal(k.Kid, k.Key, hb, chunks...)
}

// Size returns the artifact size in bytes.
func (e *Encoded) Size() int64 { return e.size }

// Kid returns the kid the artifact is signed with.
func (e *Encoded) Kid() string { return e.kid }

// SHA256 returns the lowercase hex SHA-256 of the artifact bytes.
func (e *Encoded) SHA256() string { return hex.EncodeToString(e.sum[:]) }

// ModelVersion returns "sha256:" + SHA256(), as serve reports it.
func (e *Encoded) ModelVersion() string { return "sha256:" + e.SHA256() }

// WriteTo writes the artifact bytes to w.
func (e *Encoded) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, c := range e.chunks {
		m, err := w.Write(c)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Reader returns a reader of the artifact bytes (no copy).
func (e *Encoded) Reader() io.Reader {
	rs := make([]io.Reader, len(e.chunks))
	for i, c := range e.chunks {
		rs[i] = bytes.NewReader(c)
	}
	return io.MultiReader(rs...)
}

// Bytes returns the artifact as one buffer (a copy).
func (e *Encoded) Bytes() []byte { return bytes.Join(e.chunks, nil) }

// Written names the files or objects a write produced.
type Written struct {
	// Artifact is the artifact file: the versioned file for append_sha.
	Artifact string
	// Pointer is the pointer file (the output path) for append_sha, else "".
	Pointer string
}

// VersionedName returns the name of the versioned artifact of output name
// for append_sha: "<stem>.<sha8>.recotem", where stem is name without a
// trailing ".recotem" (or name itself when it lacks that suffix).
func VersionedName(name, sha256hex string) string {
	return strings.TrimSuffix(name, ".recotem") + "." + sha256hex[:8] + ".recotem"
}

// WriteOptions control a local write.
type WriteOptions struct {
	// Versioning is AppendSHA (the default when empty) or AlwaysOverwrite.
	Versioning string
	// Check, if set, is called with each destination path just before the
	// rename (after fsync); an error aborts the write and removes the temp
	// file. The recipe package supplies the RECOTEM_ARTIFACT_ROOT
	// containment re-check (symlink-swap defence) here.
	Check func(dest string) error
}

func versioning(v string) (string, error) {
	switch v {
	case "", AppendSHA:
		return AppendSHA, nil
	case AlwaysOverwrite:
		return AlwaysOverwrite, nil
	}
	return "", exitcode.New(exitcode.Recipe, "output.versioning %q: want %s or %s", v, AppendSHA, AlwaysOverwrite)
}

// WriteFile writes e to the local path dest. With always_overwrite dest is
// replaced atomically. With append_sha the versioned file is written first
// and then dest is atomically replaced by a pointer "<versioned base>\n";
// old versions are never deleted, and if the versioned write fails the
// pointer is untouched. Parent directories are created. Errors carry
// exitcode.Artifact.
func WriteFile(dest string, e *Encoded, opt WriteOptions) (Written, error) {
	v, err := versioning(opt.Versioning)
	if err != nil {
		return Written{}, err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return Written{}, exitcode.Reasoned(exitcode.Artifact, "write", "create directory for %s: %w", dest, err)
	}
	if v == AlwaysOverwrite {
		if err := writeAtomic(dest, e.WriteTo, opt.Check); err != nil {
			return Written{}, err
		}
		return Written{Artifact: dest}, nil
	}
	versioned := VersionedName(dest, e.SHA256())
	if err := writeAtomic(versioned, e.WriteTo, opt.Check); err != nil {
		return Written{}, err
	}
	ptr := []byte(filepath.Base(versioned) + "\n")
	err = writeAtomic(dest, func(w io.Writer) (int64, error) {
		n, err := w.Write(ptr)
		return int64(n), err
	}, opt.Check)
	if err != nil {
		return Written{Artifact: versioned}, err
	}
	return Written{Artifact: versioned, Pointer: dest}, nil
}

// writeAtomic writes dest via a temp file in the same directory (mode 0600),
// fsync, check, rename; the temp file is removed on any failure.
func writeAtomic(dest string, write func(io.Writer) (int64, error), check func(string) error) (err error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return exitcode.Reasoned(exitcode.Artifact, "write", "create temp file for %s: %w", dest, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = write(f); err != nil {
		return exitcode.Reasoned(exitcode.Artifact, "write", "write %s: %w", dest, err)
	}
	if err = f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return exitcode.Reasoned(exitcode.Artifact, "write", "fsync %s: %w", dest, err)
	}
	if err = f.Close(); err != nil {
		return exitcode.Reasoned(exitcode.Artifact, "write", "close %s: %w", dest, err)
	}
	if check != nil {
		if err = check(dest); err != nil {
			return exitcode.Wrap(exitcode.Artifact, err)
		}
	}
	if err = os.Rename(tmp, dest); err != nil {
		return exitcode.Reasoned(exitcode.Artifact, "write", "rename to %s: %w", dest, err)
	}
	// Make the rename durable; a directory that cannot be synced is not an error.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Store writes whole objects to an object store. Implementations replace
// the object atomically from a reader's point of view (a put is atomic on
// S3, GCS and Azure Blob); the uri package provides them.
type Store interface {
	// WriteAtomic stores size bytes read from r as object name.
	WriteAtomic(ctx context.Context, name string, r io.Reader, size int64) error
}

// WriteStore writes e to an object store under name with the given
// versioning: append_sha puts the versioned object "<stem>.<sha8>.recotem"
// first and then the pointer object name (content "<versioned base>\n");
// always_overwrite puts name. Object names use '/' separators.
func WriteStore(ctx context.Context, s Store, name string, e *Encoded, versioningPolicy string) (Written, error) {
	v, err := versioning(versioningPolicy)
	if err != nil {
		return Written{}, err
	}
	if v == AlwaysOverwrite {
		if err := s.WriteAtomic(ctx, name, e.Reader(), e.size); err != nil {
			return Written{}, exitcode.Reasoned(exitcode.Artifact, "write", "write %s: %w", name, err)
		}
		return Written{Artifact: name}, nil
	}
	versioned := VersionedName(name, e.SHA256())
	if err := s.WriteAtomic(ctx, versioned, e.Reader(), e.size); err != nil {
		return Written{}, exitcode.Reasoned(exitcode.Artifact, "write", "write %s: %w", versioned, err)
	}
	ptr := path.Base(versioned) + "\n"
	if err := s.WriteAtomic(ctx, name, strings.NewReader(ptr), int64(len(ptr))); err != nil {
		return Written{Artifact: versioned}, exitcode.Reasoned(exitcode.Artifact, "write", "write pointer %s: %w", name, err)
	}
	return Written{Artifact: versioned, Pointer: name}, nil
}

// String describes the artifact for logs.
func (e *Encoded) String() string {
	return fmt.Sprintf("artifact(%d bytes, kid %s, sha256 %s)", e.size, keys.SanitizeKid(e.kid), e.SHA256()[:8])
}
