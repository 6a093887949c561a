package payload

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
	"unsafe"
)

// Reader reads the sections of a payload. It implements algo.Decoder.
// Numeric and byte sections alias the payload bytes (zero-copy when they are
// aligned, see the package comment) and must not be modified; they stay valid
// only as long as the payload bytes do (for a memory-mapped artifact: until
// the artifact is closed). Strings and JSON are always copied. JSON
// sections are decoded without reflection (Object, JSONString).
//
// A Reader is safe for concurrent use.
type Reader struct {
	b     []byte
	secs  []Section
	index map[string]int
}

// NewReader parses and validates the table of contents of payload b.
func NewReader(b []byte) (*Reader, error) {
	size := uint64(len(b))
	if size < preludeSize {
		return nil, errorf("%d bytes is too short for a %s payload", size, Encoding)
	}
	if string(b[:8]) != Magic {
		return nil, errorf("bad magic: not a %s payload", Encoding)
	}
	count := uint64(binary.LittleEndian.Uint32(b[8:]))
	tocSize := uint64(binary.LittleEndian.Uint32(b[12:]))
	for _, x := range b[16:preludeSize] {
		if x != 0 {
			return nil, errorf("reserved prelude bytes are not zero")
		}
	}
	if count > MaxSections {
		return nil, errorf("%d sections exceed the limit of %d", count, MaxSections)
	}
	if tocSize > size-preludeSize {
		return nil, errorf("table of contents of %d bytes exceeds the payload (%d bytes)", tocSize, size)
	}
	if count > tocSize/(entrySize+1) {
		return nil, errorf("table of contents of %d bytes cannot hold %d sections", tocSize, count)
	}
	dataStart := preludeSize + tocSize
	toc := b[preludeSize:dataStart]
	r := &Reader{b: b, secs: make([]Section, 0, count), index: make(map[string]int, count)}
	p := uint64(0)
	for i := uint64(0); i < count; i++ {
		if uint64(len(toc))-p < entrySize {
			return nil, errorf("table of contents entry %d is truncated", i)
		}
		e := toc[p : p+entrySize]
		t := Type(e[0])
		nameLen := uint64(binary.LittleEndian.Uint16(e[2:]))
		off := binary.LittleEndian.Uint64(e[8:])
		length := binary.LittleEndian.Uint64(e[16:])
		n := binary.LittleEndian.Uint64(e[24:])
		if e[1] != 0 || binary.LittleEndian.Uint32(e[4:]) != 0 {
			return nil, errorf("table of contents entry %d: reserved bytes are not zero", i)
		}
		if nameLen == 0 || nameLen > MaxNameLen || nameLen > uint64(len(toc))-p-entrySize {
			return nil, errorf("table of contents entry %d: bad name length %d", i, nameLen)
		}
		nb := toc[p+entrySize : p+entrySize+nameLen]
		p += entrySize + nameLen
		if !utf8.Valid(nb) {
			return nil, errorf("table of contents entry %d: name is not valid UTF-8", i)
		}
		name := string(nb)
		if _, dup := r.index[name]; dup {
			return nil, errorf("section %q appears twice", name)
		}
		if t < F32 || t > JSON {
			return nil, errorf("section %q: unknown type %d", name, uint8(t))
		}
		if off < dataStart || off > size || length > size-off {
			return nil, errorf("section %q: bytes [%d, +%d) outside the payload data [%d, %d)", name, off, length, dataStart, size)
		}
		if es := t.elemSize(); es > 0 {
			if length%es != 0 || n != length/es {
				return nil, errorf("section %q: %d bytes do not hold %d %s elements", name, length, n, t)
			}
		} else if n >= length/8 { // strings: n+1 offsets must fit
			return nil, errorf("section %q: %d bytes cannot hold a table of %d strings", name, length, n)
		}
		r.index[name] = len(r.secs)
		r.secs = append(r.secs, Section{Name: name, Type: t, Count: n, Bytes: length, Offset: off})
	}
	if p != uint64(len(toc)) {
		return nil, errorf("table of contents has %d trailing bytes", uint64(len(toc))-p)
	}
	return r, nil
}

// Size returns the payload size in bytes.
func (r *Reader) Size() int { return len(r.b) }

// Sections returns the table of contents in payload order.
func (r *Reader) Sections() []Section { return append([]Section(nil), r.secs...) }

// Has reports whether the payload has a section called name.
func (r *Reader) Has(name string) bool {
	_, ok := r.index[name]
	return ok
}

// section returns the data of section name, which must be of type t.
func (r *Reader) section(name string, t Type) (Section, []byte, error) {
	i, ok := r.index[name]
	if !ok {
		return Section{}, nil, errorf("section %q not found", name)
	}
	s := r.secs[i]
	if s.Type != t {
		return Section{}, nil, errorf("section %q is %s, want %s", name, s.Type, t)
	}
	return s, r.b[s.Offset : s.Offset+s.Bytes], nil
}

// Float32 returns a float32 section.
func (r *Reader) Float32(name string) ([]float32, error) {
	_, b, err := r.section(name, F32)
	if err != nil {
		return nil, err
	}
	if v, ok := view[float32](b); ok {
		return v, nil
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// Float64 returns a float64 section.
func (r *Reader) Float64(name string) ([]float64, error) {
	_, b, err := r.section(name, F64)
	if err != nil {
		return nil, err
	}
	if v, ok := view[float64](b); ok {
		return v, nil
	}
	v := make([]float64, len(b)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return v, nil
}

// Int32 returns an int32 section.
func (r *Reader) Int32(name string) ([]int32, error) {
	_, b, err := r.section(name, I32)
	if err != nil {
		return nil, err
	}
	if v, ok := view[int32](b); ok {
		return v, nil
	}
	v := make([]int32, len(b)/4)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// Int64 returns an int64 section.
func (r *Reader) Int64(name string) ([]int64, error) {
	_, b, err := r.section(name, I64)
	if err != nil {
		return nil, err
	}
	if v, ok := view[int64](b); ok {
		return v, nil
	}
	v := make([]int64, len(b)/8)
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return v, nil
}

// Bytes returns a byte section; it aliases the payload.
func (r *Reader) Bytes(name string) ([]byte, error) {
	_, b, err := r.section(name, Bytes)
	return b, err
}

// Strings returns a string table as newly allocated strings (they do not
// alias the payload, so they outlive a memory-mapped artifact). The offsets
// are validated first: they start at 0, never decrease, end at the number
// of string bytes, and every string is valid UTF-8.
func (r *Reader) Strings(name string) ([]string, error) {
	s, b, err := r.section(name, Strings)
	if err != nil {
		return nil, err
	}
	n := s.Count
	head := 8 * (n + 1) // n < len(b)/8 was checked by NewReader
	data := b[head:]
	prev := uint64(0)
	if binary.LittleEndian.Uint64(b) != 0 {
		return nil, errorf("section %q: first string offset is not 0", name)
	}
	for i := uint64(1); i <= n; i++ {
		o := binary.LittleEndian.Uint64(b[8*i:])
		if o < prev || o > uint64(len(data)) {
			return nil, errorf("section %q: string offset %d out of order or range", name, i)
		}
		prev = o
	}
	if prev != uint64(len(data)) {
		return nil, errorf("section %q: string offsets end at %d, data has %d bytes", name, prev, len(data))
	}
	all := string(data) // one copy for all strings
	out := make([]string, n)
	prev = 0
	for i := uint64(1); i <= n; i++ {
		o := binary.LittleEndian.Uint64(b[8*i:])
		out[i-1] = all[prev:o]
		if !utf8.ValidString(out[i-1]) {
			return nil, errorf("section %q: string %d is not valid UTF-8", name, i-1)
		}
		prev = o
	}
	return out, nil
}

// view returns b as a []T without copying when the host is little-endian
// and b is suitably aligned.
func view[T int32 | int64 | float32 | float64](b []byte) ([]T, bool) {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(b) == 0 {
		return []T{}, true
	}
	if !littleEndian || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%uintptr(size) != 0 {
		return nil, false
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/size), true
}
