package keys

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

var (
	hexA = strings.Repeat("ab", 32)
	hexB = strings.Repeat("cd", 32)
)

func TestParseSigning(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		code   int    // 0: success
		msg    string // substring of the error
		kids   []string
		active string
	}{
		{name: "unset", in: "", code: exitcode.Config, msg: "not set"},
		{name: "blank", in: "  \t ", code: exitcode.Config, msg: "not set"},
		{name: "only empty entries", in: " , ,", code: exitcode.Artifact, msg: "no entries"},
		{name: "single", in: "active:" + hexA, kids: []string{"active"}, active: "active"},
		{name: "two entries", in: "a:" + hexA + ",b:" + hexB, kids: []string{"a", "b"}, active: "a"},
		{name: "trim and skip empties", in: " , a:" + hexA + " ,, b:" + strings.ToUpper(hexB) + " ", kids: []string{"a", "b"}, active: "a"},
		{name: "missing colon", in: "abc", code: exitcode.Artifact, msg: "missing ':'"},
		{name: "empty kid", in: ":" + hexA, code: exitcode.Artifact, msg: "empty kid"},
		{name: "bad hex", in: "a:" + strings.Repeat("zz", 32), code: exitcode.Artifact, msg: "not valid hex"},
		{name: "odd hex", in: "a:" + hexA[:63], code: exitcode.Artifact, msg: "not valid hex"},
		{name: "short key", in: "a:" + hexA[:62], code: exitcode.Artifact, msg: "must be 32 bytes"},
		{name: "long key", in: "a:" + hexA + "00", code: exitcode.Artifact, msg: "must be 32 bytes"},
		{name: "duplicate kid", in: "a:" + hexA + ",a:" + hexB, code: exitcode.Artifact, msg: "duplicate kid a"},
		{name: "kid of 32 hex", in: strings.Repeat("f", 32) + ":" + hexA, code: exitcode.Artifact, msg: "looks like key material"},
		{name: "kid of 64 HEX", in: strings.Repeat("AB", 32) + ":" + hexA, code: exitcode.Artifact, msg: "looks like key material"},
		{name: "kid of 31 hex", in: strings.Repeat("f", 31) + ":" + hexA, kids: []string{strings.Repeat("f", 31)}, active: strings.Repeat("f", 31)},
		{name: "kid of 32 with one non-hex", in: strings.Repeat("f", 31) + "g:" + hexA, kids: []string{strings.Repeat("f", 31) + "g"}, active: strings.Repeat("f", 31) + "g"},
		{name: "kid longer than 32 bytes", in: strings.Repeat("k", 40) + ":" + hexA, kids: []string{strings.Repeat("k", 40)}, active: strings.Repeat("k", 40)},
		{name: "colon in key part", in: "a:b:" + hexA, code: exitcode.Artifact, msg: "not valid hex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseSigning(tt.in)
			if tt.code != 0 {
				if err == nil {
					t.Fatalf("ParseSigning(%q) succeeded, want exit %d", tt.in, tt.code)
				}
				if got := exitcode.Of(err); got != tt.code {
					t.Errorf("exit code %d, want %d (%v)", got, tt.code, err)
				}
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("error %q does not contain %q", err, tt.msg)
				}
				if strings.Contains(err.Error(), hexA) || strings.Contains(err.Error(), hexB) {
					t.Errorf("error leaks key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSigning(%q): %v", tt.in, err)
			}
			if got := strings.Join(r.Kids(), ","); got != strings.Join(tt.kids, ",") {
				t.Errorf("kids %q, want %q", got, tt.kids)
			}
			if r.Active().Kid != tt.active {
				t.Errorf("active %q, want %q", r.Active().Kid, tt.active)
			}
			for _, k := range r.Keys() {
				if key, ok := r.Lookup(k.Kid); !ok || len(key) != KeySize {
					t.Errorf("Lookup(%q) = %x, %v", k.Kid, key, ok)
				}
			}
		})
	}
}

func TestMissingIsDistinct(t *testing.T) {
	_, err := ParseSigning("")
	if !errors.Is(err, ErrSigningMissing) {
		t.Fatalf("got %v, want ErrSigningMissing", err)
	}
	if exitcode.ReasonOf(err) != "signing_key_missing" {
		t.Errorf("reason %q", exitcode.ReasonOf(err))
	}
}

func TestDevRingAndFingerprint(t *testing.T) {
	r := DevRing()
	k := r.Active()
	if k.Kid != "dev" || !bytes.Equal(k.Key, make([]byte, 32)) {
		t.Fatalf("dev ring %v", r)
	}
	sum := sha256.Sum256(make([]byte, 32))
	if want := hex.EncodeToString(sum[:])[:8]; k.Fingerprint() != want {
		t.Errorf("fingerprint %s, want %s", k.Fingerprint(), want)
	}
	if s := r.String(); strings.Contains(s, DevKey) || !strings.Contains(s, "dev(") {
		t.Errorf("String() = %q", s)
	}
}

func TestSanitizeKid(t *testing.T) {
	tests := map[string]string{
		"prod-2026.q2:x":        "prod-2026.q2:x",
		"a b":                   `a\x20b`,
		"é":                     `\xc3\xa9`,
		strings.Repeat("a", 70): strings.Repeat("a", 64) + "...",
		strings.Repeat("/", 20): strings.Repeat(`\x2f`, 16) + "...",
	}
	for in, want := range tests {
		if got := SanitizeKid(in); got != want {
			t.Errorf("SanitizeKid(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHashAPIKeyVector(t *testing.T) {
	const want = "a4d74ce5c119824b0aab6290e6c4973f42eb2c3c3a6a9139411105935138ecfa"
	if got := HashAPIKeyHex("test-plaintext"); got != want {
		t.Fatalf("HashAPIKeyHex(test-plaintext) = %s, want %s", got, want)
	}
}

func TestParseAPI(t *testing.T) {
	d1 := HashAPIKeyHex("key-one-0123456789abcdefghijklmnopqrstuvwxyz")
	d2 := HashAPIKeyHex("key-two-0123456789abcdefghijklmnopqrstuvwxyz")
	tests := []struct {
		name string
		in   string
		ok   bool
		kids string
	}{
		{"empty", "", true, ""},
		{"only separators", " , ,", true, ""},
		{"one", "a:sha256:" + d1, true, "a"},
		{"two, label any case, upper hex", "a:SHA256:" + strings.ToUpper(d1) + " , b:Sha256:" + d2, true, "a,b"},
		{"duplicate digest allowed", "a:sha256:" + d1 + ",b:sha256:" + d1, true, "a,b"},
		{"duplicate kid", "a:sha256:" + d1 + ",a:sha256:" + d2, false, ""},
		{"two parts", "a:" + d1, false, ""},
		{"four parts", "a:sha256:" + d1 + ":x", false, ""},
		{"bad label", "a:md5:" + d1, false, ""},
		{"empty kid", ":sha256:" + d1, false, ""},
		{"short hex", "a:sha256:" + d1[:63], false, ""},
		{"non-hex", "a:sha256:" + strings.Repeat("g", 64), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseAPI(tt.in)
			if !tt.ok {
				if err == nil || exitcode.Of(err) != exitcode.Config {
					t.Fatalf("ParseAPI(%q) = %v, want exit 8", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.Kids(), ","); got != tt.kids {
				t.Errorf("kids %q, want %q", got, tt.kids)
			}
		})
	}
}

func TestAPIMatch(t *testing.T) {
	k1 := "key-one-0123456789abcdefghijklmnopqrstuvwxyz"
	k2 := "key-two-0123456789abcdefghijklmnopqrstuvwxyz"
	// Same digest under two kids: the first entry wins.
	r, err := ParseAPI("one:sha256:" + HashAPIKeyHex(k1) + ",two:sha256:" + HashAPIKeyHex(k2) + ",again:sha256:" + HashAPIKeyHex(k1))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{k1: "one", k2: "two"} {
		if kid, ok := r.Match(key); !ok || kid != want {
			t.Errorf("Match(%q) = %q, %v; want %q", key, kid, ok, want)
		}
	}
	if kid, ok := r.Match("key-three-0123456789abcdefghijklmnopqrstuvwxyz"); ok {
		t.Errorf("unknown key matched %q", kid)
	}
	if _, ok := r.Match(" " + k1); ok {
		t.Error("key with a leading space matched (values are not trimmed)")
	}
}

// fixedRand yields bytes 0, 1, 2, ... for reproducible keys.
type fixedRand struct{ n byte }

func (f *fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f.n
		f.n++
	}
	return len(p), nil
}

func TestGenerateGolden(t *testing.T) {
	var buf bytes.Buffer
	g, err := Generate(TypeSigning, "test-kid", &fixedRand{})
	if err != nil {
		t.Fatal(err)
	}
	g.WriteTo(&buf)
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i)
	}
	sum := sha256.Sum256(raw)
	want := "kid=test-kid\n" +
		"plaintext=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n" +
		"fingerprint=" + hex.EncodeToString(sum[:4]) + "  # matches /security.posture log; NOT for config\n" +
		"env_entry=RECOTEM_SIGNING_KEYS=test-kid:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
	if buf.String() != want {
		t.Errorf("signing output:\n%s\nwant:\n%s", buf.String(), want)
	}
	// The printed env entry parses back to the same key.
	ring, err := ParseSigning(strings.TrimPrefix(strings.Split(want, "\n")[3], "env_entry=RECOTEM_SIGNING_KEYS="))
	if err != nil || !bytes.Equal(ring.Active().Key, raw) {
		t.Errorf("env entry does not round-trip: %v", err)
	}

	buf.Reset()
	g, err = Generate(TypeAPI, "api-kid", &fixedRand{})
	if err != nil {
		t.Fatal(err)
	}
	g.WriteTo(&buf)
	pt := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	d := HashAPIKeyHex(pt)
	want = "kid=api-kid\nplaintext=" + pt + "\nhash=sha256:" + d + "\nenv_entry=RECOTEM_API_KEYS=api-kid:sha256:" + d + "\n"
	if buf.String() != want {
		t.Errorf("api output:\n%s\nwant:\n%s", buf.String(), want)
	}
	ar, err := ParseAPI(strings.TrimPrefix(strings.Split(want, "\n")[3], "env_entry=RECOTEM_API_KEYS="))
	if err != nil {
		t.Fatal(err)
	}
	if kid, ok := ar.Match(pt); !ok || kid != "api-kid" {
		t.Errorf("generated API key does not match its own entry")
	}
}

func TestGenerateShapes(t *testing.T) {
	signing := regexp.MustCompile(`^kid=[0-9a-f]{8}\n` +
		`plaintext=[0-9a-f]{64}\n` +
		`fingerprint=[0-9a-f]{8}  # matches /security.posture log; NOT for config\n` +
		`env_entry=RECOTEM_SIGNING_KEYS=[0-9a-f]{8}:[0-9a-f]{64}\n$`)
	api := regexp.MustCompile(`^kid=[0-9a-f]{8}\n` +
		`plaintext=[A-Za-z0-9_-]{43}\n` +
		`hash=sha256:[0-9a-f]{64}\n` +
		`env_entry=RECOTEM_API_KEYS=[0-9a-f]{8}:sha256:[0-9a-f]{64}\n$`)
	for typ, re := range map[string]*regexp.Regexp{TypeSigning: signing, TypeAPI: api} {
		var buf bytes.Buffer
		g, err := Generate(typ, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		g.WriteTo(&buf)
		if !re.MatchString(buf.String()) {
			t.Errorf("%s output does not match %s:\n%s", typ, re, buf.String())
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		typ, kid string
		code     int
		msg      string
	}{
		{"bogus", "", exitcode.Config, "--type must be 'signing' or 'api', got 'bogus'."},
		{"Signing", "", exitcode.Config, "got 'Signing'"},
		{TypeSigning, "a,b", exitcode.Recipe, "--kid must match"},
		{TypeSigning, "a:b", exitcode.Recipe, "--kid must match"},
		{TypeSigning, strings.Repeat("k", 33), exitcode.Recipe, "--kid must match"},
		{TypeSigning, strings.Repeat("a", 32), exitcode.Recipe, "looks like key material"},
		{TypeAPI, "bad kid", exitcode.Recipe, "--kid must match"},
	}
	for _, tt := range tests {
		_, err := Generate(tt.typ, tt.kid, nil)
		if err == nil || exitcode.Of(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Generate(%q, %q) = %v; want exit %d with %q", tt.typ, tt.kid, err, tt.code, tt.msg)
		}
	}
	for _, kid := range []string{"a", "prod-2026.q2", "A_b-c.d", strings.Repeat("k", 32)} {
		if _, err := Generate(TypeSigning, kid, nil); err != nil {
			t.Errorf("kid %q rejected: %v", kid, err)
		}
	}
	if _, err := Generate(TypeAPI, strings.Repeat("a", 32), nil); err != nil {
		t.Errorf("32-hex API kid rejected: %v", err)
	}
}
