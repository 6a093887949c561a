package source

import (
	"archive/zip"
	"compress/bzip2"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/codelibs/recotem-go/pkg/source/rawfile"
)

// decompress wraps the raw bytes of rf in the decompressor named by comp
// (see compressionOf). The returned closer releases decoder resources.
func decompress(rf *rawfile.File, comp string) (io.Reader, func(), error) {
	nop := func() {}
	switch comp {
	case "":
		return rf, nop, nil
	case "gzip":
		z, err := gzip.NewReader(rf)
		if err != nil {
			return nil, nop, err
		}
		return z, func() { z.Close() }, nil
	case "bz2":
		return bzip2.NewReader(rf), nop, nil
	case "xz":
		z, err := xz.NewReader(rf)
		if err != nil {
			return nil, nop, err
		}
		return z, nop, nil
	case "zstd":
		z, err := zstd.NewReader(rf, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nop, err
		}
		return z, z.Close, nil
	case "zip":
		// A zip archive needs random access: the sha256 is checked over the
		// whole file first (the stat pre-check already bounded its size).
		ra, size, err := rf.ReaderAt()
		if err != nil {
			return nil, nop, err
		}
		if err := rf.VerifyWhole(); err != nil {
			return nil, nop, err
		}
		zr, err := zip.NewReader(ra, size)
		if err != nil {
			return nil, nop, err
		}
		var files []*zip.File
		for _, f := range zr.File {
			if !strings.HasSuffix(f.Name, "/") {
				files = append(files, f)
			}
		}
		switch len(files) {
		case 0:
			return nil, nop, fmt.Errorf("zero files found in ZIP file")
		case 1:
		default:
			return nil, nop, fmt.Errorf("multiple files found in ZIP file; only one file per ZIP allowed")
		}
		r, err := files[0].Open()
		if err != nil {
			return nil, nop, err
		}
		return r, func() { r.Close() }, nil
	}
	return nil, nop, fmt.Errorf("unknown compression %q", comp)
}

// textEncoding maps a Python codec name to a decoder. It returns nil for
// UTF-8, which needs no transformation (a BOM is skipped by the reader).
// Python spellings are accepted: case-insensitive, `_` and `-` alike.
func textEncoding(name string) (encoding.Encoding, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.ReplaceAll(n, "_", "-")
	switch n {
	case "", "utf-8", "utf8", "u8", "utf", "utf-8-sig", "utf8-sig", "ascii", "us-ascii", "646":
		return nil, nil
	case "latin-1", "latin1", "iso-8859-1", "iso8859-1", "8859", "cp819", "l1", "latin":
		return charmap.ISO8859_1, nil
	case "cp1252", "windows-1252":
		return charmap.Windows1252, nil
	case "shift-jis", "shiftjis", "sjis", "s-jis", "cp932", "932", "ms932", "mskanji", "ms-kanji", "windows-31j":
		return japanese.ShiftJIS, nil
	case "euc-jp", "eucjp", "ujis", "u-jis":
		return japanese.EUCJP, nil
	case "iso-2022-jp", "iso2022-jp", "iso2022jp", "csiso2022jp":
		return japanese.ISO2022JP, nil
	case "utf-16", "utf16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), nil
	case "utf-16-le", "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), nil
	case "utf-16-be", "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), nil
	}
	if e, err := htmlindex.Get(n); err == nil {
		return e, nil
	}
	if strings.HasPrefix(n, "cp") {
		if e, err := htmlindex.Get("windows-" + n[2:]); err == nil {
			return e, nil
		}
	}
	return nil, fmt.Errorf("unknown encoding: %s", name)
}
