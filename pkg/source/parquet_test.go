package source

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

type pqTyped struct {
	UserID  int64     `parquet:"user_id"`
	ItemID  float64   `parquet:"item_id"`
	Flag    bool      `parquet:"flag"`
	TS      time.Time `parquet:"ts,timestamp(microsecond)"`
	Epoch   int32     `parquet:"epoch"`
	Comment *string   `parquet:"comment,optional"`
}

type pqStrings struct {
	User *string `parquet:"user_id,optional"`
	Item string  `parquet:"item_id"`
	When string  `parquet:"when"`
}

func writeParquet[T any](t *testing.T, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParquet(t *testing.T) {
	s := func(v string) *string { return &v }
	typed := writeParquet(t, []pqTyped{
		{UserID: 1, ItemID: 1.0, Flag: true, TS: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC), Epoch: 17},
		{UserID: 2, ItemID: 2.5, Flag: false, TS: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC), Epoch: 18, Comment: s("x")},
	})
	var many []pqStrings
	for i := 0; i < 5000; i++ {
		many = append(many, pqStrings{User: s("u"), Item: "i", When: "2024-01-01"})
	}
	many[4999].User = nil
	multi := writeParquet(t, many, parquet.MaxRowsPerRowGroup(1000), parquet.PageBufferSize(512))
	zero := strings.Repeat("0", 64)
	cases := []struct {
		name   string
		data   []byte
		cols   Columns
		sha    *string
		vars   map[string]string
		want   string
		check  func(t *testing.T, c *collect)
		code   int
		errHas string
	}{
		{name: "typed", data: typed, cols: Columns{"user_id", "item_id", "ts"}, want: "1|1.0|at:2024-01-02T03:04:05.000006Z\n2|2.5|at:2024-01-03T00:00:00Z\n"},
		{name: "bool ids int time", data: typed, cols: Columns{"flag", "epoch", "epoch"}, want: "True|17|int:17\nFalse|18|int:18\n"},
		{name: "columns in file order", data: typed, cols: Columns{User: "user_id", Item: "item_id"}, check: func(t *testing.T, c *collect) {
			if strings.Join(c.h.Columns, ",") != "user_id,item_id,flag,ts,epoch,comment" {
				t.Errorf("columns %v", c.h.Columns)
			}
		}},
		{name: "row groups and pages", data: multi, cols: Columns{"user_id", "item_id", "when"}, check: func(t *testing.T, c *collect) {
			if len(c.rows) != 5000 || c.rows[0] != [3]string{"u", "i", "text:2024-01-01"} || c.rows[4999][0] != "<null>" || c.rows[4998][0] != "u" {
				t.Errorf("%d rows, first %v last %v", len(c.rows), c.rows[0], c.rows[len(c.rows)-1])
			}
		}},
		{name: "sha256 ok", data: typed, sha: hexSHA(typed), cols: Columns{User: "user_id", Item: "item_id"}, want: "1|1.0|-\n2|2.5|-\n"},
		{name: "sha256 mismatch", data: typed, sha: &zero, cols: uiCols, code: 7, errHas: "sha256 mismatch"},
		{name: "missing column", data: typed, cols: Columns{User: "nope", Item: "item_id"}, code: 3, errHas: "user_column 'nope' not found"},
		{name: "garbage", data: []byte("this is not parquet at all"), cols: uiCols, code: 3, errHas: "Failed to parse Parquet from"},
		{name: "over cap", data: bytes.Repeat([]byte("x"), 2<<20), vars: map[string]string{EnvMaxDownloadBytes: "1048576"}, cols: uiCols, code: 3, errHas: "RECOTEM_MAX_DOWNLOAD_BYTES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "x.parquet", tc.data)
			src, err := New(recipe.Source{Type: "parquet", Parquet: &recipe.ParquetSource{Type: "parquet", Path: p, SHA256: tc.sha}}, env(tc.vars))
			if err != nil {
				t.Fatal(err)
			}
			var c collect
			err = src.Fetch(context.Background(), tc.cols, &c)
			if tc.code != 0 {
				if err == nil || exitcode.Of(err) != tc.code || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err %v (code %d), want %d %q", err, exitcode.Of(err), tc.code, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" && c.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", c.String(), tc.want)
			}
			if tc.check != nil {
				tc.check(t, &c)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "a.csv", []byte("user_id,item_id\nu,i\n"))
	pqPath := writeFile(t, dir, "a.parquet", []byte("not even parquet: probe does not parse"))
	cases := []struct {
		name   string
		src    recipe.Source
		vars   map[string]string
		out    string
		code   int
		errHas string
	}{
		{name: "csv", src: recipe.Source{Type: "csv", CSV: &recipe.CSVSource{Path: csvPath}}, out: "DataSource: probe OK (csv)\n"},
		{name: "parquet", src: recipe.Source{Type: "parquet", Parquet: &recipe.ParquetSource{Path: pqPath}}, out: "DataSource: probe OK (parquet)\n"},
		{name: "csv missing", src: recipe.Source{Type: "csv", CSV: &recipe.CSVSource{Path: filepath.Join(dir, "nope.csv")}}, code: 3, errHas: "DataSource probe failed: CSV file not found: "},
		{name: "sqlite", src: recipe.Source{Type: "sql", SQL: sqlCfg("SELECT 1", nil)}, vars: map[string]string{"RECOTEM_RECIPE_DSN": "sqlite:///:memory:"}, out: "DataSource: probe OK (sql)\n"},
		{name: "sql unset dsn", src: recipe.Source{Type: "sql", SQL: sqlCfg("SELECT 1", nil)}, code: 3, errHas: "DataSource probe failed: env var RECOTEM_RECIPE_DSN is not set"},
		{name: "sql private", src: recipe.Source{Type: "sql", SQL: sqlCfg("SELECT 1", nil)}, vars: map[string]string{"RECOTEM_RECIPE_DSN": "postgresql://u:p@10.0.0.1/db"}, code: 7, errHas: "private/loopback"},
		{name: "unknown type", src: recipe.Source{Type: "nope"}, code: 2, errHas: "unknown type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Validate(context.Background(), &recipe.Recipe{Source: tc.src}, env(tc.vars), &out)
			if tc.code != 0 {
				if err == nil || exitcode.Of(err) != tc.code || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err %v (code %d), want %d %q", err, exitcode.Of(err), tc.code, tc.errHas)
				}
				return
			}
			if err != nil || out.String() != tc.out {
				t.Fatalf("err %v out %q", err, out.String())
			}
		})
	}
}
