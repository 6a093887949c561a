package source

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

// fakeResolver answers from a table; absent names do not resolve.
type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []net.IPAddr
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

func sqlEnv(dsn string, vars map[string]string, res Resolver) Env {
	all := map[string]string{"RECOTEM_RECIPE_DSN": dsn}
	for k, v := range vars {
		all[k] = v
	}
	return Env{Getenv: func(k string) string { return all[k] }, Resolver: res, Plugins: NewRegistry()}
}

func sqlCfg(q string, params map[string]any) *recipe.SQLSource {
	return &recipe.SQLSource{Type: "sql", DSNEnv: "RECOTEM_RECIPE_DSN", Query: q, QueryParameters: params, ConnectTimeoutSeconds: 5, StatementTimeoutSeconds: 30}
}

func TestSQLInit(t *testing.T) {
	res := fakeResolver{
		"public.example.com":    {"8.8.8.8"},
		"private.example":       {"10.0.0.5"},
		"xn--bcher-kva.example": {"10.0.0.5"},
		"mixed.example":         {"8.8.8.8", "127.0.0.1"},
	}
	cases := []struct {
		dsn, errHas string
		code        int
		allow       bool
	}{
		{dsn: "", code: 3, errHas: "env var RECOTEM_RECIPE_DSN is not set or is empty"},
		{dsn: "   ", code: 3, errHas: "is not set or is empty"},
		{dsn: "not-a-url", code: 3, errHas: "is not a valid SQLAlchemy URL"},
		{dsn: "weirddb://h/db", code: 3, errHas: "unsupported SQL dialect 'weirddb'"},
		{dsn: "oracle+cx_oracle://u:p@h/db", code: 3, errHas: "unsupported SQL dialect 'oracle'"},
		{dsn: "postgresql+psycopg://u:p@10.0.0.1/db", code: 7, errHas: "refusing to connect to private/loopback host '10.0.0.1'"},
		{dsn: "postgresql://u:p@192.168.1.5/db", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@172.16.0.1/db", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@169.254.169.254/db", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@[fc00::1]/db", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@[::1]/db", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@[fe80::1]/db", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@[::ffff:127.0.0.1]/db", code: 7, errHas: "private/loopback"},
		{dsn: "mysql+pymysql://u:p@127.0.0.2/db", code: 7, errHas: "private/loopback"},
		{dsn: "mysql+pymysql://u:p@127.255.255.254/db", code: 7, errHas: "private/loopback"},
		{dsn: "mysql+pymysql://u:p@0.0.0.0/db", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql+psycopg:///db?host=169.254.169.254&port=80", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql+psycopg:///db?host=10.0.0.5", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql+psycopg:///db?hostaddr=10.0.0.5", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql+psycopg:///db?hostaddr=127.0.0.1", code: 7, errHas: "private/loopback"},
		{dsn: "mysql+pymysql:///db?host=10.0.0.5", code: 7, errHas: "private/loopback"},
		{dsn: "mariadb+pymysql:///db?host=127.0.0.1", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@public.example.com/db?host=10.0.0.5", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@private.example/db", code: 7, errHas: "private/loopback host 'private.example'"},
		{dsn: "postgresql://u:p@xn--bcher-kva.example/db", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@mixed.example/db", code: 7, errHas: "private/loopback"},
		{dsn: "postgresql://u:p@unknown.invalid/db", code: 7, errHas: "hostname 'unknown.invalid' does not resolve"},
		{dsn: "postgresql+psycopg://u:p@h/db?service=myservice", code: 3, errHas: "?service="},
		{dsn: "mysql+pymysql://u:p@h/db?unix_socket=/tmp/x.sock", code: 3, errHas: "unix_socket"},
		{dsn: "postgresql+psycopg://u:p@public.example.com/db?host=/var/run/postgresql", code: 3, errHas: "Unix socket directory"},
		{dsn: "postgresql+psycopg:///db", code: 3, errHas: "does not specify a host"},
		{dsn: "mysql+pymysql:///db", code: 3, errHas: "does not specify a host"},
		{dsn: "mariadb+pymysql:///db", code: 3, errHas: "does not specify a host"},
		{dsn: "postgresql://u:p@10.0.0.1/db", allow: true},
		{dsn: "postgresql+psycopg:///db", allow: true},
		{dsn: "postgresql://u:p@public.example.com/db"},
		{dsn: "postgresql://u:p@public.example.com/db?host=public.example.com"},
		{dsn: "postgresql://u:p@public.example.com/db?hostaddr=8.8.8.8"},
		{dsn: "sqlite:///:memory:"},
	}
	for _, tc := range cases {
		t.Run(tc.dsn, func(t *testing.T) {
			vars := map[string]string{}
			if tc.allow {
				vars[EnvSQLAllowPrivate] = "1"
			}
			_, err := New(recipe.Source{Type: "sql", SQL: sqlCfg("SELECT 1", nil)}, sqlEnv(tc.dsn, vars, res))
			if tc.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if got := exitcode.Of(err); got != tc.code {
				t.Errorf("code %d want %d: %v", got, tc.code, err)
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %q lacks %q", err, tc.errHas)
			}
			if strings.Contains(err.Error(), ":p@") {
				t.Errorf("error leaks the DSN: %v", err)
			}
		})
	}
}

func TestSQLRebind(t *testing.T) {
	cases := []struct {
		name      string
		at, later []string
		errHas    string
	}{
		{name: "moved", at: []string{"8.8.8.8"}, later: []string{"1.1.1.1", "2606:4700:4700::1111"}, errHas: "DNS rebinding detected"},
		{name: "same both families", at: []string{"2606:4700:4700::1111", "8.8.8.8"}, later: []string{"2606:4700:4700::1111", "8.8.8.8"}},
		{name: "v6 only", at: []string{"2606:4700:4700::1111"}, later: []string{"2606:4700:4700::1111"}},
		{name: "resolver error", at: []string{"8.8.8.8"}, errHas: "DNS re-resolution of 'db.example.com' failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := fakeResolver{"db.example.com": tc.at}
			s, err := newSQL(*sqlCfg("SELECT 1", nil), sqlEnv("postgresql://u:p@db.example.com/db?sslmode=require", nil, res))
			if err != nil {
				t.Fatal(err)
			}
			if tc.later == nil {
				delete(res, "db.example.com")
			} else {
				res["db.example.com"] = tc.later
			}
			err = s.rebindCheck(context.Background())
			if tc.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || exitcode.Of(err) != 3 || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err %v, want %q", err, tc.errHas)
			}
		})
	}
	// hostaddr pins the address and needs no lookup.
	s, err := newSQL(*sqlCfg("SELECT 1", nil), sqlEnv("postgresql://u:p@/db?hostaddr=8.8.8.8&host=public.example.com", nil, fakeResolver{"public.example.com": {"8.8.4.4"}}))
	if err != nil {
		t.Fatal(err)
	}
	if s.rebind != "" || len(s.pins) != 1 || s.pins[0].String() != "8.8.8.8" {
		t.Errorf("hostaddr: rebind %q pins %v", s.rebind, s.pins)
	}
}

func TestSQLTLSAdvice(t *testing.T) {
	res := fakeResolver{"h.example": {"8.8.8.8"}}
	cases := map[string]bool{
		"postgresql://u:p%40ss%3Aword%21@h.example/db":      true,
		"postgresql://u:p@h.example/db?sslmode=disable":     true,
		"postgresql://u:p@h.example/db?sslmode=allow":       true,
		"postgresql://u:p@h.example/db?sslmode=prefer":      true,
		"postgresql://u:p@h.example/db?sslmode=require":     false,
		"postgresql://u:p@h.example/db?sslmode=verify-ca":   false,
		"postgresql://u:p@h.example/db?sslmode=verify-full": false,
		"mysql+pymysql://u:p@h.example/db":                  true,
		"mysql+pymysql://u:p@h.example/db?ssl=true":         false,
		"mysql+pymysql://u:p@h.example/db?ssl=false":        true,
		"sqlite:///x.db": false,
	}
	for dsn, warn := range cases {
		var buf strings.Builder
		e := sqlEnv(dsn, nil, res)
		e.Logger = slog.New(slog.NewTextHandler(&buf, nil))
		if _, err := New(recipe.Source{Type: "sql", SQL: sqlCfg("SELECT 1", nil)}, e); err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		got := strings.Contains(buf.String(), "sql_dsn_tls_not_configured")
		if got != warn {
			t.Errorf("%s: warned %v, want %v (%s)", dsn, got, warn, buf.String())
		}
		if strings.Contains(buf.String(), "p%40ss") || strings.Contains(buf.String(), "p@ss") || strings.Contains(buf.String(), ":p@") {
			t.Errorf("%s: log leaks credentials: %s", dsn, buf.String())
		}
		if strings.Contains(dsn, "verify") && !strings.Contains(dsn, "sslmode") {
			t.Error("unreachable")
		}
	}
}

func TestBindNamed(t *testing.T) {
	p := map[string]any{"a": int64(1), "b": "x"}
	cases := []struct {
		q, dialect, want string
		n                int
		err              bool
	}{
		{q: "SELECT * FROM t WHERE a = :a AND b = :b", dialect: "sqlite", want: "SELECT * FROM t WHERE a = ? AND b = ?", n: 2},
		{q: "SELECT * FROM t WHERE a = :a OR a2 = :a", dialect: "postgresql", want: "SELECT * FROM t WHERE a = $1 OR a2 = $1", n: 1},
		{q: "SELECT x::int, '12:30' FROM t WHERE b = :b", dialect: "postgresql", want: "SELECT x::int, '12:30' FROM t WHERE b = $1", n: 1},
		{q: `SELECT '\:a'`, dialect: "mysql", want: "SELECT ':a'", n: 0},
		{q: "SELECT :missing", dialect: "mysql", err: true},
	}
	for _, tc := range cases {
		got, args, err := bindNamed(tc.q, tc.dialect, p)
		if tc.err {
			if err == nil {
				t.Errorf("%q: no error", tc.q)
			}
			continue
		}
		if err != nil || got != tc.want || len(args) != tc.n {
			t.Errorf("%q: got %q %v %v", tc.q, got, args, err)
		}
	}
}

func TestParseSQLURL(t *testing.T) {
	u, ok := parseSQLURL("postgresql+psycopg://us%40r:p%40ss%3Aword%21@[2001:db8::1]:5433/my%20db?sslmode=require&application_name=x")
	if !ok {
		t.Fatal("no match")
	}
	if u.Dialect != "postgresql" || u.Driver != "psycopg" || u.User != "us@r" || u.Password != "p@ss:word!" || u.Host != "2001:db8::1" || u.Port != "5433" || u.Database != "my%20db" {
		t.Errorf("%+v", u)
	}
	if s := u.safe(); strings.Contains(s, "word") || !strings.Contains(s, "sslmode=require") {
		t.Errorf("safe %q", s)
	}
}

// sqliteDB creates a SQLite file with rows (user_id, item_id, ts).
func sqliteDB(t *testing.T, stmts ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}

func TestSQLite(t *testing.T) {
	p := sqliteDB(t,
		"CREATE TABLE ev (user_id TEXT, item_id TEXT, ts TEXT, n INTEGER, f REAL, ok INTEGER)",
		"INSERT INTO ev VALUES ('u1','i1','2024-01-01 00:00:00', 1, 1.5, 1), ('u2','i2','2024-01-02 00:00:00', 2, 2.0, 0), ('u3','i3',NULL, 3, 3.0, 1)",
		"CREATE TABLE empty (user_id TEXT, item_id TEXT)",
	)
	cases := []struct {
		name, q string
		params  map[string]any
		cols    Columns
		want    string
		errHas  string
		maxRows int64
	}{
		{name: "three rows", q: "SELECT user_id, item_id, ts FROM ev ORDER BY user_id", cols: Columns{"user_id", "item_id", "ts"}, want: "u1|i1|text:2024-01-01 00:00:00\nu2|i2|text:2024-01-02 00:00:00\nu3|i3|<null>\n"},
		{name: "aliases", q: "SELECT user_id AS u, item_id AS it FROM ev ORDER BY u LIMIT 1", cols: Columns{User: "u", Item: "it"}, want: "u1|i1|-\n"},
		{name: "typed ids", q: "SELECT n AS user_id, f AS item_id, n AS ts FROM ev ORDER BY n", cols: Columns{"user_id", "item_id", "ts"}, want: "1|1.5|int:1\n2|2.0|int:2\n3|3.0|int:3\n"},
		{name: "empty", q: "SELECT * FROM empty", cols: uiCols, want: ""},
		{name: "injection bound literally", q: "SELECT user_id, item_id FROM ev WHERE user_id = :u", params: map[string]any{"u": "u1' OR '1'='1"}, cols: uiCols, want: ""},
		{name: "str param", q: "SELECT user_id, item_id FROM ev WHERE user_id = :u", params: map[string]any{"u": "u2"}, cols: uiCols, want: "u2|i2|-\n"},
		{name: "int float bool params", q: "SELECT user_id, item_id FROM ev WHERE n >= :n AND f < :f AND ok = :b ORDER BY n", params: map[string]any{"n": 1, "f": 2.5, "b": true}, cols: uiCols, want: "u1|i1|-\n"},
		{name: "missing column", q: "SELECT user_id FROM ev", cols: uiCols, errHas: "item_column 'item_id' not found"},
		{name: "cap exceeded", q: "SELECT user_id, item_id FROM ev", cols: uiCols, maxRows: 2, errHas: "query result exceeds RECOTEM_MAX_SQL_ROWS=2 rows"},
		{name: "cap exact", q: "SELECT user_id, item_id FROM ev ORDER BY n", cols: uiCols, maxRows: 3, want: "u1|i1|-\nu2|i2|-\nu3|i3|-\n"},
		{name: "write blocked", q: "DELETE FROM ev RETURNING user_id, item_id", cols: uiCols, errHas: "query failed on dialect 'sqlite'"},
		{name: "bad sql", q: "SELEC nonsense", cols: uiCols, errHas: "query failed on dialect 'sqlite'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSQL(*sqlCfg(tc.q, tc.params), sqlEnv("sqlite:///"+p, nil, nil))
			if err != nil {
				t.Fatal(err)
			}
			if tc.maxRows > 0 {
				s.maxRows = tc.maxRows
			}
			var c collect
			err = s.Fetch(context.Background(), tc.cols, &c)
			if tc.errHas != "" {
				if err == nil || exitcode.Of(err) != 3 || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err %v, want %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", c.String(), tc.want)
			}
		})
	}
	// The write attempt above left the table intact.
	s, _ := newSQL(*sqlCfg("SELECT user_id, item_id FROM ev", nil), sqlEnv("sqlite:///"+p, nil, nil))
	var c collect
	if err := s.Fetch(context.Background(), uiCols, &c); err != nil || len(c.rows) != 3 {
		t.Fatalf("after blocked write: %v, %d rows", err, len(c.rows))
	}
}

func TestSQLiteProbe(t *testing.T) {
	for _, dsn := range []string{"sqlite:///:memory:", "sqlite://"} {
		s, err := New(recipe.Source{Type: "sql", SQL: sqlCfg("SELECT 1", nil)}, sqlEnv(dsn, nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.(Prober).Probe(context.Background()); err != nil {
			t.Errorf("%s: %v", dsn, err)
		}
	}
	// Probe against a closed port with allow-private fails with exit 3.
	s, err := New(recipe.Source{Type: "sql", SQL: sqlCfg("SELECT 1", nil)}, sqlEnv("postgresql+psycopg://u:p@127.0.0.1:1/db", map[string]string{EnvSQLAllowPrivate: "1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	err = s.(Prober).Probe(context.Background())
	if err == nil || exitcode.Of(err) != 3 || !strings.Contains(err.Error(), "probe failed for dialect 'postgresql'") || strings.Contains(err.Error(), ":p@") {
		t.Errorf("probe: %v", err)
	}
}
