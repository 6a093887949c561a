// Package dbtest starts real database servers for tests, the way httptest
// starts HTTP servers: a private PostgreSQL (initdb + pg_ctl from the
// Debian packages) on a free loopback port, one per test binary, with a
// fresh database per test.
//
// When the server binaries are absent the tests that need them are
// skipped, unless RECOTEM_TEST_REQUIRE_SERVICES=1 (set by CI), in which case
// they fail. A package that uses dbtest stops its servers from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	pgOnce sync.Once
	pg     *postgres
	pgErr  error
)

type postgres struct {
	dir, bin string
	port     int
	asUser   string
}

// Run runs the tests and stops any server they started.
func Run(m *testing.M) int {
	code := m.Run()
	if pg != nil {
		pg.stop()
	}
	return code
}

// unavailable skips or fails the test when a server cannot be started.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("RECOTEM_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s required (RECOTEM_TEST_REQUIRE_SERVICES=1) but unavailable: %v", what, err)
	}
	t.Skipf("%s unavailable: %v", what, err)
}

// Postgres returns the URL (postgres://...) of a new, empty database on
// the test binary's PostgreSQL server; the database is dropped when the
// test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pg, pgErr = startPostgres() })
	if pgErr != nil {
		unavailable(t, "PostgreSQL", pgErr)
	}
	name := "t_" + randomHex(6)
	admin := pg.url("postgres")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connecting to test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return pg.url(name)
}

func (p *postgres) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// findPostgresBin locates initdb/pg_ctl/postgres.
func findPostgresBin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", fmt.Errorf("pg_ctl not found (apt-get install postgresql)")
}

// FreePort returns a TCP port on 127.0.0.1 that is free right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startPostgres() (*postgres, error) {
	bin, err := findPostgresBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "recotem-pg-")
	if err != nil {
		return nil, err
	}
	p := &postgres{dir: dir, bin: bin}
	// PostgreSQL refuses to run as root; run it as the postgres user.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		p.asUser = "postgres"
	}
	data := filepath.Join(dir, "data")
	if out, err := p.run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	for attempt := 0; attempt < 3; attempt++ {
		if p.port, err = FreePort(); err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", p.port, dir)
		out, err := p.run(filepath.Join(bin, "pg_ctl"), "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start")
		if err == nil {
			return p, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		pgErr = fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	return nil, pgErr
}

func (p *postgres) run(name string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if p.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", p.asUser, "--", name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Dir = p.dir
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
		return out, err
	case <-ctx.Done():
		cmd.Process.Kill()
		return nil, ctx.Err()
	}
}

func (p *postgres) stop() {
	p.run(filepath.Join(p.bin, "pg_ctl"), "-D", filepath.Join(p.dir, "data"), "-m", "immediate", "stop")
	os.RemoveAll(p.dir)
}
