package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/uri"
)

// Environment variables read by FromEnv and GuardFromEnv.
const (
	// AllowPrivateEnv, when truthy, disables the public-address check (the
	// other guards stay on).
	AllowPrivateEnv = "RECOTEM_HTTP_ALLOW_PRIVATE"

	// AllowCIDRsEnv is a comma-separated list of prefixes (or single
	// addresses) that the public-address check lets through, e.g.
	// "127.0.0.1/32". UNSAFE: it exists so tests can fetch from a server on
	// the loopback interface while every other internal range stays refused.
	// Never set it in production. Unset (the default) allows nothing.
	AllowCIDRsEnv = "RECOTEM_FETCH_ALLOW_CIDRS"
)

// Resolver looks up the addresses of a host name. *net.Resolver satisfies
// it; tests inject their own.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// ErrUnresolvable is the cause of a lookup that returned no address.
var ErrUnresolvable = errors.New("hostname does not resolve")

// Guard decides which addresses may be contacted. The zero value resolves
// with net.DefaultResolver and refuses every internal address (see Internal).
type Guard struct {
	// Resolver looks up host names; nil means net.DefaultResolver.
	Resolver Resolver

	// AllowPrivate disables the public-address check (RECOTEM_HTTP_ALLOW_PRIVATE).
	AllowPrivate bool

	// Allow lists prefixes treated as public (RECOTEM_FETCH_ALLOW_CIDRS).
	// Unsafe outside tests.
	Allow []netip.Prefix
}

// GuardFromEnv returns a Guard configured from RECOTEM_HTTP_ALLOW_PRIVATE and
// RECOTEM_FETCH_ALLOW_CIDRS. Invalid allow-list entries are ignored with a
// warning, so a typo never opens more than intended.
func GuardFromEnv() Guard {
	g := Guard{AllowPrivate: Truthy(os.Getenv(AllowPrivateEnv))}
	for _, f := range strings.Split(os.Getenv(AllowCIDRsEnv), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := parsePrefix(f)
		if err != nil {
			slog.Warn("fetch_allow_cidr_invalid", "var", AllowCIDRsEnv, "entry", f)
			continue
		}
		g.Allow = append(g.Allow, p)
	}
	if len(g.Allow) > 0 {
		slog.Warn("fetch_allow_cidrs_unsafe", "var", AllowCIDRsEnv, "allowed", fmt.Sprint(g.Allow),
			"note", "internal addresses in these ranges can be fetched; for tests only")
	}
	return g
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Truthy reports whether an environment value is on: trimmed and
// case-insensitively one of 1, true, yes, on.
func Truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Permitted reports whether a may be contacted: public, or allowed by
// AllowPrivate or the Allow list.
func (g *Guard) Permitted(a netip.Addr) bool {
	if g.AllowPrivate || !Internal(a) {
		return true
	}
	a = a.WithZone("").Unmap()
	for _, p := range g.Allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Lookup returns the addresses of host: an IP literal (brackets allowed) as
// is, otherwise every address the resolver returns, IPv4-mapped forms
// unmapped, duplicates dropped, order kept. No address is an error that Is
// ErrUnresolvable. Lookup checks nothing: see Permitted.
func (g *Guard) Lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(h); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupIPAddr(ctx, host)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip.IP)
		if !ok {
			continue
		}
		a = a.Unmap().WithZone(ip.Zone)
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnresolvable, err)
		}
		return nil, ErrUnresolvable
	}
	return out, nil
}

// CheckHost is the public-host check of an HTTP(S) URL, shared by the
// fetcher, the HTTP probe and other callers that connect to a
// recipe-supplied host: it resolves the host once and returns every address
// (the pin list) if all of them are permitted. With AllowPrivate it returns
// no addresses and does not resolve. Errors carry exit code 7.
func (g *Guard) CheckHost(ctx context.Context, rawURL string) ([]netip.Addr, error) {
	red := uri.Redact(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fail(ReasonURL, "URL error fetching %s: %v", red, urlErr(err))
	}
	if u.Hostname() == "" {
		return nil, fail(ReasonRefused, "Refusing fetch to URL without a host: %s", red)
	}
	if g.AllowPrivate {
		return nil, nil
	}
	return g.check(ctx, u.Hostname(), red)
}

// check resolves host and verifies every address.
func (g *Guard) check(ctx context.Context, host, red string) ([]netip.Addr, error) {
	addrs, err := g.Lookup(ctx, host)
	if err != nil {
		if errors.Is(err, ErrUnresolvable) {
			return nil, fail(ReasonUnresolvable, "Refusing fetch to %s: hostname does not resolve. Set %s=1 to bypass for offline tests.", red, AllowPrivateEnv)
		}
		return nil, fail(ReasonURL, "URL error fetching %s: %v", red, err)
	}
	for _, a := range addrs {
		if !g.Permitted(a) {
			return nil, fail(ReasonRefused, "Refusing fetch to private/internal address for %s (resolved to %s). Set %s=1 to opt in.", red, a, AllowPrivateEnv)
		}
	}
	return addrs, nil
}

// Reasons attached to fetch errors (exitcode.ReasonOf).
const (
	ReasonRefused      = "fetch_refused"      // SSRF guard, credentials, scheme, "::"
	ReasonUnresolvable = "fetch_unresolvable" // no address for the host
	ReasonRedirect     = "fetch_redirect"     // redirect rule violated
	ReasonStatus       = "fetch_status"       // non-2xx final status
	ReasonTimeout      = "fetch_timeout"      // whole-download deadline
	ReasonSizeCap      = "fetch_size_cap"     // RECOTEM_MAX_DOWNLOAD_BYTES
	ReasonSHA256       = "sha256_mismatch"    // digest differs
	ReasonURL          = "fetch_url_error"    // connection or protocol failure
)

// fail returns an error with exit code 7 (fetch) and a reason.
func fail(reason, format string, args ...any) error {
	return exitcode.Reasoned(exitcode.Fetch, reason, format, args...)
}

// urlErr drops the "parse <url>:" prefix of a *url.Error, whose message
// would repeat the unredacted URL.
func urlErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// CheckHost runs the public-host check of rawURL with GuardFromEnv.
func CheckHost(ctx context.Context, rawURL string) ([]netip.Addr, error) {
	g := GuardFromEnv()
	return g.CheckHost(ctx, rawURL)
}
