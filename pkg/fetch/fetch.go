// Package fetch is the SSRF-guarded HTTP(S) client that downloads remote
// data files named in recipes.
//
// Every download:
//
//   - refuses URLs that are not http or https, that embed credentials or
//     chain protocols ("::"), and requires a sha256 pin;
//   - resolves the host once, refuses it unless every address is public
//     (see Internal), and connects only to those resolved addresses (tried
//     in order), so a second DNS answer cannot redirect the connection
//     (DNS rebinding);
//   - follows at most MaxRedirects redirects, re-checking each target host,
//     refusing loops, scheme changes and credentials in Location;
//   - runs under one deadline for the whole download (DNS, connect, TLS,
//     headers and body), RECOTEM_HTTP_TIMEOUT_SECONDS;
//   - stops at RECOTEM_MAX_DOWNLOAD_BYTES while streaming (Content-Length is
//     not trusted);
//   - hashes the body while it streams and fails at the end unless the
//     sha256 matches (constant-time compare).
//
// Proxies (HTTP_PROXY, HTTPS_PROXY) are deliberately ignored: through a
// proxy the proxy resolves and connects, so neither the address check nor
// the pin could be enforced.
//
// Every failure carries exit code 7 (exitcode.Fetch).
package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/uri"
)

// TimeoutEnv holds the whole-download deadline in seconds.
const TimeoutEnv = "RECOTEM_HTTP_TIMEOUT_SECONDS"

// The bounds of RECOTEM_HTTP_TIMEOUT_SECONDS, in seconds.
const (
	DefaultTimeoutSeconds = 30
	MinTimeoutSeconds     = 1
	MaxTimeoutSeconds     = 600
)

// MaxRedirects is the number of redirects followed; the next one fails with
// "Too many redirects". The reference's documentation says 5 while its code
// follows only 4; this package follows 5.
const MaxRedirects = 5

// ParseTimeout interprets a value of RECOTEM_HTTP_TIMEOUT_SECONDS (clamped to
// [1, 600], default 30); warning is "" or the log event to emit.
func ParseTimeout(v string) (d time.Duration, warning string) {
	n, warning := uri.ParseIntEnv(v, DefaultTimeoutSeconds, MinTimeoutSeconds, MaxTimeoutSeconds)
	return time.Duration(n) * time.Second, warning
}

// TimeoutFromEnv returns the download deadline from the environment, logging
// a warning when the value was unparsable or clamped.
func TimeoutFromEnv() time.Duration {
	d, warning := ParseTimeout(os.Getenv(TimeoutEnv))
	if warning != "" {
		slog.Warn(warning, "var", TimeoutEnv, "value", os.Getenv(TimeoutEnv), "used", d.Seconds())
	}
	return d
}

// Client downloads files. The zero value is usable: it refuses every
// internal address and reads the caps from the environment at each call.
type Client struct {
	Guard

	// MaxBytes caps the body; 0 means uri.MaxDownloadBytes().
	MaxBytes int64

	// Timeout bounds the whole download; 0 means TimeoutFromEnv().
	Timeout time.Duration

	// TLSConfig is cloned for each connection; nil means the system roots.
	// ServerName is always the URL's host.
	TLSConfig *tls.Config

	// Logger receives redirect and size events; nil means slog.Default().
	Logger *slog.Logger

	// LogPrefix names the caller in log events ("<prefix>_redirect",
	// "<prefix>_size_exceeded"), e.g. "csv_source" or "metadata_source";
	// "" means "http_fetch".
	LogPrefix string
}

// FromEnv returns a Client configured from the environment
// (RECOTEM_HTTP_ALLOW_PRIVATE, RECOTEM_FETCH_ALLOW_CIDRS,
// RECOTEM_MAX_DOWNLOAD_BYTES, RECOTEM_HTTP_TIMEOUT_SECONDS).
func FromEnv() *Client {
	return &Client{Guard: GuardFromEnv(), MaxBytes: uri.MaxDownloadBytes(), Timeout: TimeoutFromEnv()}
}

// Get downloads rawURL with a Client from FromEnv.
func Get(ctx context.Context, rawURL, sha256 string) ([]byte, error) {
	return FromEnv().Get(ctx, rawURL, sha256)
}

// Open starts a download of rawURL with a Client from FromEnv.
func Open(ctx context.Context, rawURL, sha256 string) (*Body, error) {
	return FromEnv().Open(ctx, rawURL, sha256)
}

// Probe checks rawURL with a Client from FromEnv.
func Probe(ctx context.Context, rawURL string) error { return FromEnv().Probe(ctx, rawURL) }

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

func (c *Client) event(name string) string {
	p := c.LogPrefix
	if p == "" {
		p = "http_fetch"
	}
	return p + "_" + name
}

// Get downloads rawURL and returns the body once its sha256 (64 lowercase
// hex digits, required) has been verified.
func (c *Client) Get(ctx context.Context, rawURL, sha256 string) ([]byte, error) {
	b, err := c.Open(ctx, rawURL, sha256)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return io.ReadAll(b)
}

// GetAuthenticated downloads rawURL with every guard of Get except the
// sha256 pin. It is only for content that carries its own authentication
// and is verified by the caller before any byte is interpreted: signed
// artifacts (`recotem inspect https://...`), whose HMAC is checked next.
// Data sources must use Get.
func (c *Client) GetAuthenticated(ctx context.Context, rawURL string) ([]byte, error) {
	u, red, err := c.parse(rawURL)
	if err != nil {
		return nil, err
	}
	b, err := c.open(ctx, u, red, nil)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return io.ReadAll(b)
}

// Probe is the validate-time check of an HTTP(S) source: the URL rules and
// the public-host check, without any request. With AllowPrivate the host is
// not even resolved.
func (c *Client) Probe(ctx context.Context, rawURL string) error {
	u, red, err := c.parse(rawURL)
	if err != nil {
		return err
	}
	if c.AllowPrivate {
		return nil
	}
	_, err = c.check(ctx, u.Hostname(), red)
	return err
}

// parse applies the URL rules: no "::", http or https, no userinfo, a host.
func (c *Client) parse(rawURL string) (*url.URL, string, error) {
	red := uri.Redact(rawURL)
	if chained(rawURL) {
		return nil, red, fail(ReasonRefused, "Refusing fetch of %s: chained protocols (\"::\") are not allowed", red)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, red, fail(ReasonURL, "URL error fetching %s: %v", red, urlErr(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, red, fail(ReasonRefused, "Refusing fetch of %s: scheme must be http or https", red)
	}
	if uri.HasUserinfo(rawURL) {
		return nil, red, fail(ReasonRefused, "Refusing fetch to URL with embedded credentials: %s", red)
	}
	if u.Hostname() == "" {
		return nil, red, fail(ReasonRefused, "Refusing fetch to URL without a host: %s", red)
	}
	return u, red, nil
}

// chained reports a "::" protocol chain in rawURL. A "::" inside the
// brackets of an IPv6 host literal is not one.
func chained(rawURL string) bool {
	s := rawURL
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		auth := rest[:end]
		if lb := strings.IndexByte(auth, '['); lb >= 0 {
			if rb := strings.IndexByte(auth[lb:], ']'); rb >= 0 {
				auth = auth[:lb] + auth[lb+rb+1:]
			}
		}
		s = s[:i+3] + auth + rest[end:]
	}
	return strings.Contains(s, "::")
}

// Open starts a download of rawURL: it follows redirects, checks the final
// status and returns the body, which enforces the byte cap, the deadline and
// the sha256 as it is read. Read returns the sha256 mismatch instead of
// io.EOF at the end, so a caller that parses while reading must not commit
// anything before Read returned io.EOF. The caller must Close the body.
func (c *Client) Open(ctx context.Context, rawURL, sha256 string) (*Body, error) {
	u, red, err := c.parse(rawURL)
	if err != nil {
		return nil, err
	}
	want, err := parseDigest(sha256, red)
	if err != nil {
		return nil, err
	}
	return c.open(ctx, u, red, want)
}

// open starts the download of a parsed URL; want is the expected sha256,
// or nil for none.
func (c *Client) open(ctx context.Context, u *url.URL, red string, want []byte) (*Body, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = TimeoutFromEnv()
	}
	max := c.MaxBytes
	if max <= 0 {
		max = uri.MaxDownloadBytes()
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	resp, final, err := c.follow(dctx, ctx, u, red, timeout)
	if err != nil {
		cancel()
		return nil, err
	}
	return newBody(resp, final, want, max, timeout, cancel, ctx, c), nil
}

// follow performs the request chain and returns the final 2xx response.
func (c *Client) follow(ctx, parent context.Context, u *url.URL, red string, timeout time.Duration) (*http.Response, string, error) {
	seen := map[string]bool{u.String(): true}
	origScheme := u.Scheme
	cur, curRed := u, red
	for redirects := 0; ; {
		resp, err := c.hop(ctx, cur, curRed)
		if err != nil {
			return nil, "", classify(err, ctx, parent, curRed, timeout)
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				resp.Body.Close()
				return nil, "", fail(ReasonStatus, "HTTP %d fetching %s: %s", resp.StatusCode, curRed, http.StatusText(resp.StatusCode))
			}
			return resp, curRed, nil
		}
		// A redirect: drain a little so the connection closes cleanly.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if loc == "" {
			return nil, "", fail(ReasonRedirect, "HTTP %d from %s without Location header", resp.StatusCode, curRed)
		}
		next, err := cur.Parse(loc)
		if err != nil {
			return nil, "", fail(ReasonRedirect, "URL error fetching %s: bad redirect Location: %v", curRed, urlErr(err))
		}
		if next.User != nil && next.User.String() != "" {
			return nil, "", fail(ReasonRedirect, "Refusing redirect with embedded credentials from %s", curRed)
		}
		nextRed := uri.Redact(next.String())
		if next.Scheme != "http" && next.Scheme != "https" {
			return nil, "", fail(ReasonRedirect, "Refusing redirect from %s to disallowed scheme '%s://' (%s)", curRed, next.Scheme, nextRed)
		}
		if next.Scheme != origScheme {
			return nil, "", fail(ReasonRedirect, "Refusing scheme-changing redirect from %s to %s", curRed, nextRed)
		}
		redirects++
		if redirects > MaxRedirects {
			return nil, "", fail(ReasonRedirect, "Too many redirects (>%d) fetching %s", MaxRedirects, red)
		}
		if seen[next.String()] {
			return nil, "", fail(ReasonRedirect, "Redirect loop detected fetching %s", nextRed)
		}
		seen[next.String()] = true
		c.logger().Info(c.event("redirect"), "from", curRed, "to", nextRed, "status", resp.StatusCode, "hop", redirects)
		cur, curRed = next, nextRed
	}
}

// hop resolves and checks the host of u, then sends one GET that can only
// connect to the addresses found.
func (c *Client) hop(ctx context.Context, u *url.URL, red string) (*http.Response, error) {
	var (
		pins []netip.Addr
		err  error
	)
	if c.AllowPrivate {
		pins, err = c.Lookup(ctx, u.Hostname())
		if err != nil {
			return nil, fail(ReasonUnresolvable, "URL error fetching %s: %v", red, err)
		}
	} else if pins, err = c.check(ctx, u.Hostname(), red); err != nil {
		return nil, err
	}
	tr := c.transport(pins)
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fail(ReasonURL, "URL error fetching %s: %v", red, urlErr(err))
	}
	req.Header.Set("User-Agent", "recotem/2")
	req.Header.Set("Accept", "*/*")
	return tr.RoundTrip(req)
}

// transport returns a one-hop transport whose every connection goes to one
// of pins. Compression is off so the sha256 covers the bytes as stored.
func (c *Client) transport(pins []netip.Addr) *http.Transport {
	var tlsConf *tls.Config
	if c.TLSConfig != nil {
		tlsConf = c.TLSConfig.Clone()
		tlsConf.ServerName = "" // filled from the request's host
	}
	return &http.Transport{
		Proxy:                  nil, // see the package documentation
		DialContext:            pinnedDialer(pins),
		TLSClientConfig:        tlsConf,
		ForceAttemptHTTP2:      true,
		DisableCompression:     true,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 1 << 20,
	}
}

// pinnedDialer dials the port of the requested address on each pinned
// address in turn and returns the first connection that succeeds. Each
// attempt gets an equal share of the time left (at least 2 s), so an
// unreachable first address cannot eat the whole deadline.
func pinnedDialer(pins []netip.Addr) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		var errs []error
		for i, a := range pins {
			actx, cancel := ctx, context.CancelFunc(func() {})
			if dl, ok := ctx.Deadline(); ok {
				share := time.Until(dl) / time.Duration(len(pins)-i)
				if share < 2*time.Second {
					share = 2 * time.Second
				}
				actx, cancel = context.WithTimeout(ctx, share)
			}
			conn, err := d.DialContext(actx, "tcp", net.JoinHostPort(a.String(), port))
			cancel()
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		if len(errs) == 0 {
			return nil, errors.New("no address to connect to")
		}
		return nil, errors.Join(errs...)
	}
}

// classify turns a transport error into a fetch error.
func classify(err error, ctx, parent context.Context, red string, timeout time.Duration) error {
	var coded *exitcode.Error
	if errors.As(err, &coded) {
		return err // already a fetch error (guard refusal)
	}
	if ctx.Err() != nil && parent.Err() == nil {
		return fail(ReasonTimeout, "Timeout (%ss) fetching %s", seconds(timeout), red)
	}
	if parent.Err() != nil {
		return fail(ReasonURL, "Fetch of %s canceled: %v", red, parent.Err())
	}
	return fail(ReasonURL, "URL error fetching %s: %s", red, oneLine(urlErr(err).Error()))
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
