// Package uri reads, stats and atomically writes the files a recipe names:
// bare local paths, file:// URIs and object-store URIs (s3://, gs://, az://,
// abfs://, abfss://) through gocloud.dev/blob. Local files go through an
// afero.Fs so tests can use an in-memory filesystem.
//
// HTTP(S) paths are not handled here: they must go through package fetch,
// which pins resolved addresses and verifies a mandatory sha256.
//
// Reads are bounded by RECOTEM_MAX_DOWNLOAD_BYTES: the size reported by the
// filesystem or object store is checked before the first byte is read, and
// the read itself stops at cap+1 bytes, so a file that grows (or a store that
// reports no size) cannot exceed the cap either.
package uri

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Kind classifies a location by the backend that serves it.
type Kind int

// The kinds of location.
const (
	Local       Kind = iota // bare path or file:// URI
	ObjectStore             // s3://, gs://, az://, abfs://, abfss://
	HTTP                    // http:// or https:// (served by package fetch)
)

// Location is a parsed path. Only the fields of its Kind are set.
type Location struct {
	Raw    string // as written
	Scheme string // lower-cased scheme; "" for a bare path
	Kind   Kind

	// Path is the local filesystem path (Local): the bare path as written, or
	// the percent-decoded path of a file:// URI.
	Path string

	// Bucket is the bucket (s3, gs) or container (az, abfs, abfss) name, and
	// Key the object key: everything after the first "/" following the
	// bucket, taken literally (no percent-decoding, no query string).
	Bucket string
	Key    string

	// Account is the Azure storage account named by an
	// abfs[s]://container@account.dfs.core.windows.net/ URI, and AccountHost
	// that host; both are empty when the account comes from the environment.
	Account     string
	AccountHost string
}

// String returns the location as written, with credentials redacted.
func (l Location) String() string { return Redact(l.Raw) }

// Scheme returns the scheme of raw as the recipe path policy defines it (as
// Python's urlparse does): the text before the first ":" when it is
// non-empty, starts with an ASCII letter and holds only letters, digits and
// "+-.", lower-cased; otherwise "" (a bare path). So "C:/x.csv" has scheme
// "c" and is rejected by the policy, as in the reference.
func Scheme(raw string) string {
	i := strings.IndexByte(raw, ':')
	if i <= 0 {
		return ""
	}
	s := raw[:i]
	if !isLetter(s[0]) {
		return ""
	}
	for j := 1; j < len(s); j++ {
		c := s[j]
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return ""
		}
	}
	return strings.ToLower(s)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// credentialSchemes are the schemes whose userinfo is a credential (refused by
// the recipe policy and redacted in messages). For gs:// the userinfo is a
// project and for az:// a container, so they are left alone.
var credentialSchemes = map[string]bool{
	"http": true, "https": true, "ftp": true, "ftps": true, "s3": true, "abfs": true, "abfss": true,
}

// Redact returns raw with the userinfo removed from the authority of a URI
// whose scheme carries credentials there (http, https, ftp, ftps, s3, abfs,
// abfss). Anything else is returned unchanged.
//
// Unlike the reference, which rebuilds the authority from the parsed
// hostname (lower-cased, IPv6 brackets lost), only the userinfo is cut: the
// host is kept as written so the message still names a valid URL.
func Redact(raw string) string {
	s := Scheme(raw)
	if !credentialSchemes[s] {
		return raw
	}
	rest := raw[len(s)+1:]
	if !strings.HasPrefix(rest, "//") {
		return raw
	}
	auth := rest[2:]
	end := strings.IndexAny(auth, "/?#")
	if end < 0 {
		end = len(auth)
	}
	at := strings.LastIndexByte(auth[:end], '@')
	if at < 0 {
		return raw
	}
	return raw[:len(s)+3] + auth[at+1:]
}

// HasUserinfo reports whether the authority of raw contains a non-empty user
// name or password ("https://@h/x" has none).
func HasUserinfo(raw string) bool {
	s := Scheme(raw)
	if s == "" {
		return false
	}
	rest := raw[len(s)+1:]
	if !strings.HasPrefix(rest, "//") {
		return false
	}
	auth := rest[2:]
	if end := strings.IndexAny(auth, "/?#"); end >= 0 {
		auth = auth[:end]
	}
	at := strings.LastIndexByte(auth, '@')
	if at < 0 {
		return false
	}
	return strings.Trim(auth[:at], ":") != ""
}

// Parse classifies raw and splits it into its parts. It refuses chained
// protocols ("::"), schemes other than file, s3, gs, az, abfs, abfss, http
// and https, credentials embedded in s3/abfs/abfss URIs, file:// URIs on a
// host other than localhost, and object-store URIs without a bucket or key.
func Parse(raw string) (Location, error) {
	loc := Location{Raw: raw, Scheme: Scheme(raw)}
	if strings.Contains(raw, "::") {
		return loc, fmt.Errorf("%s: chained protocols (\"::\") are not allowed", Redact(raw))
	}
	switch loc.Scheme {
	case "":
		if raw == "" {
			return loc, errors.New("empty path")
		}
		loc.Kind, loc.Path = Local, raw
		return loc, nil
	case "file":
		u, err := url.Parse(raw)
		if err != nil {
			return loc, fmt.Errorf("%s: malformed file URI: %v", raw, unwrapURLError(err))
		}
		if h := u.Host; h != "" && !strings.EqualFold(h, "localhost") {
			return loc, fmt.Errorf("%s: file URI host must be empty or localhost, not %q", raw, h)
		}
		if u.Path == "" {
			return loc, fmt.Errorf("%s: file URI has no path", raw)
		}
		loc.Kind, loc.Path = Local, u.Path
		return loc, nil
	case "http", "https":
		loc.Kind = HTTP
		return loc, nil
	case "s3", "gs", "az", "abfs", "abfss":
	default:
		return loc, fmt.Errorf("%s: unsupported scheme %q (want a local path, file, s3, gs, az, abfs, abfss, http or https)", Redact(raw), loc.Scheme)
	}
	loc.Kind = ObjectStore
	rest := raw[len(loc.Scheme)+1:]
	if !strings.HasPrefix(rest, "//") {
		return loc, fmt.Errorf("%s: want %s://bucket/key", Redact(raw), loc.Scheme)
	}
	rest = rest[2:]
	netloc, key, _ := strings.Cut(rest, "/")
	loc.Key = key
	if loc.Scheme == "s3" && HasUserinfo(raw) {
		return loc, fmt.Errorf("%s: embedded credentials in the URI are not allowed; use the standard AWS environment", Redact(raw))
	}
	switch loc.Scheme {
	case "s3":
		loc.Bucket = netloc
	case "gs":
		// gs://project@bucket/key names the billing project before "@".
		if at := strings.LastIndexByte(netloc, '@'); at >= 0 {
			netloc = netloc[at+1:]
		}
		loc.Bucket = netloc
	default: // az, abfs, abfss
		if container, host, ok := strings.Cut(netloc, "@"); ok {
			if strings.Contains(container, ":") {
				return loc, fmt.Errorf("%s: embedded credentials in the URI are not allowed; use the standard Azure environment", Redact(raw))
			}
			account, _, _ := strings.Cut(host, ".")
			loc.Bucket, loc.Account, loc.AccountHost = container, account, host
			if account == "" {
				return loc, fmt.Errorf("%s: no storage account after \"@\"", Redact(raw))
			}
		} else {
			loc.Bucket = netloc
		}
	}
	if loc.Bucket == "" {
		return loc, fmt.Errorf("%s: no bucket name", Redact(raw))
	}
	if loc.Key == "" || strings.HasSuffix(loc.Key, "/") {
		return loc, fmt.Errorf("%s: no object key after the bucket name", Redact(raw))
	}
	return loc, nil
}

// unwrapURLError drops the "parse <url>:" prefix of a *url.Error, whose
// message would repeat the URI.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
