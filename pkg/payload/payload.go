// Package payload implements "recotem-go/1", the payload encoding of the
// artifacts written by recotem in Go: a small table of contents of named,
// typed, little-endian arrays, each 64-byte aligned in the artifact file so
// that a memory-mapped artifact hands out zero-copy slices.
//
// The package knows nothing about algorithms; they register their own
// sections through the algo.Encoder and algo.Decoder interfaces, which
// Writer and Reader implement.
//
// # Layout
//
// All integers are little-endian; offsets are relative to the payload start.
//
//	prelude (32 bytes)
//	  0   8  magic "RGOPAY1\x00"
//	  8   4  u32 section count C (≤ MaxSections)
//	  12  4  u32 TOC size T in bytes (the entries below, names included)
//	  16  16 reserved, zero
//	TOC (T bytes at offset 32): C entries, packed
//	  0   1  type (see Type)
//	  1   1  reserved, zero
//	  2   2  u16 name length L (1..MaxNameLen)
//	  4   4  reserved, zero
//	  8   8  u64 offset of the section data
//	  16  8  u64 length of the section data in bytes
//	  24  8  u64 element count
//	  32  L  name (UTF-8)
//	section data, each starting at an offset o ≥ 32+T, zero padding between
//
// Element counts: f32/i32 length/4, f64/i64 length/8, bytes and json the
// length; a string table of n strings stores n+1 u64 offsets (starting at 0,
// non-decreasing, the last equal to the number of string bytes) followed by
// the concatenated UTF-8 bytes, and its count is n.
//
// # Alignment
//
// The container puts the payload at file offset 49+K+N (K kid length, N
// header length), which is not aligned. The writer knows that offset
// ("base") and pads so that base+o is a multiple of 64 for every section
// offset o: sections are aligned in the FILE. A memory-mapped file starts on
// a page boundary, so the sections are aligned in memory too and the reader
// returns slices that alias the mapping (unsafe.Slice). When a section's
// address is not aligned to its element size (payload bytes copied to an
// arbitrary buffer), or on a big-endian host, the reader decodes a copy
// instead; the result is the same.
//
// # Robustness
//
// Every offset and length is checked against the payload size before use,
// with overflow-safe arithmetic. A malformed table of contents yields an
// error carrying exitcode.Artifact with reason "deserialize"; it never
// panics, and the reader allocates at most a bounded table (MaxSections
// entries) plus, for string tables and JSON, memory proportional to the
// section's own length.
//
// # No reflection
//
// Nothing in a payload is decoded by reflection (no gob, no
// json.Unmarshal): numeric sections are views or little-endian loops, and
// the small JSON sections (an algorithm's configuration, the model's class
// name) are read from encoding/json's token stream as a flat object of
// scalars (Reader.Object, DecodeObject) or a single string
// (Reader.JSONString), within MaxObjectBytes and MaxObjectFields. The
// writer still produces that JSON with encoding/json.
package payload

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// Encoding is the name of this encoding in the artifact header
// ("payload_encoding").
const Encoding = "recotem-go/1"

// Layout constants.
const (
	Magic       = "RGOPAY1\x00"
	preludeSize = 32
	entrySize   = 32
	// Align is the alignment of every section in the artifact file.
	Align = 64
	// MaxSections bounds the number of sections in a payload.
	MaxSections = 4096
	// MaxNameLen bounds a section name in bytes.
	MaxNameLen = 255
)

// Type is the element type of a section.
type Type uint8

// Section types.
const (
	F32     Type = 1
	F64     Type = 2
	I32     Type = 3
	I64     Type = 4
	Bytes   Type = 5
	Strings Type = 6
	JSON    Type = 7
)

var typeNames = [...]string{"", "f32", "f64", "i32", "i64", "bytes", "strings", "json"}

// String returns the type's short name, e.g. "f32".
func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// MarshalText returns the type's short name.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// elemSize returns the byte size of one element of a numeric type, 1 for
// bytes and json, 0 for strings.
func (t Type) elemSize() uint64 {
	switch t {
	case F32, I32:
		return 4
	case F64, I64:
		return 8
	case Bytes, JSON:
		return 1
	}
	return 0
}

// Section describes one section of a payload.
type Section struct {
	Name   string `json:"name"`
	Type   Type   `json:"type"`
	Count  uint64 `json:"length"` // elements (strings for a string table)
	Bytes  uint64 `json:"bytes"`
	Offset uint64 `json:"offset"` // from the payload start
}

// littleEndian reports whether the host stores integers little-endian, so
// that section bytes can be viewed as typed slices without decoding.
var littleEndian = func() bool {
	b := [2]byte{1, 0}
	return binary.NativeEndian.Uint16(b[:]) == 1
}()

// errorf returns a payload error: exit code 5, reason "deserialize".
func errorf(format string, args ...any) error {
	return exitcode.Reasoned(exitcode.Artifact, "deserialize", "payload: "+format, args...)
}

// byteView returns the bytes of a typed slice without copying.
func byteView[T int32 | int64 | float32 | float64](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(zero)))
}
