package logx

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

func TestParseFormat(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"", FormatAuto, false},
		{"auto", FormatAuto, false},
		{"AUTO", FormatAuto, false},
		{"json", FormatJSON, false},
		{"JSON", FormatJSON, false},
		{" Json ", FormatJSON, false},
		{"console", FormatConsole, false},
		{"Console", FormatConsole, false},
		{"jsonl", FormatAuto, true},
		{"text", FormatAuto, true},
	} {
		got, err := ParseFormat(c.in)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.wantErr)
		}
		if err != nil {
			if exitcode.Of(err) != exitcode.Config || !strings.Contains(err.Error(), "RECOTEM_LOG_FORMAT") ||
				!strings.Contains(err.Error(), c.in) || strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseFormat(%q) error %q (code %d): want one line naming the variable and value, code 8",
					c.in, err, exitcode.Of(err))
			}
		}
		if lenient := LenientFormat(c.in); lenient != c.want {
			t.Errorf("LenientFormat(%q) = %v, want %v", c.in, lenient, c.want)
		}
	}
}

// lines logs with f and returns the decoded JSON records.
func jsonLines(t *testing.T, opts Options, f func(*slog.Logger)) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	opts.Format = FormatJSON
	f(New(&buf, opts))
	var out []map[string]any
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

var timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

func TestJSONRecord(t *testing.T) {
	recs := jsonLines(t, Options{Name: "recotem.train"}, func(l *slog.Logger) {
		l.Info("train_done", "name", "news", "best_score", 0.25, "trials", 40, "ok", true,
			"took", 1500*time.Millisecond, "api_key", "k")
	})
	if len(recs) != 1 {
		t.Fatalf("got %d records", len(recs))
	}
	r := recs[0]
	want := map[string]any{
		"event": "train_done", "level": "info", "logger": "recotem.train", "name": "news",
		"best_score": json.Number("0.25"), "trials": json.Number("40"), "ok": true,
		"took": json.Number("1500000000"), "api_key": Redacted,
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %#v, want %#v", k, r[k], v)
		}
	}
	ts, _ := r["timestamp"].(string)
	if !timestampRE.MatchString(ts) {
		t.Errorf("timestamp %q is not ISO-8601 UTC with microseconds and Z", ts)
	}
	if len(r) != len(want)+1 {
		t.Errorf("record has unexpected keys: %v", r)
	}
}

func TestLevels(t *testing.T) {
	recs := jsonLines(t, Options{}, func(l *slog.Logger) {
		l.Debug("d")
		l.Info("i")
		l.Warn("w")
		l.Error("e")
		l.Log(context.Background(), slog.LevelError+4, "e2")
	})
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprint(r["event"], "=", r["level"], " ", r["logger"]))
	}
	want := "i=info recotem w=warning recotem e=error recotem e2=error recotem"
	if strings.Join(got, " ") != want {
		t.Errorf("records = %q, want %q (debug suppressed at the default level)", strings.Join(got, " "), want)
	}
	recs = jsonLines(t, Options{Level: slog.LevelDebug}, func(l *slog.Logger) { l.Debug("d") })
	if len(recs) != 1 || recs[0]["level"] != "debug" {
		t.Errorf("debug level records = %v", recs)
	}
}

func TestGroupsAndWith(t *testing.T) {
	recs := jsonLines(t, Options{}, func(l *slog.Logger) {
		l = l.With("logger", "recotem.serve", "run_id", "r1", "token", "t")
		l.WithGroup("req").With("path", "/recipes/"+b64_43, "x-api-key", "k").
			Info("request", "status", 200, slog.Group("h", "authorization", "Basic x", "accept", "*/*"))
		l.WithGroup("credentials").Info("cred_group", "user", "u")
		l.WithGroup("empty").Info("no_attrs")
		l.Info("inline", slog.Group("", "a", hex64), slog.Group("none"))
		l.Info("reserved", "event", "x", "level", 3, "timestamp", "t", "logger", 5)
	})
	if len(recs) != 5 {
		t.Fatalf("got %d records", len(recs))
	}
	for _, r := range recs {
		if r["logger"] != "recotem.serve" || r["run_id"] != "r1" || r["token"] != Redacted {
			t.Errorf("With attrs missing or unredacted: %v", r)
		}
	}
	req, _ := recs[0]["req"].(map[string]any)
	h, _ := req["h"].(map[string]any)
	if req["path"] != "/recipes/"+b64_43 || req["x-api-key"] != Redacted || req["status"] != json.Number("200") ||
		h["authorization"] != Redacted || h["accept"] != "*/*" {
		t.Errorf("grouped record = %v", recs[0])
	}
	if recs[1]["credentials"] != Redacted {
		t.Errorf("sensitive group = %v, want the whole group redacted", recs[1])
	}
	if _, ok := recs[2]["empty"]; ok {
		t.Errorf("empty group written: %v", recs[2])
	}
	if recs[3]["a"] != RedactedHex64 {
		t.Errorf("inline group = %v", recs[3])
	}
	if _, ok := recs[3]["none"]; ok {
		t.Errorf("empty group written: %v", recs[3])
	}
	r := recs[4]
	if r["event"] != "reserved" || r["event_"] != "x" || r["level_"] != json.Number("3") ||
		r["timestamp_"] != "t" || r["logger_"] != json.Number("5") || r["level"] != "info" {
		t.Errorf("reserved keys = %v", r)
	}
}

// logValuer returns a secret-bearing value lazily.
type logValuer struct{}

func (logValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("password", "p"), slog.String("dsn", "mysql://u:p@h/d"))
}

func TestEveryDepthIsRedacted(t *testing.T) {
	recs := jsonLines(t, Options{}, func(l *slog.Logger) {
		l.Info("event "+hex64, "lazy", logValuer{},
			"m", map[string]any{"keys": []any{map[string]any{"x-api-key": "v"}}, "b": []byte("hello")},
			"msg_detail", hex64, "err", errors.New("bad key "+b64_43))
	})
	r := recs[0]
	if r["event"] != "event "+RedactedHex64 {
		t.Errorf("message not redacted: %v", r["event"])
	}
	lazy, _ := r["lazy"].(map[string]any)
	if lazy["password"] != Redacted || lazy["dsn"] != "mysql://***@h/d" {
		t.Errorf("LogValuer = %v", r["lazy"])
	}
	m, _ := r["m"].(map[string]any)
	keys, _ := m["keys"].([]any)
	inner, _ := keys[0].(map[string]any)
	if inner["x-api-key"] != Redacted || m["b"] != "<bytes len=5>" {
		t.Errorf("nested map = %v", r["m"])
	}
	if r["msg_detail"] != RedactedHex64 || r["err"] != "bad key "+RedactedB64URL43 {
		t.Errorf("values = %v", r)
	}
	line := fmt.Sprint(recs)
	for _, secret := range []string{hex64, b64_43, ":p@"} {
		if strings.Contains(line, secret) {
			t.Errorf("output contains %q: %s", secret, line)
		}
	}
}

func TestRedactionFailedEvent(t *testing.T) {
	long := strings.Repeat("event ", 9) + hex64
	recs := jsonLines(t, Options{}, func(l *slog.Logger) {
		l.Warn(long, "bad", make(chan int), "password", "p")
		l.With("bad", func() {}).Info("via_with", "x", 1)
		l.Info("panics", "v", panicky{})
	})
	if len(recs) != 3 {
		t.Fatalf("got %d records", len(recs))
	}
	want := []struct{ level, original, class string }{
		{"warning", strings.Repeat("event ", 9) + RedactedHex64[:10], "*json.UnsupportedTypeError"},
		{"info", "via_with", "*json.UnsupportedTypeError"},
		{"info", "panics", "panic"},
	}
	for i, r := range recs {
		if r["event"] != "[redaction_failed]" || r["level"] != want[i].level ||
			r["original_event"] != want[i].original || r["redaction_error_class"] != want[i].class {
			t.Errorf("record %d = %v, want %+v", i, r, want[i])
		}
		if len(r) != 6 {
			t.Errorf("record %d carries other fields: %v", i, r)
		}
	}
}

func TestConcurrentWritesStayWholeLines(t *testing.T) {
	var buf bytes.Buffer
	l := New(&syncWriter{w: &buf}, Options{Format: FormatJSON})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ll := l.With("g", g)
			for i := range 50 {
				ll.Info("tick", "i", i, "detail", strings.Repeat("x", 100))
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("invalid line %q", line)
		}
	}
}

// syncWriter fails the test's race detector if the handler ever writes
// concurrently.
type syncWriter struct {
	w *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

func TestJSONStringEscaping(t *testing.T) {
	weird := "quote\" back\\ nl\n tab\t ctl\x01 del\x7f bad\xff ls\u2028 <html>&"
	recs := jsonLines(t, Options{}, func(l *slog.Logger) { l.Info("esc", "s", weird, "nan", math.NaN(), "inf", math.Inf(1)) })
	want := strings.ReplaceAll(weird, "\xff", "\ufffd")
	if recs[0]["s"] != want {
		t.Errorf("round trip = %q, want %q", recs[0]["s"], want)
	}
}

func TestConsoleFormat(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, Options{Format: FormatConsole, Name: "recotem.validate"})
	l.Warn("recipe_loaded", "name", "news", "path", "/r/a b.yaml", "api_key", "k",
		slog.Group("g", "n", 1), "m", map[string]any{"token": "t"}, "took", time.Second)
	line := buf.String()
	re := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \[warning\] recipe_loaded name=news ` +
		`path="/r/a b.yaml" api_key=\[REDACTED\] g.n=1 m=\{"token":"\[REDACTED\]"\} took=1s logger=recotem.validate\n$`)
	if !re.MatchString(line) {
		t.Errorf("console line = %q", line)
	}
	if strings.Contains(line, "\x1b[") {
		t.Errorf("colour written to a non-terminal: %q", line)
	}
}

func TestAutoFormat(t *testing.T) {
	// Off a terminal (a pipe): JSON.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	New(w, Options{}).Info("piped")
	w.Close()
	var b bytes.Buffer
	b.ReadFrom(r)
	r.Close()
	if !json.Valid(bytes.TrimSpace(b.Bytes())) {
		t.Errorf("auto off a terminal wrote %q, want JSON", b.String())
	}

	// On a terminal: console, coloured unless NO_COLOR is set.
	master, slave := openPTY(t)
	defer master.Close()
	defer slave.Close()
	New(slave, Options{}).Info("on_tty", "k", 1)
	t.Setenv("NO_COLOR", "1")
	New(slave, Options{}).Info("no_colour")
	got := readAvailable(t, master, 2)
	if !strings.Contains(got[0], "on_tty") || !strings.Contains(got[0], "\x1b[32minfo") || strings.HasPrefix(got[0], "{") {
		t.Errorf("auto on a terminal wrote %q, want a coloured console line", got[0])
	}
	if !strings.Contains(got[1], "[info   ] no_colour") || strings.Contains(got[1], "\x1b[") {
		t.Errorf("NO_COLOR line = %q", got[1])
	}
	// A forced format wins over the terminal.
	New(slave, Options{Format: FormatJSON}).Info("forced")
	if got := readAvailable(t, master, 1); !strings.HasPrefix(got[0], "{") {
		t.Errorf("forced json on a terminal wrote %q", got[0])
	}
}

// openPTY opens a pseudo-terminal pair, skipping the test where there is none.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open pts: %v", err)
	}
	return m, s
}

// readAvailable reads n lines from the terminal master.
func readAvailable(t *testing.T, master *os.File, n int) []string {
	t.Helper()
	master.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(master)
	var lines []string
	for range n {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading terminal: %v (got %q)", err, lines)
		}
		lines = append(lines, line)
	}
	return lines
}
