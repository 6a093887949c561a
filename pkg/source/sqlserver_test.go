package source

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

// The PostgreSQL and MariaDB tests start real servers from the Debian
// packages on a free loopback port in a temporary directory, create a
// database and remove everything afterwards. They skip when the binaries
// are missing unless RECOTEM_TEST_REQUIRE_SERVICES=1 (CI), where a missing
// server is a failure.

func requireServices() bool { return os.Getenv("RECOTEM_TEST_REQUIRE_SERVICES") == "1" }

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireServices() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// findBin looks a server binary up on PATH and in the usual Debian places.
func findBin(name string, extra ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, pattern := range extra {
		m, _ := filepath.Glob(pattern)
		if len(m) > 0 {
			return m[len(m)-1]
		}
	}
	return ""
}

// serviceDir makes a temporary directory the service user can write.
func serviceDir(t *testing.T, owner string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "recotem-sqltest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if owner != "" {
		u, err := user.Lookup(owner)
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// asUser runs a command, through runuser when we are root (PostgreSQL
// refuses to run as root).
func asUser(owner string, name string, args ...string) *exec.Cmd {
	if owner != "" {
		return exec.Command("runuser", append([]string{"-u", owner, "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// startPostgres returns a DSN of a fresh database on a private server.
func startPostgres(t *testing.T) string {
	initdb := findBin("initdb", "/usr/lib/postgresql/*/bin/initdb")
	pgctl := findBin("pg_ctl", "/usr/lib/postgresql/*/bin/pg_ctl")
	if initdb == "" || pgctl == "" {
		skipOrFail(t, "PostgreSQL binaries (initdb, pg_ctl) not found")
	}
	owner := ""
	if os.Geteuid() == 0 {
		owner = "postgres"
		if _, err := user.Lookup(owner); err != nil {
			skipOrFail(t, "running as root and no postgres user")
		}
	}
	dir := serviceDir(t, owner)
	data := filepath.Join(dir, "data")
	if out, err := asUser(owner, initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := freePort(t)
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	if out, err := asUser(owner, pgctl, "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() { asUser(owner, pgctl, "-D", data, "-m", "immediate", "-w", "stop").Run() })
	admin, err := sql.Open("pgx", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE recotem_test"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)); err == nil {
			a.Exec("DROP DATABASE IF EXISTS recotem_test")
			a.Close()
		}
	})
	return fmt.Sprintf("postgresql+psycopg://postgres:unused@127.0.0.1:%d/recotem_test?sslmode=disable", port)
}

// startMariaDB returns a DSN of a fresh database on a private server.
func startMariaDB(t *testing.T) string {
	mariadbd := findBin("mariadbd", "/usr/sbin/mariadbd", "/usr/sbin/mysqld")
	install := findBin("mariadb-install-db", "/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db")
	if mariadbd == "" || install == "" {
		skipOrFail(t, "MariaDB binaries (mariadbd, mariadb-install-db) not found")
	}
	dir := serviceDir(t, "")
	data := filepath.Join(dir, "data")
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	port := freePort(t)
	srvArgs := []string{"--no-defaults", "--datadir=" + data, "--socket=" + filepath.Join(dir, "sock"),
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-log-bin",
		"--pid-file=" + filepath.Join(dir, "pid"), "--innodb-buffer-pool-size=16M", "--skip-name-resolve"}
	if os.Geteuid() == 0 {
		srvArgs = append(srvArgs, "--user=root")
	}
	srv := exec.Command(mariadbd, srvArgs...)
	logf, _ := os.Create(filepath.Join(dir, "log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Kill()
		srv.Wait()
		logf.Close()
	})
	admin, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err = admin.Ping(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("mariadbd did not start: %v\n%s", err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := admin.Exec("CREATE DATABASE recotem_test"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port)); err == nil {
			a.Exec("DROP DATABASE IF EXISTS recotem_test")
			a.Close()
		}
	})
	return fmt.Sprintf("mariadb+pymysql://root@127.0.0.1:%d/recotem_test", port)
}

// serverCase is one query against a server fixture.
type serverCase struct {
	name    string
	q       string
	params  map[string]any
	cols    Columns
	timeout int
	want    string
	code    int
	errHas  string
}

func runServerCases(t *testing.T, dsn string, cases []serverCase) {
	t.Helper()
	allow := map[string]string{EnvSQLAllowPrivate: "1"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sqlCfg(tc.q, tc.params)
			if tc.timeout > 0 {
				cfg.StatementTimeoutSeconds = tc.timeout
			}
			s, err := New(recipe.Source{Type: "sql", SQL: cfg}, sqlEnv(dsn, allow, nil))
			if err != nil {
				t.Fatal(err)
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
	// probe
	s, err := New(recipe.Source{Type: "sql", SQL: sqlCfg("SELECT 1", nil)}, sqlEnv(dsn, allow, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.(Prober).Probe(context.Background()); err != nil {
		t.Errorf("probe: %v", err)
	}
	// Without the opt-in the loopback server is refused before any
	// connection (exit 7).
	_, err = New(recipe.Source{Type: "sql", SQL: sqlCfg("SELECT 1", nil)}, sqlEnv(dsn, nil, nil))
	if exitcode.Of(err) != exitcode.Fetch {
		t.Errorf("guard: %v", err)
	}
}

func TestPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dsn := startPostgres(t)
	db, err := sql.Open("pgx", strings.Replace(strings.Replace(dsn, "postgresql+psycopg", "postgres", 1), "postgres:unused", "postgres", 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE TABLE ev (user_id text, item_id int, ts timestamptz, score float8)",
		"INSERT INTO ev VALUES ('u1', 1, '2024-01-01T00:00:00Z', 1.0), ('u2', 2, '2024-01-02T12:00:00+09:00', 2.5), ('u3', NULL, NULL, NULL)",
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	tcols := Columns{"user_id", "item_id", "ts"}
	runServerCases(t, dsn, []serverCase{
		{name: "typed", q: "SELECT * FROM ev ORDER BY user_id", cols: tcols, want: "u1|1|at:2024-01-01T00:00:00Z\nu2|2|at:2024-01-02T03:00:00Z\nu3|<null>|<null>\n"},
		{name: "float ids and cast", q: "SELECT user_id, score AS item_id, extract(epoch from ts)::bigint AS ts FROM ev WHERE ts IS NOT NULL ORDER BY 1", cols: tcols, want: "u1|1.0|int:1704067200\nu2|2.5|int:1704164400\n"},
		{name: "params", q: "SELECT user_id, item_id FROM ev WHERE user_id = :u OR item_id = :i OR score > :f OR :b", params: map[string]any{"u": "u1", "i": 2, "f": 100.0, "b": false}, cols: uiCols, want: "u1|1|-\nu2|2|-\n"},
		{name: "injection literal", q: "SELECT user_id, item_id FROM ev WHERE user_id = :u", params: map[string]any{"u": "u1' OR '1'='1"}, cols: uiCols, want: ""},
		{name: "read only", q: "DELETE FROM ev RETURNING user_id, item_id", cols: uiCols, errHas: "query failed on dialect 'postgresql': PgError 25006"},
		{name: "statement timeout", q: "SELECT 'u' AS user_id, 'i' AS item_id FROM pg_sleep(3)", timeout: 1, cols: uiCols, errHas: "PgError 57014"},
		{name: "missing column", q: "SELECT user_id FROM ev", cols: uiCols, errHas: "item_column 'item_id' not found"},
	})
}

func TestMariaDB(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dsn := startMariaDB(t)
	port := dsn[strings.LastIndex(dsn, ":")+1 : strings.LastIndex(dsn, "/")]
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:"+port+")/recotem_test")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE TABLE ev (user_id VARCHAR(10), item_id INT, ts DATETIME, score DOUBLE)",
		"INSERT INTO ev VALUES ('u1', 1, '2024-01-01 00:00:00', 1.0), ('u2', 2, '2024-01-02 12:00:00', 2.5), ('u3', NULL, NULL, NULL)",
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	tcols := Columns{"user_id", "item_id", "ts"}
	runServerCases(t, dsn, []serverCase{
		{name: "typed", q: "SELECT * FROM ev ORDER BY user_id", cols: tcols, want: "u1|1|at:2024-01-01T00:00:00Z\nu2|2|at:2024-01-02T12:00:00Z\nu3|<null>|<null>\n"},
		{name: "float ids and numeric time", q: "SELECT user_id, score AS item_id, item_id AS ts FROM ev WHERE ts IS NOT NULL ORDER BY 1", cols: tcols, want: "u1|1.0|int:1\nu2|2.5|int:2\n"},
		{name: "params", q: "SELECT user_id, item_id FROM ev WHERE user_id = :u OR item_id = :i OR score > :f OR :b ORDER BY 1", params: map[string]any{"u": "u1", "i": 2, "f": 100.0, "b": false}, cols: uiCols, want: "u1|1|-\nu2|2|-\n"},
		{name: "injection literal", q: "SELECT user_id, item_id FROM ev WHERE user_id = :u", params: map[string]any{"u": "u1' OR '1'='1"}, cols: uiCols, want: ""},
		{name: "read only", q: "UPDATE ev SET user_id = 'x'", cols: uiCols, errHas: "query failed on dialect 'mariadb': MySQLError 1792"},
		{name: "timeout variable", q: "SELECT @@max_statement_time AS user_id, @@tx_read_only AS item_id", timeout: 7, cols: uiCols, want: "7.0|1|-\n"},
		{name: "statement timeout", q: "SELECT COUNT(*) AS user_id, 'i' AS item_id FROM seq_1_to_1000000000 a, seq_1_to_1000 b", timeout: 1, cols: uiCols, errHas: "query failed on dialect 'mariadb': MySQLError 1969"},
	})
}
