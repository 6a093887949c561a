// Package keys holds the key material of recotem: the artifact signing key
// ring (RECOTEM_SIGNING_KEYS), the serving API key ring (RECOTEM_API_KEYS)
// with its scrypt digest, and the generation of new keys for `recotem keygen`.
//
// Raw key bytes never leave this package in an error message or a String
// method; logs carry the kid and a fingerprint (the first 8 hex characters
// of sha256 of the key bytes).
//
// # Rotating signing keys
//
//  1. Generate a new key (`recotem keygen --kid new`) and put it FIRST in
//     RECOTEM_SIGNING_KEYS, keeping the old one: "new:<hex>,old:<hex>".
//     The first entry signs; every entry verifies.
//  2. Restart serve (it now accepts artifacts of both kids).
//  3. Retrain; new artifacts are signed with "new" and hot-swapped in.
//  4. Remove "old" from the ring and restart. Artifacts still signed with
//     "old" now fail with "signed with unknown kid".
package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// EnvSigning is the environment variable holding the signing key ring.
const EnvSigning = "RECOTEM_SIGNING_KEYS"

// KeySize is the length in bytes of a signing key.
const KeySize = 32

// DevKid and DevKey are the fixed development signing key used by
// --dev-allow-unsigned: "dev:" followed by 64 zeros.
const (
	DevKid = "dev"
	DevKey = "0000000000000000000000000000000000000000000000000000000000000000"
)

// ErrSigningMissing is returned by ParseSigning for an unset or blank ring.
// It carries exitcode.Config (8): commands treat a missing ring as a
// configuration error, unlike a malformed one (exitcode.Artifact, 5).
var ErrSigningMissing error = &exitcode.Error{
	Code:   exitcode.Config,
	Reason: "signing_key_missing",
	Err:    errors.New(EnvSigning + " is not set"),
}

// SigningKey is one entry of a signing key ring.
type SigningKey struct {
	Kid string
	Key []byte // 32 bytes; never log
}

// Fingerprint returns the key's fingerprint for logs.
func (k SigningKey) Fingerprint() string { return Fingerprint(k.Key) }

// Fingerprint returns the first 8 lowercase hex characters of sha256(key).
func Fingerprint(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// SigningRing is a parsed RECOTEM_SIGNING_KEYS: an ordered, non-empty list of
// keys with unique kids. The first key signs; any key verifies.
type SigningRing struct {
	keys []SigningKey
	kid  map[string]int
}

// ParseSigning parses a signing key ring: comma-separated "<kid>:<hex64>"
// entries; whitespace around entries is trimmed and empty entries skipped;
// the kid is the text before the first ':' and must be non-empty, unique
// and not look like key material (32 or more characters, all hex digits);
// the hex (any case) must decode to exactly 32 bytes.
//
// A blank s returns ErrSigningMissing (exit 8). Every other problem,
// including a ring of only empty entries, is an error carrying
// exitcode.Artifact (5), as in the reference. Error messages name the entry
// by position and kid, never the key.
func ParseSigning(s string) (*SigningRing, error) {
	if strings.TrimSpace(s) == "" {
		return nil, ErrSigningMissing
	}
	r := &SigningRing{kid: map[string]int{}}
	n := 0
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		n++
		kid, hexKey, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, malformed("entry %d: missing ':' (want <kid>:<64 hex chars>)", n)
		}
		if kid == "" {
			return nil, malformed("entry %d: empty kid", n)
		}
		if looksLikeKey(kid) {
			return nil, malformed("entry %d: kid of %d hex digits looks like key material; use a short name as kid", n, len(kid))
		}
		if _, dup := r.kid[kid]; dup {
			return nil, malformed("entry %d: duplicate kid %s", n, SanitizeKid(kid))
		}
		key, err := hex.DecodeString(hexKey)
		if err != nil {
			return nil, malformed("entry %d (kid %s): key is not valid hex", n, SanitizeKid(kid))
		}
		if len(key) != KeySize {
			return nil, malformed("entry %d (kid %s): key must be %d bytes (64 hex chars), got %d bytes", n, SanitizeKid(kid), KeySize, len(key))
		}
		r.kid[kid] = len(r.keys)
		r.keys = append(r.keys, SigningKey{Kid: kid, Key: key})
	}
	if len(r.keys) == 0 {
		return nil, malformed("no entries")
	}
	return r, nil
}

// DevRing returns the ring holding only the development key "dev:"+64×"0".
func DevRing() *SigningRing {
	r, err := ParseSigning(DevKid + ":" + DevKey)
	if err != nil {
		panic(err) // constant input
	}
	return r
}

func malformed(format string, args ...any) error {
	return exitcode.Reasoned(exitcode.Artifact, "signing_key_malformed", EnvSigning+": "+format, args...)
}

// looksLikeKey reports whether kid has 32 or more characters, all hex digits.
func looksLikeKey(kid string) bool {
	if len(kid) < 32 {
		return false
	}
	for i := 0; i < len(kid); i++ {
		if !isHex(kid[i]) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Active returns the signing key: the first entry.
func (r *SigningRing) Active() SigningKey { return r.keys[0] }

// Lookup returns the key of kid.
func (r *SigningRing) Lookup(kid string) ([]byte, bool) {
	i, ok := r.kid[kid]
	if !ok {
		return nil, false
	}
	return r.keys[i].Key, true
}

// Kids returns the kids in ring order.
func (r *SigningRing) Kids() []string {
	kids := make([]string, len(r.keys))
	for i, k := range r.keys {
		kids[i] = k.Kid
	}
	return kids
}

// Keys returns a copy of the entries in ring order.
func (r *SigningRing) Keys() []SigningKey {
	return append([]SigningKey(nil), r.keys...)
}

// String describes the ring without key material: kids and fingerprints.
func (r *SigningRing) String() string {
	parts := make([]string, len(r.keys))
	for i, k := range r.keys {
		parts[i] = fmt.Sprintf("%s(%s)", SanitizeKid(k.Kid), k.Fingerprint())
	}
	return strings.Join(parts, ",")
}

// SanitizeKid makes a kid safe for logs and messages: bytes outside
// [A-Za-z0-9_.:-] become \xHH and the result is cut to 64 characters
// followed by "...".
func SanitizeKid(kid string) string {
	var b strings.Builder
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.:-", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, `\x%02x`, c)
		}
		if b.Len() > 64 {
			break
		}
	}
	s := b.String()
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return s
}
