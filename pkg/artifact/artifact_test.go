package artifact

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/payload"
)

var (
	keyActive = strings.Repeat("11", 32)
	keyOld    = strings.Repeat("22", 32)
)

func ring(t testing.TB, s string) *keys.SigningRing {
	t.Helper()
	r, err := keys.ParseSigning(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func activeRing(t testing.TB) *keys.SigningRing { return ring(t, "active:"+keyActive) }

func testHeader() *Header {
	return &Header{
		RecipeName:     "demo",
		RecipeHash:     strings.Repeat("ab", 32),
		RecotemVersion: "0.1.0",
		TrainedAt:      "2026-05-01T12:00:00Z",
		BestClass:      "IALSRecommender",
		BestParams:     map[string]any{"n_components": 8, "alpha0": 0.5},
		BestScore:      0.25,
		Metric:         "ndcg",
		Cutoff:         10,
		Tuning:         Tuning{TriedAlgorithms: []string{"IALSRecommender"}, NTrials: 4, NCompleted: 4, SearchSeed: 42},
		DataStats:      DataStats{NRows: 10, NUsers: 3, NItems: 4, DedupPolicy: "keep_last"},
		EngineVersion:  "test",
	}
}

type model struct {
	users  []string
	items  []string
	fac    []float32
	indptr []int64
}

func testModel() model {
	return model{
		users:  []string{"u1", "u2", "ユーザー"},
		items:  []string{"i1", "i2", "i3", "i4"},
		fac:    []float32{0.5, -1, 2, 3, 4, 5, 6, 7},
		indptr: []int64{0, 1, 3, 4},
	}
}

func (m model) writer() *payload.Writer {
	w := payload.NewWriter()
	w.Strings("user_ids", m.users)
	w.Strings("item_ids", m.items)
	w.Float32("ials.item_factors", m.fac)
	w.Int64("seen.indptr", m.indptr)
	return w
}

func encodeTest(t testing.TB, r *keys.SigningRing) *Encoded {
	t.Helper()
	e, err := Encode(r, testHeader(), testModel().writer())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func readModel(t *testing.T, a *Artifact) model {
	t.Helper()
	pr, err := a.Payload()
	if err != nil {
		t.Fatal(err)
	}
	var m model
	if m.users, err = pr.Strings("user_ids"); err != nil {
		t.Fatal(err)
	}
	if m.items, err = pr.Strings("item_ids"); err != nil {
		t.Fatal(err)
	}
	if m.fac, err = pr.Float32("ials.item_factors"); err != nil {
		t.Fatal(err)
	}
	if m.indptr, err = pr.Int64("seen.indptr"); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRoundTripFile(t *testing.T) {
	for _, mode := range []struct {
		name   string
		noMmap bool
	}{{"mmap", false}, {"read", true}} {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			e := encodeTest(t, activeRing(t))
			dest := filepath.Join(dir, "model.recotem")
			if _, err := WriteFile(dest, e, WriteOptions{Versioning: AlwaysOverwrite}); err != nil {
				t.Fatal(err)
			}
			a, err := Open(dest, Options{Ring: activeRing(t), NoMmap: mode.noMmap})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if got := readModel(t, a); !reflect.DeepEqual(got, testModel()) {
				t.Errorf("model %+v", got)
			}
			if a.Kid() != "active" || a.ModelVersion() != e.ModelVersion() {
				t.Errorf("kid %q version %q, want %q", a.Kid(), a.ModelVersion(), e.ModelVersion())
			}
			file, _ := os.ReadFile(dest)
			if sum := sha256.Sum256(file); a.ModelVersion() != "sha256:"+hex.EncodeToString(sum[:]) {
				t.Errorf("model version is not the sha256 of the file")
			}
			if !reflect.DeepEqual(a.Header(), withEncoding(testHeader())) {
				t.Errorf("header %+v", a.Header())
			}
			if string(a.Fields()["payload_encoding"]) != `"recotem-go/1"` {
				t.Errorf("payload_encoding field %s", a.Fields()["payload_encoding"])
			}
			// Zero copy: the factors alias the artifact buffer in both modes
			// (the read buffer is 8-byte aligned, sections are 64-byte aligned).
			pr, _ := a.Payload()
			f, _ := pr.Float32("ials.item_factors")
			pb := a.PayloadBytes()
			start, end := uintptr(unsafe.Pointer(&pb[0])), uintptr(unsafe.Pointer(&pb[len(pb)-1]))
			if p := uintptr(unsafe.Pointer(&f[0])); p < start || p > end {
				t.Error("factors were copied out of the artifact buffer")
			}
			if (uintptr(unsafe.Pointer(&f[0])))%64 != 0 && !mode.noMmap {
				t.Error("mapped section is not 64-byte aligned in memory")
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if err := a.Close(); err != nil {
				t.Fatal("second Close:", err)
			}
		})
	}
}

func withEncoding(h *Header) *Header {
	h.PayloadEncoding = payload.Encoding
	h.BestParams = map[string]any{"n_components": 8.0, "alpha0": 0.5}
	return h
}

func TestHeaderBytes(t *testing.T) {
	h := testHeader()
	h.RecipeName = "démo<&>"
	h.Algorithms = []string{"IALSRecommender"}
	b, err := MarshalHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"recipe_name":"d\u00e9mo<&>","recipe_hash":"` + strings.Repeat("ab", 32) + `","recotem_version":"0.1.0",` +
		`"trained_at":"2026-05-01T12:00:00Z","best_class":"IALSRecommender","best_params":{"alpha0":0.5,"n_components":8},` +
		`"best_score":0.25,"metric":"ndcg","cutoff":10,"tuning":{"tried_algorithms":["IALSRecommender"],"n_trials":4,` +
		`"n_completed":4,"n_orphaned":0,"best_trial_number":0,"search_seed":42},"data_stats":{"n_rows":10,"n_users":3,` +
		`"n_items":4,"drop_count":0,"dedup_policy":"keep_last"},"algorithms":["IALSRecommender"],"engine_version":"test"}`
	if string(b) != want {
		t.Errorf("header\n got %s\nwant %s", b, want)
	}
	if got := string(asciiEscape([]byte(`"😀"`))); got != `"\ud83d\ude00"` {
		t.Errorf("astral escape %s", got)
	}
	h.BestScore = nanValue()
	if _, err := MarshalHeader(h); err == nil {
		t.Error("NaN best_score accepted")
	}
}

func nanValue() float64 { var z float64; return z / z }

// small builds a small signed artifact with the given kid, header and payload.
func small(t testing.TB, kid, key string, header, pl []byte) []byte {
	t.Helper()
	k, _ := hex.DecodeString(key)
	e, err := Seal(kid, k, header, pl)
	if err != nil {
		t.Fatal(err)
	}
	return e.Bytes()
}

// rawSeal builds a container without Seal's checks, for malformed inputs.
func rawSeal(kid, key string, header, pl []byte) []byte {
	k, _ := hex.DecodeString(key)
	m := hmac.New(sha256.New, k)
	m.Write([]byte(kid))
	m.Write(header)
	m.Write(pl)
	b := []byte(Magic)
	b = binary.LittleEndian.AppendUint16(b, FormatVersion)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = append(b, byte(len(kid)))
	b = append(b, kid...)
	b = m.Sum(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	b = append(b, header...)
	return append(b, pl...)
}

func openErr(t *testing.T, b []byte, r *keys.SigningRing, caps Caps) error {
	t.Helper()
	a, err := OpenBytes(b, Options{Ring: r, Caps: caps})
	if err == nil {
		a.Close()
	}
	return err
}

func TestEveryByteFlipFails(t *testing.T) {
	b := small(t, "active", keyActive, []byte(`{"recipe_name":"x"}`), []byte("payload-bytes"))
	r := activeRing(t)
	if err := openErr(t, b, r, Caps{}); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		for _, mask := range []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff} {
			c := append([]byte(nil), b...)
			c[i] ^= mask
			err := openErr(t, c, r, Caps{})
			if err == nil {
				t.Fatalf("flip %#x at byte %d accepted", mask, i)
			}
			if exitcode.Of(err) != exitcode.Artifact {
				t.Fatalf("flip at %d: exit %d (%v)", i, exitcode.Of(err), err)
			}
			// In the MAC'd regions the failure is the HMAC (or the kid lookup).
			kidEnd, hdrStart := 13+6, 49+6
			if i >= 13 && i < kidEnd || i >= hdrStart {
				if exitcode.ReasonOf(err) != ReasonHMAC && exitcode.ReasonOf(err) != ReasonParse {
					t.Fatalf("flip at %d: reason %q (%v)", i, exitcode.ReasonOf(err), err)
				}
			}
		}
	}
}

// TestVerifyHMAC checks that VerifyHMAC (inspect's text mode, no model
// version) accepts and refuses exactly what Verify does, for artifacts on
// both sides of the size from which Verify hashes in parallel.
func TestVerifyHMAC(t *testing.T) {
	r := activeRing(t)
	for _, size := range []int{13, parallelHashMin + 1} {
		b := small(t, "active", keyActive, []byte(`{}`), make([]byte, size))
		// -1: unmodified; then a byte of the kid, the MAC, the header, the
		// payload's start, middle and end.
		for _, i := range []int{-1, 13, 30, 56, 57, 57 + size/2, len(b) - 1} {
			c := append([]byte(nil), b...)
			if i >= 0 {
				c[i] ^= 0x20
			}
			ct, err := Parse(c, 0)
			if err != nil {
				t.Fatal(err)
			}
			sum, errFull := ct.Verify(r)
			errMAC := ct.VerifyHMAC(r)
			if (errFull == nil) != (i < 0) || (errMAC == nil) != (i < 0) || errFull != nil && errFull.Error() != errMAC.Error() {
				t.Fatalf("size %d, flip at %d: Verify %v, VerifyHMAC %v", size, i, errFull, errMAC)
			}
			if i < 0 && sum != sha256.Sum256(c) {
				t.Fatalf("size %d: model version differs from the SHA-256 of the bytes", size)
			}
		}
		ct, _ := Parse(b, 0)
		if err := ct.VerifyHMAC(ring(t, "other:"+keyActive)); err == nil || !strings.Contains(err.Error(), "signed with unknown kid 'active'") {
			t.Errorf("size %d: unknown kid: %v", size, err)
		}
	}
}

func TestTruncationAtEveryLength(t *testing.T) {
	hdr := []byte(`{"a":1}`)
	b := small(t, "active", keyActive, hdr, []byte("0123456789"))
	k := 6
	hs, ps := 49+k, 49+k+len(hdr)
	r := activeRing(t)
	for n := 0; n < len(b); n++ {
		err := openErr(t, b[:n], r, Caps{})
		if err == nil {
			t.Fatalf("truncation to %d bytes accepted", n)
		}
		if exitcode.Of(err) != exitcode.Artifact {
			t.Fatalf("truncation to %d: exit %d", n, exitcode.Of(err))
		}
		var want string
		switch {
		case n < 8:
			want = "missing magic"
		case n < 12:
			want = "missing format version"
		case n < 13:
			want = "missing kid length"
		case n < 13+k:
			want = "truncated: kid"
		case n < 45+k:
			want = "incomplete HMAC"
		case n < hs:
			want = "missing header length"
		case n < ps:
			want = "truncated: header JSON"
		default:
			want = "HMAC mismatch" // payload truncation is only detectable by the MAC
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("truncation to %d: %q, want %q", n, err, want)
		}
	}
}

func TestLengthsNotMACed(t *testing.T) {
	// Move the last kid byte into the header: kid "active" → "activ",
	// header `{}` → `e{}`. The MAC input kid‖header‖payload is unchanged.
	b := small(t, "active", keyActive, []byte(`{}`), []byte("pl"))
	k := 6
	var moved []byte
	moved = append(moved, b[:12]...)
	moved = append(moved, byte(k-1))
	moved = append(moved, b[13:13+k-1]...) // "activ"
	moved = append(moved, b[13+k:45+k]...) // MAC
	moved = binary.LittleEndian.AppendUint32(moved, 3)
	moved = append(moved, b[13+k-1])   // 'e'
	moved = append(moved, b[49+k:]...) // `{}` + payload

	// Ring without "activ": unknown kid.
	err := openErr(t, moved, activeRing(t), Caps{})
	if err == nil || !strings.Contains(err.Error(), "unknown kid 'activ'") {
		t.Fatalf("moved byte: %v", err)
	}
	// Ring where "activ" has the same key: the MAC verifies (the quirk), the
	// header decode catches it.
	r := ring(t, "activ:"+keyActive)
	c, err := Parse(moved, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verify(r); err != nil {
		t.Fatalf("MAC should still verify after moving a byte: %v", err)
	}
	err = openErr(t, moved, r, Caps{})
	if err == nil || exitcode.ReasonOf(err) != ReasonHeader || !strings.Contains(err.Error(), "header JSON decode failed") {
		t.Fatalf("moved byte with matching ring: %v", err)
	}
	// Header/payload boundary: header_len 2 → 3 moves 'p' into the header.
	moved2 := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(moved2[45+k:], 3)
	err = openErr(t, moved2, activeRing(t), Caps{})
	if err == nil || exitcode.ReasonOf(err) != ReasonHeader {
		t.Fatalf("header/payload boundary: %v", err)
	}
}

func TestContainerEdgeCases(t *testing.T) {
	hdr := []byte(`{"recipe_name":"x"}`)
	good := small(t, "active", keyActive, hdr, []byte("payload"))
	k := 6
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	caps := Caps{Artifact: 2 * MiB, Payload: MiB}
	tests := []struct {
		name   string
		in     []byte
		reason string
		msg    string
	}{
		{"byte 0 changed", mut(func(b []byte) []byte { b[0] = 'X'; return b }), ReasonParse, "bad magic"},
		{"14 bytes", good[:14], ReasonParse, "truncated: kid"},
		{"version 0", mut(func(b []byte) []byte { b[8] = 0; return b }), ReasonParse, "unsupported format version 0"},
		{"version 2", mut(func(b []byte) []byte { b[8] = 2; return b }), ReasonParse, "unsupported format version 2"},
		{"version 256", mut(func(b []byte) []byte { b[8], b[9] = 1, 1; return b }), ReasonParse, "unsupported format version 257"},
		{"reserved 1", mut(func(b []byte) []byte { b[10] = 1; return b }), ReasonParse, "reserved field must be 0, got 1"},
		{"kid_len 0", mut(func(b []byte) []byte { b[12] = 0; return b }), ReasonParse, "kid length 0 out of range"},
		{"kid_len 33", mut(func(b []byte) []byte { b[12] = 33; return b }), ReasonParse, "kid length 33 out of range"},
		{"kid not utf8", mut(func(b []byte) []byte { b[13] = 0xff; return b }), ReasonParse, "kid is not valid UTF-8"},
		{"header_len 0xFFFFFFFF", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[45+k:], 0xFFFFFFFF); return b }), ReasonParse, "header length 4294967295 exceeds cap of 65536"},
		{"header_len 65537", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[45+k:], 65537); return b }), ReasonParse, "exceeds cap"},
		{"header not utf8 (valid MAC)", rawSeal("active", keyActive, []byte{0xFF, 0xFE, '{', '}'}, nil), ReasonParse, "header JSON is not valid UTF-8"},
		{"payload over cap (before HMAC)", small(t, "nokid", keyActive, hdr, make([]byte, MiB+1)), ReasonCap, "payload of 1048577 bytes exceeds cap of 1048576"},
		{"last 5 bytes cut", good[:len(good)-5], ReasonHMAC, "HMAC mismatch"},
		{"appended header byte without re-signing", mut(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[45+k:], uint32(len(hdr)+1))
			return append(b[:49+k+len(hdr)], append([]byte{' '}, b[49+k+len(hdr):]...)...)
		}), ReasonHMAC, "HMAC mismatch"},
		{"unknown kid", small(t, "other", keyActive, hdr, nil), ReasonHMAC, "signed with unknown kid 'other'"},
		{"wrong key", small(t, "active", keyOld, hdr, nil), ReasonHMAC, "HMAC mismatch for kid 'active'"},
		{"header invalid, MAC valid", small(t, "active", keyActive, []byte(`{"a":`), nil), ReasonHeader, "header JSON decode failed"},
		{"header not an object", small(t, "active", keyActive, []byte(`[1]`), nil), ReasonHeader, "header JSON decode failed"},
		{"header null", small(t, "active", keyActive, []byte(`null`), nil), ReasonHeader, "not a JSON object"},
		{"header wrong field type", small(t, "active", keyActive, []byte(`{"cutoff":"ten"}`), nil), ReasonHeader, "header JSON decode failed"},
		{"empty header", small(t, "active", keyActive, nil, nil), ReasonHeader, "header JSON decode failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := openErr(t, tt.in, activeRing(t), caps)
			if err == nil {
				t.Fatal("accepted")
			}
			if exitcode.Of(err) != exitcode.Artifact || exitcode.ReasonOf(err) != tt.reason {
				t.Errorf("exit %d reason %q, want 5 %q (%v)", exitcode.Of(err), exitcode.ReasonOf(err), tt.reason, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestHeaderLenMaxAccepted(t *testing.T) {
	hdr := append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), MaxHeaderLen-8)...)
	hdr = append(hdr, `"}`...)
	if len(hdr) != MaxHeaderLen {
		t.Fatalf("header is %d bytes", len(hdr))
	}
	b := small(t, "active", keyActive, hdr, nil)
	if err := openErr(t, b, activeRing(t), Caps{}); err != nil {
		t.Fatalf("65536-byte header rejected: %v", err)
	}
	if _, err := Seal("active", make([]byte, 32), append(hdr, ' ')); err == nil {
		t.Error("Seal accepted a 65537-byte header")
	}
}

func TestSealRefuses(t *testing.T) {
	key := make([]byte, 32)
	for name, kid := range map[string]string{"empty": "", "33 bytes": strings.Repeat("k", 33), "not utf8": "\xff"} {
		if _, err := Seal(kid, key, []byte("{}")); err == nil {
			t.Errorf("%s kid accepted", name)
		}
	}
	if _, err := Seal("k", key[:31], []byte("{}")); err == nil {
		t.Error("31-byte key accepted")
	}
	if _, err := Seal(strings.Repeat("k", 32), key, []byte("{}")); err != nil {
		t.Errorf("32-byte kid refused: %v", err)
	}
}

func TestRotation(t *testing.T) {
	oldArt := encodeTest(t, ring(t, "old:"+keyOld)).Bytes()
	newArt := encodeTest(t, ring(t, "new:"+keyActive+",old:"+keyOld)).Bytes()
	both := ring(t, "new:"+keyActive+",old:"+keyOld)
	for name, b := range map[string][]byte{"old": oldArt, "new": newArt} {
		a, err := OpenBytes(b, Options{Ring: both})
		if err != nil {
			t.Fatalf("ring {new,old} rejects %s artifact: %v", name, err)
		}
		if a.Kid() != name {
			t.Errorf("kid %q, want %q", a.Kid(), name)
		}
	}
	_, err := OpenBytes(oldArt, Options{Ring: ring(t, "new:"+keyActive)})
	if err == nil || !strings.Contains(err.Error(), "signed with unknown kid 'old'") {
		t.Errorf("ring {new} on old artifact: %v", err)
	}
}

func TestOpenWithoutRing(t *testing.T) {
	b := encodeTest(t, activeRing(t)).Bytes()
	_, err := OpenBytes(b, Options{})
	if !errors.Is(err, keys.ErrSigningMissing) || exitcode.Of(err) != exitcode.Config {
		t.Errorf("no ring: %v", err)
	}
	a, err := OpenBytes(b, Options{SkipVerify: true})
	if err != nil {
		t.Fatalf("SkipVerify: %v", err)
	}
	if sum := sha256.Sum256(b); a.ModelVersion() != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Error("SkipVerify: model version not computed")
	}
	// A wrong key does not matter when verification is skipped.
	if _, err := OpenBytes(b, Options{SkipVerify: true, Ring: ring(t, "x:"+keyOld)}); err != nil {
		t.Error(err)
	}
}

func TestReferenceArtifact(t *testing.T) {
	// The reference's layout with a pickle payload: protocol 4 header bytes,
	// opaque to us. The header has no payload_encoding.
	hdr := []byte(`{"recipe_name":"ref","recipe_hash":"` + strings.Repeat("0", 64) + `","recotem_version":"2.1.0.dev0",` +
		`"irspack_version":"0.4.0","trained_at":"2026-05-01T00:00:00Z","best_class":"TopPopRecommender","best_params":{},` +
		`"best_score":0.1,"metric":"ndcg","cutoff":10,"tuning":{"tried_algorithms":["TopPopRecommender"],"n_trials":1,` +
		`"n_completed":1,"n_orphaned":0,"best_trial_number":0,"search_seed":0},"data_stats":{"n_rows":1,"n_users":1,` +
		`"n_items":1,"drop_count":0,"dedup_policy":"keep_last"}}`)
	pickle := []byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94.")
	b := small(t, "active", keyActive, hdr, pickle)
	a, err := OpenBytes(b, Options{Ring: activeRing(t)})
	if err != nil {
		t.Fatalf("reference artifact: %v", err)
	}
	if a.Header().IrspackVersion != "0.4.0" || a.Header().BestClass != "TopPopRecommender" {
		t.Errorf("header %+v", a.Header())
	}
	_, err = a.Payload()
	if err == nil || exitcode.Of(err) != exitcode.Artifact || exitcode.ReasonOf(err) != ReasonDeserialize ||
		!strings.Contains(err.Error(), "retrain") {
		t.Errorf("pickle payload: %v", err)
	}
	// A foreign encoding name is refused the same way.
	b = small(t, "active", keyActive, []byte(`{"payload_encoding":"recotem-go/99"}`), nil)
	a, err = OpenBytes(b, Options{Ring: activeRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Payload(); err == nil || !strings.Contains(err.Error(), "'recotem-go/99'") {
		t.Errorf("foreign encoding: %v", err)
	}
}

func TestBadPayloadTOC(t *testing.T) {
	b := small(t, "active", keyActive, []byte(`{"payload_encoding":"recotem-go/1"}`), []byte("RGOPAY1\x00garbage"))
	a, err := OpenBytes(b, Options{Ring: activeRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Payload(); err == nil || exitcode.Of(err) != exitcode.Artifact || exitcode.ReasonOf(err) != ReasonDeserialize {
		t.Errorf("bad TOC: %v", err)
	}
}

func TestEveryKidLenAndHeaderLen(t *testing.T) {
	good := small(t, "active", keyActive, []byte(`{"a":1}`), []byte("payload-bytes-0123456789"))
	r := activeRing(t)
	for kl := 0; kl < 256; kl++ {
		b := append([]byte(nil), good...)
		b[12] = byte(kl)
		err := openErr(t, b, r, Caps{})
		if kl == 6 {
			if err != nil {
				t.Fatalf("unchanged kid_len: %v", err)
			}
			continue
		}
		if err == nil || exitcode.Of(err) != exitcode.Artifact {
			t.Fatalf("kid_len %d: %v", kl, err)
		}
	}
	lens := []uint32{MaxHeaderLen - 1, MaxHeaderLen, MaxHeaderLen + 1, 1<<31 - 1, 1 << 31, 1<<32 - 1}
	for n := uint32(0); n < 300; n++ {
		lens = append(lens, n)
	}
	for i := 0; i < 32; i++ {
		lens = append(lens, 1<<i-1, 1<<i, 1<<i+1)
	}
	for _, hl := range lens {
		b := append([]byte(nil), good...)
		binary.LittleEndian.PutUint32(b[45+6:], hl)
		err := openErr(t, b, r, Caps{})
		if hl == 7 {
			if err != nil {
				t.Fatalf("unchanged header_len: %v", err)
			}
			continue
		}
		if err == nil || exitcode.Of(err) != exitcode.Artifact {
			t.Fatalf("header_len %d: %v", hl, err)
		}
	}
}

func TestConcurrentPayload(t *testing.T) {
	a, err := OpenBytes(encodeTest(t, activeRing(t)).Bytes(), Options{Ring: activeRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 8 {
		go func() {
			pr, err := a.Payload()
			if err == nil {
				_, err = pr.Strings("item_ids")
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
