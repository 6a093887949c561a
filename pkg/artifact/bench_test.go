package artifact

import (
	"crypto/hmac"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/codelibs/recotem-go/pkg/payload"
)

// BenchmarkOpen1GiB opens and verifies a 1 GiB artifact (HMAC and model
// version in one pass) and gets its sections, memory-mapped and read into
// memory, and runs `recotem inspect` on it (HMAC only). MB/s is over the
// artifact size; B/op shows that the mapped mode does not copy the payload;
// cpu-s/op is the process CPU time, which shows the two SHA-256 passes of
// an open (HMAC and model version) whatever the wall time, which depends on
// whether a second core is free. It needs about 1 GiB of disk and runs only
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
			defer reportCPU(b)()
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
	b.Run("inspect", func(b *testing.B) {
		getenv := env(map[string]string{"RECOTEM_SIGNING_KEYS": "active:" + keyActive,
			EnvMaxArtifact: "2147483648", EnvMaxPayload: "2147483648"})
		b.SetBytes(int64(fileSize(b, path)))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if err := Inspect(InspectOptions{Artifact: path, Getenv: getenv, Stdout: io.Discard}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU starts measuring the process CPU time; the returned function
// reports it per iteration as "cpu-s/op".
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op") }
}

func cpuTime() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fileSize(b *testing.B, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
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
