package artifact

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/payload"
)

// Options control how an artifact is opened.
type Options struct {
	// Caps are the size limits; the zero value means DefaultCaps.
	Caps Caps
	// Ring verifies the HMAC. It is required unless SkipVerify is set.
	Ring *keys.SigningRing
	// SkipVerify skips the HMAC entirely (serve --dev-allow-unsigned). The
	// model version is still computed.
	SkipVerify bool
	// NoMmap reads a local artifact into memory instead of mapping it
	// (RECOTEM_ARTIFACT_MMAP=false, see MmapFromEnv).
	NoMmap bool
}

func (o Options) caps() Caps {
	c := o.Caps
	if c.Artifact <= 0 {
		c.Artifact = DefaultArtifactCap
	}
	if c.Payload <= 0 {
		c.Payload = DefaultPayloadCap
	}
	return c
}

// Artifact is an opened, verified artifact. Its methods are safe for
// concurrent use. Close releases the mapping; slices obtained from the
// payload must not be used after Close.
type Artifact struct {
	path         string // resolved local path, "" for OpenBytes
	c            *Container
	fields       map[string]json.RawMessage
	header       *Header
	modelVersion string

	once    sync.Once
	pl      *payload.Reader
	plErr   error
	release func() error
	mu      sync.Mutex
}

// Open reads the local artifact at path (memory-mapped unless opt.NoMmap),
// resolves a pointer file (one level), and then parses, verifies and decodes
// the header (steps 1-17 of the spec). The payload is decoded lazily by
// Payload. Every error carries exitcode.Artifact, except a nil Ring without
// SkipVerify (exitcode.Config: keys are missing).
func Open(path string, opt Options) (*Artifact, error) {
	if opt.Ring == nil && !opt.SkipVerify {
		return nil, keys.ErrSigningMissing
	}
	caps := opt.caps()
	data, release, resolved, err := ReadResolved(path, caps.Artifact, !opt.NoMmap)
	if err != nil {
		return nil, err
	}
	a, err := load(data, opt, caps)
	if err != nil {
		release()
		return nil, err
	}
	a.path = resolved
	a.release = release
	return a, nil
}

// OpenBytes is Open for artifact bytes already in memory (object stores).
// Pointer files are not resolved here: see ParsePointer. b is retained and
// must not be modified.
func OpenBytes(b []byte, opt Options) (*Artifact, error) {
	if opt.Ring == nil && !opt.SkipVerify {
		return nil, keys.ErrSigningMissing
	}
	caps := opt.caps()
	if int64(len(b)) > caps.Artifact {
		return nil, capErr(int64(len(b)), caps.Artifact)
	}
	return load(b, opt, caps)
}

func capErr(n, limit int64) error {
	return exitcode.Reasoned(exitcode.Artifact, ReasonCap, "artifact of %d bytes exceeds cap of %d bytes (%s)", n, limit, EnvMaxArtifact)
}

func load(b []byte, opt Options, caps Caps) (*Artifact, error) {
	c, err := Parse(b, caps.Payload)
	if err != nil {
		return nil, err
	}
	ring := opt.Ring
	if opt.SkipVerify {
		ring = nil
	}
	sum, err := c.Verify(ring)
	if err != nil {
		return nil, err
	}
	fields, h, err := decodeHeader(c.Header)
	if err != nil {
		return nil, err
	}
	return &Artifact{
		c:            c,
		fields:       fields,
		header:       h,
		modelVersion: "sha256:" + hex.EncodeToString(sum[:]),
		release:      func() error { return nil },
	}, nil
}

// Path returns the local path the artifact was read from (the pointer's
// target when a pointer was resolved); "" for OpenBytes.
func (a *Artifact) Path() string { return a.path }

// Kid returns the kid the artifact was signed with.
func (a *Artifact) Kid() string { return a.c.Kid }

// ModelVersion returns "sha256:" + hex of the artifact bytes.
func (a *Artifact) ModelVersion() string { return a.modelVersion }

// Header returns the decoded header. Absent fields are zero.
func (a *Artifact) Header() *Header { return a.header }

// HeaderJSON returns the verified header bytes.
func (a *Artifact) HeaderJSON() []byte { return a.c.Header }

// Fields returns the header's top-level fields, raw, for pass-through.
func (a *Artifact) Fields() map[string]json.RawMessage { return a.fields }

// Size returns the artifact size in bytes.
func (a *Artifact) Size() int { return a.c.Size() }

// PayloadBytes returns the raw payload (step 19 not yet applied).
func (a *Artifact) PayloadBytes() []byte { return a.c.Payload }

// Payload decodes the payload's table of contents (step 19). It fails with
// an artifact error (reason "deserialize") when the header names no
// supported payload_encoding, e.g. for an artifact written by the Python
// reference, whose pickle payload is never interpreted.
func (a *Artifact) Payload() (*payload.Reader, error) {
	a.once.Do(func() {
		enc := a.header.PayloadEncoding
		if !supportedEncoding(enc) {
			what := "no payload_encoding (written by the Python reference?)"
			if enc != "" {
				what = "payload_encoding " + pyRepr(enc)
			}
			a.plErr = exitcode.Reasoned(exitcode.Artifact, ReasonDeserialize,
				"artifact has %s; this build reads %s payloads only: retrain the model with recotem in Go", what, payload.Encoding)
			return
		}
		a.pl, a.plErr = payload.NewReader(a.c.Payload)
	})
	return a.pl, a.plErr
}

// Close releases the memory mapping, if any. It is idempotent.
func (a *Artifact) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.release == nil {
		return nil
	}
	err := a.release()
	a.release = nil
	return err
}

var pointerPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+\.recotem\s*$`)

// ParsePointer reports whether b is a pointer file (§1.5): at most 512
// bytes, ASCII, matching ^[A-Za-z0-9_.-]+\.recotem\s*$. It returns the
// trimmed target file name, which contains no path separator.
func ParsePointer(b []byte) (string, bool) {
	if len(b) > MaxPointerLen {
		return "", false
	}
	for _, c := range b {
		if c >= 0x80 {
			return "", false
		}
	}
	if !pointerPattern.Match(b) {
		return "", false
	}
	end := len(b)
	for end > 0 && isSpace(b[end-1]) {
		end--
	}
	return string(b[:end]), true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// ReadResolved reads the local file at path once, up to limit bytes (more →
// "exceeds cap"), and if it is a pointer file reads the target in the same
// directory instead (one level). It returns the bytes, a release function
// (unmaps; a no-op for read mode) and the path actually read. With mmap the
// file is mapped read-only and private; otherwise it is read into an
// 8-byte-aligned buffer. Errors carry exitcode.Artifact.
func ReadResolved(path string, limit int64, mmap bool) (data []byte, release func() error, resolved string, err error) {
	data, release, err = readLocal(path, limit, mmap)
	if err != nil {
		return nil, nil, "", err
	}
	target, ok := ParsePointer(data)
	if !ok {
		return data, release, path, nil
	}
	release()
	resolved = filepath.Join(filepath.Dir(path), target)
	data, release, err = readLocal(resolved, limit, mmap)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, "", exitcode.Reasoned(exitcode.Artifact, ReasonRead,
				"pointer %s references missing artifact %s", pyRepr(path), pyRepr(resolved))
		}
		return nil, nil, "", err
	}
	return data, release, resolved, nil
}

func readLocal(path string, limit int64, mmap bool) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, readErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, readErr(path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, readErr(path, errors.New("not a regular file"))
	}
	size := st.Size()
	if size > limit {
		return nil, nil, capErr(size, limit)
	}
	noop := func() error { return nil }
	if mmap && size > MaxPointerLen {
		b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE)
		if err == nil {
			return b, func() error { return unix.Munmap(b) }, nil
		}
		// Fall back to reading (file systems without mmap support).
	}
	// Read at most limit+1 bytes: the file may have grown since Stat.
	buf := alignedBytes(min(size, limit) + 1)
	n, err := io.ReadFull(f, buf)
	switch {
	case err == nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
	default:
		return nil, nil, readErr(path, err)
	}
	if int64(n) == int64(len(buf)) { // grew: keep reading up to the cap
		rest, err := io.ReadAll(io.LimitReader(f, limit+1-int64(n)))
		if err != nil {
			return nil, nil, readErr(path, err)
		}
		if len(rest) > 0 {
			grown := alignedBytes(int64(n + len(rest)))
			copy(grown, buf[:n])
			copy(grown[n:], rest)
			buf, n = grown, n+len(rest)
		}
	}
	if int64(n) > limit {
		return nil, nil, capErr(int64(n), limit)
	}
	return buf[:n:n], noop, nil
}

func readErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &exitcode.Error{Code: exitcode.Artifact, Reason: ReasonRead,
		Err: &readError{path: path, err: err}}
}

// readError keeps fs.ErrNotExist reachable with errors.Is.
type readError struct {
	path string
	err  error
}

func (e *readError) Error() string {
	return "Cannot read artifact " + pyRepr(e.path) + ": " + e.err.Error()
}
func (e *readError) Unwrap() error { return e.err }

// alignedBytes returns a zeroed []byte of length n whose start is 8-byte
// aligned, so that payload sections aligned in the file are aligned in
// memory for float64/int64 views.
func alignedBytes(n int64) []byte {
	if n <= 0 {
		return []byte{}
	}
	words := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), n)
}
