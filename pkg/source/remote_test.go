package source

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

// TestHTTPSources reads CSV and Parquet over HTTP through the guarded
// fetcher. The test server listens on loopback, so the fetcher's test-only
// allow-list admits 127.0.0.1; without it the guard refuses.
func TestHTTPSources(t *testing.T) {
	plain := []byte("user_id,item_id\nu1,i1\nu2,i2\n")
	pq := writeParquet(t, []pqStrings{{User: nil, Item: "i", When: "w"}, {Item: "j", When: "w"}})
	files := map[string][]byte{"/d.csv": plain, "/d.csv.gz": gz(plain), "/d.parquet": pq}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	zero := strings.Repeat("0", 64)
	cases := []struct {
		name, path string
		sha        *string
		parquet    bool
		allow      bool
		rows       int
		code       int
		errHas     string
	}{
		{name: "csv", path: "/d.csv", sha: hexSHA(plain), allow: true, rows: 2},
		{name: "csv gz with query", path: "/d.csv.gz?ver=1", sha: hexSHA(gz(plain)), allow: true, rows: 2},
		{name: "csv bad sha", path: "/d.csv", sha: &zero, allow: true, code: 7, errHas: "sha256"},
		{name: "csv 404", path: "/missing.csv", sha: &zero, allow: true, code: 7, errHas: "404"},
		{name: "guard refuses loopback", path: "/d.csv", sha: hexSHA(plain), code: 7, errHas: "private"},
		{name: "parquet spooled", path: "/d.parquet", sha: hexSHA(pq), parquet: true, allow: true, rows: 2},
		{name: "parquet bad sha", path: "/d.parquet", sha: &zero, parquet: true, allow: true, code: 7, errHas: "sha256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.allow {
				t.Setenv("RECOTEM_FETCH_ALLOW_CIDRS", "127.0.0.1/32")
			} else {
				t.Setenv("RECOTEM_FETCH_ALLOW_CIDRS", "")
			}
			src := recipe.Source{Type: "csv", CSV: &recipe.CSVSource{Type: "csv", Path: srv.URL + tc.path, SHA256: tc.sha}}
			if tc.parquet {
				src = recipe.Source{Type: "parquet", Parquet: &recipe.ParquetSource{Type: "parquet", Path: srv.URL + tc.path, SHA256: tc.sha}}
			}
			s, err := New(src, Env{Plugins: NewRegistry()})
			if err != nil {
				t.Fatal(err)
			}
			var c collect
			err = s.Fetch(context.Background(), Columns{User: "user_id", Item: "item_id"}, &c)
			if tc.code != 0 {
				if err == nil || exitcode.Of(err) != tc.code || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err %v (code %d), want %d %q", err, exitcode.Of(err), tc.code, tc.errHas)
				}
				return
			}
			if err != nil || len(c.rows) != tc.rows {
				t.Fatalf("err %v rows %v", err, c.rows)
			}
		})
	}
}

func TestHTTPProbe(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	src := recipe.Source{Type: "csv", CSV: &recipe.CSVSource{Type: "csv", Path: "http://127.0.0.1/foo.csv"}}
	var out bytes.Buffer
	err := Validate(context.Background(), &recipe.Recipe{Source: src}, Env{Plugins: NewRegistry()}, &out)
	if exitcode.Of(err) != 7 || !strings.Contains(err.Error(), "DataSource probe failed: CSV HTTP probe refused") {
		t.Errorf("guarded probe: %v", err)
	}
	t.Setenv("RECOTEM_HTTP_ALLOW_PRIVATE", "1")
	src.CSV.Path = srv.URL + "/foo.csv"
	out.Reset()
	if err := Validate(context.Background(), &recipe.Recipe{Source: src}, Env{Plugins: NewRegistry()}, &out); err != nil || out.String() != "DataSource: probe OK (csv)\n" || hits != 0 {
		t.Errorf("allow-private probe: %v %q hits %d", err, out.String(), hits)
	}
}
