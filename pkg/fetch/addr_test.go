package fetch

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

func TestInternal(t *testing.T) {
	refused := []string{
		// datasources.md §7 "Public-host check".
		"127.0.0.1", "169.254.169.254", "192.168.1.1", "10.0.0.1", "172.16.0.1", "::1", "fe80::1", "fd00::1",
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:172.16.0.1", "::ffff:192.168.1.1",
		"::ffff:100.64.0.1", "100.64.0.1", "100.64.169.254", "100.127.255.254", "198.18.0.1", "198.19.255.254",
		"192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "2001:db8:ffff:ffff::1", "64:ff9b::1.2.3.4",
		// SQL host cases of §7.
		"127.0.0.2", "127.255.255.254", "0.0.0.0", "fc00::1",
		// The rest of the table, including the reference's gaps.
		"0.1.2.3", "172.31.255.255", "192.0.0.1", "192.0.0.9", "192.0.0.10", "192.0.0.255", "192.88.99.1",
		"224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::8.8.8.8", "64:ff9b:1::1", "100::1", "fec0::1", "feff::1", "ff02::1", "fe80::1%eth0",
		"2001::1", "2001:0:4136:e378::1", "2001:1::1", "2001:1ff:ffff::1", "2002::1", "2002:808:808::1", "3fff::1",
		"3fff:fff:ffff::1", "4000::1", "fd12:3456::1",
	}
	allowed := []string{
		"8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8",
		"1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.1", "192.169.0.1",
		"198.17.255.255", "198.20.0.0", "223.255.255.255", "2001:200::1", "2001:4860:4860::8888", "2003::1",
		"3fff:1000::1", "3ffe::1",
	}
	for _, s := range refused {
		if !Internal(netip.MustParseAddr(s)) {
			t.Errorf("Internal(%s) = false, want true", s)
		}
	}
	for _, s := range allowed {
		if Internal(netip.MustParseAddr(s)) {
			t.Errorf("Internal(%s) = true, want false", s)
		}
	}
	if !Internal(netip.Addr{}) {
		t.Error("the zero Addr must be internal")
	}
}

// mapResolver resolves names from a table; a missing name does not resolve.
type mapResolver map[string][]string

func (m mapResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	addrs, ok := m[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}

// failResolver fails the test if it is asked anything.
type failResolver struct{ t *testing.T }

func (f failResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	f.t.Errorf("unexpected lookup of %q", host)
	return nil, errors.New("unexpected lookup")
}

func TestCheckHost(t *testing.T) {
	res := mapResolver{
		"public.test":  {"8.8.8.8", "2606:4700:4700::1111"},
		"dup.test":     {"8.8.8.8", "8.8.8.8", "::ffff:8.8.8.8"},
		"private.test": {"10.0.0.1"},
		"mixed.test":   {"8.8.8.8", "192.168.1.1"},
		"meta.test":    {"169.254.169.254"},
		"loop.test":    {"127.0.0.1"},
		"empty.test":   {},
	}
	tests := []struct {
		name  string
		guard Guard
		url   string
		want  []string
		err   string
	}{
		{"ip literal, no lookup", Guard{Resolver: failResolver{t}}, "http://8.8.8.8/x", []string{"8.8.8.8"}, ""},
		{"ipv6 literal", Guard{Resolver: failResolver{t}}, "https://[2606:4700:4700::1111]:8443/x", []string{"2606:4700:4700::1111"}, ""},
		{"all families in order", Guard{Resolver: res}, "https://public.test/d.csv", []string{"8.8.8.8", "2606:4700:4700::1111"}, ""},
		{"deduplicated", Guard{Resolver: res}, "https://dup.test/d.csv", []string{"8.8.8.8"}, ""},
		{"private name", Guard{Resolver: res}, "https://private.test/d.csv", nil, "private/internal address for https://private.test/d.csv (resolved to 10.0.0.1)"},
		{"one private among public", Guard{Resolver: res}, "https://mixed.test/", nil, "resolved to 192.168.1.1"},
		{"metadata", Guard{Resolver: res}, "http://meta.test/latest", nil, "resolved to 169.254.169.254"},
		{"loopback literal", Guard{Resolver: failResolver{t}}, "http://127.0.0.1/foo.csv", nil, "private/internal"},
		{"mapped loopback literal", Guard{Resolver: failResolver{t}}, "http://[::ffff:127.0.0.1]/foo.csv", nil, "private/internal"},
		{"unresolvable", Guard{Resolver: res}, "https://x.invalid/d.csv", nil, "hostname does not resolve"},
		{"empty answer", Guard{Resolver: res}, "https://empty.test/d.csv", nil, "hostname does not resolve"},
		{"no host", Guard{Resolver: failResolver{t}}, "https:///d.csv", nil, "URL without a host"},
		{"allow private: no lookup, no pins", Guard{Resolver: failResolver{t}, AllowPrivate: true}, "http://127.0.0.1/x", nil, ""},
		{"allow-list", Guard{Resolver: res, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, "http://loop.test/x", []string{"127.0.0.1"}, ""},
		{"allow-list is narrow", Guard{Resolver: failResolver{t}, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, "http://127.0.0.2/x", nil, "private/internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pins, err := tt.guard.CheckHost(context.Background(), tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				if c := exitcode.Of(err); c != exitcode.Fetch {
					t.Errorf("exit code = %d, want %d", c, exitcode.Fetch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pins {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pins = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGuardFromEnv(t *testing.T) {
	t.Setenv(AllowPrivateEnv, " Yes ")
	t.Setenv(AllowCIDRsEnv, "127.0.0.1/32, ::1 ,bogus,10.1.2.3/8")
	g := GuardFromEnv()
	if !g.AllowPrivate {
		t.Error("AllowPrivate = false for \" Yes \"")
	}
	want := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.0.0.0/8")}
	if !reflect.DeepEqual(g.Allow, want) {
		t.Errorf("Allow = %v, want %v", g.Allow, want)
	}

	t.Setenv(AllowPrivateEnv, "")
	t.Setenv(AllowCIDRsEnv, "")
	g = GuardFromEnv()
	if g.AllowPrivate || len(g.Allow) != 0 {
		t.Errorf("default guard = %+v, want closed", g)
	}
}

func TestTruthy(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "true": true, "TRUE": true, " on ": true, "yes": true,
		"": false, "0": false, "false": false, "no": false, "off": false, "2": false, "y": false} {
		if got := Truthy(v); got != want {
			t.Errorf("Truthy(%q) = %v, want %v", v, got, want)
		}
	}
}
