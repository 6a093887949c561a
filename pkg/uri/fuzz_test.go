package uri

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse and Redact never panic, that Redact removes
// every credential-bearing userinfo, and that errors never echo a password.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"data/x.csv", "file:///abs/x.csv", "file://localhost/a%20b.csv", "s3://bucket/k.csv",
		"gs://project@bucket/k", "abfss://c@acct.dfs.core.windows.net/k", "https://u:p@example.com:8443/d.csv?t=1",
		"s3://k:secret@b/x", "simplecache::s3://b/k", "C:/x.csv", "http://a@b@c/x", "file://%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		red := Redact(raw)
		if credentialSchemes[Scheme(raw)] && HasUserinfo(red) {
			t.Fatalf("Redact(%q) = %q still has userinfo", raw, red)
		}
		loc, err := Parse(raw)
		if err != nil {
			if credentialSchemes[Scheme(raw)] && HasUserinfo(raw) && strings.Contains(raw, ":secret@") && strings.Contains(err.Error(), ":secret@") {
				t.Fatalf("Parse(%q) error leaks the password: %v", raw, err)
			}
			return
		}
		if loc.Kind == ObjectStore && (loc.Bucket == "" || loc.Key == "") {
			t.Fatalf("Parse(%q) = %+v without bucket or key", raw, loc)
		}
		if loc.Kind == Local && loc.Path == "" {
			t.Fatalf("Parse(%q) = %+v without a path", raw, loc)
		}
	})
}
