package artifact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"unicode/utf8"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/keys"
)

// Container format constants.
const (
	Magic         = "RECOTEM\x00"
	FormatVersion = 1
	MaxKidLen     = 32
	MaxHeaderLen  = 65536
	macSize       = sha256.Size
	fixedSize     = 8 + 2 + 2 + 1 + macSize + 4 // 49: everything but kid, header and payload
)

// Reasons attached to artifact errors (exitcode.ReasonOf), matching the
// load-failure labels of serve.
const (
	ReasonParse       = "parse"
	ReasonHMAC        = "hmac"
	ReasonHeader      = "header"
	ReasonDeserialize = "deserialize"
	ReasonRead        = "read"
	ReasonCap         = "cap"
)

func parseErr(format string, args ...any) error {
	return exitcode.Reasoned(exitcode.Artifact, ReasonParse, format, args...)
}

// Container is a structurally parsed artifact. Its slices alias the bytes
// given to Parse.
type Container struct {
	Kid     string
	MAC     []byte // 32 bytes
	Header  []byte // header JSON, valid UTF-8, not yet decoded
	Payload []byte
	// PayloadOffset is the offset of the payload in the artifact: 49+K+N.
	PayloadOffset int
	raw           []byte
}

// Size returns the length of the whole artifact.
func (c *Container) Size() int { return len(c.raw) }

// Parse performs the structural checks of the container in the reference's
// order (the first failing check wins): magic, version, reserved, kid
// length and bytes, HMAC field, header length (refused above 65536 before
// anything is sliced), header bytes and UTF-8, and finally the payload
// length against payloadCap (≤ 0: no cap). It never panics and allocates
// nothing proportional to the input. Errors carry exitcode.Artifact with
// reason "parse" (or "cap").
func Parse(b []byte, payloadCap int64) (*Container, error) {
	n := len(b)
	switch {
	case n < 8:
		return nil, parseErr("artifact too short: %d bytes, missing magic", n)
	case string(b[:8]) != Magic:
		return nil, parseErr("bad magic: not a recotem artifact")
	case n < 12:
		return nil, parseErr("artifact truncated: missing format version/reserved fields")
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != FormatVersion {
		return nil, parseErr("unsupported format version %d (want %d)", v, FormatVersion)
	}
	if r := binary.LittleEndian.Uint16(b[10:]); r != 0 {
		return nil, parseErr("reserved field must be 0, got %d", r)
	}
	if n < 13 {
		return nil, parseErr("artifact truncated: missing kid length")
	}
	k := int(b[12])
	if k < 1 || k > MaxKidLen {
		return nil, parseErr("kid length %d out of range [1, %d]", k, MaxKidLen)
	}
	if n < 13+k {
		return nil, parseErr("artifact truncated: kid needs %d bytes, %d present", k, n-13)
	}
	kid := b[13 : 13+k]
	if !utf8.Valid(kid) {
		return nil, parseErr("kid is not valid UTF-8")
	}
	if n < 45+k {
		return nil, parseErr("artifact truncated: incomplete HMAC")
	}
	if n < 49+k {
		return nil, parseErr("artifact truncated: missing header length")
	}
	hlen := binary.LittleEndian.Uint32(b[45+k:])
	if hlen > MaxHeaderLen {
		return nil, parseErr("header length %d exceeds cap of %d bytes", hlen, MaxHeaderLen)
	}
	hs := 49 + k
	he := hs + int(hlen)
	if n < he {
		return nil, parseErr("artifact truncated: header JSON needs %d bytes, %d present", hlen, n-hs)
	}
	header := b[hs:he]
	if !utf8.Valid(header) {
		return nil, parseErr("header JSON is not valid UTF-8")
	}
	if payloadCap > 0 && int64(n-he) > payloadCap {
		return nil, exitcode.Reasoned(exitcode.Artifact, ReasonCap,
			"payload of %d bytes exceeds cap of %d bytes (%s)", n-he, payloadCap, EnvMaxPayload)
	}
	return &Container{
		Kid:           string(kid),
		MAC:           b[13+k : 45+k],
		Header:        header,
		Payload:       b[he:],
		PayloadOffset: he,
		raw:           b,
	}, nil
}

// parallelHashMin is the artifact size from which the SHA-256 runs in its
// own goroutine alongside the HMAC.
const parallelHashMin = 4 << 20

// Verify checks the HMAC with the key of the container's kid from ring and
// returns the SHA-256 of the whole artifact (the model version). A nil
// ring skips the HMAC (serve --dev-allow-unsigned) but still hashes. Errors
// carry exitcode.Artifact with reason "hmac": "signed with unknown kid …" or
// "HMAC mismatch …". The comparison is constant-time.
//
// The two digests are computed in one pass over the bytes: for large
// artifacts the SHA-256 runs in a second goroutine over the same memory
// while the HMAC is computed, so wall time is that of one hash when two
// cores are free (and of both when only one is).
func (c *Container) Verify(ring *keys.SigningRing) ([sha256.Size]byte, error) {
	return c.verify(ring, true)
}

// VerifyHMAC is Verify without the model version: it checks the HMAC only,
// for callers that do not report the version (`recotem inspect` without
// --json), at half the CPU cost.
func (c *Container) VerifyHMAC(ring *keys.SigningRing) error {
	_, err := c.verify(ring, false)
	return err
}

func (c *Container) verify(ring *keys.SigningRing, version bool) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	var mac hashWriter
	if ring != nil {
		key, ok := ring.Lookup(c.Kid)
		if !ok {
			return sum, exitcode.Reasoned(exitcode.Artifact, ReasonHMAC,
				"signed with unknown kid '%s' (ring has %d kid(s))", keys.SanitizeKid(c.Kid), len(ring.Kids()))
		}
		mac = hmac.New(sha256.New, key)
	}
	hashAll := func() {
		if version {
			sh := sha256.New()
			sh.Write(c.raw)
			sh.Sum(sum[:0])
		}
	}
	done := make(chan struct{})
	if mac != nil && version && len(c.raw) >= parallelHashMin {
		go func() {
			hashAll()
			close(done)
		}()
	} else {
		hashAll()
		close(done)
	}
	if mac != nil {
		// MAC input in file order: kid, then header ‖ payload (the HMAC
		// field and header_len in between are skipped).
		k := len(c.Kid)
		mac.Write(c.raw[13 : 13+k])
		mac.Write(c.raw[49+k:])
	}
	<-done
	if mac != nil && !hmac.Equal(mac.Sum(nil), c.MAC) {
		return sum, exitcode.Reasoned(exitcode.Artifact, ReasonHMAC,
			"HMAC mismatch for kid '%s': the artifact was modified or signed with a different key", keys.SanitizeKid(c.Kid))
	}
	return sum, nil
}

type hashWriter interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
}

// Seal assembles an artifact from a kid, its key, raw header JSON and the
// payload chunks, computing the MAC. It refuses a kid that is empty, longer
// than 32 bytes or not UTF-8, a key that is not 32 bytes, and a header that
// is longer than 65536 bytes or not UTF-8 (it does not check that the
// header is a JSON object: tests build malformed artifacts with it). The
// returned Encoded references the payload chunks.
func Seal(kid string, key []byte, header []byte, payload ...[]byte) (*Encoded, error) {
	switch {
	case len(kid) < 1 || len(kid) > MaxKidLen:
		return nil, exitcode.New(exitcode.Artifact, "kid %q: must be 1..%d bytes", kid, MaxKidLen)
	case !utf8.ValidString(kid):
		return nil, exitcode.New(exitcode.Artifact, "kid is not valid UTF-8")
	case len(key) != keys.KeySize:
		return nil, exitcode.New(exitcode.Artifact, "signing key must be %d bytes", keys.KeySize)
	case len(header) > MaxHeaderLen:
		return nil, exitcode.New(exitcode.Artifact, "header JSON of %d bytes exceeds %d", len(header), MaxHeaderLen)
	case !utf8.Valid(header):
		return nil, exitcode.New(exitcode.Artifact, "header JSON is not valid UTF-8")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kid))
	m.Write(header)
	for _, p := range payload {
		m.Write(p)
	}
	head := make([]byte, 0, fixedSize+len(kid)+len(header))
	head = append(head, Magic...)
	head = binary.LittleEndian.AppendUint16(head, FormatVersion)
	head = binary.LittleEndian.AppendUint16(head, 0)
	head = append(head, byte(len(kid)))
	head = append(head, kid...)
	head = m.Sum(head)
	head = binary.LittleEndian.AppendUint32(head, uint32(len(header)))
	head = append(head, header...)

	e := &Encoded{chunks: append([][]byte{head}, payload...)}
	sh := sha256.New()
	for _, c := range e.chunks {
		sh.Write(c)
		e.size += int64(len(c))
	}
	sh.Sum(e.sum[:0])
	e.kid = kid
	return e, nil
}

// PayloadOffset returns the file offset of the payload of an artifact with
// the given kid and header lengths: 49+K+N.
func PayloadOffset(kidLen, headerLen int) int64 { return int64(fixedSize + kidLen + headerLen) }
