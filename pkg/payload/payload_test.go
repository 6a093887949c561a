package payload

import (
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/exitcode"
)

var (
	_ algo.Encoder = (*Writer)(nil)
	_ algo.Decoder = (*Reader)(nil)
)

type sample struct {
	f32  []float32
	f64  []float64
	i32  []int32
	i64  []int64
	raw  []byte
	strs []string
	conf algo.Params
}

func newSample() sample {
	return sample{
		f32:  []float32{1.5, -2, float32(math.Inf(1)), 0, math.MaxFloat32},
		f64:  []float64{math.Pi, -1e-300, 0},
		i32:  []int32{0, 1, -1, math.MaxInt32, math.MinInt32},
		i64:  []int64{math.MinInt64, 42},
		raw:  []byte("opaque\x00bytes"),
		strs: []string{"u1", "", "ユーザー", "a,b"},
		// Object reads an integral number back as an int64.
		conf: algo.Params{"n_components": int64(8), "reg": 0.5, "class": "IALSRecommender", "log": true},
	}
}

func writeSample(t testing.TB, s sample, base int64) []byte {
	t.Helper()
	w := NewWriter()
	w.Float32("f32", s.f32)
	w.Float64("f64", s.f64)
	w.Int32("i32", s.i32)
	w.Int64("i64", s.i64)
	w.Bytes("raw", s.raw)
	w.Strings("ids", s.strs)
	w.Strings("none", nil)
	w.Float32("empty", nil)
	if err := w.JSON("conf", s.conf); err != nil {
		t.Fatal(err)
	}
	b, err := w.Encode(base)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// place copies payload b into a buffer at an address ≡ base (mod 64), as a
// memory-mapped file whose payload starts at file offset base would be.
func place(b []byte, base int64) []byte {
	buf := make([]uint64, (len(b)+128)/8+1)
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*8)
	start := (int(base%Align) - int(uintptr(unsafe.Pointer(&raw[0]))%Align) + Align) % Align
	out := raw[start : start+len(b)]
	copy(out, b)
	return out
}

func TestRoundTrip(t *testing.T) {
	s := newSample()
	for _, base := range []int64{0, 1, 49 + 6 + 300, 63, 64, 1000003} {
		b := place(writeSample(t, s, base), base)
		r, err := NewReader(b)
		if err != nil {
			t.Fatalf("base %d: %v", base, err)
		}
		f32, _ := r.Float32("f32")
		f64, _ := r.Float64("f64")
		i32, _ := r.Int32("i32")
		i64, _ := r.Int64("i64")
		raw, _ := r.Bytes("raw")
		ids, err := r.Strings("ids")
		if err != nil {
			t.Fatal(err)
		}
		none, _ := r.Strings("none")
		empty, _ := r.Float32("empty")
		conf, err := r.Object("conf")
		if err != nil {
			t.Fatal(err)
		}
		got := sample{f32, f64, i32, i64, raw, ids, conf}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("base %d: round trip\n got %#v\nwant %#v", base, got, s)
		}
		if len(none) != 0 || len(empty) != 0 {
			t.Errorf("empty sections: %v %v", none, empty)
		}
		// Every section is 64-byte aligned in the "file" and, placed like a
		// mapping, zero-copy.
		for _, sec := range r.Sections() {
			if (base+int64(sec.Offset))%Align != 0 {
				t.Errorf("base %d: section %s at payload offset %d is not file-aligned", base, sec.Name, sec.Offset)
			}
		}
		if &f64[0] != (*float64)(unsafe.Pointer(&b[r.secs[r.index["f64"]].Offset])) {
			t.Errorf("base %d: f64 section was copied, want a view", base)
		}
	}
}

func TestMisalignedCopies(t *testing.T) {
	s := newSample()
	b := writeSample(t, s, 0)
	odd := make([]byte, len(b)+1)[1:] // address ≡ 1 mod 8 (allocations are 8-aligned)
	copy(odd, b)
	r, err := NewReader(odd)
	if err != nil {
		t.Fatal(err)
	}
	f64, err := r.Float64("f64")
	if err != nil || !reflect.DeepEqual(f64, s.f64) {
		t.Fatalf("misaligned f64 = %v, %v", f64, err)
	}
	if uintptr(unsafe.Pointer(&f64[0]))%8 != 0 {
		t.Error("misaligned section returned without copying")
	}
	i32, _ := r.Int32("i32")
	if !reflect.DeepEqual(i32, s.i32) {
		t.Errorf("misaligned i32 = %v", i32)
	}
}

func TestSections(t *testing.T) {
	r, err := NewReader(writeSample(t, newSample(), 0))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range r.Sections() {
		got = append(got, s.Name+":"+s.Type.String())
	}
	want := "f32:f32 f64:f64 i32:i32 i64:i64 raw:bytes ids:strings none:strings empty:f32 conf:json"
	if strings.Join(got, " ") != want {
		t.Errorf("sections %q", got)
	}
	ids := r.Sections()[5]
	if ids.Count != 4 || ids.Bytes != 8*5+uint64(len("u1ユーザーa,b")) {
		t.Errorf("ids section %+v", ids)
	}
}

func TestWriterErrors(t *testing.T) {
	for name, f := range map[string]func(w *Writer){
		"duplicate": func(w *Writer) { w.Int32("x", nil); w.Float32("x", nil) },
		"empty":     func(w *Writer) { w.Int32("", nil) },
		"long":      func(w *Writer) { w.Int32(strings.Repeat("n", 256), nil) },
		"utf8":      func(w *Writer) { w.Int32("\xff", nil) },
	} {
		w := NewWriter()
		f(w)
		if _, err := w.Encode(0); err == nil {
			t.Errorf("%s: Encode succeeded", name)
		}
	}
	if err := NewWriter().JSON("x", math.NaN()); err == nil {
		t.Error("JSON(NaN) succeeded")
	}
}

func TestReaderErrors(t *testing.T) {
	good := writeSample(t, newSample(), 0)
	entry0 := preludeSize // first TOC entry ("f32")
	mut := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	put64 := func(off int, v uint64) func([]byte) {
		return func(b []byte) { binary.LittleEndian.PutUint64(b[off:], v) }
	}
	tests := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"empty", nil, "too short"},
		{"short", good[:31], "too short"},
		{"magic", mut(func(b []byte) { b[0] = 'X' }), "bad magic"},
		{"reserved prelude", mut(func(b []byte) { b[20] = 1 }), "reserved"},
		{"too many sections", mut(func(b []byte) { binary.LittleEndian.PutUint32(b[8:], MaxSections+1) }), "exceed the limit"},
		{"count vs toc", mut(func(b []byte) { binary.LittleEndian.PutUint32(b[8:], 4000) }), "cannot hold"},
		{"toc beyond payload", mut(func(b []byte) { binary.LittleEndian.PutUint32(b[12:], math.MaxUint32) }), "exceeds the payload"},
		{"toc trailing", mut(func(b []byte) { binary.LittleEndian.PutUint32(b[8:], 8) }), "trailing"},
		{"bad type", mut(func(b []byte) { b[entry0] = 9 }), "unknown type"},
		{"type zero", mut(func(b []byte) { b[entry0] = 0 }), "unknown type"},
		{"entry reserved", mut(func(b []byte) { b[entry0+1] = 1 }), "reserved"},
		{"name length zero", mut(func(b []byte) { b[entry0+2], b[entry0+3] = 0, 0 }), "bad name length"},
		{"name length huge", mut(func(b []byte) { b[entry0+2], b[entry0+3] = 0xff, 0xff }), "bad name length"},
		{"name utf8", mut(func(b []byte) { b[entry0+entrySize] = 0xff }), "UTF-8"},
		{"duplicate name", mut(func(b []byte) { copy(b[entry0+entrySize:], "f64") }), "appears twice"},
		{"offset past end", mut(put64(entry0+8, uint64(len(good)+1))), "outside"},
		{"offset inside toc", mut(put64(entry0+8, 8)), "outside"},
		{"length overflow", mut(put64(entry0+16, math.MaxUint64)), "outside"},
		{"offset overflow", mut(put64(entry0+8, math.MaxUint64-3)), "outside"},
		{"count mismatch", mut(put64(entry0+24, 99)), "do not hold"},
		{"odd length", mut(put64(entry0+16, 19)), "do not hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(tt.in)
			if err == nil {
				t.Fatal("NewReader succeeded")
			}
			if exitcode.Of(err) != exitcode.Artifact || exitcode.ReasonOf(err) != "deserialize" {
				t.Errorf("error %v: code %d reason %q", err, exitcode.Of(err), exitcode.ReasonOf(err))
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestAccessorErrors(t *testing.T) {
	r, err := NewReader(writeSample(t, newSample(), 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Float32("missing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing section: %v", err)
	}
	if _, err := r.Float64("f32"); err == nil || !strings.Contains(err.Error(), "is f32, want f64") {
		t.Errorf("wrong type: %v", err)
	}
	if _, err := r.JSONString("conf"); err == nil || exitcode.Of(err) != exitcode.Artifact {
		t.Errorf("JSONString of an object: %v", err)
	}
	if _, err := r.Object("ids"); err == nil || !strings.Contains(err.Error(), "is strings, want json") {
		t.Errorf("Object of a string table: %v", err)
	}
	if !r.Has("ids") || r.Has("nope") {
		t.Error("Has")
	}
}

func TestStringTableValidation(t *testing.T) {
	w := NewWriter()
	w.Strings("s", []string{"ab", "cd"})
	good, _ := w.Encode(0)
	r, _ := NewReader(good)
	off := int(r.secs[0].Offset)
	tests := map[string]func(b []byte){
		"first offset": func(b []byte) { binary.LittleEndian.PutUint64(b[off:], 1) },
		"decreasing": func(b []byte) {
			binary.LittleEndian.PutUint64(b[off+8:], 5)
			binary.LittleEndian.PutUint64(b[off+16:], 4)
		},
		"beyond data":    func(b []byte) { binary.LittleEndian.PutUint64(b[off+16:], 5) },
		"short end":      func(b []byte) { binary.LittleEndian.PutUint64(b[off+16:], 3) },
		"invalid utf8":   func(b []byte) { b[off+24] = 0xff },
		"split sequence": func(b []byte) { copy(b[off+24:], "\xc3\xa9\xc3\xa9"); binary.LittleEndian.PutUint64(b[off+8:], 1) },
	}
	for name, f := range tests {
		b := append([]byte(nil), good...)
		f(b)
		r, err := NewReader(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s, err := r.Strings("s"); err == nil {
			t.Errorf("%s: Strings = %q, want error", name, s)
		}
	}
}

// TestPortableEncoding: the copying path of big-endian hosts writes the
// same bytes as the zero-copy path of little-endian ones.
func TestPortableEncoding(t *testing.T) {
	want := writeSample(t, newSample(), 0)
	native := littleEndian
	littleEndian = false
	defer func() { littleEndian = native }()
	if got := writeSample(t, newSample(), 0); string(got) != string(want) {
		t.Fatal("the copying encoder wrote other bytes than the zero-copy one")
	}
}
