package payload

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/exitcode"
)

func TestDecodeObject(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want algo.Params
	}{
		{"empty", `{}`, algo.Params{}},
		{"whitespace", " \n{ \"a\" : 1 }\n", algo.Params{"a": int64(1)}},
		{"types", `{"i":-7,"f":0.25,"e":1e-07,"s":"bpr","t":true,"n":false}`,
			algo.Params{"i": int64(-7), "f": 0.25, "e": 1e-7, "s": "bpr", "t": true, "n": false}},
		{"int64 range", `{"max":9223372036854775807,"min":-9223372036854775808}`,
			algo.Params{"max": int64(math.MaxInt64), "min": int64(math.MinInt64)}},
		// encoding/json prints floats below 1e21 without an exponent.
		{"integer beyond int64", `{"big":100000000000000000000}`, algo.Params{"big": 1e20}},
		{"integral float", `{"x":3.0}`, algo.Params{"x": 3.0}},
		{"escapes", `{"k\u00e9y":"a\"b\\c\n"}`, algo.Params{"kéy": "a\"b\\c\n"}},
	} {
		got, err := DecodeObject([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, %v; want %#v", tc.name, got, err, tc.want)
		}
	}
}

func TestDecodeObjectErrors(t *testing.T) {
	many := make([]string, MaxObjectFields+1)
	for i := range many {
		many[i] = fmt.Sprintf(`"f%d":%d`, i, i)
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty input", ``, "unexpected end of JSON input"},
		{"truncated", `{"a":1`, "unexpected end of JSON input"},
		{"truncated key", `{"a`, "unexpected end of JSON input"},
		{"missing value", `{"a":}`, "malformed JSON"},
		{"missing comma", `{"a":1 "b":2}`, "malformed JSON"},
		{"trailing comma", `{"a":1,}`, "malformed JSON"},
		{"single quotes", `{'a':1}`, "malformed JSON"},
		{"leading zero", `{"a":01}`, "malformed JSON"},
		{"NaN", `{"a":NaN}`, "malformed JSON"},
		{"array", `[1,2]`, "want a JSON object, got an array"},
		{"string", `"IALSRecommender"`, "want a JSON object, got a string"},
		{"number", `7`, "want a JSON object, got a number"},
		{"null document", `null`, "want a JSON object, got null"},
		{"nested object", `{"a":{"b":1}}`, `key "a": want a number, string or boolean, got an object`},
		{"nested array", `{"a":[1]}`, `key "a": want a number, string or boolean, got an array`},
		{"null", `{"a":null}`, `key "a": want a number, string or boolean, got null`},
		{"duplicate", `{"a":1,"b":2,"a":1}`, `duplicate key "a"`},
		{"out of range", `{"a":1e400}`, `key "a": number 1e400 is out of range`},
		{"trailing object", `{"a":1}{}`, "trailing data after the object: an object"},
		{"trailing garbage", `{"a":1} x`, "trailing data after the object"},
		{"too many fields", "{" + strings.Join(many, ",") + "}", fmt.Sprintf("more than %d fields", MaxObjectFields)},
		{"oversize", `{"a":"` + strings.Repeat("x", MaxObjectBytes) + `"}`, "exceeds 65536"},
	} {
		got, err := DecodeObject([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, %v; want an error containing %q", tc.name, got, err, tc.want)
		}
	}
}

// TestDecodeObjectMatchesEncoder checks that what Writer.JSON writes for
// a configuration struct (the bytes already in artifacts) decodes to the
// struct's values.
func TestDecodeObjectMatchesEncoder(t *testing.T) {
	type config struct {
		K     int     `json:"n_components"`
		Reg   float64 `json:"reg"`
		Whole float64 `json:"whole"`
		Tiny  float64 `json:"tiny"`
		Huge  float64 `json:"huge"`
		Loss  string  `json:"loss"`
		Norm  bool    `json:"normalize"`
		Seed  int64   `json:"random_seed"`
	}
	c := config{K: 64, Reg: 0.01, Whole: 300, Tiny: 1e-300, Huge: 1.5e300, Loss: "<warp>&", Norm: true, Seed: math.MinInt64 + 1}
	w := NewWriter()
	if err := w.JSON("c", c); err != nil {
		t.Fatal(err)
	}
	b, err := w.Encode(0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Object("c")
	if err != nil {
		t.Fatal(err)
	}
	f := algo.NewFieldReader("c", p)
	got := config{K: f.Int("n_components"), Reg: f.Float("reg"), Whole: f.Float("whole"), Tiny: f.Float("tiny"),
		Huge: f.Float("huge"), Loss: f.String("loss"), Norm: f.Bool("normalize"), Seed: f.Int64("random_seed")}
	if err := f.Err(); err != nil || got != c {
		t.Errorf("got %+v, %v; want %+v", got, err, c)
	}
}

func TestReaderObjectErrors(t *testing.T) {
	w := NewWriter()
	w.Bytes("raw", nil)
	for name, v := range map[string]any{
		"nested": map[string]any{"a": map[string]any{"b": 1}},
		"class":  "IALSRecommender",
		"number": 3,
	} {
		if err := w.JSON(name, v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := w.Encode(0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nested", "class", "number", "raw", "missing"} {
		if _, err := r.Object(name); err == nil || exitcode.Of(err) != exitcode.Artifact || exitcode.ReasonOf(err) != "deserialize" {
			t.Errorf("Object(%q): %v (exit %d)", name, err, exitcode.Of(err))
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
			t.Errorf("Object(%q): error %q does not name the section", name, err)
		}
	}
	if s, err := r.JSONString("class"); err != nil || s != "IALSRecommender" {
		t.Errorf("JSONString(class) = %q, %v", s, err)
	}
	for _, name := range []string{"nested", "number", "raw"} {
		if _, err := r.JSONString(name); err == nil || exitcode.Of(err) != exitcode.Artifact {
			t.Errorf("JSONString(%q): %v", name, err)
		}
	}
}

func TestDecodeString(t *testing.T) {
	for in, want := range map[string]string{`"a"`: "a", ` "\u00e9" `: "é"} {
		if got, err := decodeString([]byte(in)); err != nil || got != want {
			t.Errorf("%s: %q, %v", in, got, err)
		}
	}
	for _, in := range []string{``, `"a`, `"a" "b"`, `"a" x`, `1`, `{}`, `null`, `["a"]`} {
		if got, err := decodeString([]byte(in)); err == nil {
			t.Errorf("%s: %q, want an error", in, got)
		}
	}
}

// FuzzDecodeObject: no panic on any input; on success every value has one
// of the four scalar types, and re-encoding the result decodes to the same
// object.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":0.5,"c":"x","d":true}`, `{"a":{"b":1}}`, `{"a":1,"a":2}`,
		`{"a":[1]}`, `{"a":null}`, `{"a":1e400}`, `{"a":100000000000000000000}`, `{"a":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeObject(b)
		if err != nil {
			return
		}
		for k, v := range p {
			switch v.(type) {
			case int64, float64, string, bool:
			default:
				t.Fatalf("key %q: value of type %T", k, v)
			}
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		q, err := DecodeObject(again)
		if err != nil || len(q) != len(p) {
			t.Fatalf("re-decode of %s: %v, %v", again, q, err)
		}
	})
}
