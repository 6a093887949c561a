package main

import (
	"bytes"
	"testing"
)

func TestLevenshtein(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"train", "train", 0},
		{"trian", "train", 2},
		{"srve", "serve", 1},
		{"kitten", "sitting", 3},
		{"héllo", "hello", 1},
	} {
		if got := levenshtein(c.a, c.b); got != c.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := levenshtein(c.b, c.a); got != c.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", c.b, c.a, got, c.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"train", "serve", "inspect", "validate", "schema", "keygen", "frobnicate"}
	for _, c := range []struct{ in, want string }{
		{"trian", "train"},
		{"tarin", "train"},
		{"serv", "serve"},
		{"sc", "schema"},
		{"inpsect", "inspect"},
		{"kegyen", "keygen"},
		{"frobnicat", "frobnicate"},
		{"s", ""}, // one letter: no prefix rule, and every distance exceeds 2
		{"xyzzy", ""},
		{"completely-different", ""},
	} {
		if got := suggest(c.in, known); got != c.want {
			t.Errorf("suggest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDirsSkipsEmptyRelativeAndDuplicates(t *testing.T) {
	d := &dispatcher{selfDir: "/own", execPath: ":rel:/x/:/own", path: "/y::/x:bin"}
	got := d.dirs()
	want := []string{"/own", "/x", "/y"}
	if len(got) != len(want) {
		t.Fatalf("dirs = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("dirs = %q, want %q", got, want)
		}
	}
}

func TestNoArgumentsIsUsageError(t *testing.T) {
	var out, errb bytes.Buffer
	d := &dispatcher{stdout: &out, stderr: &errb}
	if code := d.run(nil); code != 2 || out.Len() != 0 || !bytes.Contains(errb.Bytes(), []byte("Commands:")) {
		t.Errorf("run() = %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
