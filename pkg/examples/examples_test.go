package examples

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, to build the SQL example's database

	"github.com/codelibs/recotem-go/pkg/repotest"
)

// example describes one directory under examples/ and what its served
// model must answer.
type example struct {
	dir    string            // directory under examples/, also the recipe name
	user   string            // a user with at least one recommendation
	seed   string            // an item with related items
	fields []string          // metadata fields joined into single-verb items
	env    map[string]string // extra environment for validate and train
	// setup prepares the copied example directory (e.g. builds a
	// database) before validate runs.
	setup func(t *testing.T, dir string)
}

// allExamples are the examples under test, with a user and a seed item that
// have recommendations in each.
var allExamples = []example{
	{dir: "quickstart", user: "user007", seed: "item003"},
	{dir: "realistic", user: "u0001", seed: "b001", fields: []string{"title", "category"}},
	{dir: "sql-sqlite", user: "c001", seed: "p001", env: map[string]string{"RECOTEM_RECIPE_DSN": "sqlite:///data/shop.db"}, setup: createShopDB},
	{dir: "parquet", user: "1", seed: "t0001"},
	{dir: "plugin", user: "u15", seed: "i0"},
}

// commands are the binaries the examples need.
var commands = []string{"recotem", "recotem-train", "recotem-serve", "recotem-inspect", "recotem-validate", "recotem-keygen"}

// trainResult is the part of `recotem train --json` the test checks.
type trainResult struct {
	Recipe       string  `json:"recipe"`
	Artifact     string  `json:"artifact"`
	Pointer      string  `json:"pointer"`
	ModelVersion string  `json:"model_version"`
	BestClass    string  `json:"best_class"`
	BestScore    float64 `json:"best_score"`
	Completed    int     `json:"completed"`
}

// inspectResult is the part of `recotem inspect --json` the test checks.
type inspectResult struct {
	Kid          string `json:"kid"`
	HMAC         string `json:"hmac"`
	ModelVersion string `json:"model_version"`
	Header       struct {
		RecipeName string `json:"recipe_name"`
		BestClass  string `json:"best_class"`
	} `json:"header"`
}

var modelVersionRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// TestExamples builds the binaries, then validates, trains and inspects every
// example from a copy of its directory, serves them all from one recipes
// directory and calls every verb over HTTP.
func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every binary and trains every example; skipped with -short")
	}
	root := repotest.Root(t)
	bin := buildCommands(t, root)
	work := t.TempDir()
	for _, e := range allExamples {
		copyDir(t, filepath.Join(root, "examples", e.dir), filepath.Join(work, e.dir))
	}
	copyDir(t, filepath.Join(root, "examples", "plugins"), filepath.Join(work, "plugins"))

	signing := keygen(t, bin, "signing")
	api := keygen(t, bin, "api")
	env := baseEnv(map[string]string{
		"RECOTEM_SIGNING_KEYS": strings.TrimPrefix(signing["env_entry"], "RECOTEM_SIGNING_KEYS="),
		"RECOTEM_LOG_FORMAT":   "json",
		"RECOTEM_EXEC_PATH":    filepath.Join(work, "plugins"),
	})

	trained := map[string]trainResult{}
	for _, e := range allExamples {
		t.Run("train/"+e.dir, func(t *testing.T) {
			dir := filepath.Join(work, e.dir)
			if e.setup != nil {
				e.setup(t, dir)
			}
			env := withEnv(env, e.env)
			out := run(t, dir, env, 0, filepath.Join(bin, "recotem"), "validate", "recipe.yaml")
			if !strings.Contains(out, "Validation passed.") {
				t.Errorf("validate printed %q, want it to contain %q", out, "Validation passed.")
			}

			out = run(t, dir, env, 0, filepath.Join(bin, "recotem"), "train", "recipe.yaml", "--json", "-q")
			var res trainResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("train --json: %v in %q", err, out)
			}
			if res.Recipe != e.dir || !modelVersionRE.MatchString(res.ModelVersion) || res.Completed < 1 || res.BestClass == "" || !(res.BestScore > 0) {
				t.Errorf("train --json = %+v", res)
			}
			for _, p := range []string{res.Artifact, res.Pointer} {
				if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
					t.Errorf("train --json names %s: %v", p, err)
				}
			}

			out = run(t, dir, env, 0, filepath.Join(bin, "recotem"), "inspect", res.Pointer)
			if !strings.HasPrefix(out, "HMAC: OK") || !strings.Contains(out, `"recipe_name": "`+e.dir+`"`) {
				t.Errorf("inspect printed %q, want HMAC: OK and the recipe name", out)
			}
			out = run(t, dir, env, 0, filepath.Join(bin, "recotem"), "inspect", "--json", res.Pointer)
			var ins inspectResult
			if err := json.Unmarshal([]byte(out), &ins); err != nil {
				t.Fatalf("inspect --json: %v in %q", err, out)
			}
			if ins.HMAC != "ok" || ins.Kid != signing["kid"] || ins.ModelVersion != res.ModelVersion ||
				ins.Header.RecipeName != e.dir || ins.Header.BestClass != res.BestClass {
				t.Errorf("inspect --json = %+v, train said %+v", ins, res)
			}
			trained[e.dir] = res
		})
	}
	if t.Failed() {
		t.FailNow()
	}

	t.Run("serve", func(t *testing.T) {
		testServe(t, bin, work, withEnv(env, map[string]string{
			"RECOTEM_API_KEYS": strings.TrimPrefix(api["env_entry"], "RECOTEM_API_KEYS="),
		}), api["plaintext"], trained)
	})
}

// testServe serves every example from one recipes directory and calls every
// verb of every recipe.
func testServe(t *testing.T, bin, work string, env []string, apiKey string, trained map[string]trainResult) {
	recipes := filepath.Join(work, "recipes")
	for _, e := range allExamples {
		servingCopy(t, filepath.Join(work, e.dir, "recipe.yaml"), filepath.Join(recipes, e.dir+".yaml"), e.dir)
	}
	port := freePort(t)
	var logs bytes.Buffer
	cmd := exec.Command(filepath.Join(bin, "recotem"), "serve", "--recipes", recipes, "--port", fmt.Sprint(port))
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = work, env, &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("serve log:\n%s", logs.String())
		}
	})

	c := &client{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), key: apiKey}
	// serve loads every recipe before it accepts connections: the first
	// answer of /v1/health is final.
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, _, _ := c.tryDo("GET", "/v1/health", nil, false)
		if status == http.StatusOK {
			break
		}
		if status != 0 {
			_, details, _ := c.tryDo("GET", "/v1/health/details", nil, true)
			t.Fatalf("/v1/health: status %d, want 200; details: %s", status, details)
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("serve exited before it answered: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /v1/health within 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}

	if status, _, _ := c.tryDo("GET", "/v1/recipes", nil, false); status != http.StatusUnauthorized {
		t.Errorf("GET /v1/recipes without a key: status %d, want 401", status)
	}
	var list struct {
		Recipes []struct {
			Name         string `json:"name"`
			ModelVersion string `json:"model_version"`
		} `json:"recipes"`
	}
	c.do("GET", "/v1/recipes", nil, &list)
	listed := map[string]string{}
	for _, r := range list.Recipes {
		listed[r.Name] = r.ModelVersion
	}
	for _, e := range allExamples {
		if got, want := listed[e.dir], trained[e.dir].ModelVersion; got != want {
			t.Errorf("GET /v1/recipes: %s has model_version %q, train wrote %q", e.dir, got, want)
		}
	}

	for _, e := range allExamples {
		t.Run(e.dir, func(t *testing.T) {
			c := &client{t: t, base: c.base, key: c.key}
			want := trained[e.dir].ModelVersion
			verb := "/v1/recipes/" + e.dir + ":"

			var rec single
			mv := c.do("POST", verb+"recommend", map[string]any{"user_id": e.user, "limit": 5}, &rec)
			rec.check(t, "recommend", e, mv, want, 5)
			if len(rec.Items) > 0 {
				first := rec.Items[0]["item_id"]
				var ex single
				c.do("POST", verb+"recommend", map[string]any{"user_id": e.user, "limit": 5, "exclude_items": []any{first}}, &ex)
				for _, it := range ex.Items {
					if it["item_id"] == first {
						t.Errorf("recommend with exclude_items [%v] returned it", first)
					}
				}
			}
			if status, body, _ := c.tryDo("POST", verb+"recommend", map[string]any{"user_id": "no-such-user"}, true); status != http.StatusNotFound || !strings.Contains(body, "UNKNOWN_USER") {
				t.Errorf("recommend for an unknown user: %d %s, want 404 UNKNOWN_USER", status, body)
			}

			var rel single
			mv = c.do("POST", verb+"recommend-related", map[string]any{"seed_items": []string{e.seed}, "limit": 3}, &rel)
			rel.check(t, "recommend-related", e, mv, want, 3)
			for _, it := range rel.Items {
				if it["item_id"] == e.seed {
					t.Errorf("recommend-related returned its seed %s", e.seed)
				}
			}

			var br batch
			mv = c.do("POST", verb+"batch-recommend", map[string]any{"requests": []any{
				map[string]any{"user_id": e.user, "limit": 2}, map[string]any{"user_id": "no-such-user"},
			}, "include_metadata": true}, &br)
			br.check(t, "batch-recommend", e, mv, want, "UNKNOWN_USER", true)

			var brr batch
			mv = c.do("POST", verb+"batch-recommend-related", map[string]any{"requests": []any{
				map[string]any{"seed_items": []string{e.seed}, "limit": 2}, map[string]any{"seed_items": []string{"no-such-item"}},
			}}, &brr)
			brr.check(t, "batch-recommend-related", e, mv, want, "UNKNOWN_SEED_ITEMS", false)
		})
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("serve after SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve still running 30 s after SIGTERM")
	}
}

// single is the body of :recommend and :recommend-related.
type single struct {
	RequestID    string           `json:"request_id"`
	Recipe       string           `json:"recipe"`
	ModelVersion string           `json:"model_version"`
	Items        []map[string]any `json:"items"`
}

// check verifies the envelope and the items of a single-verb answer whose
// X-Recotem-Model-Version header was header.
func (s *single) check(t *testing.T, verb string, e example, header, want string, limit int) {
	t.Helper()
	if s.Recipe != e.dir || s.RequestID == "" || s.ModelVersion != want || header != want {
		t.Errorf("%s: recipe %q request_id %q model_version body %q header %q, want %q", verb, s.Recipe, s.RequestID, s.ModelVersion, header, want)
	}
	if len(s.Items) == 0 || len(s.Items) > limit {
		t.Errorf("%s: %d items, want 1..%d", verb, len(s.Items), limit)
	}
	for _, it := range s.Items {
		checkItem(t, verb, it)
		checkMetadata(t, verb, it, e.fields, true)
	}
}

// batch is the body of the batch verbs.
type batch struct {
	Recipe       string `json:"recipe"`
	ModelVersion string `json:"model_version"`
	Results      []struct {
		Index  int              `json:"index"`
		Status string           `json:"status"`
		Items  []map[string]any `json:"items"`
		Error  *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"results"`
}

// check verifies a two-element batch answer: the first element succeeds
// (with e's metadata fields if metadata was asked for, without otherwise),
// the second fails with code.
func (b *batch) check(t *testing.T, verb string, e example, header, want, code string, metadata bool) {
	t.Helper()
	if b.Recipe != e.dir || b.ModelVersion != want || header != want {
		t.Errorf("%s: recipe %q model_version body %q header %q, want %q", verb, b.Recipe, b.ModelVersion, header, want)
	}
	if len(b.Results) != 2 {
		t.Fatalf("%s: %d results, want 2", verb, len(b.Results))
	}
	ok, bad := b.Results[0], b.Results[1]
	if ok.Index != 0 || ok.Status != "ok" || ok.Error != nil || len(ok.Items) == 0 || len(ok.Items) > 2 {
		t.Errorf("%s: first result %+v, want status ok with 1..2 items", verb, ok)
	}
	for _, it := range ok.Items {
		checkItem(t, verb, it)
		checkMetadata(t, verb, it, e.fields, metadata)
	}
	if bad.Index != 1 || bad.Status != "error" || bad.Error == nil || bad.Error.Code != code || bad.Items != nil {
		t.Errorf("%s: second result %+v, want an error %s", verb, bad, code)
	}
}

// checkItem verifies the item_id and score of one recommended item.
func checkItem(t *testing.T, verb string, it map[string]any) {
	t.Helper()
	id, _ := it["item_id"].(string)
	score, ok := it["score"].(float64)
	if id == "" || !ok || math.IsNaN(score) || math.IsInf(score, 0) {
		t.Errorf("%s: item %v, want a non-empty item_id and a finite score", verb, it)
	}
}

// checkMetadata verifies that item carries every metadata field (want) or
// none of them (!want).
func checkMetadata(t *testing.T, verb string, it map[string]any, fields []string, want bool) {
	t.Helper()
	for _, f := range fields {
		v, ok := it[f].(string)
		if want && (!ok || v == "") {
			t.Errorf("%s: item %v lacks metadata field %q", verb, it, f)
		}
		if _, has := it[f]; !want && has {
			t.Errorf("%s: item %v has metadata field %q that was not asked for", verb, it, f)
		}
	}
}

// client calls the server with the API key.
type client struct {
	t    *testing.T
	base string
	key  string
}

// tryDo sends one request and returns the status, the body and the
// X-Recotem-Model-Version header; network errors give status 0.
func (c *client) tryDo(method, path string, body any, auth bool) (int, string, string) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth {
		req.Header.Set("X-API-Key", c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error(), ""
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error(), ""
	}
	return resp.StatusCode, string(data), resp.Header.Get("X-Recotem-Model-Version")
}

// do sends an authenticated request that must answer 200 with JSON, decodes
// it into out and returns the X-Recotem-Model-Version header.
func (c *client) do(method, path string, body, out any) string {
	c.t.Helper()
	status, data, mv := c.tryDo(method, path, body, true)
	if status != http.StatusOK {
		c.t.Fatalf("%s %s: status %d: %s", method, path, status, data)
	}
	if err := json.Unmarshal([]byte(data), out); err != nil {
		c.t.Fatalf("%s %s: %v in %s", method, path, err, data)
	}
	return mv
}

// buildCommands builds the binaries into a temporary directory, or returns
// $RECOTEM_TEST_EXAMPLES_BIN when it is set (`make test` points it at the fresh
// bin/ directory to save a build).
func buildCommands(t *testing.T, root string) string {
	t.Helper()
	if dir := os.Getenv("RECOTEM_TEST_EXAMPLES_BIN"); dir != "" {
		for _, c := range commands {
			if _, err := os.Stat(filepath.Join(dir, c)); err != nil {
				t.Fatalf("RECOTEM_TEST_EXAMPLES_BIN: %v", err)
			}
		}
		return dir
	}
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, c := range commands {
		args = append(args, "./"+c)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return dir
}

// keygen runs `recotem keygen --type kind` and returns its key=value lines.
func keygen(t *testing.T, bin, kind string) map[string]string {
	t.Helper()
	out := run(t, "", nil, 0, filepath.Join(bin, "recotem"), "keygen", "--type", kind, "--kid", "examples")
	kv := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	for _, k := range []string{"kid", "plaintext", "env_entry"} {
		if kv[k] == "" {
			t.Fatalf("keygen --type %s printed no %s= line: %q", kind, k, out)
		}
	}
	return kv
}

// run runs a command in dir and returns its stdout; it fails the test when
// the exit status is not want.
func run(t *testing.T, dir string, env []string, want int, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %s: %v", filepath.Base(name), strings.Join(args, " "), err)
	}
	if code != want {
		t.Fatalf("%s %s: exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), code, want, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// baseEnv is the test process environment without any RECOTEM_ variable
// (so a developer's settings cannot leak in), plus vars.
func baseEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RECOTEM_") {
			env = append(env, kv)
		}
	}
	return withEnv(env, vars)
}

// withEnv returns env with vars appended (later entries win).
func withEnv(env []string, vars map[string]string) []string {
	out := append([]string(nil), env...)
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// servingCopy writes the recipe at src to dst with every relative path
// prefixed by prefix: recotem serve resolves relative paths against its
// working directory, which is the parent of all the example directories.
func servingCopy(t *testing.T, src, dst, prefix string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^(\s*path:\s*)`)
	data = re.ReplaceAll(data, []byte("${1}"+prefix+"/"))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// createShopDB builds the SQL example's SQLite database from its committed
// script, as `sqlite3 data/shop.db < data/shop.sql` does.
func createShopDB(t *testing.T, dir string) {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(dir, "data", "shop.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "data", "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(string(script)); err != nil {
		t.Fatalf("data/shop.sql: %v", err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM purchases").Scan(&n); err != nil || n == 0 {
		t.Fatalf("data/shop.db: %d purchases, %v", n, err)
	}
}

// copyDir copies the regular files of the tree src to dst, keeping the
// execute bits (the plugin must stay executable); build products of an
// earlier run in the source tree (artifacts/, databases) are skipped.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir() && d.Name() == "artifacts":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular() || strings.HasSuffix(p, ".db") || strings.HasSuffix(p, ".log"):
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// freePort returns a TCP port that was free a moment ago on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
