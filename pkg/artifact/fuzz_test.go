package artifact

import (
	"runtime"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/payload"
)

// fuzzAllocSlack bounds what the reader may allocate beyond a small multiple
// of the input: decoding a pathological 64 KiB header (tens of thousands of
// JSON values) takes a few MiB.
const fuzzAllocSlack = 16 << 20

// FuzzOpen runs the whole reader over arbitrary bytes: the container parse
// and verification as given, and then, since random bytes never carry a
// valid MAC, the same container re-signed with the test key, so that the
// header decode and the payload table of contents and every section are
// exercised too. Contract: no panic, every failure is an artifact error
// (exit 5), and allocation stays within a bound proportional to the input.
func FuzzOpen(f *testing.F) {
	f.Add(encodeTest(f, activeRing(f)).Bytes())
	f.Add(small(f, "active", keyActive, []byte(`{"payload_encoding":"recotem-go/1"}`), []byte("RGOPAY1\x00")))
	f.Add([]byte("RECOTEM\x00\x01\x00\x00\x06active"))
	f.Add([]byte{})
	r := activeRing(f)
	caps := Caps{Artifact: 4 * MiB, Payload: 4 * MiB}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)

		check := func(stage string, err error) {
			if err != nil && exitcode.Of(err) != exitcode.Artifact {
				t.Fatalf("%s: exit %d for %v", stage, exitcode.Of(err), err)
			}
		}
		a, err := OpenBytes(data, Options{Ring: r, Caps: caps})
		check("open", err)
		if err == nil {
			exercise(t, a, check)
		}
		if c, err := Parse(data, caps.Payload); err == nil {
			resealed := rawSeal(c.Kid, keyActive, c.Header, c.Payload)
			a, err := OpenBytes(resealed, Options{Ring: r, Caps: Caps{Artifact: 8 * MiB, Payload: 4 * MiB}})
			check("open resealed", err)
			if err == nil {
				exercise(t, a, check)
			}
			if _, err := payload.NewReader(c.Payload); err != nil {
				check("payload", err)
			}
		}

		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(8*len(data))+fuzzAllocSlack {
			t.Fatalf("allocated %d bytes for a %d-byte input", alloc, len(data))
		}
	})
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
			var v any
			err = pr.JSON(s.Name, &v)
		default:
			t.Fatalf("section %q of unknown type %v listed", s.Name, s.Type)
		}
		check("section "+s.Name, err)
	}
}
