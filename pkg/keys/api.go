package keys

import (
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"golang.org/x/crypto/scrypt"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// EnvAPI is the environment variable holding the API key ring.
const EnvAPI = "RECOTEM_API_KEYS"

// APIKeySalt and the scrypt parameters of the API-key digest. They are fixed
// by the reference; the digest is a lookup hash for high-entropy random keys,
// not a password hash.
const (
	APIKeySalt = "recotem.api-key.v1"
	scryptN    = 2
	scryptR    = 8
	scryptP    = 1
	digestSize = 32
)

// APIKey is one entry of an API key ring: a kid and the scrypt digest of the
// plaintext key.
type APIKey struct {
	Kid    string
	Digest [digestSize]byte
}

// APIRing is a parsed RECOTEM_API_KEYS. An empty ring means no keys are
// configured.
type APIRing struct {
	keys []APIKey
}

// ParseAPI parses an API key ring: comma-separated "<kid>:sha256:<hex64>"
// entries, trimmed, empty entries skipped. Each entry must split into exactly
// three ':'-parts, the middle one "sha256" in any case (a label only: the
// digest is scrypt, see HashAPIKey), a non-empty unique kid and 64 hex digits.
// Duplicate digests are allowed. A blank s (or only empty entries) yields an
// empty ring. Errors carry exitcode.Config (8).
func ParseAPI(s string) (*APIRing, error) {
	r := &APIRing{}
	seen := map[string]bool{}
	n := 0
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		n++
		parts := strings.Split(entry, ":")
		if len(parts) != 3 {
			return nil, exitcode.New(exitcode.Config, "%s: entry %d: want <kid>:sha256:<64 hex chars>", EnvAPI, n)
		}
		kid, label, digest := parts[0], parts[1], parts[2]
		if kid == "" {
			return nil, exitcode.New(exitcode.Config, "%s: entry %d: empty kid", EnvAPI, n)
		}
		if !strings.EqualFold(label, "sha256") {
			return nil, exitcode.New(exitcode.Config, "%s: entry %d (kid %s): middle part must be 'sha256'", EnvAPI, n, SanitizeKid(kid))
		}
		if seen[kid] {
			return nil, exitcode.New(exitcode.Config, "%s: entry %d: duplicate kid %s", EnvAPI, n, SanitizeKid(kid))
		}
		b, err := hex.DecodeString(digest)
		if err != nil || len(b) != digestSize {
			return nil, exitcode.New(exitcode.Config, "%s: entry %d (kid %s): digest must be 64 hex chars", EnvAPI, n, SanitizeKid(kid))
		}
		seen[kid] = true
		var k APIKey
		k.Kid = kid
		copy(k.Digest[:], b)
		r.keys = append(r.keys, k)
	}
	return r, nil
}

// Len returns the number of configured keys.
func (r *APIRing) Len() int { return len(r.keys) }

// Kids returns the kids in ring order.
func (r *APIRing) Kids() []string {
	kids := make([]string, len(r.keys))
	for i, k := range r.keys {
		kids[i] = k.Kid
	}
	return kids
}

// Match hashes the presented key once and compares the digest in constant
// time against every entry, without an early exit. It returns the kid of the
// first matching entry. Length limits, the missing-header case and timing
// equalisation on rejection are the caller's (the HTTP layer's) business.
func (r *APIRing) Match(presented string) (kid string, ok bool) {
	d := HashAPIKey(presented)
	found := -1
	for i := range r.keys {
		eq := subtle.ConstantTimeCompare(d[:], r.keys[i].Digest[:])
		if eq == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return r.keys[found].Kid, true
}

// HashAPIKey returns scrypt(password = plaintext as UTF-8, salt =
// "recotem.api-key.v1", N=2, r=8, p=1, dkLen=32).
func HashAPIKey(plaintext string) [digestSize]byte {
	b, err := scrypt.Key([]byte(plaintext), []byte(APIKeySalt), scryptN, scryptR, scryptP, digestSize)
	if err != nil {
		panic(err) // only for invalid constant parameters
	}
	var d [digestSize]byte
	copy(d[:], b)
	return d
}

// HashAPIKeyHex returns HashAPIKey as 64 lowercase hex characters.
func HashAPIKeyHex(plaintext string) string {
	d := HashAPIKey(plaintext)
	return hex.EncodeToString(d[:])
}
