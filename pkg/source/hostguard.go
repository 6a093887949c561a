package source

import (
	"context"
	"net"
	"net/netip"

	"github.com/codelibs/recotem-go/pkg/fetch"
)

// Resolver looks up host names; *net.Resolver implements it. Tests use a
// fixed table to return private addresses for public-looking names.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// isInternal reports whether an address may not be contacted without
// RECOTEM_SQL_ALLOW_PRIVATE: the ranges of the public-host check
// (datasources.md §3.3), shared with the HTTP fetcher.
func isInternal(a netip.Addr) bool { return fetch.Internal(a) }

// resolveAll returns the addresses of host: the address itself for an IP
// literal, else every address the resolver returns, deduplicated in order.
func resolveAll(ctx context.Context, r Resolver, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	ips, err := r.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip.IP)
		if !ok {
			continue
		}
		a = a.Unmap()
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}
