package fetch

import "net/netip"

// internal4 lists every IPv4 range that is not a public unicast address.
// It is the reference's table (CPython 3.12 is_private/is_loopback/
// is_link_local/is_multicast/is_reserved/is_unspecified plus Recotem's
// 100.64.0.0/10) with two deliberate additions:
//
//   - all of 192.0.0.0/24 (the reference exempts the anycast addresses
//     192.0.0.9 and 192.0.0.10; no data host lives there);
//   - 192.88.99.0/24, the deprecated 6to4 relay anycast prefix (RFC 7526).
var internal4 = prefixes(
	"0.0.0.0/8",       // "this network", incl. 0.0.0.0
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, incl. cloud metadata 169.254.169.254
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // TEST-NET-1
	"192.88.99.0/24",  // 6to4 relay anycast (deprecated)
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // TEST-NET-2
	"203.0.113.0/24",  // TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, incl. 255.255.255.255
)

// public6 is the only IPv6 space that can hold a public unicast address:
// everything outside 2000::/3 is internal (::, ::1, IPv4-compatible ::/96,
// NAT64 64:ff9b::/96 and 64:ff9b:1::/48, discard 100::/64, the reserved
// blocks, unique-local fc00::/7, link-local fe80::/10, site-local fec0::/10,
// multicast ff00::/8). IPv4-mapped ::ffff:0:0/96 is judged as its IPv4
// address before this table is consulted.
var public6 = netip.MustParsePrefix("2000::/3")

// internal6 lists the non-public ranges inside 2000::/3. Deliberate
// differences from the reference:
//
//   - all of 2001::/23 is refused, without the reference's exemptions for
//     the anycast service addresses 2001:1::1, 2001:1::2, 2001:3::/32,
//     2001:4:112::/48, 2001:20::/28 and 2001:30::/28;
//   - fec0::/10 (deprecated site-local) is refused, which the reference
//     forgot (it is outside 2000::/3, so public6 covers it);
//   - NAT64 prefixes are refused whatever IPv4 address they embed, as in
//     the reference (64:ff9b::1.2.3.4 is refused), so a host reachable only
//     through DNS64 cannot be fetched.
var internal6 = prefixes(
	"2001::/23",     // IETF protocol assignments, incl. Teredo 2001::/32
	"2001:db8::/32", // documentation
	"2002::/16",     // 6to4: embeds an arbitrary IPv4 address
	"3fff::/20",     // documentation (RFC 9637)
)

func prefixes(s ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(s))
	for i, p := range s {
		ps[i] = netip.MustParsePrefix(p)
	}
	return ps
}

// Internal reports whether a is not a public unicast address: private,
// loopback, link-local, multicast, reserved, unspecified, documentation,
// shared (CGNAT) or an IPv6 transition form. IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) are judged as their IPv4 address; an IPv6 zone is
// ignored. The invalid zero Addr is internal.
func Internal(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		for _, p := range internal4 {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !public6.Contains(a) {
		return true
	}
	for _, p := range internal6 {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
