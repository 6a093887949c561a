package delimited

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t testing.TB, r io.Reader, delim string) ([][]string, error) {
	rd, err := NewReader(r, Options{Delimiter: delim})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for {
		f, err := rd.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		rec := make([]string, len(f))
		for i, b := range f {
			rec[i] = string(b)
		}
		out = append(out, rec)
	}
}

func TestRead(t *testing.T) {
	cases := []struct {
		name, in, delim string
		want            [][]string
		err             string
	}{
		{name: "simple", in: "a,b\n1,2\n", want: [][]string{{"a", "b"}, {"1", "2"}}},
		{name: "no final newline", in: "a,b\n1,2", want: [][]string{{"a", "b"}, {"1", "2"}}},
		{name: "crlf", in: "a,b\r\n1,2\r\n", want: [][]string{{"a", "b"}, {"1", "2"}}},
		{name: "crlf quoted", in: "\"a\",b\r\n\"1\",2\r\n", want: [][]string{{"a", "b"}, {"1", "2"}}},
		{name: "blank lines", in: "\n\na,b\n\n  \n1,2\n\n", want: [][]string{{"a", "b"}, {"1", "2"}}},
		{name: "bom", in: "\xef\xbb\xbfa,b\n", want: [][]string{{"a", "b"}}},
		{name: "empty fields", in: ",,\n", want: [][]string{{"", "", ""}}},
		{name: "quoted delimiter", in: "\"a,b\",c\n", want: [][]string{{"a,b", "c"}}},
		{name: "escaped quote", in: "\"a\"\"b\",c\n", want: [][]string{{"a\"b", "c"}}},
		{name: "quoted newline", in: "\"a\nb\",c\nd,e\n", want: [][]string{{"a\nb", "c"}, {"d", "e"}}},
		{name: "quote mid field literal", in: "a\"b,c\n", want: [][]string{{"a\"b", "c"}}},
		{name: "text after closing quote", in: "\"ab\"cd,e\n", want: [][]string{{"abcd", "e"}}},
		{name: "quoted empty", in: "\"\",x\n", want: [][]string{{"", "x"}}},
		{name: "tab", in: "a\tb\n", delim: "\t", want: [][]string{{"a", "b"}}},
		{name: "multi literal", in: "a||b||c\n\"x||y\"||z\n", delim: "||", want: [][]string{{"a", "b", "c"}, {"x||y", "z"}}},
		{name: "whitespace", in: "  a  b\t c  \n\"d e\" f\n", delim: `\s+`, want: [][]string{{"a", "b", "c"}, {"d e", "f"}}},
		{name: "unterminated", in: "\"abc\n", err: "EOF inside string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, small := range []bool{false, true} {
				var r io.Reader = strings.NewReader(tc.in)
				if small {
					r = iotest.OneByteReader(r)
				}
				got, err := readAll(t, r, tc.delim)
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("err %v, want %q", err, tc.err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("small=%v got %q want %q", small, got, tc.want)
				}
			}
		})
	}
}

func TestLongRecordGrowsBuffer(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	got, err := readAll(t, strings.NewReader("a,\""+long+"\"\nb,c\n"), ",")
	if err != nil || len(got) != 2 || got[0][1] != long || got[1][1] != "c" {
		t.Fatalf("got %d records, err %v", len(got), err)
	}
}

func TestBadDelimiter(t *testing.T) {
	for _, d := range []string{"\"", "\n", "a\r"} {
		if _, err := NewReader(strings.NewReader(""), Options{Delimiter: d}); err == nil {
			t.Errorf("delimiter %q accepted", d)
		}
	}
}

// FuzzCSV checks that the reader never panics, that reading in one-byte
// chunks gives exactly what reading in large chunks gives (buffer-boundary
// handling), and that quote-free input splits like bytes.Split.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n"), uint8(0))
	f.Add([]byte("\"a\"\"b\",\"c\nd\"\r\n,,\n"), uint8(1))
	f.Add([]byte("\xef\xbb\xbfx\ty\n\n1\t2"), uint8(2))
	f.Add([]byte("a::b\n\"::\"::c"), uint8(3))
	f.Add([]byte("  a b\n\"c d\" e\n"), uint8(4))
	delims := []string{",", ",", "\t", "::", `\s+`}
	f.Fuzz(func(t *testing.T, data []byte, d uint8) {
		delim := delims[int(d)%len(delims)]
		big, errBig := readAll(t, bytes.NewReader(data), delim)
		small, errSmall := readAll(t, iotest.OneByteReader(bytes.NewReader(data)), delim)
		if (errBig == nil) != (errSmall == nil) {
			t.Fatalf("errors differ: %v vs %v", errBig, errSmall)
		}
		if !reflect.DeepEqual(big, small) {
			t.Fatalf("records differ:\n%q\n%q", big, small)
		}
		if delim == "," && !bytes.ContainsAny(data, "\"\r") && !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) && errBig == nil {
			var want [][]string
			for _, line := range strings.Split(string(data), "\n") {
				if strings.Trim(line, " \t") == "" {
					continue
				}
				want = append(want, strings.Split(line, ","))
			}
			if !reflect.DeepEqual(big, want) {
				t.Fatalf("quote-free split:\n%q\nwant\n%q", big, want)
			}
		}
	})
}
