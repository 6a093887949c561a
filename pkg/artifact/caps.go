package artifact

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// Environment variables read by this package.
const (
	EnvMaxArtifact = "RECOTEM_MAX_ARTIFACT_BYTES"
	EnvMaxPayload  = "RECOTEM_MAX_PAYLOAD_BYTES"
	EnvMmap        = "RECOTEM_ARTIFACT_MMAP"
)

// Cap bounds and defaults (§1.4 of the artifact spec).
const (
	MiB                = 1 << 20
	GiB                = 1 << 30
	MinCap             = 1 * MiB
	MaxCap             = 16 * GiB
	DefaultArtifactCap = 2 * GiB
	DefaultPayloadCap  = 512 * MiB
	// MaxPointerLen is the largest file that is considered as a pointer.
	MaxPointerLen = 512
)

// Caps are the size limits applied when reading an artifact.
type Caps struct {
	Artifact int64 // whole file; larger → "exceeds cap"
	Payload  int64 // payload part; larger → "exceeds cap" before the HMAC
}

// DefaultCaps returns the default caps: 2 GiB artifact, 512 MiB payload.
func DefaultCaps() Caps { return Caps{Artifact: DefaultArtifactCap, Payload: DefaultPayloadCap} }

// CapsFromEnv reads RECOTEM_MAX_ARTIFACT_BYTES and RECOTEM_MAX_PAYLOAD_BYTES
// with the clamped-integer rules: unset or empty → default; unparsable →
// default and a WARN env_var_unparseable{name, raw, fallback}; outside
// [1 MiB, 16 GiB] → clamped and a WARN env_var_clamped{name, raw, value}.
// A payload cap above the artifact cap is a configuration error (exit 8).
// getenv is os.Getenv in production; log may be nil.
func CapsFromEnv(getenv func(string) string, log *slog.Logger) (Caps, error) {
	c := Caps{
		Artifact: clampedInt(getenv, log, EnvMaxArtifact, DefaultArtifactCap, MinCap, MaxCap),
		Payload:  clampedInt(getenv, log, EnvMaxPayload, DefaultPayloadCap, MinCap, MaxCap),
	}
	if c.Payload > c.Artifact {
		return c, exitcode.New(exitcode.Config, "%s (%d) must not exceed %s (%d)", EnvMaxPayload, c.Payload, EnvMaxArtifact, c.Artifact)
	}
	return c, nil
}

// MmapFromEnv reports whether local artifacts are memory-mapped: true unless
// RECOTEM_ARTIFACT_MMAP is set to a false value (0, false, no, off; any
// case, trimmed). Unset or any other value keeps the default (true).
func MmapFromEnv(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv(EnvMmap))) {
	case "0", "false", "no", "off":
		return false
	}
	return true
}

// clampedInt parses an integer environment variable (decimal, optional sign,
// surrounding whitespace and '_' digit separators allowed, as Python's int()).
func clampedInt(getenv func(string) string, log *slog.Logger, name string, def, lo, hi int64) int64 {
	raw := getenv(name)
	s := strings.TrimSpace(raw)
	if s == "" {
		return def
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || strings.Contains(s, "__") || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") {
		if log != nil {
			log.Warn("env_var_unparseable", "name", name, "raw", raw, "fallback", def)
		}
		return def
	}
	// On ErrRange v is ±MaxInt64, which clamps like Python's big ints.
	if v < lo || v > hi {
		c := min(max(v, lo), hi)
		if log != nil {
			log.Warn("env_var_clamped", "name", name, "raw", raw, "value", c)
		}
		return c
	}
	return v
}
