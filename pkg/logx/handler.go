package logx

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// output is the writer shared by a handler and everything derived from it.
type output struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	color bool
}

// frame is the attributes added at one group level: frames[0] is the top
// level, each WithGroup opens the next.
type frame struct {
	group string
	attrs []slog.Attr // already redacted
}

// handler is the redacting slog.Handler behind New.
type handler struct {
	out    *output
	level  slog.Leveler
	name   string
	frames []frame
	// failed is the error class when redacting WithAttrs attributes
	// failed; every record of this handler is then [redaction_failed].
	failed string
}

// Enabled reports whether records of level l are written.
func (h *handler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// WithAttrs returns a handler that adds attrs, redacted now, to every record.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := h.clone()
	red, err := safely(func() ([]slog.Attr, error) { return redactAttrs(attrs, 0) })
	if err != nil {
		h2.failed = errorClass(err)
		return h2
	}
	if len(h2.frames) == 1 {
		red = h2.takeName(red)
	}
	last := &h2.frames[len(h2.frames)-1]
	last.attrs = append(append([]slog.Attr(nil), last.attrs...), red...)
	return h2
}

// WithGroup returns a handler that nests later attributes under name.
func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := h.clone()
	h2.frames = append(h2.frames, frame{group: name})
	return h2
}

func (h *handler) clone() *handler {
	h2 := *h
	h2.frames = append([]frame(nil), h.frames...)
	return &h2
}

// takeName removes top-level "logger" string attributes from attrs, making
// the last one the logger name.
func (h *handler) takeName(attrs []slog.Attr) []slog.Attr {
	out := attrs[:0:0]
	for _, a := range attrs {
		if a.Key == "logger" && a.Value.Kind() == slog.KindString {
			h.name = a.Value.String()
			continue
		}
		out = append(out, a)
	}
	return out
}

// Handle redacts and writes r.
func (h *handler) Handle(_ context.Context, r slog.Record) error {
	name := h.name
	type redacted struct {
		msg   string
		attrs []slog.Attr
	}
	res, err := safely(func() (redacted, error) {
		attrs := make([]slog.Attr, 0, r.NumAttrs())
		r.Attrs(func(a slog.Attr) bool {
			attrs = append(attrs, a)
			return true
		})
		red, err := redactAttrs(attrs, 0)
		return redacted{scrub(r.Message, scrubAll), red}, err
	})
	class := h.failed
	if err != nil {
		class = errorClass(err)
	}
	if class != "" {
		msg, _ := safely(func() (string, error) { return scrub(r.Message, scrubAll), nil })
		if utf8.RuneCountInString(msg) > 64 {
			msg = string([]rune(msg)[:64])
		}
		return h.write(r.Time, r.Level, name, "[redaction_failed]", []slog.Attr{
			slog.String("original_event", msg),
			slog.String("redaction_error_class", class),
		})
	}
	attrs := res.attrs
	if len(h.frames) == 1 {
		h2 := handler{name: name}
		attrs = h2.takeName(attrs)
		name = h2.name
	}
	// Nest the record's attributes in the open groups, innermost first.
	n := len(h.frames) - 1
	inner := append(append([]slog.Attr(nil), h.frames[n].attrs...), attrs...)
	for i := n; i >= 1; i-- {
		outer := append([]slog.Attr(nil), h.frames[i-1].attrs...)
		if len(inner) > 0 {
			g := h.frames[i].group
			if SensitiveKey(g) {
				outer = append(outer, slog.String(g, Redacted))
			} else {
				outer = append(outer, slog.Attr{Key: g, Value: slog.GroupValue(inner...)})
			}
		}
		inner = outer
	}
	return h.write(r.Time, r.Level, name, res.msg, inner)
}

// redactAttrs redacts attrs, dropping empty ones as slog handlers do.
func redactAttrs(attrs []slog.Attr, depth int) ([]slog.Attr, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	out := make([]slog.Attr, 0, len(attrs))
	for _, a := range attrs {
		a.Value = a.Value.Resolve()
		if a.Equal(slog.Attr{}) {
			continue
		}
		if a.Value.Kind() == slog.KindGroup {
			if a.Key != "" && SensitiveKey(a.Key) {
				out = append(out, slog.String(a.Key, Redacted))
				continue
			}
			children, err := redactAttrs(a.Value.Group(), depth+1)
			if err != nil {
				return nil, err
			}
			if len(children) == 0 {
				continue
			}
			if a.Key == "" {
				out = append(out, children...)
				continue
			}
			out = append(out, slog.Attr{Key: a.Key, Value: slog.GroupValue(children...)})
			continue
		}
		if SensitiveKey(a.Key) {
			out = append(out, slog.String(a.Key, Redacted))
			continue
		}
		p := policyFor(a.Key)
		switch a.Value.Kind() {
		case slog.KindString:
			a.Value = slog.StringValue(scrub(a.Value.String(), p))
		case slog.KindAny:
			v, err := redactAny(a.Value.Any(), p, depth+1)
			if err != nil {
				return nil, err
			}
			a.Value = slog.AnyValue(v)
		}
		out = append(out, a)
	}
	return out, nil
}

// timeFormat is ISO-8601 UTC with microseconds.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// reserved top-level keys get a trailing underscore in attributes.
var reserved = map[string]bool{"timestamp": true, "level": true, "event": true, "logger": true}

// write formats one record and writes it with a single Write call.
func (h *handler) write(t time.Time, l slog.Level, name, msg string, attrs []slog.Attr) error {
	var buf []byte
	if h.out.json {
		buf = appendJSONRecord(buf, t, l, name, msg, attrs)
	} else {
		buf = appendConsoleRecord(buf, t, l, name, msg, attrs, h.out.color)
	}
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	_, err := h.out.w.Write(buf)
	return err
}

func appendJSONRecord(b []byte, t time.Time, l slog.Level, name, msg string, attrs []slog.Attr) []byte {
	b = append(b, '{')
	if !t.IsZero() {
		b = append(b, `"timestamp":"`...)
		b = t.UTC().AppendFormat(b, timeFormat)
		b = append(b, `",`...)
	}
	b = append(b, `"level":"`...)
	b = append(b, LevelName(l)...)
	b = append(b, `","logger":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"event":`...)
	b = appendJSONString(b, msg)
	for _, a := range attrs {
		key := a.Key
		if reserved[key] {
			key += "_"
		}
		b = append(b, ',')
		b = appendJSONAttr(b, key, a.Value)
	}
	return append(b, '}', '\n')
}

func appendJSONAttr(b []byte, key string, v slog.Value) []byte {
	b = appendJSONString(b, key)
	b = append(b, ':')
	return appendJSONValue(b, v)
}

func appendJSONValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendJSONString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		return appendJSONFloat(b, v.Float64())
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return strconv.AppendInt(b, int64(v.Duration()), 10)
	case slog.KindTime:
		return appendJSONString(b, v.Time().Format(time.RFC3339Nano))
	case slog.KindGroup:
		b = append(b, '{')
		for i, a := range v.Group() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONAttr(b, a.Key, a.Value)
		}
		return append(b, '}')
	}
	return appendJSONAny(b, v.Any())
}

// appendJSONAny writes a value produced by redactAny.
func appendJSONAny(b []byte, v any) []byte {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, t)
	case bool:
		return strconv.AppendBool(b, t)
	case int64:
		return strconv.AppendInt(b, t, 10)
	case uint64:
		return strconv.AppendUint(b, t, 10)
	case float64:
		return appendJSONFloat(b, t)
	case json.Number:
		if json.Valid([]byte(t)) {
			return append(b, t...)
		}
		return appendJSONString(b, string(t))
	case time.Time:
		return appendJSONString(b, t.Format(time.RFC3339Nano))
	case time.Duration:
		return strconv.AppendInt(b, int64(t), 10)
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONAny(b, e)
		}
		return append(b, ']')
	case object:
		b = append(b, '{')
		for i, m := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, m.key)
			b = append(b, ':')
			b = appendJSONAny(b, m.val)
		}
		return append(b, '}')
	case slog.Value:
		return appendJSONValue(b, t)
	}
	// Not produced by redactAny; never written unredacted.
	return appendJSONString(b, Redacted)
}

// appendJSONFloat writes f as a JSON number; NaN and infinities, which JSON
// cannot express, as strings.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return appendJSONString(b, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string without HTML escaping;
// invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// ANSI colours of the console format.
var levelColors = map[string]string{
	"debug": "\x1b[34m", "info": "\x1b[32m", "warning": "\x1b[33m", "error": "\x1b[31;1m",
}

const (
	colorReset = "\x1b[0m"
	colorKey   = "\x1b[36m"
	colorDim   = "\x1b[2m"
)

func appendConsoleRecord(b []byte, t time.Time, l slog.Level, name, msg string, attrs []slog.Attr, color bool) []byte {
	if !t.IsZero() {
		if color {
			b = append(b, colorDim...)
		}
		b = t.UTC().AppendFormat(b, timeFormat)
		if color {
			b = append(b, colorReset...)
		}
		b = append(b, ' ')
	}
	lvl := LevelName(l)
	b = append(b, '[')
	if color {
		b = append(b, levelColors[lvl]...)
	}
	b = append(b, lvl...)
	if color {
		b = append(b, colorReset...)
	}
	b = append(b, strings.Repeat(" ", 7-len(lvl))...)
	b = append(b, "] "...)
	b = appendConsoleString(b, msg, false)
	for _, a := range attrs {
		b = appendConsoleAttr(b, "", a, color)
	}
	if name != "" && name != "recotem" {
		b = appendConsoleAttr(b, "", slog.String("logger", name), color)
	}
	return append(b, '\n')
}

func appendConsoleAttr(b []byte, prefix string, a slog.Attr, color bool) []byte {
	key := prefix + a.Key
	if a.Value.Kind() == slog.KindGroup {
		for _, c := range a.Value.Group() {
			b = appendConsoleAttr(b, key+".", c, color)
		}
		return b
	}
	b = append(b, ' ')
	if color {
		b = append(b, colorKey...)
	}
	b = appendConsoleString(b, key, true)
	if color {
		b = append(b, colorReset...)
	}
	b = append(b, '=')
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		return appendConsoleString(b, v.String(), true)
	case slog.KindTime:
		return append(b, v.Time().Format(time.RFC3339Nano)...)
	case slog.KindDuration:
		return append(b, v.Duration().String()...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case string:
			return appendConsoleString(b, x, true)
		case time.Duration:
			return append(b, x.String()...)
		}
		return appendJSONAny(b, v.Any())
	default:
		return appendJSONValue(b, v)
	}
}

// appendConsoleString writes s bare when it is safe to, otherwise quoted
// Go-style (always quoted when quoteSpace and s contains a space or "=").
func appendConsoleString(b []byte, s string, quoteSpace bool) []byte {
	needs := s == "" && quoteSpace
	for _, r := range s {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f || r == utf8.RuneError ||
			(quoteSpace && (r == ' ' || r == '=')) {
			needs = true
			break
		}
	}
	if !needs {
		return append(b, s...)
	}
	return strconv.AppendQuote(b, s)
}
