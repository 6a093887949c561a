package keys

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// Key types accepted by Generate.
const (
	TypeSigning = "signing"
	TypeAPI     = "api"
)

var kidPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// ValidateKid checks a kid given to `recotem keygen --kid`: it must match
// [A-Za-z0-9_.-]{1,32}, and a signing kid must not look like key material
// (32 hex digits), which ParseSigning would reject. The reference does not
// validate --kid at all (a deliberate fix: a kid with ',' or ':' or more
// than 32 bytes produced an env entry that could never work). Errors carry
// exitcode.Recipe (2), the usage-error code.
func ValidateKid(typ, kid string) error {
	if !kidPattern.MatchString(kid) {
		return exitcode.New(exitcode.Recipe, "--kid must match [A-Za-z0-9_.-]{1,32}, got %q", kid)
	}
	if typ == TypeSigning && looksLikeKey(kid) {
		return exitcode.New(exitcode.Recipe, "--kid %q looks like key material (32 hex digits); use a short name", kid)
	}
	return nil
}

// Generated is a freshly generated key, as printed by `recotem keygen`.
type Generated struct {
	Type      string
	Kid       string
	Plaintext string // signing: 64 lowercase hex; api: 43-char unpadded base64url
	// Fingerprint is set for signing keys: first 8 hex of sha256(raw bytes).
	Fingerprint string
	// Digest is set for API keys: hex of HashAPIKey(Plaintext).
	Digest string
}

// Generate makes a key of type typ ("signing" or "api") from 32 bytes of
// rnd (crypto/rand.Reader when nil). An empty kid becomes 8 lowercase hex
// characters from rnd (the reference uses a UUID4 prefix, equally random).
// A bad type returns the reference's message with exitcode.Config (8); a bad
// kid an error from ValidateKid.
func Generate(typ, kid string, rnd io.Reader) (*Generated, error) {
	if typ != TypeSigning && typ != TypeAPI {
		return nil, exitcode.New(exitcode.Config, "--type must be 'signing' or 'api', got '%s'.", typ)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	if kid == "" {
		var b [4]byte
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return nil, fmt.Errorf("generate kid: %w", err)
		}
		kid = hex.EncodeToString(b[:])
	}
	if err := ValidateKid(typ, kid); err != nil {
		return nil, err
	}
	raw := make([]byte, KeySize)
	if _, err := io.ReadFull(rnd, raw); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	g := &Generated{Type: typ, Kid: kid}
	switch typ {
	case TypeSigning:
		g.Plaintext = hex.EncodeToString(raw)
		g.Fingerprint = Fingerprint(raw)
	case TypeAPI:
		g.Plaintext = base64.RawURLEncoding.EncodeToString(raw)
		g.Digest = HashAPIKeyHex(g.Plaintext)
	}
	return g, nil
}

// WriteTo writes the four lines of `recotem keygen` output.
func (g *Generated) WriteTo(w io.Writer) (int64, error) {
	var s string
	switch g.Type {
	case TypeSigning:
		s = fmt.Sprintf("kid=%s\nplaintext=%s\nfingerprint=%s  # matches /security.posture log; NOT for config\nenv_entry=%s=%s:%s\n",
			g.Kid, g.Plaintext, g.Fingerprint, EnvSigning, g.Kid, g.Plaintext)
	default:
		s = fmt.Sprintf("kid=%s\nplaintext=%s\nhash=sha256:%s\nenv_entry=%s=%s:sha256:%s\n",
			g.Kid, g.Plaintext, g.Digest, EnvAPI, g.Kid, g.Digest)
	}
	n, err := io.WriteString(w, s)
	return int64(n), err
}
