package payload

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Writer collects sections and lays them out as a payload. It implements
// algo.Encoder. Numeric slices are referenced, not copied (on little-endian
// hosts): they must not be modified until the payload has been written.
//
// The Encoder methods return no error; a bad or duplicate name is recorded
// and reported by Chunks.
type Writer struct {
	secs  []wsec
	names map[string]bool
	err   error
}

type wsec struct {
	name  string
	typ   Type
	count uint64
	data  [][]byte // concatenated in order
	size  uint64
}

// NewWriter returns an empty payload writer.
func NewWriter() *Writer { return &Writer{names: map[string]bool{}} }

func (w *Writer) add(name string, t Type, count uint64, data ...[]byte) {
	if w.err != nil {
		return
	}
	switch {
	case name == "" || len(name) > MaxNameLen:
		w.err = fmt.Errorf("payload section name %q: must be 1..%d bytes", name, MaxNameLen)
		return
	case !utf8.ValidString(name):
		w.err = fmt.Errorf("payload section name %q: not valid UTF-8", name)
		return
	case w.names[name]:
		w.err = fmt.Errorf("payload section %q written twice", name)
		return
	case len(w.secs) >= MaxSections:
		w.err = fmt.Errorf("payload section %q: more than %d sections", name, MaxSections)
		return
	}
	var size uint64
	for _, d := range data {
		size += uint64(len(d))
	}
	w.names[name] = true
	w.secs = append(w.secs, wsec{name: name, typ: t, count: count, data: data, size: size})
}

// Float32 adds a float32 section.
func (w *Writer) Float32(name string, v []float32) { addNumbers(w, name, F32, v) }

// Float64 adds a float64 section.
func (w *Writer) Float64(name string, v []float64) { addNumbers(w, name, F64, v) }

// Int32 adds an int32 section.
func (w *Writer) Int32(name string, v []int32) { addNumbers(w, name, I32, v) }

// Int64 adds an int64 section.
func (w *Writer) Int64(name string, v []int64) { addNumbers(w, name, I64, v) }

// addNumbers adds a section of fixed-size numbers: the slice itself on
// little-endian hosts, a little-endian copy elsewhere.
func addNumbers[T int32 | int64 | float32 | float64](w *Writer, name string, t Type, v []T) {
	if littleEndian {
		w.add(name, t, uint64(len(v)), byteView(v))
		return
	}
	b, err := binary.Append(nil, binary.LittleEndian, v)
	if err != nil { // unreachable: v is a slice of fixed-size numbers
		w.err = fmt.Errorf("payload section %q: %w", name, err)
		return
	}
	w.add(name, t, uint64(len(v)), b)
}

// Bytes adds a raw byte section (referenced, not copied).
func (w *Writer) Bytes(name string, v []byte) {
	w.add(name, Bytes, uint64(len(v)), v)
}

// Strings adds a string table: n+1 u64 offsets, then the string bytes.
func (w *Writer) Strings(name string, v []string) {
	offs := make([]byte, 8*(len(v)+1))
	var total uint64
	for i, s := range v {
		total += uint64(len(s))
		binary.LittleEndian.PutUint64(offs[8*(i+1):], total)
	}
	data := make([]byte, 0, total)
	for _, s := range v {
		data = append(data, s...)
	}
	w.add(name, Strings, uint64(len(v)), offs, data)
}

// JSON adds a JSON document (encoding/json, compact, HTML characters not
// escaped).
func (w *Writer) JSON(name string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("payload section %q: %w", name, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.add(name, JSON, uint64(len(b)), b)
	return nil
}

// Err returns the first recorded error (bad or duplicate section name).
func (w *Writer) Err() error { return w.err }

// Chunks lays the payload out for an artifact whose payload starts at file
// offset base and returns it as byte chunks to be written in order (the
// numeric sections alias the slices given to the writer). Every section
// starts at a file offset that is a multiple of Align.
func (w *Writer) Chunks(base int64) ([][]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	toc := 0
	for _, s := range w.secs {
		toc += entrySize + len(s.name)
	}
	head := make([]byte, preludeSize+toc)
	copy(head, Magic)
	binary.LittleEndian.PutUint32(head[8:], uint32(len(w.secs)))
	binary.LittleEndian.PutUint32(head[12:], uint32(toc))

	zeros := make([]byte, Align)
	chunks := [][]byte{head}
	off := uint64(len(head))
	p := preludeSize
	for _, s := range w.secs {
		pad := (Align - (uint64(base)+off)%Align) % Align
		if pad > 0 {
			chunks = append(chunks, zeros[:pad])
			off += pad
		}
		e := head[p:]
		e[0] = byte(s.typ)
		binary.LittleEndian.PutUint16(e[2:], uint16(len(s.name)))
		binary.LittleEndian.PutUint64(e[8:], off)
		binary.LittleEndian.PutUint64(e[16:], s.size)
		binary.LittleEndian.PutUint64(e[24:], s.count)
		copy(e[entrySize:], s.name)
		p += entrySize + len(s.name)
		for _, d := range s.data {
			if len(d) > 0 {
				chunks = append(chunks, d)
			}
		}
		off += s.size
	}
	return chunks, nil
}

// Encode returns the payload as one contiguous buffer laid out for file
// offset base (a copy; tests and small payloads).
func (w *Writer) Encode(base int64) ([]byte, error) {
	chunks, err := w.Chunks(base)
	if err != nil {
		return nil, err
	}
	return bytes.Join(chunks, nil), nil
}
