package rawfile

import "testing"

func TestMaxDownload(t *testing.T) {
	for in, want := range map[string]int64{
		"": 256 << 20, "0": 1 << 20, "68719476736": 16 << 30, "not-a-number": 256 << 20, " 2097152 ": 2 << 20,
	} {
		if got := MaxDownload(func(string) string { return in }); got != want {
			t.Errorf("MaxDownload(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestLocalPathAndScheme(t *testing.T) {
	cases := []struct{ in, path, scheme string }{
		{"/abs/x.csv", "/abs/x.csv", ""},
		{"rel/x.csv", "rel/x.csv", ""},
		{"file://localhost/abs/x.csv", "/abs/x.csv", "file"},
		{"file:///abs/a%20b.csv", "/abs/a b.csv", "file"},
		{"S3://b/k", "", "s3"},
		{"C:/x.csv", "", "c"},
	}
	for _, tc := range cases {
		p, local := LocalPath(tc.in)
		if Scheme(tc.in) != tc.scheme || (local && p != tc.path) || local != (tc.path != "") {
			t.Errorf("%q: scheme %q path %q local %v", tc.in, Scheme(tc.in), p, local)
		}
	}
}
