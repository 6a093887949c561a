package logx

import (
	"strings"
	"testing"
)

// FuzzRedactString checks the properties every scrubbed string has: no
// base64url run (hence no hex run) long enough to be key material survives,
// scrubbing is idempotent, and identifier policy never does more than the
// full policy.
func FuzzRedactString(f *testing.F) {
	for _, s := range []string{
		"", "plain", hex64, hex128, b64_43, "postgres://u:p@h/db", "http://@h", "[REDACTED] " + hex64,
		"a://b://c@d", "x" + hex64 + "y" + b64_43,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := RedactString(s)
		run := 0
		for i := 0; i < len(out); i++ {
			if isB64URL(out[i]) {
				run++
				if run >= 43 {
					t.Fatalf("RedactString(%q) = %q keeps a %d-character base64url run", s, out, run)
				}
			} else {
				run = 0
			}
		}
		if again := RedactString(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
		if id := scrub(s, scrubURL); strings.Contains(s, "://") != strings.Contains(id, "://") {
			t.Fatalf("identifier scrub of %q lost the URL: %q", s, id)
		}
	})
}
