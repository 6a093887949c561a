package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

// collect is a Sink that keeps every row as text.
type collect struct {
	h    Header
	rows [][3]string
}

func (c *collect) Begin(h Header) error { c.h = h; return nil }

func (c *collect) Row(r *Row) error {
	var t string
	switch r.Time.Kind {
	case TimeNone:
		t = "-"
	case TimeNull:
		t = "<null>"
	case TimeText:
		t = "text:" + string(r.Time.Text)
	case TimeInt:
		t = fmt.Sprintf("int:%d", r.Time.Int)
	case TimeFloat:
		t = fmt.Sprintf("float:%g", r.Time.Float)
	case TimeBool:
		t = fmt.Sprintf("bool:%d", r.Time.Int)
	case TimeInstant:
		t = "at:" + r.Time.Instant.UTC().Format("2006-01-02T15:04:05.999999999Z")
	}
	c.rows = append(c.rows, [3]string{idStr(r.User, r.UserNull), idStr(r.Item, r.ItemNull), t})
	return nil
}

func idStr(b []byte, null bool) string {
	if null {
		return "<null>"
	}
	return string(b)
}

func (c *collect) String() string {
	var b strings.Builder
	for _, r := range c.rows {
		fmt.Fprintf(&b, "%s|%s|%s\n", r[0], r[1], r[2])
	}
	return b.String()
}

func env(vars map[string]string) Env {
	return Env{Getenv: func(k string) string { return vars[k] }, Plugins: NewRegistry()}
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func hexSHA(b []byte) *string {
	s := sha256.Sum256(b)
	h := hex.EncodeToString(s[:])
	return &h
}

var uiCols = Columns{User: "user_id", Item: "item_id"}

func TestCSV(t *testing.T) {
	zero := strings.Repeat("0", 64)
	plain := []byte("user_id,item_id\nu1,i1\nu2,i2\n")
	cases := []struct {
		name    string
		file    string
		data    []byte
		cfg     recipe.CSVSource
		cols    Columns
		vars    map[string]string
		want    string
		code    int
		errHas  string
		columns string
	}{
		{name: "basic", file: "a.csv", data: []byte("user_id,item_id\nu1,i1\nu2,i2"), want: "u1|i1|-\nu2|i2|-\n", columns: "user_id,item_id"},
		{name: "tsv", file: "a.tsv", data: []byte("user_id\titem_id\nu1\ti1\n"), cfg: recipe.CSVSource{Delimiter: "\t"}, want: "u1|i1|-\n"},
		{name: "ids exact text", file: "a.csv", data: []byte("user_id,item_id\n007,1e3\n12,0x1\n"), cfg: recipe.CSVSource{Dtype: map[string]string{"user_id": "str"}}, want: "007|1e3|-\n12|0x1|-\n"},
		{name: "na strings", file: "a.csv", data: []byte("user_id,item_id\nNA,i1\nu2,\n,null\nnan,None\nn/a,#N/A\nu3,NaNs\n"), want: "<null>|i1|-\nu2|<null>|-\n<null>|<null>|-\n<null>|<null>|-\n<null>|<null>|-\nu3|NaNs|-\n"},
		{name: "quoting", file: "a.csv", data: []byte("user_id,item_id\n\"u,1\",\"i \"\"x\"\"\"\n\"multi\nline\",i2\nu\"3,i3\n"), want: "u,1|i \"x\"|-\nmulti\nline|i2|-\nu\"3|i3|-\n"},
		{name: "bom crlf blank", file: "a.csv", data: []byte("\xef\xbb\xbfuser_id,item_id\r\n\r\nu1,i1\r\n\r\nu2,i2\r\n"), want: "u1|i1|-\nu2|i2|-\n"},
		{name: "header index", file: "a.csv", data: []byte("junk line\nuser_id,item_id\nu1,i1\n"), cfg: recipe.CSVSource{Header: 1}, want: "u1|i1|-\n"},
		{name: "short row pads null", file: "a.csv", data: []byte("user_id,item_id,ts\nu1,i1\n"), cols: Columns{User: "user_id", Item: "item_id", Time: "ts"}, want: "u1|i1|<null>\n"},
		{name: "time text", file: "a.csv", data: []byte("user_id,item_id,ts\nu1,i1,2024-01-01\nu2,i2,\n"), cols: Columns{User: "user_id", Item: "item_id", Time: "ts"}, want: "u1|i1|text:2024-01-01\nu2|i2|<null>\n"},
		{name: "time dtype int", file: "a.csv", data: []byte("user_id,item_id,ts\nu1,i1,1700000000\n"), cfg: recipe.CSVSource{Dtype: map[string]string{"ts": "int64"}}, cols: Columns{User: "user_id", Item: "item_id", Time: "ts"}, want: "u1|i1|int:1700000000\n"},
		{name: "absent time column skipped", file: "a.csv", data: plain, cols: Columns{User: "user_id", Item: "item_id", Time: "ts"}, want: "u1|i1|-\nu2|i2|-\n"},
		{name: "multi-char literal delimiter", file: "a.csv", data: []byte("user_id::item_id\nu1::i1\n"), cfg: recipe.CSVSource{Delimiter: "::"}, want: "u1|i1|-\n"},
		{name: "whitespace regex delimiter", file: "a.csv", data: []byte("user_id  item_id\n  u1 \t i1  \n"), cfg: recipe.CSVSource{Delimiter: `\s+`}, want: "u1|i1|-\n"},
		{name: "regex delimiter refused", file: "a.csv", data: plain, cfg: recipe.CSVSource{Delimiter: "[,;]"}, code: 3, errHas: "regular expression"},
		{name: "duplicate headers mangled", file: "a.csv", data: []byte("user_id,user_id,item_id\na,b,c\n"), cols: Columns{User: "user_id.1", Item: "item_id"}, want: "b|c|-\n", columns: "user_id,user_id.1,item_id"},
		{name: "latin-1", file: "a.csv", data: []byte("user_id,item_id\ncaf\xe9,i1\n"), cfg: recipe.CSVSource{Encoding: "latin-1"}, want: "café|i1|-\n"},
		{name: "cp932", file: "a.csv", data: []byte("user_id,item_id\n\x93\xfa\x96\x7b,i1\n"), cfg: recipe.CSVSource{Encoding: "cp932"}, want: "日本|i1|-\n"},
		{name: "utf-8-sig", file: "a.csv", data: []byte("\xef\xbb\xbfuser_id,item_id\nu1,i1\n"), cfg: recipe.CSVSource{Encoding: "utf-8-sig"}, want: "u1|i1|-\n"},
		{name: "invalid utf-8", file: "a.csv", data: []byte("user_id,item_id\n\xff\xfe,i1\n"), code: 3, errHas: "utf-8"},
		{name: "unknown encoding", file: "a.csv", data: plain, cfg: recipe.CSVSource{Encoding: "klingon"}, code: 3, errHas: "unknown encoding"},
		{name: "gzip", file: "a.csv.gz", data: gz(plain), want: "u1|i1|-\nu2|i2|-\n"},
		{name: "gzip upper suffix", file: "a.CSV.GZ", data: gz(plain), want: "u1|i1|-\nu2|i2|-\n"},
		{name: "gzip with sha256 of compressed bytes", file: "a.csv.gz", data: gz(plain), cfg: recipe.CSVSource{SHA256: hexSHA(gz(plain))}, want: "u1|i1|-\nu2|i2|-\n"},
		{name: "sha256 mismatch", file: "a.csv", data: plain, cfg: recipe.CSVSource{SHA256: &zero}, code: 7, errHas: "sha256 mismatch: got"},
		{name: "header only", file: "a.csv", data: []byte("user_id,item_id\n"), code: 3, errHas: "is empty (no data rows after header)"},
		{name: "zero bytes", file: "a.csv", data: nil, code: 3, errHas: "Failed to parse CSV"},
		{name: "too many fields", file: "a.csv", data: []byte("user_id,item_id\nu1,i1,x\n"), code: 3, errHas: "Expected 2 fields in line 2, saw 3"},
		{name: "unterminated quote", file: "a.csv", data: []byte("user_id,item_id\n\"u1,i1\n"), code: 3, errHas: "EOF inside string"},
		{name: "missing user column", file: "a.csv", data: []byte("uid,item_id\nu1,i1\n"), code: 3, errHas: "schema.user_column 'user_id' not found in the data; available columns: ['item_id', 'uid']"},
		{name: "missing item column", file: "a.csv", data: []byte("user_id,iid\nu1,i1\n"), code: 3, errHas: "item_column 'item_id'"},
		{name: "negative header", file: "a.csv", data: plain, cfg: recipe.CSVSource{Header: -1}, code: 3, errHas: "header"},
		{name: "bad dtype", file: "a.csv", data: plain, cfg: recipe.CSVSource{Dtype: map[string]string{"x": "notatype"}}, code: 3, errHas: "data type 'notatype'"},
		{name: "cap on stat", file: "a.csv", data: bytes.Repeat([]byte("u,i\n"), 300000), vars: map[string]string{EnvMaxDownloadBytes: "0"}, code: 3, errHas: "bytes which exceeds the 1048576-byte cap set by RECOTEM_MAX_DOWNLOAD_BYTES"},
		{name: "garbage parses or fails cleanly", file: "a.csv", data: []byte("\x00\x01\x02,\x03\n\x04"), code: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := tc.cfg
			cfg.Type = "csv"
			cfg.Path = writeFile(t, dir, tc.file, tc.data)
			cols := tc.cols
			if cols.User == "" {
				cols = uiCols
			}
			src, err := New(recipe.Source{Type: "csv", CSV: &cfg}, env(tc.vars))
			if err != nil {
				t.Fatal(err)
			}
			var c collect
			err = src.Fetch(context.Background(), cols, &c)
			if tc.code != 0 {
				if err == nil {
					t.Fatalf("want error, got rows %q", c.String())
				}
				if got := exitcode.Of(err); got != tc.code {
					t.Errorf("exit code %d, want %d (%v)", got, tc.code, err)
				}
				if !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("error %q does not contain %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.String(); got != tc.want {
				t.Errorf("rows\n%s\nwant\n%s", got, tc.want)
			}
			if tc.columns != "" && strings.Join(c.h.Columns, ",") != tc.columns {
				t.Errorf("columns %v, want %s", c.h.Columns, tc.columns)
			}
		})
	}
}

func TestCSVNotFoundAndProbe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing.csv")
	cfg := recipe.CSVSource{Type: "csv", Path: p}
	src, err := New(recipe.Source{Type: "csv", CSV: &cfg}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = src.Fetch(context.Background(), uiCols, &collect{})
	if exitcode.Of(err) != 3 || !strings.Contains(err.Error(), "CSV file not found: "+p) {
		t.Errorf("fetch: %v", err)
	}
	err = src.(Prober).Probe(context.Background())
	if exitcode.Of(err) != 3 || !strings.Contains(err.Error(), "CSV file not found: "+p) {
		t.Errorf("probe: %v", err)
	}
	// file:// URIs resolve to the path.
	writeFile(t, filepath.Dir(p), "missing.csv", []byte("user_id,item_id\nu,i\n"))
	cfg.Path = "file://localhost" + p
	src, _ = New(recipe.Source{Type: "csv", CSV: &cfg}, env(nil))
	var c collect
	if err := src.Fetch(context.Background(), uiCols, &c); err != nil || c.String() != "u|i|-\n" {
		t.Errorf("file:// fetch: %v %q", err, c.String())
	}
}

func TestCompressionOf(t *testing.T) {
	for in, want := range map[string]string{
		"data.csv": "", "d.csv.gz": "gzip", "d.csv.bz2": "bz2", "d.csv.zip": "zip", "d.csv.xz": "xz",
		"d.csv.zst": "zstd", "https://h/x.csv.gz?ver=1": "gzip", "d.parquet": "",
	} {
		if got := compressionOf(in); got != want {
			t.Errorf("compressionOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"/abs/x.csv":            "/abs/x.csv",
		"s3://b/k.csv":          "s3://b/k.csv",
		"gs://bucket@project/k": "gs://bucket@project/k",
		"https://user:pass@example.com/d.csv?t=1":  "https://example.com/d.csv?t=1",
		"https://user:pass@Example.com:8443/d.csv": "https://example.com:8443/d.csv",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
