package uri

import (
	"strings"
	"testing"
)

func TestScheme(t *testing.T) {
	for raw, want := range map[string]string{
		"data/x.csv":             "",
		"/abs/x.csv":             "",
		"file:///abs/x.csv":      "file",
		"S3://b/k":               "s3",
		"gs://b/k":               "gs",
		"abfss://c/k":            "abfss",
		"models:v1.recotem":      "models",
		"C:/x.csv":               "c",
		`C:\x.csv`:               "c",
		"1abc:x":                 "",
		":x":                     "",
		"a_b:x":                  "",
		"git+ssh://h/x":          "git+ssh",
		"https://example.com/x":  "https",
		"./relative:with:colons": "",
	} {
		if got := Scheme(raw); got != want {
			t.Errorf("Scheme(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"data/x.csv":                              "data/x.csv",
		"/abs/x@y.csv":                            "/abs/x@y.csv",
		"s3://bucket/k.csv":                       "s3://bucket/k.csv",
		"gs://bucket@project/k":                   "gs://bucket@project/k",
		"gs://project@bucket/k":                   "gs://project@bucket/k",
		"https://user:pass@example.com/d.csv?t=1": "https://example.com/d.csv?t=1",
		"https://user:pass@example.com:8443/d":    "https://example.com:8443/d",
		"http://u@[::1]:80/x":                     "http://[::1]:80/x",
		"s3://key:secret@bucket/k":                "s3://bucket/k",
		"ftp://a:b@h/x":                           "ftp://h/x",
		"https://example.com/a@b":                 "https://example.com/a@b",
		"az://container@acct/k":                   "az://container@acct/k",
	} {
		if got := Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestHasUserinfo(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://u:p@h/x": true, "https://u@h/x": true, "https://:p@h/x": true,
		"https://@h/x": false, "https://h/x@y": false, "/a@b": false, "s3://acct@bucket/k": true,
	} {
		if got := HasUserinfo(raw); got != want {
			t.Errorf("HasUserinfo(%q) = %v, want %v", raw, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		raw  string
		want Location
		err  string
	}{
		{raw: "data/x.csv", want: Location{Kind: Local, Path: "data/x.csv"}},
		{raw: "file:///abs/x.csv", want: Location{Scheme: "file", Kind: Local, Path: "/abs/x.csv"}},
		{raw: "file://localhost/abs/x.csv", want: Location{Scheme: "file", Kind: Local, Path: "/abs/x.csv"}},
		{raw: "FILE://LOCALHOST/abs/my%20file.csv", want: Location{Scheme: "file", Kind: Local, Path: "/abs/my file.csv"}},
		{raw: "file:/abs/x.csv", want: Location{Scheme: "file", Kind: Local, Path: "/abs/x.csv"}},
		{raw: "file://otherhost/abs/x.csv", err: "host must be empty or localhost"},
		{raw: "s3://bucket/dir/x.csv", want: Location{Scheme: "s3", Kind: ObjectStore, Bucket: "bucket", Key: "dir/x.csv"}},
		{raw: "s3://bucket/x.csv?versionId=1", want: Location{Scheme: "s3", Kind: ObjectStore, Bucket: "bucket", Key: "x.csv?versionId=1"}},
		{raw: "gs://project@bucket/x.parquet", want: Location{Scheme: "gs", Kind: ObjectStore, Bucket: "bucket", Key: "x.parquet"}},
		{raw: "az://container/a/b.csv", want: Location{Scheme: "az", Kind: ObjectStore, Bucket: "container", Key: "a/b.csv"}},
		{raw: "abfss://container@acct.dfs.core.windows.net/a.csv", want: Location{Scheme: "abfss", Kind: ObjectStore,
			Bucket: "container", Key: "a.csv", Account: "acct", AccountHost: "acct.dfs.core.windows.net"}},
		{raw: "https://example.com/x.csv", want: Location{Scheme: "https", Kind: HTTP}},
		{raw: "s3://key:secret@bucket/k", err: "embedded credentials"},
		{raw: "s3://bucket", err: "no object key"},
		{raw: "s3://bucket/", err: "no object key"},
		{raw: "s3:///k", err: "no bucket name"},
		{raw: "s3:bucket/k", err: "want s3://bucket/key"},
		{raw: "simplecache::s3://b/k", err: "chained protocols"},
		{raw: "memory://x", err: "unsupported scheme \"memory\""},
		{raw: "C:/x.csv", err: "unsupported scheme \"c\""},
		{raw: "", err: "empty path"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) err = %v, want %q", tt.raw, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("Parse(%q) leaks the secret: %v", tt.raw, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.raw, err)
			continue
		}
		tt.want.Raw = tt.raw
		if tt.want.Scheme == "" {
			tt.want.Scheme = Scheme(tt.raw)
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.raw, got, tt.want)
		}
	}
}

func TestParseMaxDownloadBytes(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want int64
		warn string
	}{
		{"", 256 << 20, ""},
		{"  ", 256 << 20, ""},
		{"0", 1 << 20, "env_var_clamped"},
		{"-5", 1 << 20, "env_var_clamped"},
		{"1048576", 1 << 20, ""},
		{"5000000", 5000000, ""},
		{"68719476736", 16 << 30, "env_var_clamped"}, // 64 GiB
		{"99999999999999999999999", 16 << 30, "env_var_clamped"},
		{"not-a-number", 256 << 20, "env_var_unparseable"},
		{"1e6", 256 << 20, "env_var_unparseable"},
	} {
		n, w := ParseMaxDownloadBytes(tt.v)
		if n != tt.want || w != tt.warn {
			t.Errorf("ParseMaxDownloadBytes(%q) = %d, %q; want %d, %q", tt.v, n, w, tt.want, tt.warn)
		}
	}
	t.Setenv(MaxDownloadBytesEnv, "2000000")
	if n := MaxDownloadBytes(); n != 2000000 {
		t.Errorf("MaxDownloadBytes() = %d", n)
	}
}

func TestTooLargeErrorText(t *testing.T) {
	e := &TooLargeError{URI: "data/x.csv", Size: 1234567, Cap: 1048576}
	want := "file 'data/x.csv' is 1,234,567 bytes which exceeds the 1048576-byte cap set by RECOTEM_MAX_DOWNLOAD_BYTES."
	if !strings.HasPrefix(e.Error(), want) {
		t.Errorf("got %q", e.Error())
	}
	e.Size = -1
	if got := e.Error(); got != "file 'data/x.csv' exceeds RECOTEM_MAX_DOWNLOAD_BYTES (1048576) — increase the cap or split the file." {
		t.Errorf("got %q", got)
	}
}
