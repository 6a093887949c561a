package uri

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// MaxDownloadBytesEnv is the environment variable that caps every download and
// file read.
const MaxDownloadBytesEnv = "RECOTEM_MAX_DOWNLOAD_BYTES"

// The bounds of RECOTEM_MAX_DOWNLOAD_BYTES.
const (
	DefaultMaxDownloadBytes int64 = 256 << 20 // 256 MiB
	MinMaxDownloadBytes     int64 = 1 << 20   // 1 MiB
	MaxMaxDownloadBytes     int64 = 16 << 30  // 16 GiB
)

// ParseMaxDownloadBytes interprets a value of RECOTEM_MAX_DOWNLOAD_BYTES:
// empty means the default, an unparsable value means the default with a
// warning ("env_var_unparseable"), and a value outside [1 MiB, 16 GiB] is
// clamped with a warning ("env_var_clamped"). warning is "" when the value
// was used as given.
func ParseMaxDownloadBytes(v string) (n int64, warning string) {
	return ParseIntEnv(v, DefaultMaxDownloadBytes, MinMaxDownloadBytes, MaxMaxDownloadBytes)
}

// MaxDownloadBytes returns the byte cap from the environment, logging a
// warning through slog's default logger when the value was unparsable or
// clamped.
func MaxDownloadBytes() int64 {
	n, warning := ParseMaxDownloadBytes(os.Getenv(MaxDownloadBytesEnv))
	if warning != "" {
		slog.Warn(warning, "var", MaxDownloadBytesEnv, "value", os.Getenv(MaxDownloadBytesEnv), "used", n)
	}
	return n
}

// ParseIntEnv interprets the value v of an integer environment variable the
// way every recotem integer variable is read: trimmed; empty ⇒ def;
// unparsable ⇒ def and warning "env_var_unparseable"; outside [lo, hi] ⇒
// clamped and warning "env_var_clamped".
func ParseIntEnv(v string, def, lo, hi int64) (n int64, warning string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, ""
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			// A number too large for int64 is still a number: clamp it.
			if strings.HasPrefix(v, "-") {
				return lo, "env_var_clamped"
			}
			return hi, "env_var_clamped"
		}
		return def, "env_var_unparseable"
	}
	switch {
	case n < lo:
		return lo, "env_var_clamped"
	case n > hi:
		return hi, "env_var_clamped"
	}
	return n, ""
}

// commaGroup formats n with thousands separators, as the reference's
// messages do ("1,234,567").
func commaGroup(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// TooLargeError reports a file over the byte cap. Size is the size the
// filesystem or object store reported before reading, or -1 when the cap was
// hit while reading.
type TooLargeError struct {
	URI  string // redacted
	Size int64
	Cap  int64
}

// Error returns the reference's wording without its "<CSV|Parquet> " prefix.
func (e *TooLargeError) Error() string {
	if e.Size >= 0 {
		return fmt.Sprintf("file '%s' is %s bytes which exceeds the %d-byte cap set by %s. Increase the cap or split the file.",
			e.URI, commaGroup(e.Size), e.Cap, MaxDownloadBytesEnv)
	}
	return fmt.Sprintf("file '%s' exceeds %s (%d) — increase the cap or split the file.", e.URI, MaxDownloadBytesEnv, e.Cap)
}
