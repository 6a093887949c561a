package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// testClient returns a client that may reach 127.0.0.1 only, resolving
// names through res.
func testClient(res Resolver) *Client {
	if res == nil {
		res = mapResolver{}
	}
	return &Client{
		Guard:    Guard{Resolver: res, Allow: loopback},
		MaxBytes: 1 << 20,
		Timeout:  5 * time.Second,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// port returns the port of an httptest server.
func port(s *httptest.Server) string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

func wantFetchErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want one containing %q", substr)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("err = %q, want it to contain %q", err, substr)
	}
	if c := exitcode.Of(err); c != exitcode.Fetch {
		t.Fatalf("exit code = %d, want %d (%v)", c, exitcode.Fetch, err)
	}
}

func TestGetBodyAndDigest(t *testing.T) {
	body := []byte("user_id,item_id\nu1,i1\nu2,i2\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "recotem/2" || r.Header.Get("Accept") != "*/*" {
			http.Error(w, "bad headers", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/d.csv":
			w.Write(body)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := testClient(nil)
	ctx := context.Background()

	got, err := c.Get(ctx, srv.URL+"/d.csv", digest(body))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("body = %q", got)
	}

	_, err = c.Get(ctx, srv.URL+"/d.csv", strings.Repeat("0", 64))
	wantFetchErr(t, err, fmt.Sprintf("sha256 mismatch: got %s…, expected 00000000…", digest(body)[:8]))
	if r := exitcode.ReasonOf(err); r != ReasonSHA256 {
		t.Errorf("reason = %q", r)
	}

	_, err = c.Get(ctx, srv.URL+"/missing.csv", digest(body))
	wantFetchErr(t, err, "HTTP 404 fetching "+srv.URL+"/missing.csv: Not Found")
}

func TestURLRules(t *testing.T) {
	c := testClient(failResolver{t})
	sum := strings.Repeat("a", 64)
	tests := []struct{ url, sha, want string }{
		{"https://user:secret@example.com/d.csv", sum, "embedded credentials: https://example.com/d.csv"},
		{"https://user@example.com/d.csv", sum, "embedded credentials"},
		{"simplecache::https://example.com/d.csv", sum, "chained protocols"},
		{"https://example.com/a::b.csv", sum, "chained protocols"},
		{"ftp://example.com/d.csv", sum, "scheme must be http or https"},
		{"file:///etc/passwd", sum, "scheme must be http or https"},
		{"https:///d.csv", sum, "without a host"},
		{"https://example.com/d.csv", "", "sha256 pin is required"},
		{"https://example.com/d.csv", strings.Repeat("A", 64), "64 lowercase hex"},
		{"https://example.com/d.csv", "abc", "64 lowercase hex"},
		{"http://[::1]/d.csv", sum, "private/internal address"},
	}
	for _, tt := range tests {
		_, err := c.Get(context.Background(), tt.url, tt.sha)
		wantFetchErr(t, err, tt.want)
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestByteCap(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/%d", &n)
		w.Write(payload[:n])
	}))
	defer srv.Close()
	c := testClient(nil)
	c.MaxBytes = 100
	for _, tt := range []struct {
		n  int
		ok bool
	}{{99, true}, {100, true}, {101, false}, {4096, false}} {
		body := payload[:tt.n]
		got, err := c.Get(context.Background(), fmt.Sprintf("%s/%d", srv.URL, tt.n), digest(body))
		if tt.ok {
			if err != nil || len(got) != tt.n {
				t.Errorf("%d bytes, cap 100: got %d bytes, err %v", tt.n, len(got), err)
			}
			continue
		}
		wantFetchErr(t, err, "Download size cap exceeded fetching "+srv.URL)
		if !strings.Contains(err.Error(), "> 100 bytes (RECOTEM_MAX_DOWNLOAD_BYTES)") {
			t.Errorf("err = %v", err)
		}
	}
}

// TestNoTransparentDecompression checks that the digest covers the bytes as
// served: a gzip body is neither requested nor decoded.
func TestNoTransparentDecompression(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("user_id,item_id\nu1,i1\n"))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "" {
			t.Errorf("Accept-Encoding = %q", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	}))
	defer srv.Close()
	got, err := testClient(nil).Get(context.Background(), srv.URL+"/d.csv.gz", digest(gz.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, gz.Bytes()) {
		t.Fatal("body was altered")
	}
}

func TestRedirects(t *testing.T) {
	body := []byte("ok")
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		var n int
		switch {
		case p == "/final":
			w.Write(body)
		case p == "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case p == "/a":
			http.Redirect(w, r, "/b", http.StatusMovedPermanently)
		case p == "/b":
			http.Redirect(w, r, "/a", http.StatusTemporaryRedirect)
		case p == "/to-https":
			http.Redirect(w, r, "https://127.0.0.1:"+port(srv)+"/final", http.StatusFound)
		case p == "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case p == "/creds":
			http.Redirect(w, r, "http://user:secret_pass@127.0.0.1:"+port(srv)+"/final", http.StatusFound)
		case p == "/no-location":
			w.WriteHeader(http.StatusFound)
		case p == "/to-127.0.0.2":
			http.Redirect(w, r, "http://127.0.0.2:"+port(srv)+"/final", http.StatusFound)
		case p == "/to-internal-name":
			http.Redirect(w, r, "http://internal.test:"+port(srv)+"/final", http.StatusSeeOther)
		case p == "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusPermanentRedirect)
		case p == "/not-modified":
			w.WriteHeader(http.StatusNotModified)
		default:
			if _, err := fmt.Sscanf(p, "/chain/%d", &n); err == nil {
				if n == 0 {
					w.Write(body)
					return
				}
				http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusFound)
				return
			}
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c := testClient(mapResolver{"internal.test": {"10.0.0.1"}})
	c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	c.LogPrefix = "csv_source"
	sum := digest(body)
	get := func(path string) error {
		_, err := c.Get(context.Background(), srv.URL+path, sum)
		return err
	}

	for _, ok := range []string{"/same", "/chain/4", "/chain/5"} {
		if err := get(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"csv_source_redirect"`) {
		t.Errorf("no redirect event logged: %s", logs.String())
	}
	for _, tt := range []struct{ path, want string }{
		{"/chain/6", "Too many redirects (>5) fetching " + srv.URL + "/chain/6"},
		{"/chain/7", "Too many redirects"},
		{"/a", "Redirect loop detected fetching " + srv.URL + "/a"},
		{"/to-https", "Refusing scheme-changing redirect from " + srv.URL + "/to-https to https://127.0.0.1:"},
		{"/to-file", "Refusing redirect from " + srv.URL + "/to-file to disallowed scheme 'file://' (file:///etc/passwd)"},
		{"/creds", "Refusing redirect with embedded credentials from " + srv.URL + "/creds"},
		{"/no-location", "HTTP 302 from " + srv.URL + "/no-location without Location header"},
		{"/to-127.0.0.2", "private/internal address for http://127.0.0.2:" + port(srv) + "/final (resolved to 127.0.0.2)"},
		{"/to-internal-name", "private/internal address for http://internal.test:" + port(srv) + "/final (resolved to 10.0.0.1)"},
		{"/to-metadata", "resolved to 169.254.169.254"},
		{"/not-modified", "HTTP 304 fetching"},
	} {
		err := get(tt.path)
		wantFetchErr(t, err, tt.want)
		if exitcode.ReasonOf(err) == "" {
			t.Errorf("%s: no reason on %v", tt.path, err)
		}
	}
	if strings.Contains(logs.String(), "secret_pass") {
		t.Errorf("the redirect password reached the log: %s", logs.String())
	}
}

func TestHTTPSRedirectToHTTPRefused(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.com/d.csv", http.StatusFound)
	}))
	defer srv.Close()
	c := testClient(nil)
	c.TLSConfig = &tls.Config{RootCAs: pool(srv)}
	_, err := c.Get(context.Background(), srv.URL+"/d.csv", strings.Repeat("0", 64))
	wantFetchErr(t, err, "Refusing scheme-changing redirect")
}

func pool(srv *httptest.Server) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(srv.Certificate())
	return p
}

// TestTLSUsesOriginalHost checks that the certificate is verified for the
// URL's host name while the connection goes to the pinned address.
func TestTLSUsesOriginalHost(t *testing.T) {
	body := []byte("secure")
	var sni atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}))
	srv.TLS = &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		sni.Store(h.ServerName)
		return nil, nil
	}}
	srv.StartTLS()
	defer srv.Close()
	// httptest's certificate is valid for example.com and 127.0.0.1.
	c := testClient(mapResolver{"example.com": {"127.0.0.1"}, "other.test": {"127.0.0.1"}})
	c.TLSConfig = &tls.Config{RootCAs: pool(srv)}
	got, err := c.Get(context.Background(), "https://example.com:"+port(srv)+"/d", digest(body))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) || sni.Load() != "example.com" {
		t.Fatalf("body %q, SNI %v", got, sni.Load())
	}
	_, err = c.Get(context.Background(), "https://other.test:"+port(srv)+"/d", digest(body))
	wantFetchErr(t, err, "URL error fetching https://other.test:")
	_, err = testClient(mapResolver{"example.com": {"127.0.0.1"}}).Get(context.Background(), "https://example.com:"+port(srv)+"/d", digest(body))
	wantFetchErr(t, err, "certificate") // not trusted by the system roots
}

func TestGuardBlocksBeforeConnecting(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c := testClient(mapResolver{"data.test": {"127.0.0.1"}})
	c.Allow = nil
	for _, u := range []string{srv.URL + "/d.csv", "http://data.test:" + port(srv) + "/d.csv"} {
		_, err := c.Get(context.Background(), u, strings.Repeat("0", 64))
		wantFetchErr(t, err, "Refusing fetch to private/internal address")
	}
	if hits.Load() != 0 {
		t.Fatalf("server was hit %d times", hits.Load())
	}

	// RECOTEM_HTTP_ALLOW_PRIVATE lifts the range check only.
	c.AllowPrivate = true
	if _, err := c.Get(context.Background(), "http://data.test:"+port(srv)+"/d.csv", digest(nil)); err != nil {
		t.Fatal(err)
	}
	_, err := c.Get(context.Background(), "http://u:p@data.test:"+port(srv)+"/d.csv", digest(nil))
	wantFetchErr(t, err, "embedded credentials")
}

// flipResolver answers the public (allow-listed) address first and a
// private one afterwards: a DNS-rebinding attacker.
type flipResolver struct {
	mu    sync.Mutex
	calls int
}

func (f *flipResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == 1 {
		return []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}}, nil
	}
	return []net.IPAddr{{IP: net.ParseIP("10.0.0.1")}}, nil
}

func TestPinnedAddress(t *testing.T) {
	body := []byte("pinned")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !strings.HasPrefix(r.Host, "rebind.test:") {
			t.Errorf("Host header = %q", r.Host)
		}
		w.Write(body)
	}))
	defer srv.Close()
	res := &flipResolver{}
	c := testClient(res)
	got, err := c.Get(context.Background(), "http://rebind.test:"+port(srv)+"/d", digest(body))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) || hits.Load() != 1 || res.calls != 1 {
		t.Fatalf("body %q, hits %d, lookups %d", got, hits.Load(), res.calls)
	}
}

// TestEveryAddressTried checks that a host whose first address refuses the
// connection is reached on its second.
func TestEveryAddressTried(t *testing.T) {
	body := []byte("second")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	c := testClient(mapResolver{"multi.test": {"127.0.0.3", "127.0.0.1"}})
	c.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	got, err := c.Get(context.Background(), "http://multi.test:"+port(srv)+"/d", digest(body))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("body = %q", got)
	}
	// No address answers: a URL error naming the URL.
	c.Resolver = mapResolver{"dead.test": {"127.0.0.3", "127.0.0.4"}}
	_, err = c.Get(context.Background(), "http://dead.test:"+port(srv)+"/d", digest(body))
	wantFetchErr(t, err, "URL error fetching http://dead.test:")
}

func TestWholeDownloadDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-headers" {
			select {
			case <-time.After(3 * time.Second):
			case <-release:
			}
			return
		}
		// Dribble one byte every 50 ms: no single read is slow.
		w.Header().Set("Content-Length", "100")
		for i := 0; i < 100; i++ {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(50 * time.Millisecond):
			case <-release:
				return
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer srv.Close()
	defer close(release)
	c := testClient(nil)
	c.Timeout = 700 * time.Millisecond
	for _, p := range []string{"/dribble", "/slow-headers"} {
		start := time.Now()
		_, err := c.Get(context.Background(), srv.URL+p, strings.Repeat("0", 64))
		wantFetchErr(t, err, "Timeout (0.7s) fetching "+srv.URL+p)
		if exitcode.ReasonOf(err) != ReasonTimeout {
			t.Errorf("reason = %q", exitcode.ReasonOf(err))
		}
		if d := time.Since(start); d > 2500*time.Millisecond {
			t.Errorf("%s: took %v", p, d)
		}
	}
}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	c := testClient(failResolver{t})
	c.Allow = nil
	wantFetchErr(t, c.Probe(ctx, "http://127.0.0.1/foo.csv"), "private/internal")
	c.AllowPrivate = true
	if err := c.Probe(ctx, "http://127.0.0.1/foo.csv"); err != nil {
		t.Fatal(err)
	}
	if err := c.Probe(ctx, "http://unresolvable.test/foo.csv"); err != nil {
		t.Fatal(err) // allow-private: no resolution
	}
	c = testClient(mapResolver{"cdn.test": {"8.8.8.8"}})
	if err := c.Probe(ctx, "https://cdn.test/foo.csv"); err != nil {
		t.Fatal(err)
	}
	wantFetchErr(t, c.Probe(ctx, "https://x.invalid/foo.csv"), "hostname does not resolve")
	wantFetchErr(t, c.Probe(ctx, "https://u:p@cdn.test/foo.csv"), "embedded credentials")
}

func TestParseTimeout(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want time.Duration
		warn string
	}{
		{"", 30 * time.Second, ""},
		{"60", 60 * time.Second, ""},
		{"0", time.Second, "env_var_clamped"},
		{"9999", 600 * time.Second, "env_var_clamped"},
		{"abc", 30 * time.Second, "env_var_unparseable"},
	} {
		d, w := ParseTimeout(tt.v)
		if d != tt.want || w != tt.warn {
			t.Errorf("ParseTimeout(%q) = %v, %q; want %v, %q", tt.v, d, w, tt.want, tt.warn)
		}
	}
	t.Setenv(TimeoutEnv, "7")
	t.Setenv("RECOTEM_MAX_DOWNLOAD_BYTES", "0")
	c := FromEnv()
	if c.Timeout != 7*time.Second || c.MaxBytes != 1<<20 {
		t.Errorf("FromEnv: timeout %v, max %d", c.Timeout, c.MaxBytes)
	}
}

func TestVerifySHA256(t *testing.T) {
	data := []byte("user_id,item_id\n")
	if err := VerifySHA256(data, digest(data)); err != nil {
		t.Fatal(err)
	}
	wantFetchErr(t, VerifySHA256(data, strings.Repeat("0", 64)), "sha256 mismatch: got "+digest(data)[:8]+"…, expected 00000000…")
	wantFetchErr(t, VerifySHA256(data, strings.ToUpper(digest(data))), "64 lowercase hex")

	r, err := VerifyingReader(bytes.NewReader(data), digest(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %q, %v", got, err)
	}
	r, _ = VerifyingReader(bytes.NewReader(data), strings.Repeat("f", 64))
	_, err = io.ReadAll(r)
	wantFetchErr(t, err, "sha256 mismatch")
}
