package serve

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/keys"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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

// TestLogsHoldNoKeyMaterial runs serve.Main with API and signing keys,
// drives authentication failures and successes and failing artifact loads
// (at start-up and at runtime), and checks that no log line contains an API
// key, its digest, or a signing key.
func TestLogsHoldNoKeyMaterial(t *testing.T) {
	const apiKey = "kT9v2Qx7Lm4Np8Rs1Wz6Yb3Cd5Fg0Hj2Ka7Mc9Pe4"
	const otherKey = "zZ1yY2xX3wW4vV5uU6tT7sS8rR9qQ0pP1oO2nN3m"
	signingHex := strings.TrimPrefix(signingKeys, "test:")
	const oldSigningHex = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	apiDigest := keys.HashAPIKeyHex(apiKey)

	dir := t.TempDir()
	recipes := filepath.Join(dir, "recipes")
	os.Mkdir(recipes, 0o755)
	art := filepath.Join(dir, "artifacts", "demo.recotem")
	writeArtifact(t, art, 0)
	writeRecipe(t, recipes, "demo.yaml", "demo", art)
	// A recipe whose artifact fails its HMAC check at start-up.
	bad := filepath.Join(dir, "artifacts", "bad.recotem")
	writeArtifact(t, bad, 2)
	target, _ := os.ReadFile(bad)
	versioned := filepath.Join(filepath.Dir(bad), strings.TrimSpace(string(target)))
	b, _ := os.ReadFile(versioned)
	b[len(b)-1] ^= 0xFF
	os.WriteFile(versioned, b, 0o600)
	writeRecipe(t, recipes, "bad.yaml", "bad", bad)

	port := freePort(t)
	env := map[string]string{
		"RECOTEM_SIGNING_KEYS":    "test:" + signingHex + ",old:" + oldSigningHex,
		"RECOTEM_API_KEYS":        "client:sha256:" + apiDigest,
		"RECOTEM_PORT":            strconv.Itoa(port),
		"RECOTEM_METRICS_ENABLED": "true",
		"RECOTEM_WATCH_INTERVAL":  "1",
		"RECOTEM_LOG_FORMAT":      "json",
	}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, Flags{RecipesDir: recipes}, func(k string) string { return env[k] }, &logs)
	}()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitFor(t, func() bool {
		res, err := http.Get(base + "/livez")
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	})

	do := func(method, path, body, key string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tc := range []struct {
		method, path, body, key string
		status                  int
	}{
		{"POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`, apiKey, 200},
		{"POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`, "", 401},
		{"POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`, otherKey, 401},
		{"POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`, apiKey + "x", 401},
		{"POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`, apiDigest, 401},
		{"POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`, apiKey[:20], 401},
		{"POST", "/v1/recipes/bad:recommend", `{"user_id":"u1"}`, apiKey, 503},
		{"GET", "/v1/health/details", "", apiKey, 503},
		{"GET", "/v1/health/details", "", otherKey, 401},
		{"GET", "/v1/metrics", "", apiKey, 200},
		{"GET", "/v1/recipes", "", apiKey, 200},
	} {
		if got := do(tc.method, tc.path, tc.body, tc.key); got != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, got, tc.status)
		}
	}
	// A runtime load failure: the demo artifact is corrupted in place.
	target, _ = os.ReadFile(art)
	versioned = filepath.Join(filepath.Dir(art), strings.TrimSpace(string(target)))
	b, _ = os.ReadFile(versioned)
	b[len(b)-1] ^= 0xFF
	os.WriteFile(art, b, 0o600)
	waitFor(t, func() bool { return strings.Count(logs.String(), "artifact_load_failed") >= 2 })

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Main: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Main did not return after its context ended")
	}

	out := logs.String()
	for _, want := range []string{"security.posture", "artifact_load_failed", "HMAC", "serve_shutdown"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q; the test would prove nothing:\n%s", want, out)
		}
	}
	secrets := map[string]string{
		"API key": apiKey, "other API key": otherKey, "API key digest": apiDigest,
		"signing key": signingHex, "old signing key": oldSigningHex,
	}
	for i, line := range strings.Split(out, "\n") {
		for what, s := range secrets {
			// Any 16-character window of a secret is enough to flag a leak.
			for j := 0; j+16 <= len(s); j += 8 {
				if strings.Contains(strings.ToLower(line), strings.ToLower(s[j:j+16])) {
					t.Errorf("log line %d contains the %s: %s", i+1, what, line)
					break
				}
			}
		}
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10 s")
}
