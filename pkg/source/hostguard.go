package source

import (
	"net/netip"

	"github.com/codelibs/recotem-go/pkg/fetch"
)

// Resolver looks up host names; *net.Resolver implements it. Tests use a
// fixed table to return private addresses for public-looking names.
type Resolver = fetch.Resolver

// isInternal reports whether an address may not be contacted without
// RECOTEM_SQL_ALLOW_PRIVATE: the ranges of the public-host check
// (datasources.md §3.3), shared with the HTTP fetcher.
func isInternal(a netip.Addr) bool { return fetch.Internal(a) }
