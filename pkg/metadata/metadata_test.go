package metadata

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

type pqItem struct {
	ID    int64    `parquet:"id"`
	Title *string  `parquet:"title,optional"`
	Price float64  `parquet:"price"`
	Stock *int64   `parquet:"stock,optional"`
	Tags  []string `parquet:"tags,list"`
}

func pqBytes(t *testing.T, rows []pqItem) []byte {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqItem](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoad(t *testing.T) {
	s := func(v string) *string { return &v }
	i := func(v int64) *int64 { return &v }
	pq := pqBytes(t, []pqItem{
		{ID: 1, Title: s("One"), Price: 1.5, Stock: i(3)},
		{ID: 2, Price: math.NaN()},
		{ID: 1, Title: s("dup"), Price: 9},
	})
	csv := []byte("item_id,title,genre,Secret\n,No Title,x,s\ni1,Item One,drama,s1\nnan,Nan Item,,s2\ni1,Dup,comedy,s3\n  ,blank,,\ni2,Short\n")
	sum := sha256.Sum256(csv)
	good := hex.EncodeToString(sum[:])
	zero := strings.Repeat("0", 64)
	cases := []struct {
		name   string
		file   string
		data   []byte
		cfg    recipe.ItemMetadata
		deny   string
		cap    string
		want   map[string]map[string]any
		fields []string
		errHas string
		cause  string
		logHas string
	}{
		{name: "csv basics", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title", "genre"}},
			want:   map[string]map[string]any{"i1": {"title": "Item One", "genre": "drama"}, "nan": {"title": "Nan Item", "genre": ""}, "i2": {"title": "Short", "genre": nil}},
			fields: []string{"title", "genre"}, logHas: "metadata_duplicate_item_ids_dropped"},
		{name: "null ids dropped", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title"}}, logHas: "metadata_null_item_ids_dropped"},
		{name: "deny list case-insensitive", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title", "Secret"}}, deny: " secret , ,other",
			fields: []string{"title"}},
		{name: "missing field error", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title", "nope", "nah"}},
			errHas: "fields ['nope', 'nah'] not found in file"},
		{name: "missing field null", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title", "nope"}, OnFieldMissing: "null"},
			fields: []string{"title", "nope"}, logHas: "metadata_field_missing_filled_null"},
		{name: "custom id column", file: "m.csv", data: []byte("sku,title\nA,x\n"), cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title"}, ItemIDColumn: "sku"},
			want: map[string]map[string]any{"A": {"title": "x"}}},
		{name: "absent id column", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title"}, ItemIDColumn: "sku"},
			errHas: "item_id_column 'sku' not found in file"},
		{name: "empty fields", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "csv"}, errHas: "non-empty"},
		{name: "bad type", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "tsv", Fields: []string{"title"}}, errHas: "unsupported metadata file type"},
		{name: "sha ok", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title"}, SHA256: &good}, fields: []string{"title"}},
		{name: "sha mismatch", file: "m.csv", data: csv, cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title"}, SHA256: &zero}, errHas: "sha256", cause: CauseHTTPFetch},
		{name: "missing file", file: "", cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"title"}}, errHas: "not found", cause: CauseIO},
		{name: "over cap", file: "m.csv", data: bytes.Repeat([]byte("a,b\n"), 300000), cap: "1", cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"b"}, ItemIDColumn: "a"}, errHas: "RECOTEM_MAX_DOWNLOAD_BYTES", cause: CauseIO},
		{name: "csv parse error", file: "m.csv", data: []byte("item_id,t\n\"open"), cfg: recipe.ItemMetadata{Type: "csv", Fields: []string{"t"}}, errHas: "Failed to parse CSV", cause: CauseParse},
		{name: "parquet typed", file: "m.parquet", data: pq, cfg: recipe.ItemMetadata{Type: "parquet", Fields: []string{"title", "price", "stock"}, ItemIDColumn: "id"},
			want: map[string]map[string]any{"1": {"title": "One", "price": 1.5, "stock": int64(3)}, "2": {"title": nil, "price": nil, "stock": nil}}},
		{name: "parquet garbage", file: "m.parquet", data: []byte("garbage"), cfg: recipe.ItemMetadata{Type: "parquet", Fields: []string{"x"}}, errHas: "Failed to parse Parquet", cause: CauseParse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := tc.cfg
			cfg.Path = filepath.Join(dir, "absent.csv")
			if tc.file != "" {
				cfg.Path = filepath.Join(dir, tc.file)
				os.WriteFile(cfg.Path, tc.data, 0o644)
			}
			var logs bytes.Buffer
			vars := map[string]string{EnvFieldDeny: tc.deny, "RECOTEM_MAX_DOWNLOAD_BYTES": tc.cap}
			ix, err := Load(context.Background(), cfg, Options{Getenv: func(k string) string { return vars[k] }, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err %v, want %q", err, tc.errHas)
				}
				var me *Error
				if tc.cause != "" && (!errors.As(err, &me) || me.Cause != tc.cause) {
					t.Errorf("cause of %v: want %s", err, tc.cause)
				}
				if tc.cause == CauseHTTPFetch && exitcode.Of(err) != exitcode.Fetch {
					t.Errorf("sha mismatch not chained to a fetch error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				got := map[string]map[string]any{}
				for id := range ix.items {
					got[id] = ix.Map(id)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %v\nwant %v", got, tc.want)
				}
			}
			if tc.fields != nil && !reflect.DeepEqual(ix.Fields(), tc.fields) {
				t.Errorf("fields %v want %v", ix.Fields(), tc.fields)
			}
			if tc.logHas != "" && !strings.Contains(logs.String(), tc.logHas) {
				t.Errorf("log lacks %s: %s", tc.logHas, logs.String())
			}
		})
	}
}

func TestAppendJSON(t *testing.T) {
	ix := &Index{fields: []string{"title", "score", "n"}, items: map[string][]any{"i1": {"T \"1\"", 0.5, nil}}}
	got := string(ix.AppendJSON([]byte("{"), "i1", "item_id", "score"))
	if got != `{"title":"T \"1\"","n":null` {
		t.Errorf("got %s", got)
	}
	if string(ix.AppendJSON(nil, "unknown")) != "" {
		t.Error("unknown item")
	}
}
