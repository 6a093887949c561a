// Package logx builds the structured logger every recotem command writes to
// stderr: log/slog with one record per line, JSON off a terminal and a
// human-readable line on one, and secret redaction applied to every record
// before anything is formatted.
//
// A command builds its logger once, first thing:
//
//	format, err := logx.ParseFormat(os.Getenv(logx.EnvFormat)) // serve: exit 8 on err
//	// or: format := logx.LenientFormat(os.Getenv(logx.EnvFormat)) // other commands
//	log := logx.New(os.Stderr, logx.Options{Format: format, Name: "recotem.serve"})
//
// Records below Options.Level (INFO by default; a -v flag may pass DEBUG)
// are dropped. Handlers are safe for concurrent use and write each record
// with a single Write call.
//
// # Format
//
// RECOTEM_LOG_FORMAT (EnvFormat) selects the format, case-insensitively and
// ignoring surrounding spaces: "json", "console", or "auto" (also the empty
// value), which is console when the writer is a terminal and JSON
// otherwise. ParseFormat rejects any other value with a configuration error
// (exit code 8; serve uses it), LenientFormat maps it to auto (the other
// commands use it).
//
// A JSON record is one object per line with the keys
//
//	timestamp  ISO-8601 UTC with microseconds and Z, 2026-04-01T12:00:00.123456Z
//	level      debug, info, warning or error
//	logger     the logger name (Options.Name, or a "logger" attribute)
//	event      the slog message: the event name, e.g. "train_done"
//
// followed by the record's attributes; groups become nested objects, maps
// and structs their JSON form. Key order is not part of the contract. A
// top-level attribute "logger" with a string value sets the logger name;
// any other top-level attribute named timestamp, level, logger or event is
// written with a trailing underscore (level_) so that no key repeats. Durations are written as
// integer nanoseconds and times as RFC 3339 strings, as slog's own JSON
// handler does.
//
// The console format writes one line per record,
//
//	2026-04-01T12:00:00.123456Z [info   ] recipe_loaded name=news path=r.yaml
//
// with values quoted where needed, group keys joined by dots, maps and
// structs as compact JSON, the logger name last unless it is "recotem", and
// the level coloured when the writer is
// a terminal and NO_COLOR is unset.
//
// # Redaction
//
// Every attribute, at every depth (groups, maps, slices, structs as
// encoding/json shows them, slog.LogValuer results), and the message are
// redacted before output; the added timestamp, level and logger are not.
// The key rule (SensitiveKey) replaces the whole value of a sensitive name
// by [REDACTED], including a group or a WithGroup opened under such a name.
// The value rules apply to strings under other names (RedactString): URL
// userinfo masking for http(s), ftp(s), postgresql, postgres, mysql, mariadb,
// mssql, oracle (with optional +driver), mongodb(+srv), redis(s) and
// amqp(s), then [REDACTED-HEX64] for runs of 64 or more hex digits, then
// [REDACTED-B64URL43] for runs of 43 or more base64url characters. Byte
// slices of 32 bytes or more become [REDACTED], shorter ones
// "<bytes len=N>"; numbers, bools and nil are untouched. Redact applies the
// same rules to one value, for callers that put text anywhere else (serve's
// error responses).
//
// If redaction fails (a value that cannot be JSON encoded, nesting deeper
// than 64 levels, a panicking MarshalJSON), the record is replaced, at the
// same level, by the event "[redaction_failed]" with original_event (the
// first 64 characters of the redacted message) and redaction_error_class
// (the Go type of the error).
//
// Deliberate differences from the reference implementation, which scrubbed
// every string alike:
//
//   - recipe_hash is not redacted when it is a well-formed sha256 digest
//     (64 lowercase hex digits, optionally "sha256:"-prefixed): the hash is
//     public (the artifact header and inspect print it) and ties a log line
//     to its recipe. Any other value under that name is scrubbed fully.
//   - The values of recipe, name, recipe_name, path and artifact are not
//     scrubbed for being long hex or base64url runs (recipe names and path
//     segments of 43 or more characters were logged as
//     [REDACTED-B64URL43]); URL userinfo in them is still masked.
//   - original_event of [redaction_failed] is cut to 64 characters after
//     the message is redacted, not before, so a truncated secret cannot slip
//     past the length thresholds.
//   - A string that starts with "[REDACTED" is scrubbed like any other (the
//     reference skipped it, so "[REDACTED] <key>" leaked the key); the
//     placeholders themselves are left as they are.
//   - Byte slices and byte arrays inside maps and structs follow the byte
//     rule too, instead of reaching the log as base64 or number lists.
//   - URL userinfo is masked up to the last "@" of the authority (a
//     password containing "@" is masked whole) and for any scheme one of
//     whose "+"-, "."- or "-"-separated parts is listed (git+https too).
package logx

import (
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// EnvFormat is the environment variable that selects the log format.
const EnvFormat = "RECOTEM_LOG_FORMAT"

// Format is the output format of a logger.
type Format int

// The log formats.
const (
	// FormatAuto is FormatConsole on a terminal and FormatJSON otherwise.
	FormatAuto Format = iota
	// FormatJSON writes one JSON object per line.
	FormatJSON
	// FormatConsole writes one human-readable line per record.
	FormatConsole
)

// String returns the name of f as RECOTEM_LOG_FORMAT spells it.
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatConsole:
		return "console"
	}
	return "auto"
}

// ParseFormat parses a RECOTEM_LOG_FORMAT value: auto, json or console in
// any case, surrounding spaces ignored; empty means auto. Any other value
// is an error carrying exitcode.Config, which serve reports with exit 8.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, nil
	case "json":
		return FormatJSON, nil
	case "console":
		return FormatConsole, nil
	}
	return FormatAuto, exitcode.New(exitcode.Config, "%s: unknown value %q, want auto, json or console", EnvFormat, s)
}

// LenientFormat parses a RECOTEM_LOG_FORMAT value like ParseFormat but
// maps an unknown value to FormatAuto, as every command but serve does.
func LenientFormat(s string) Format {
	f, err := ParseFormat(s)
	if err != nil {
		return FormatAuto
	}
	return f
}

// Options configure a logger.
type Options struct {
	// Format is the output format; the zero value is FormatAuto.
	Format Format
	// Level is the minimum level written; nil means slog.LevelInfo. A -v
	// flag may pass slog.LevelDebug.
	Level slog.Leveler
	// Name is the value of the logger key, e.g. "recotem.train"; empty
	// means "recotem".
	Name string
}

// New returns a logger writing redacted records to w (normally os.Stderr)
// as opts describe.
func New(w io.Writer, opts Options) *slog.Logger {
	return slog.New(NewHandler(w, opts))
}

// NewHandler returns the slog.Handler behind New, for callers that wrap
// it. It is safe for concurrent use; each record is one Write call.
func NewHandler(w io.Writer, opts Options) slog.Handler {
	tty := isTerminal(w)
	format := opts.Format
	if format == FormatAuto {
		format = FormatJSON
		if tty {
			format = FormatConsole
		}
	}
	level := opts.Level
	if level == nil {
		level = slog.LevelInfo
	}
	name := opts.Name
	if name == "" {
		name = "recotem"
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	return &handler{
		out: &output{
			w:     w,
			json:  format == FormatJSON,
			color: format == FormatConsole && tty && !noColor,
		},
		level:  level,
		name:   name,
		frames: []frame{{}},
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// LevelName returns the name a record of level l carries in the level
// key: debug, info, warning or error (levels between the named ones take
// the name of the one below).
func LevelName(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warning"
	}
	return "error"
}
