package artifact

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/payload"
)

// FuzzOpen runs the whole reader over arbitrary bytes: the container parse
// and verification as given, and then, since random bytes never carry a
// valid MAC, the same container re-signed with the test key, so that the
// header decode, the payload table of contents and every section (JSON
// sections through the non-reflective Object and JSONString decoders) are
// exercised too. Contract: no panic, every failure is an artifact error
// (exit 5), and no read of an artifact allocates more than the caps it was
// given (4 MiB).
//
// The allocation is measured exactly (runtime.ReadMemStats flushes the
// per-P caches) around each read of an artifact, the unit the caps govern:
// the harness's own copies (the re-signing) are not counted. Why 4 MiB
// holds: parsing and verifying allocate a fixed few hundred bytes (the
// payload is never copied); the header is at most 64 KiB and
// maxJSONValues values, about 1.7 MiB at worst; the rest is proportional
// to bytes actually present, at most about 2.5 times the payload (a table
// of contents entry or a string table costs that much). The fuzzer's inputs
// stay far below 1 MiB, so any input over the cap means an allocation sized
// by a declared length (header_len up to 4 GiB, a section or string count,
// an offset) rather than by the input, which would be off by orders of
// magnitude. TestReaderAllocationBound checks the worst cases near the
// limits deterministically.
func FuzzOpen(f *testing.F) {
	f.Add(encodeTest(f, activeRing(f)).Bytes())
	f.Add(small(f, "active", keyActive, []byte(`{"payload_encoding":"recotem-go/1"}`), []byte("RGOPAY1\x00")))
	f.Add([]byte("RECOTEM\x00\x01\x00\x00\x06active"))
	f.Add([]byte{})
	f.Add(configArtifact(f))
	r := activeRing(f)
	caps := Caps{Artifact: 4 * MiB, Payload: 4 * MiB}
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(stage string, err error) {
			if err != nil && exitcode.Of(err) != exitcode.Artifact {
				t.Fatalf("%s: exit %d for %v", stage, exitcode.Of(err), err)
			}
		}
		limit := func(stage string, n uint64) {
			if n > uint64(caps.Payload) {
				t.Fatalf("%s: allocated %d bytes for a %d-byte input, over the %d-byte cap", stage, n, len(data), caps.Payload)
			}
		}
		limit("open", allocated(func() {
			a, err := OpenBytes(data, Options{Ring: r, Caps: caps})
			check("open", err)
			if err == nil {
				exercise(t, a, check)
			}
		}))
		var c *Container
		limit("parse", allocated(func() { c, _ = Parse(data, caps.Payload) }))
		if c == nil {
			return
		}
		resealed := rawSeal(c.Kid, keyActive, c.Header, c.Payload)
		limit("open resealed", allocated(func() {
			a, err := OpenBytes(resealed, Options{Ring: r, Caps: caps})
			check("open resealed", err)
			if err == nil {
				exercise(t, a, check)
			}
		}))
		limit("payload", allocated(func() {
			if _, err := payload.NewReader(c.Payload); err != nil {
				check("payload", err)
			}
		}))
	})
}

// allocated returns the bytes fn allocates on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// configArtifact is a seed whose payload holds the JSON sections models
// write: a configuration object and the class name.
func configArtifact(t testing.TB) []byte {
	w := testModel().writer()
	if err := w.JSON("ials.config", map[string]any{"n_components": 2, "reg": 0.01, "loss_type": "IALSPP", "log": false}); err != nil {
		t.Fatal(err)
	}
	if err := w.JSON("model.class", "IALSRecommender"); err != nil {
		t.Fatal(err)
	}
	e, err := Encode(activeRing(t), testHeader(), w)
	if err != nil {
		t.Fatal(err)
	}
	return e.Bytes()
}

// TestReaderAllocationBound opens artifacts near the limits and hostile
// declared lengths and checks what each read allocates against the bound
// FuzzOpen relies on.
func TestReaderAllocationBound(t *testing.T) {
	r := activeRing(t)
	caps := Caps{Artifact: 4 * MiB, Payload: 4 * MiB}
	// FuzzOpen's bound: nothing over the cap (the worst header takes about
	// 2 MiB, a little more under the race detector).
	bound := uint64(caps.Payload)
	n := maxJSONValues - 3 // the object, best_params and the array itself
	list := func(elem string) []byte {
		return []byte(`{"best_params":{"a":[` + strings.Repeat(elem+",", n-1) + elem + `]}}`)
	}
	var keys strings.Builder
	for i := range n {
		fmt.Fprintf(&keys, `,"%d":0`, i)
	}
	toc := payload.NewWriter()
	for i := range payload.MaxSections {
		toc.Bytes(fmt.Sprintf("%0255d", i), nil)
	}
	tocBytes, err := toc.Encode(0)
	if err != nil {
		t.Fatal(err)
	}
	huge := rawSeal("active", keyActive, []byte(`{}`), nil)
	binary.LittleEndian.PutUint32(huge[45+6:], 0xFFFFFFFF) // header_len
	for _, tc := range []struct {
		name   string
		header []byte
		pl     []byte
		max    uint64
	}{
		{"zeros", list("0"), nil, bound},
		{"floats", list("1.5"), nil, bound},
		{"objects", list("{}"), nil, bound},
		{"strings", list(`"ab"`), nil, bound},
		{"keys", []byte(`{"best_params":{"x":0` + keys.String() + `}}`), nil, bound},
		{"long string", []byte(`{"recipe_name":"` + strings.Repeat(`\u00e9`, 10900) + `"}`), nil, bound},
		{"too many values", []byte(`{"a":[` + strings.Repeat("0,", 30000) + `0]}`), nil, bound},
		{"deep", []byte(strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)), nil, bound},
		{"full table of contents", []byte(`{"payload_encoding":"recotem-go/1"}`), tocBytes, uint64(len(tocBytes)) * 3 / 2},
	} {
		if len(tc.header) > MaxHeaderLen {
			t.Fatalf("%s: header of %d bytes", tc.name, len(tc.header))
		}
		data := rawSeal("active", keyActive, tc.header, tc.pl)
		got := allocated(func() {
			a, err := OpenBytes(data, Options{Ring: r, Caps: caps})
			if err == nil {
				_, err = a.Payload()
				a.Close()
			}
			if err != nil && exitcode.Of(err) != exitcode.Artifact {
				t.Errorf("%s: %v", tc.name, err)
			}
		})
		t.Logf("%-22s %6d-byte header, %7d-byte payload: %8d bytes allocated", tc.name, len(tc.header), len(tc.pl), got)
		if got > tc.max {
			t.Errorf("%s: allocated %d bytes, want at most %d", tc.name, got, tc.max)
		}
	}
	// Declared lengths far beyond the input allocate nothing proportional
	// to them.
	hostile := map[string][]byte{"header_len 4 GiB": huge}
	pl := []byte("RGOPAY1\x00")
	pl = binary.LittleEndian.AppendUint32(pl, payload.MaxSections)
	pl = binary.LittleEndian.AppendUint32(pl, 1<<31)
	pl = append(pl, make([]byte, 16)...)
	hostile["4096 sections, 2 GiB table"] = rawSeal("active", keyActive, []byte(`{"payload_encoding":"recotem-go/1"}`), pl)
	for name, data := range hostile {
		got := allocated(func() {
			if a, err := OpenBytes(data, Options{Ring: r, Caps: caps}); err == nil {
				a.Payload()
				a.Close()
			}
		})
		if got > 64<<10 {
			t.Errorf("%s: allocated %d bytes", name, got)
		}
	}
}

func exercise(t *testing.T, a *Artifact, check func(string, error)) {
	defer a.Close()
	pr, err := a.Payload()
	check("payload", err)
	if err != nil {
		return
	}
	for _, s := range pr.Sections() {
		var err error
		switch s.Type {
		case payload.F32:
			_, err = pr.Float32(s.Name)
		case payload.F64:
			_, err = pr.Float64(s.Name)
		case payload.I32:
			_, err = pr.Int32(s.Name)
		case payload.I64:
			_, err = pr.Int64(s.Name)
		case payload.Bytes:
			_, err = pr.Bytes(s.Name)
		case payload.Strings:
			_, err = pr.Strings(s.Name)
		case payload.JSON:
			// The non-reflective decoders of configuration objects and of
			// the model's class name: either may fail, neither may panic.
			_, err = pr.Object(s.Name)
			check("section "+s.Name+" as object", err)
			_, err = pr.JSONString(s.Name)
		default:
			t.Fatalf("section %q of unknown type %v listed", s.Name, s.Type)
		}
		check("section "+s.Name, err)
	}
}
