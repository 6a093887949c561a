package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/toppop"
	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/model"
	"github.com/codelibs/recotem-go/pkg/payload"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "recotem-serve-test-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "recotem-serve")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const signingKeys = "k1:0000000000000000000000000000000000000000000000000000000000000001"

// writeArtifact trains TopPop on 3 users x 5 items and writes a signed
// artifact to path (append_sha: versioned file plus pointer).
func writeArtifact(t *testing.T, path string) {
	t.Helper()
	seen := &sparse.CSR{Rows: 3, Cols: 5, Indptr: []int64{0, 2, 4, 6}, Indices: []int32{0, 1, 0, 2, 0, 1}, Data: []float32{1, 1, 1, 1, 1, 1}}
	rec, err := toppop.Spec.New(algo.Params{}, algo.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Fit(context.Background(), seen); err != nil {
		t.Fatal(err)
	}
	m, err := model.New([]string{"u0", "u1", "u2"}, []string{"i0", "i1", "i2", "i3", "i4"}, seen, rec)
	if err != nil {
		t.Fatal(err)
	}
	pw := payload.NewWriter()
	if err := m.Encode(pw); err != nil {
		t.Fatal(err)
	}
	ring, err := keys.ParseSigning(signingKeys)
	if err != nil {
		t.Fatal(err)
	}
	h := &artifact.Header{RecipeName: "demo", RecipeHash: strings.Repeat("a", 64), RecotemVersion: "0.1.0",
		TrainedAt: "2026-11-28T00:00:00Z", BestClass: algo.TopPop, BestParams: map[string]any{}, BestScore: 0.5,
		Metric: "ndcg", Cutoff: 20, Tuning: artifact.Tuning{TriedAlgorithms: []string{algo.TopPop}, NTrials: 1, NCompleted: 1},
		DataStats: artifact.DataStats{NRows: 6, NUsers: 3, NItems: 5, DedupPolicy: "keep_last"}}
	enc, err := artifact.Encode(ring, h, pw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := artifact.WriteFile(path, enc, artifact.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// writeRecipe writes DIR/NAME.yaml whose output is the artifact at art.
func writeRecipe(t *testing.T, dir, name, art string) {
	t.Helper()
	y := fmt.Sprintf("name: %s\nsource: {type: csv, path: /nonexistent/data.csv}\nschema: {user_column: u, item_column: i}\ntraining: {algorithms: [TopPop]}\noutput: {path: %s}\n", name, art)
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
}

// recipesDir returns a recipes directory with one loadable recipe "demo".
func recipesDir(t *testing.T) string {
	dir := t.TempDir()
	recipes := filepath.Join(dir, "recipes")
	os.Mkdir(recipes, 0o755)
	art := filepath.Join(dir, "artifacts", "demo.recotem")
	writeArtifact(t, art)
	writeRecipe(t, recipes, "demo", art)
	return recipes
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// lockedBuffer collects a child's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a running recotem-serve process.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *lockedBuffer
	base   string
	done   chan struct{}
	code   int
}

// baseEnv is the environment every test starts from: signing keys, a free
// port, and nothing inherited that could change the outcome.
func baseEnv(t *testing.T) (map[string]string, int) {
	port := freePort(t)
	return map[string]string{
		"PATH":                   os.Getenv("PATH"),
		"RECOTEM_SIGNING_KEYS":   signingKeys,
		"RECOTEM_PORT":           strconv.Itoa(port),
		"RECOTEM_WATCH_INTERVAL": "30",
	}, port
}

func environ(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// start runs the binary in the background.
func start(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	s := &server{t: t, stderr: &lockedBuffer{}, done: make(chan struct{}), base: "http://127.0.0.1:" + env["RECOTEM_PORT"]}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = environ(env)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := s.cmd.Wait()
		s.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			s.code = ee.ExitCode()
		}
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// wait returns the exit code, failing the test after timeout.
func (s *server) wait(timeout time.Duration) int {
	s.t.Helper()
	select {
	case <-s.done:
		return s.code
	case <-time.After(timeout):
		s.t.Fatalf("process still running after %s; stderr:\n%s", timeout, s.stderr.String())
		return -1
	}
}

// ready polls /livez until it answers, failing if the process exits.
func (s *server) ready() {
	s.t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		select {
		case <-s.done:
			s.t.Fatalf("exited %d before serving; stderr:\n%s", s.code, s.stderr.String())
		default:
		}
		if res, err := http.Get(s.base + "/livez"); err == nil {
			res.Body.Close()
			return
		}
	}
	s.t.Fatalf("not serving after 20 s; stderr:\n%s", s.stderr.String())
}

func (s *server) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

func post(url, body string) (int, string, error) {
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), nil
}

// TestStartupExitCodes checks the start-up checks that end the process
// and their exit codes.
func TestStartupExitCodes(t *testing.T) {
	recipes := recipesDir(t)
	for _, tc := range []struct {
		name string
		env  map[string]string // overrides; "" deletes
		args []string
		code int
		msg  string
	}{
		{"no signing keys", map[string]string{"RECOTEM_SIGNING_KEYS": ""}, nil, 8, "RECOTEM_SIGNING_KEYS"},
		{"malformed signing keys", map[string]string{"RECOTEM_SIGNING_KEYS": "k1:nothex"}, nil, 5, ""},
		{"malformed api keys", map[string]string{"RECOTEM_API_KEYS": "client:md5:abc"}, nil, 8, ""},
		{"port 0", map[string]string{"RECOTEM_PORT": "0"}, nil, 8, "RECOTEM_PORT"},
		{"port 65536", map[string]string{"RECOTEM_PORT": "65536"}, nil, 8, "RECOTEM_PORT"},
		{"port abc", map[string]string{"RECOTEM_PORT": "abc"}, nil, 8, "RECOTEM_PORT"},
		{"insecure in production", map[string]string{"RECOTEM_ENV": "production"}, []string{"--insecure-no-auth"}, 8, "insecure-no-auth"},
		{"insecure without env", nil, []string{"--insecure-no-auth"}, 8, "insecure-no-auth"},
		{"unsigned without companion", map[string]string{"RECOTEM_ENV": "development"}, []string{"--dev-allow-unsigned"}, 8, "i-understand"},
		{"unsigned outside development", map[string]string{"RECOTEM_ENV": "test"}, []string{"--dev-allow-unsigned", "--i-understand-this-loads-arbitrary-code"}, 8, "dev-allow-unsigned"},
		{"jsonl log format", map[string]string{"RECOTEM_LOG_FORMAT": "jsonl"}, nil, 8, "RECOTEM_LOG_FORMAT"},
		{"missing recipes dir", nil, []string{"--recipes", filepath.Join(recipes, "nope")}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := baseEnv(t)
			for k, v := range tc.env {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			args := tc.args
			if !strings.Contains(strings.Join(args, " "), "--recipes") {
				args = append([]string{"--recipes", recipes}, args...)
			}
			s := start(t, env, args...)
			if code := s.wait(20 * time.Second); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, s.stderr.String())
			}
			if tc.msg != "" && !strings.Contains(s.stderr.String(), tc.msg) {
				t.Errorf("stderr does not mention %q:\n%s", tc.msg, s.stderr.String())
			}
			for _, secret := range []string{strings.TrimPrefix(signingKeys, "k1:")} {
				if strings.Contains(s.stderr.String(), secret) {
					t.Error("stderr contains the signing key")
				}
			}
		})
	}
}

func TestBindFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env, _ := baseEnv(t)
	env["RECOTEM_PORT"] = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	s := start(t, env, "--recipes", recipesDir(t))
	if code := s.wait(20 * time.Second); code != 8 || !strings.Contains(s.stderr.String(), "Server bind failed") {
		t.Fatalf("exit %d, want 8 with 'Server bind failed'; stderr:\n%s", code, s.stderr.String())
	}
}

// TestInsecureAllowedInDevAndTest: --insecure-no-auth starts in dev and
// test, and SIGTERM then exits 0.
func TestInsecureAllowedInDevAndTest(t *testing.T) {
	for _, e := range []string{"dev", "development", "test"} {
		t.Run(e, func(t *testing.T) {
			env, _ := baseEnv(t)
			env["RECOTEM_ENV"] = e
			env["RECOTEM_API_KEYS"] = "client:sha256:" + keys.HashAPIKeyHex("an-api-key-of-at-least-32-characters!!")
			s := start(t, env, "--recipes", recipesDir(t), "--insecure-no-auth")
			s.ready()
			if code, body, err := post(s.base+"/v1/recipes/demo:recommend", `{"user_id":"u1"}`); err != nil || code != 200 {
				t.Errorf("unauthenticated request with --insecure-no-auth: %d %s %v", code, body, err)
			}
			s.signal(syscall.SIGTERM)
			if code := s.wait(20 * time.Second); code != 0 {
				t.Errorf("exit %d after SIGTERM, want 0", code)
			}
		})
	}
}

// TestHostForcedToLoopback: without API keys --host 0.0.0.0 is replaced by
// 127.0.0.1 with a warning.
func TestHostForcedToLoopback(t *testing.T) {
	env, port := baseEnv(t)
	s := start(t, env, "--recipes", recipesDir(t), "--host", "0.0.0.0")
	s.ready()
	logs := s.stderr.String()
	if !strings.Contains(logs, "host_forced_to_loopback") || !strings.Contains(logs, "127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("no host_forced_to_loopback warning or 127.0.0.1 address:\n%s", logs)
	}
	// Bound to loopback only: the port is still free on another local
	// address of this machine, if it has one.
	if ip := nonLoopbackIP(); ip != "" {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, strconv.Itoa(port)), time.Second); err == nil {
			c.Close()
			t.Errorf("reachable on %s", ip)
		}
	}
	s.signal(syscall.SIGTERM)
	s.wait(20 * time.Second)
}

func nonLoopbackIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// TestSIGTERMDrainsInFlight: a request whose body is still arriving when
// SIGTERM lands completes with 200, new connections are refused, and the
// process exits 0.
func TestSIGTERMDrainsInFlight(t *testing.T) {
	env, port := baseEnv(t)
	s := start(t, env, "--recipes", recipesDir(t))
	s.ready()
	const n = 4
	body := `{"user_id":"u1","limit":2}`
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /v1/recipes/demo:recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:5])
		conns[i] = c
	}
	time.Sleep(200 * time.Millisecond) // the handlers are now reading the bodies
	s.signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	select {
	case <-s.done:
		t.Fatalf("exited %d with requests in flight", s.code)
	default:
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
		c.Close()
		t.Error("new connections accepted while draining")
	}
	for i, c := range conns {
		io.WriteString(c, body[5:])
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("in-flight request %d: %v", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.Contains(string(b), `"items"`) {
			t.Errorf("in-flight request %d: %d %s", i, res.StatusCode, b)
		}
	}
	if code := s.wait(20 * time.Second); code != 0 {
		t.Errorf("exit %d after drain, want 0; stderr:\n%s", code, s.stderr.String())
	}
}

// TestSIGHUPRescans: SIGHUP keeps the process alive and triggers a rescan
// at once. The poll interval is 30 s, and the artifact appears in a
// directory no watch covers (it did not exist at start-up), so only the
// SIGHUP can explain the load. A recipe file added to the directory is
// served too.
func TestSIGHUPRescans(t *testing.T) {
	env, _ := baseEnv(t)
	recipes := recipesDir(t)
	late := filepath.Join(filepath.Dir(recipes), "late", "late.recotem")
	writeRecipe(t, recipes, "late", late)
	s := start(t, env, "--recipes", recipes)
	s.ready()
	status := func(name string) int {
		code, _, err := post(s.base+"/v1/recipes/"+name+":recommend", `{"user_id":"u1"}`)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	if code := status("late"); code != 503 {
		t.Fatalf("late before its artifact exists: %d, want 503", code)
	}
	writeArtifact(t, late)
	time.Sleep(500 * time.Millisecond)
	if code := status("late"); code != 503 {
		t.Fatalf("late loaded without SIGHUP (%d): the test cannot tell SIGHUP from the watcher", code)
	}
	s.signal(syscall.SIGHUP)
	waitStatus := func(name string) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if status(name) == 200 {
				return
			}
		}
		t.Fatalf("%s not served within 5 s; stderr:\n%s", name, s.stderr.String())
	}
	waitStatus("late")

	art := filepath.Join(filepath.Dir(recipes), "artifacts", "second.recotem")
	writeArtifact(t, art)
	writeRecipe(t, recipes, "second", art)
	s.signal(syscall.SIGHUP)
	waitStatus("second")
	if code := status("demo"); code != 200 {
		t.Fatalf("demo after two SIGHUPs: %d", code)
	}
	s.signal(syscall.SIGTERM)
	if code := s.wait(20 * time.Second); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

// notifySocket listens on a unixgram socket and collects the messages.
func notifySocket(t *testing.T) (string, <-chan string) {
	dir, err := os.MkdirTemp("", "notify")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "n.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch := make(chan string, 1024)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return path, ch
}

// expect waits for msg on ch.
func expect(t *testing.T, ch <-chan string, msg string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-ch:
			if strings.Contains(m, msg) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s within %s", msg, timeout)
		}
	}
}

// TestNotify: READY=1 arrives once the recipes are loaded (the health
// endpoint then reports every recipe loaded), WATCHDOG=1 pings arrive every
// WATCHDOG_USEC/2, and STOPPING=1 follows SIGTERM.
func TestNotify(t *testing.T) {
	sock, ch := notifySocket(t)
	env, _ := baseEnv(t)
	env["NOTIFY_SOCKET"] = sock
	env["WATCHDOG_USEC"] = "200000"
	s := start(t, env, "--recipes", recipesDir(t))
	expect(t, ch, "READY=1", 20*time.Second)
	res, err := http.Get(s.base + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("health right after READY=1: %d, want 200 (every recipe loaded)", res.StatusCode)
	}
	start := time.Now()
	for i := 0; i < 3; i++ {
		expect(t, ch, "WATCHDOG=1", 2*time.Second)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("3 watchdog pings took %s, want about 300 ms", d)
	}
	s.signal(syscall.SIGTERM)
	expect(t, ch, "STOPPING=1", 10*time.Second)
	if code := s.wait(20 * time.Second); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}
