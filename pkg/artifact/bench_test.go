package artifact

import (
	"crypto/hmac"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/codelibs/recotem-go/pkg/payload"
)

// BenchmarkOpen1GiB opens and verifies a 1 GiB artifact (HMAC and model
// version in one pass) and gets its sections, memory-mapped and read into
// memory. MB/s is over the artifact size; B/op shows that the mapped mode
// does not copy the payload. It needs about 1 GiB of disk and runs only
// with -bench.
func BenchmarkOpen1GiB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.recotem")
	const n = (1 << 30) / 4
	{
		fac := make([]float32, n)
		for i := range fac {
			fac[i] = float32(i % 1024)
		}
		w := payload.NewWriter()
		w.Strings("item_ids", []string{"i1", "i2"})
		w.Float32("ials.item_factors", fac)
		e, err := Encode(activeRing(b), testHeader(), w)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := WriteFile(path, e, WriteOptions{Versioning: AlwaysOverwrite}); err != nil {
			b.Fatal(err)
		}
	}
	opt := Options{Ring: activeRing(b), Caps: Caps{Artifact: 2 * GiB, Payload: 2 * GiB}}
	for _, mode := range []struct {
		name   string
		noMmap bool
	}{{"mmap", false}, {"read", true}} {
		b.Run(mode.name, func(b *testing.B) {
			opt.NoMmap = mode.noMmap
			b.ReportAllocs()
			for b.Loop() {
				a, err := Open(path, opt)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(a.Size()))
				pr, err := a.Payload()
				if err != nil {
					b.Fatal(err)
				}
				f, err := pr.Float32("ials.item_factors")
				if err != nil || len(f) != n {
					b.Fatal(len(f), err)
				}
				pb := a.PayloadBytes()
				if p := uintptr(unsafe.Pointer(&f[0])); p < uintptr(unsafe.Pointer(&pb[0])) ||
					p >= uintptr(unsafe.Pointer(&pb[0]))+uintptr(len(pb)) {
					b.Fatal("section copied")
				}
				a.Close()
			}
		})
	}
}

// BenchmarkHMAC is the floor: HMAC-SHA256 alone over 64 MiB in memory.
func BenchmarkHMAC(b *testing.B) {
	buf := make([]byte, 64<<20)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		m := hmac.New(sha256.New, buf[:32])
		m.Write(buf)
		m.Sum(nil)
	}
}

// BenchmarkVerify is Container.Verify (HMAC + SHA-256 in one pass) over a
// 64 MiB artifact in memory.
func BenchmarkVerify(b *testing.B) {
	e, err := Seal("active", make([]byte, 32), []byte("{}"), make([]byte, 64<<20))
	if err != nil {
		b.Fatal(err)
	}
	data := e.Bytes()
	c, err := Parse(data, 0)
	if err != nil {
		b.Fatal(err)
	}
	r := ring(b, "active:"+keys0)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := c.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

const keys0 = "0000000000000000000000000000000000000000000000000000000000000000"
