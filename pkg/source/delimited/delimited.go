// Package delimited reads delimited text (CSV, TSV and friends) fast.
//
// A Reader splits records with the rules of the pandas C tokenizer that the
// reference implementation relies on: RFC 4180 double-quote quoting (a quote
// is special only at the start of a field; "" inside a quoted field is one
// quote; characters after a closing quote are kept), quoted fields may span
// lines, LF and CRLF line ends, blank lines skipped, a leading UTF-8 byte
// order mark ignored.
//
// Records without a quote character take a byte-level fast path that only
// searches for the delimiter and the line end; a record containing a quote is
// parsed again with the full quoting rules. The fields returned by Read alias
// the Reader's buffer and are valid only until the next call to Read.
package delimited

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxRecordBytes bounds one record (including quoted newlines); a longer
// record is an error rather than unbounded buffering, so garbage input with
// an unterminated quote cannot exhaust memory.
const MaxRecordBytes = 64 << 20

// WhitespaceDelimiter is the pandas regular expression `\s+`, the one
// multi-character delimiter that is interpreted as a pattern: a run of spaces
// and tabs separates fields and leading blanks of a line are ignored.
const WhitespaceDelimiter = `\s+`

// Options configure a Reader.
type Options struct {
	// Delimiter separates fields: one byte or character (literal), a
	// multi-character literal string, or WhitespaceDelimiter. Empty means ",".
	Delimiter string
}

// ErrRecordTooLong is returned for a record longer than MaxRecordBytes.
var ErrRecordTooLong = errors.New("record exceeds 64 MiB (unterminated quote?)")

// Reader reads records from delimited text.
type Reader struct {
	r   io.Reader
	buf []byte
	pos int // start of the unread input in buf
	end int // end of valid data in buf
	eof bool
	err error // sticky read error, reported once buffered data is consumed

	delim     []byte
	delimByte byte
	single    bool // one-byte delimiter
	ws        bool // `\s+`

	started bool
	fields  [][]byte
	offs    []int
	scratch []byte
	line    int64 // 1-based line number of the start of the last record
	next    int64 // line number of the next unread byte
}

// NewReader returns a Reader over r. It fails for an empty delimiter after
// defaulting or one that contains a quote or a line end.
func NewReader(r io.Reader, opt Options) (*Reader, error) {
	d := opt.Delimiter
	if d == "" {
		d = ","
	}
	rd := &Reader{r: r, buf: make([]byte, 256<<10), next: 1}
	switch {
	case d == WhitespaceDelimiter:
		rd.ws = true
	case len(d) == 1:
		rd.single = true
		rd.delimByte = d[0]
		rd.delim = []byte(d)
	default:
		rd.delim = []byte(d)
	}
	if bytes.ContainsAny(rd.delim, "\"\r\n") {
		return nil, fmt.Errorf("delimiter %q may not contain a quote or a line end", d)
	}
	return rd, nil
}

// Line returns the 1-based line number at which the last record returned by
// Read starts.
func (r *Reader) Line() int64 { return r.line }

// fill moves unread data to the front of the buffer, grows it if it is full
// and reads more input. It sets r.eof at the end of the input.
func (r *Reader) fill() error { return r.fillN(false) }

// fillN is fill; with full it reads until the buffer is full, so that an
// incomplete quoted record is re-parsed once per buffer growth rather than
// once per short read.
func (r *Reader) fillN(full bool) error {
	if r.eof {
		return nil
	}
	if r.pos > 0 {
		n := copy(r.buf, r.buf[r.pos:r.end])
		r.end = n
		r.pos = 0
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= MaxRecordBytes {
			return ErrRecordTooLong
		}
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for tries := 0; tries < 100 && r.end < len(r.buf); {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		if err == io.EOF {
			r.eof = true
			break
		}
		if err != nil {
			r.eof = true
			r.err = err
			break
		}
		if n == 0 {
			tries++
			continue
		}
		if !full {
			break
		}
	}
	if !r.eof && r.end == 0 {
		r.eof = true
		r.err = io.ErrNoProgress
	}
	if !r.started && (r.end >= 3 || r.eof) {
		r.started = true
		if bytes.HasPrefix(r.buf[r.pos:r.end], []byte("\xef\xbb\xbf")) {
			r.pos += 3
		}
	}
	return nil
}

// Read returns the fields of the next non-blank record, or io.EOF after
// the last one. The slices are valid until the next call.
func (r *Reader) Read() ([][]byte, error) {
	for {
		if !r.started {
			// Fill until the byte order mark can be recognised.
			if err := r.fill(); err != nil {
				return nil, err
			}
			continue
		}
		i := bytes.IndexByte(r.buf[r.pos:r.end], '\n')
		if i < 0 && !r.eof {
			if err := r.fill(); err != nil {
				return nil, err
			}
			continue
		}
		if i < 0 && r.pos == r.end {
			if r.err != nil {
				err := r.err
				r.err = nil
				return nil, err
			}
			return nil, io.EOF
		}
		var line []byte
		adv := 0
		if i < 0 {
			line = r.buf[r.pos:r.end]
			adv = len(line)
		} else {
			line = r.buf[r.pos : r.pos+i]
			adv = i + 1
		}
		if bytes.IndexByte(line, '"') >= 0 {
			f, err := r.readQuoted()
			if err != nil {
				return nil, err
			}
			return f, nil
		}
		r.line = r.next
		r.next++
		r.pos += adv
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if r.blank(line) {
			continue
		}
		return r.split(line), nil
	}
}

// blank reports whether a line has no content: empty, or only blanks that
// are not the delimiter (pandas skips such lines).
func (r *Reader) blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' {
			return false
		}
		if !r.ws && r.single && c == r.delimByte {
			return false
		}
	}
	return true
}

// split splits a line that contains no quote character.
func (r *Reader) split(line []byte) [][]byte {
	f := r.fields[:0]
	switch {
	case r.single:
		d := r.delimByte
		for {
			j := bytes.IndexByte(line, d)
			if j < 0 {
				f = append(f, line)
				break
			}
			f = append(f, line[:j])
			line = line[j+1:]
		}
	case r.ws:
		line = trimLeftBlank(line)
		for len(line) > 0 {
			j := bytes.IndexAny(line, " \t")
			if j < 0 {
				f = append(f, line)
				break
			}
			f = append(f, line[:j])
			line = trimLeftBlank(line[j:])
		}
	default:
		for {
			j := bytes.Index(line, r.delim)
			if j < 0 {
				f = append(f, line)
				break
			}
			f = append(f, line[:j])
			line = line[j+len(r.delim):]
		}
	}
	r.fields = f
	return f
}

func trimLeftBlank(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// delimAt returns the length of the delimiter starting at b[0], or 0.
func (r *Reader) delimAt(b []byte) int {
	switch {
	case r.single:
		if b[0] == r.delimByte {
			return 1
		}
	case r.ws:
		n := 0
		for n < len(b) && (b[n] == ' ' || b[n] == '\t') {
			n++
		}
		return n
	default:
		if bytes.HasPrefix(b, r.delim) {
			return len(r.delim)
		}
	}
	return 0
}

// parse states of the quoting state machine.
const (
	stFieldStart = iota
	stField
	stQuoted
	stQuoteInQuoted
)

// readQuoted parses one record starting at r.pos with the full quoting rules,
// refilling the buffer while the record is incomplete.
func (r *Reader) readQuoted() ([][]byte, error) {
	for {
		fields, consumed, lines, complete, err := r.parseQuoted(r.buf[r.pos:r.end], r.eof)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", r.next, err)
		}
		if complete {
			r.line = r.next
			r.next += lines
			r.pos += consumed
			return fields, nil
		}
		if err := r.fillN(true); err != nil {
			return nil, fmt.Errorf("line %d: %w", r.next, err)
		}
	}
}

// parseQuoted runs the quoting state machine over b. complete is false when
// b ends inside the record and more input may follow.
func (r *Reader) parseQuoted(b []byte, eof bool) (fields [][]byte, consumed int, lines int64, complete bool, err error) {
	s := r.scratch[:0]
	offs := r.offs[:0]
	state := stFieldStart
	i := 0
	if r.ws {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
	}
	endField := func() { offs = append(offs, len(s)) }
	done := false
	for !done {
		if i >= len(b) {
			if !eof {
				return nil, 0, 0, false, nil
			}
			if state == stQuoted {
				return nil, 0, 0, false, errors.New("EOF inside string")
			}
			endField()
			lines++
			break
		}
		c := b[i]
		switch state {
		case stQuoted:
			if c == '"' {
				state = stQuoteInQuoted
			} else {
				if c == '\n' {
					lines++
				}
				s = append(s, c)
			}
			i++
			continue
		case stQuoteInQuoted:
			if c == '"' {
				s = append(s, '"')
				state = stQuoted
				i++
				continue
			}
		case stFieldStart:
			if c == '"' {
				state = stQuoted
				i++
				continue
			}
		}
		// stField, stFieldStart (non-quote) and stQuoteInQuoted (non-quote).
		if c == '\n' || (c == '\r' && i+1 < len(b) && b[i+1] == '\n') || (c == '\r' && i+1 == len(b) && eof) {
			endField()
			if c == '\r' && i+1 < len(b) {
				i++
			}
			i++
			lines++
			done = true
			continue
		}
		if c == '\r' && i+1 == len(b) {
			// A CR at the end of the buffer: need one more byte to decide.
			return nil, 0, 0, false, nil
		}
		if n := r.delimAt(b[i:]); n > 0 {
			if r.ws {
				// Trailing blanks before the line end do not start a field.
				j := i + n
				if j >= len(b) && !eof {
					return nil, 0, 0, false, nil
				}
				if j >= len(b) || b[j] == '\n' || (b[j] == '\r') {
					i = j
					continue
				}
			}
			endField()
			state = stFieldStart
			i += n
			continue
		}
		s = append(s, c)
		state = stField
		i++
	}
	r.scratch = s
	r.offs = offs
	f := r.fields[:0]
	start := 0
	for _, o := range offs {
		f = append(f, s[start:o:o])
		start = o
	}
	r.fields = f
	return f, i, lines, true, nil
}
