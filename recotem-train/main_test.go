package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/dbtest"
	"github.com/codelibs/recotem-go/pkg/tune"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "recotem-train-test-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "recotem-train")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := dbtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

const keys = "k1:0000000000000000000000000000000000000000000000000000000000000001"

// data writes a CSV of users x items interactions: user u saw items u..u+k.
func data(t *testing.T, dir string, users, k int) string {
	var b strings.Builder
	b.WriteString("user_id,item_id\n")
	for u := 0; u < users; u++ {
		for i := 0; i < k; i++ {
			fmt.Fprintf(&b, "u%d,i%d\n", u, (u*7+i*3)%40)
		}
	}
	p := filepath.Join(dir, "data.csv")
	os.WriteFile(p, []byte(b.String()), 0o644)
	return p
}

// recipe writes a recipe; body holds the lines after name (indented YAML).
func recipe(t *testing.T, dir, body string) string {
	p := filepath.Join(dir, "recipe.yaml")
	if err := os.WriteFile(p, []byte("name: t\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	csv := data(t, dir, 30, 12)
	out := filepath.Join(dir, "out", "m.recotem")
	good := fmt.Sprintf("source: {type: csv, path: %s}\nschema: {user_column: user_id, item_column: item_id}\ntraining: {algorithms: [TopPop], n_trials: 1}\noutput: {path: %s}\n", csv, out)
	ok := recipe(t, dir, good)
	withKeys := []string{"RECOTEM_SIGNING_KEYS=" + keys, "RECOTEM_LOG_FORMAT=json"}

	r := run(t, withKeys, ok)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("good recipe: exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if strings.HasPrefix(line, "{") && !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	if strings.Contains(r.stderr, "0000000000000000000000000000000000000000000000000000000000000001") {
		t.Error("the signing key appears in the logs")
	}
	ptr, err := os.ReadFile(out)
	if err != nil || !strings.HasSuffix(string(ptr), ".recotem\n") {
		t.Fatalf("pointer file: %q %v", ptr, err)
	}

	for _, tc := range []struct {
		name string
		body string
		env  []string
		args []string
		code int
		want string
	}{
		{"bad yaml", "source: [\n", withKeys, nil, 2, "Recipe error"},
		{"unknown field", good + "bogus: 1\n", withKeys, nil, 2, "Extra inputs"},
		{"missing column", strings.Replace(good, "user_id,", "nobody,", 1), withKeys, nil, 3, "not found in the data"},
		{"too little data", strings.Replace(good, "schema:", "cleansing: {min_rows: 100000}\nschema:", 1), withKeys, nil, 4, "min_rows"},
		{"no keys", good, []string{"RECOTEM_SIGNING_KEYS="}, nil, 8, "RECOTEM_SIGNING_KEYS"},
		{"malformed keys", good, []string{"RECOTEM_SIGNING_KEYS=invalid format"}, nil, 5, ""},
		{"dev flag alone", good, withKeys, []string{"--dev-allow-unsigned"}, 8, "--i-understand"},
		{"dev flag in production", good, append(withKeys, "RECOTEM_ENV=production"), []string{"--dev-allow-unsigned", "--i-understand-this-loads-arbitrary-code"}, 8, "RECOTEM_ENV=development"},
		{"bad lock timeout", good, withKeys, []string{"--lock-timeout", "-10"}, 8, "-10"},
		{"bad run id", good, withKeys, []string{"--run-id", "../escape"}, 2, "--run-id"},
		{"env var format", good, withKeys, []string{"--env-var", "NOEQUALS"}, 2, "--env-var 'NOEQUALS' must be in KEY=VALUE format.\n"},
		{"unknown flag", good, withKeys, []string{"--bogus"}, 2, "bogus"},
		{"ssrf refused", fmt.Sprintf("source: {type: csv, path: 'http://127.0.0.1:9/x.csv', sha256: %s}\nschema: {user_column: user_id, item_column: item_id}\ntraining: {algorithms: [TopPop]}\noutput: {path: %s}\n", strings.Repeat("a", 64), out), withKeys, nil, 7, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := recipe(t, t.TempDir(), tc.body)
			r := run(t, tc.env, append([]string{p}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", r.code, tc.code, tc.want, r.stderr)
			}
		})
	}
}

func TestBusyLock(t *testing.T) {
	dir := t.TempDir()
	csv := data(t, dir, 30, 12)
	out := filepath.Join(dir, "m.recotem")
	p := recipe(t, dir, fmt.Sprintf("source: {type: csv, path: %s}\nschema: {user_column: user_id, item_column: item_id}\ntraining: {algorithms: [TopPop], n_trials: 1}\noutput: {path: %s}\n", csv, out))
	holder := exec.Command("flock", "-x", out+".lock", "sleep", "5")
	if err := holder.Start(); err != nil {
		t.Skipf("flock(1): %v", err)
	}
	defer holder.Process.Kill()
	time.Sleep(300 * time.Millisecond)
	env := []string{"RECOTEM_SIGNING_KEYS=" + keys}
	if r := run(t, env, p); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "recipe_lock_contended_skipping") {
		t.Errorf("busy lock: exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, env, p, "--fail-on-busy"); r.code != 6 {
		t.Errorf("busy lock with --fail-on-busy: exit %d", r.code)
	}
	start := time.Now()
	if r := run(t, env, p, "--lock-timeout", "0.5"); r.code != 6 || time.Since(start) < 500*time.Millisecond {
		t.Errorf("lock timeout: exit %d after %v", r.code, time.Since(start))
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an artifact was written while the lock was held")
	}
}

// journalOwners counts the trial records of a journal by state and owner.
func journalTrials(t *testing.T, path string) map[int]map[string]any {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	trials := map[int]map[string]any{}
	for _, line := range strings.Split(string(b), "\n") {
		var rec struct {
			Trial map[string]any `json:"trial"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Trial != nil {
			trials[int(rec.Trial["number"].(float64))] = rec.Trial
		}
	}
	return trials
}

func TestKillAndResume(t *testing.T) {
	dir := t.TempDir()
	csv := data(t, dir, 1000, 20)
	out := filepath.Join(dir, "m.recotem")
	journal := filepath.Join(dir, "study.jsonl")
	env := []string{"RECOTEM_SIGNING_KEYS=" + keys}
	body := func(n int) string {
		return fmt.Sprintf("source: {type: csv, path: %s}\nschema: {user_column: user_id, item_column: item_id}\ntraining: {algorithms: [IALS], n_trials: %d, storage_path: %s, params: {IALS: {n_components: 32}}}\noutput: {path: %s}\n", csv, n, journal, out)
	}
	// A first, complete run leaves an artifact and a pointer.
	if r := run(t, env, recipe(t, dir, body(1)), "--run-id", "first"); r.code != 0 {
		t.Fatalf("first run: %d %s", r.code, r.stderr)
	}
	pointer, _ := os.ReadFile(out)
	versioned, _ := os.ReadFile(filepath.Join(dir, strings.TrimSpace(string(pointer))))

	// Kill -9 a second run once two trials are in its journal.
	p := recipe(t, dir, body(8))
	cmd := exec.Command(bin, p, "--run-id", "resume", "-q")
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		complete := 0
		for _, tr := range journalTrials(t, journal) {
			if tr["state"] == "complete" && strings.Contains(fmt.Sprint(tr["owner"]), "/resume") {
				complete++
			}
		}
		if complete >= 2 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the run never completed two trials")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if got, _ := os.ReadFile(out); !bytes.Equal(got, pointer) {
		t.Fatalf("kill -9 changed the pointer: %q → %q", pointer, got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, strings.TrimSpace(string(pointer)))); !bytes.Equal(got, versioned) {
		t.Fatal("kill -9 changed the previous artifact")
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmp) > 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	before := map[int]bool{}
	for n, tr := range journalTrials(t, journal) {
		if tr["state"] == "complete" && strings.Contains(fmt.Sprint(tr["owner"]), "/resume") {
			before[n] = true
		}
	}
	// Resume: the completed trials are kept, the rest run, 8 in total.
	r := run(t, env, p, "--run-id", "resume", "--json", "-q")
	if r.code != 0 {
		t.Fatalf("resume: %d %s", r.code, r.stderr)
	}
	var res struct{ Completed, Pruned, Failed int }
	json.Unmarshal([]byte(r.stdout), &res)
	if n := res.Completed + res.Pruned + res.Failed; n != 8 {
		t.Errorf("after resume %d finished trials (%+v), want 8", n, res)
	}
	after := journalTrials(t, journal)
	for n := range before {
		tr := after[n]
		if tr["state"] != "complete" {
			t.Errorf("trial %d completed before the kill was re-run: %v", n, tr["state"])
		}
	}
}

func TestConcurrentTrainersShareAPostgresStudy(t *testing.T) {
	url := dbtest.Postgres(t)
	dir := t.TempDir()
	csv := data(t, dir, 100, 10)
	p := recipe(t, dir, fmt.Sprintf("source: {type: csv, path: %s}\nschema: {user_column: user_id, item_column: item_id}\ntraining: {algorithms: [CosineKNN, RP3beta], n_trials: 12, storage_path: '%s'}\noutput: {path: %s}\n", csv, url, filepath.Join(dir, "m.recotem")))
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = run(t, []string{"RECOTEM_SIGNING_KEYS=" + keys}, p, "--run-id", "shared", "--no-lock", "--json", "-q")
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("trainer %d: exit %d %s", i, r.code, r.stderr)
		}
		// A trainer that finishes first may see the other's last trial still
		// running; every slot is claimed by then.
		var res struct{ Trials int }
		json.Unmarshal([]byte(r.stdout), &res)
		if res.Trials != 12 {
			t.Errorf("trainer %d sees %d trials, want 12", i, res.Trials)
		}
	}
	store, err := tune.OpenStorage(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	trials, err := store.Load(context.Background(), "recotem_t_shared")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, tr := range trials {
		if seen[tr.Number] || tr.State != tune.Complete {
			t.Errorf("trial %d: duplicated or %s", tr.Number, tr.State)
		}
		seen[tr.Number] = true
	}
	if len(trials) != 12 {
		t.Errorf("the shared study holds %d trials, want 12", len(trials))
	}
}
