package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// Body is the body of a download. It enforces the byte cap and the deadline
// while it is read and verifies the sha256 when the end is reached.
type Body struct {
	resp    *http.Response
	red     string
	want    []byte
	h       hash.Hash
	n, max  int64
	timeout time.Duration
	cancel  context.CancelFunc
	parent  context.Context
	c       *Client
	err     error // sticky result once the body failed or ended
}

func newBody(resp *http.Response, red string, want []byte, max int64, timeout time.Duration, cancel context.CancelFunc, parent context.Context, c *Client) *Body {
	return &Body{resp: resp, red: red, want: want, h: sha256.New(), max: max, timeout: timeout, cancel: cancel, parent: parent, c: c}
}

// URL returns the redacted URL the body came from (after redirects).
func (b *Body) URL() string { return b.red }

// Read reads the body. Past the cap it fails with "Download size cap
// exceeded"; at the end it returns io.EOF only if the sha256 matched.
func (b *Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	// Read at most one byte past the cap: that byte proves the overflow.
	if int64(len(p)) > b.max-b.n+1 {
		p = p[:b.max-b.n+1]
	}
	n, err := b.resp.Body.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		n -= int(b.n - b.max)
		b.h.Write(p[:n])
		b.c.logger().Warn(b.c.event("size_exceeded"), "url", b.red, "cap", b.max)
		b.err = fail(ReasonSizeCap, "Download size cap exceeded fetching %s: > %d bytes (RECOTEM_MAX_DOWNLOAD_BYTES).", b.red, b.max)
		return n, b.err
	}
	b.h.Write(p[:n])
	switch {
	case err == io.EOF:
		if b.want != nil {
			b.err = checkDigest(b.h.Sum(nil), b.want)
		}
		if b.err == nil {
			b.err = io.EOF
		}
		return n, b.err
	case err != nil:
		b.err = b.readErr(err)
		return n, b.err
	}
	return n, nil
}

func (b *Body) readErr(err error) error {
	if ctxErr := b.parent.Err(); ctxErr == nil && isDeadline(err, b) {
		return fail(ReasonTimeout, "Timeout (%ss) fetching %s", seconds(b.timeout), b.red)
	}
	return fail(ReasonURL, "URL error fetching %s: reading body: %s", b.red, oneLine(urlErr(err).Error()))
}

// isDeadline reports whether a body read failed because the download's own
// deadline passed.
func isDeadline(err error, b *Body) bool {
	if b.resp.Request != nil && b.resp.Request.Context().Err() != nil {
		return true
	}
	return err == context.DeadlineExceeded
}

// Close releases the connection and the deadline.
func (b *Body) Close() error {
	err := b.resp.Body.Close()
	b.cancel()
	return err
}

// parseDigest checks the sha256 pin of a download: required, 64 lowercase
// hex digits.
func parseDigest(s, red string) ([]byte, error) {
	if s == "" {
		return nil, fail(ReasonRefused, "Refusing fetch of %s: a sha256 pin is required for http(s) downloads", red)
	}
	d, ok := decodeDigest(s)
	if !ok {
		return nil, fail(ReasonRefused, "Refusing fetch of %s: sha256 must be 64 lowercase hex digits", red)
	}
	return d, nil
}

// decodeDigest decodes 64 lowercase hex digits.
func decodeDigest(s string) ([]byte, bool) {
	if !isDigest(s) {
		return nil, false
	}
	d, _ := hex.DecodeString(s)
	return d, true
}

func badDigest() error {
	return fail(ReasonRefused, "sha256 must be 64 lowercase hex digits")
}

func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkDigest compares a computed digest with the expected one in constant
// time.
func checkDigest(got, want []byte) error {
	if subtle.ConstantTimeCompare(got, want) == 1 {
		return nil
	}
	return exitcode.Reasoned(exitcode.Fetch, ReasonSHA256, "sha256 mismatch: got %s…, expected %s…",
		hex.EncodeToString(got)[:8], hex.EncodeToString(want)[:8])
}

// VerifySHA256 checks data against the expected sha256 (64 lowercase hex
// digits). A mismatch, or a malformed expected value, is an error with exit
// code 7 (also for local files, as in the reference).
func VerifySHA256(data []byte, expected string) error {
	want, ok := decodeDigest(expected)
	if !ok {
		return badDigest()
	}
	sum := sha256.Sum256(data)
	return checkDigest(sum[:], want)
}

// VerifyingReader returns a reader that passes r through and, at its end,
// returns the sha256 mismatch error (exit code 7) instead of io.EOF when the
// bytes read do not hash to expected. For streaming a local or object-store
// file with a sha256 pin: nothing parsed from it may be used before io.EOF.
func VerifyingReader(r io.Reader, expected string) (io.Reader, error) {
	want, ok := decodeDigest(expected)
	if !ok {
		return nil, badDigest()
	}
	return &verifyingReader{r: r, h: sha256.New(), want: want}, nil
}

type verifyingReader struct {
	r    io.Reader
	h    hash.Hash
	want []byte
	err  error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if v.err = checkDigest(v.h.Sum(nil), v.want); v.err == nil {
			v.err = io.EOF
		}
		return n, v.err
	}
	return n, err
}
