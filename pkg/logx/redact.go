package logx

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Placeholders that replace redacted values.
const (
	Redacted         = "[REDACTED]"
	RedactedHex64    = "[REDACTED-HEX64]"
	RedactedB64URL43 = "[REDACTED-B64URL43]"
)

// maxDepth bounds the nesting redaction follows; deeper (or cyclic)
// values make redaction fail, which logs the [redaction_failed] event.
const maxDepth = 64

// exactKeys are redacted whatever their case.
var exactKeys = map[string]bool{
	"x-api-key": true, "authorization": true, "cookie": true,
	"recotem_signing_key": true, "recotem_signing_keys": true, "recotem_api_keys": true,
}

// benignKeys contain "key" but are ordinary words.
var benignKeys = map[string]bool{
	"monkey": true, "turkey": true, "donkey": true, "hockey": true, "jockey": true,
}

var (
	sensitivePrefixes   = []string{"aws_", "gcp_", "google_", "azure_"}
	sensitiveSubstrings = []string{"secret", "password", "passwd", "token", "auth", "bearer", "cred", "private"}
)

// SensitiveKey reports whether the value of an attribute named key is
// replaced by [REDACTED] whatever it holds (case-insensitive):
//
//   - the names x-api-key, authorization, cookie, recotem_signing_key,
//     recotem_signing_keys and recotem_api_keys;
//   - otherwise, unless the name is monkey, turkey, donkey, hockey or jockey:
//     a name starting with aws_, gcp_, google_ or azure_, or containing
//     secret, password, passwd, token, auth, bearer, cred or private, or
//     containing "key" not immediately followed by "s" and a non-word
//     character or the end.
//
// So api_key, apikey, keystore, keys_total, author, credit and tokens are
// sensitive; keys, api_keys, signing_keys, keys-x, monkeys and kid are not.
func SensitiveKey(key string) bool {
	k := strings.ToLower(key)
	if exactKeys[k] {
		return true
	}
	if benignKeys[k] {
		return false
	}
	for _, p := range sensitivePrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	for _, s := range sensitiveSubstrings {
		if strings.Contains(k, s) {
			return true
		}
	}
	for i := 0; ; {
		j := strings.Index(k[i:], "key")
		if j < 0 {
			return false
		}
		rest := k[i+j+3:]
		if !strings.HasPrefix(rest, "s") {
			return true
		}
		if r, _ := utf8.DecodeRuneInString(rest[1:]); len(rest) > 1 && isWordRune(r) {
			return true
		}
		i += j + 3
	}
}

// isWordRune matches a regular-expression \w character (Unicode letters,
// digits and underscore), as the reference's pattern does.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// policy is how strictly string values are scrubbed.
type policy uint8

const (
	// scrubAll masks URL userinfo, then hex runs, then base64url runs.
	scrubAll policy = iota
	// scrubURL masks only URL userinfo: for identifiers that are long by
	// nature (recipe names, paths), never key material.
	scrubURL
	// scrubDigest leaves a well-formed sha256 digest alone and scrubs
	// anything else fully.
	scrubDigest
)

// identifierKeys hold names and paths: long values there are legitimate.
var identifierKeys = map[string]bool{
	"recipe": true, "name": true, "recipe_name": true, "path": true, "artifact": true,
}

// policyFor returns the value policy of an attribute named key.
func policyFor(key string) policy {
	k := strings.ToLower(key)
	switch {
	case k == "recipe_hash", k == "model_version":
		return scrubDigest
	case identifierKeys[k]:
		return scrubURL
	}
	return scrubAll
}

// RedactString applies the value rules to a string that is not under any
// attribute name (an error message, say): URL userinfo of the listed
// schemes becomes ***, then every maximal run of at least 64 hex digits
// becomes [REDACTED-HEX64], then every maximal run of at least 43
// base64url characters becomes [REDACTED-B64URL43]. The placeholders
// contain no such runs, so redacting twice changes nothing; unlike the
// reference, a string that merely starts with "[REDACTED" is scrubbed too.
func RedactString(s string) string {
	return scrub(s, scrubAll)
}

// Redact returns v as it would be logged under the attribute name key: the
// key rule (SensitiveKey) first, then the value rules at every depth of
// maps, slices, arrays and structs, which come back JSON-shaped: maps and
// structs (exported fields, json tags honoured) as map[string]any, lists as
// []any, values with a MarshalJSON or MarshalText method through that
// encoding. Numbers, bools,
// nil, times and durations are returned unchanged; byte slices of 32 bytes
// or more become [REDACTED] and shorter ones "<bytes len=N>". If v cannot be
// redacted (for example it cannot be JSON encoded), Redact returns
// [REDACTED]: it never returns unredacted data.
func Redact(key string, v any) any {
	if SensitiveKey(key) {
		return Redacted
	}
	out, err := safely(func() (any, error) { return redactAny(v, policyFor(key), 0) })
	if err != nil {
		return Redacted
	}
	if o, ok := out.(object); ok {
		return o.toMap()
	}
	return out
}

// safely runs f, turning a panic into an error.
func safely[T any](f func() (T, error)) (out T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{r}
		}
	}()
	return f()
}

// panicError is a panic met while redacting.
type panicError struct{ v any }

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.v) }

// errorClass names an error's type for the redaction_error_class field.
func errorClass(err error) string {
	if p, ok := err.(*panicError); ok {
		if e, ok := p.v.(error); ok {
			return fmt.Sprintf("panic(%T)", e)
		}
		return "panic"
	}
	return fmt.Sprintf("%T", err)
}

// scrub applies the value rules of policy p to s.
func scrub(s string, p policy) string {
	if p == scrubDigest && isDigest(s) {
		return s
	}
	if strings.Contains(s, "://") {
		s = maskUserinfo(s)
	}
	if p == scrubURL {
		return s
	}
	s = replaceRuns(s, &hexClass, 64, RedactedHex64)
	return replaceRuns(s, &b64URLClass, 43, RedactedB64URL43)
}

// isDigest reports whether s is a lowercase hex sha256 digest, optionally
// prefixed "sha256:", as recipe hashes are printed everywhere.
func isDigest(s string) bool {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// byteClass is a set of ASCII bytes.
type byteClass [256]bool

var hexClass, b64URLClass = func() (h, b byteClass) {
	for c := 0; c < 256; c++ {
		h[c] = '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
		b[c] = '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-'
	}
	return h, b
}()

func isB64URL(c byte) bool { return b64URLClass[c] }

// replaceRuns replaces every maximal run of at least n bytes of class in s
// by repl.
func replaceRuns(s string, class *byteClass, n int, repl string) string {
	if len(s) < n {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !class[s[i]] {
			i++
			continue
		}
		j := i
		for j < len(s) && class[s[j]] {
			j++
		}
		if j-i >= n {
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:i])
			b.WriteString(repl)
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// userinfoSchemes are the URL schemes whose userinfo is masked. A scheme
// matches when any of its "+", "." or "-" separated parts is listed, so
// postgresql+psycopg, mongodb+srv and git+https are all masked.
var userinfoSchemes = map[string]bool{
	"http": true, "https": true, "ftp": true, "ftps": true,
	"postgresql": true, "postgres": true, "mysql": true, "mariadb": true, "mssql": true, "oracle": true,
	"mongodb": true, "redis": true, "rediss": true, "amqp": true, "amqps": true,
}

func isSchemeChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

func maskedScheme(scheme string) bool {
	for scheme != "" {
		i := strings.IndexAny(scheme, "+.-")
		part := scheme
		if i >= 0 {
			part, scheme = scheme[:i], scheme[i+1:]
		} else {
			scheme = ""
		}
		if len(part) <= len("postgresql") && userinfoSchemes[strings.ToLower(part)] {
			return true
		}
	}
	return false
}

// maskUserinfo replaces the userinfo of every URL with a listed scheme in s
// by ***: "postgres://user:pw@db/x" becomes "postgres://***@db/x", and
// "http://@h" becomes "http://***@h". The authority ends at the first "/",
// "?", "#" or whitespace, and the userinfo at its last "@", so a password
// containing "@" is masked whole.
func maskUserinfo(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		j += i
		k := j
		for k > 0 && isSchemeChar(s[k-1]) {
			k--
		}
		start := j + 3
		end := start
		for end < len(s) && !strings.ContainsRune("/?#", rune(s[end])) && !isSpace(s[end]) {
			end++
		}
		if at := strings.LastIndexByte(s[start:end], '@'); at >= 0 && maskedScheme(s[k:j]) {
			b.WriteString(s[last:start])
			b.WriteString("***")
			last = start + at
		}
		i = start
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// redactBytes applies the byte-slice rule.
func redactBytes(b []byte) string {
	if len(b) >= 32 {
		return Redacted
	}
	return fmt.Sprintf("<bytes len=%d>", len(b))
}

// member is one key of an object.
type member struct {
	key string
	val any
}

// object is a JSON object that keeps its key order; it is how maps and
// structs come out of redaction.
type object []member

// toMap converts o, and any object nested in it, to plain maps.
func (o object) toMap() map[string]any {
	m := make(map[string]any, len(o))
	for _, mb := range o {
		m[mb.key] = plain(mb.val)
	}
	return m
}

func plain(v any) any {
	switch t := v.(type) {
	case object:
		return t.toMap()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// redactMember applies the key rule, then the value rules, to one member.
func redactMember(key string, v any, depth int) (any, error) {
	if SensitiveKey(key) {
		return Redacted, nil
	}
	return redactAny(v, policyFor(key), depth+1)
}

// redactAny returns a redacted, JSON-shaped copy of v: nil, bool, int64,
// uint64, float64, string, json.Number, time.Time, time.Duration, []any or
// object.
func redactAny(v any, p policy, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		return scrub(t, p), nil
	case []byte:
		return redactBytes(t), nil
	case bool, int64, uint64, float64, json.Number, time.Time, time.Duration:
		return t, nil
	case int:
		return int64(t), nil
	case int8:
		return int64(t), nil
	case int16:
		return int64(t), nil
	case int32:
		return int64(t), nil
	case uint:
		return uint64(t), nil
	case uint8:
		return uint64(t), nil
	case uint16:
		return uint64(t), nil
	case uint32:
		return uint64(t), nil
	case uintptr:
		return uint64(t), nil
	case float32:
		return float64(t), nil
	case *url.URL:
		if t == nil {
			return nil, nil
		}
		return scrub(t.String(), p), nil
	case url.URL:
		return scrub(t.String(), p), nil
	case slog.Value:
		return redactSlogAny(t, p, depth)
	case error:
		if _, ok := t.(json.Marshaler); !ok {
			return scrub(t.Error(), p), nil
		}
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = scrub(s, p)
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			r, err := redactAny(e, p, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]string:
		keys := sortedKeys(t)
		out := make(object, 0, len(t))
		for _, k := range keys {
			r, err := redactMember(k, t[k], depth)
			if err != nil {
				return nil, err
			}
			out = append(out, member{k, r})
		}
		return out, nil
	case map[string]any:
		keys := sortedKeys(t)
		out := make(object, 0, len(t))
		for _, k := range keys {
			r, err := redactMember(k, t[k], depth)
			if err != nil {
				return nil, err
			}
			out = append(out, member{k, r})
		}
		return out, nil
	case object:
		out := make(object, 0, len(t))
		for _, m := range t {
			r, err := redactMember(m.key, m.val, depth)
			if err != nil {
				return nil, err
			}
			out = append(out, member{m.key, r})
		}
		return out, nil
	}
	return redactReflect(reflect.ValueOf(v), p, depth+1)
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// redactReflect redacts any other value the way encoding/json would show
// it: values with their own JSON or text encoding through that encoding,
// structs as objects of their exported fields (json tags, omitempty and
// embedded structs honoured), maps as objects, slices and arrays as lists,
// except that byte slices and arrays follow the byte rule instead of
// turning into base64 or number lists that the string rules would miss.
func redactReflect(rv reflect.Value, p policy, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	if !rv.IsValid() {
		return nil, nil
	}
	t := rv.Type()
	if rv.CanInterface() && (t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType)) {
		if (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) && rv.IsNil() {
			return nil, nil
		}
		return redactJSON(rv.Interface(), p, depth)
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		if e := rv.Elem(); e.CanInterface() {
			return redactAny(e.Interface(), p, depth+1)
		}
		return redactReflect(rv.Elem(), p, depth+1)
	case reflect.String:
		return scrub(rv.String(), p), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint(), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return redactBytes(b), nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			e, err := redactReflect(rv.Index(i), p, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if rv.IsNil() {
			return nil, nil
		}
		keys := make([]string, 0, rv.Len())
		vals := make(map[string]reflect.Value, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			k, err := mapKey(it.Key())
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
			vals[k] = it.Value()
		}
		sort.Strings(keys)
		out := make(object, 0, len(keys))
		for _, k := range keys {
			if SensitiveKey(k) {
				out = append(out, member{k, Redacted})
				continue
			}
			e, err := redactReflect(vals[k], policyFor(k), depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, member{k, e})
		}
		return out, nil
	case reflect.Struct:
		out := object{}
		if err := appendFields(&out, rv, depth); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, &json.UnsupportedTypeError{Type: t}
}

// appendFields appends the JSON-visible fields of struct rv to out,
// redacted.
func appendFields(out *object, rv reflect.Value, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := rv.Field(i)
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if fv.Kind() == reflect.Pointer {
					if fv.IsNil() {
						continue
					}
					fv = fv.Elem()
				}
				if err := appendFields(out, fv, depth+1); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(","+opts+",", ",omitempty,") && isEmpty(fv) {
			continue
		}
		if strings.Contains(","+opts+",", ",omitzero,") && fv.IsZero() {
			continue
		}
		if SensitiveKey(name) {
			*out = append(*out, member{name, Redacted})
			continue
		}
		e, err := redactReflect(fv, policyFor(name), depth+1)
		if err != nil {
			return err
		}
		*out = append(*out, member{name, e})
	}
	return nil
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// mapKey renders a map key as encoding/json does.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if k.CanInterface() {
		if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
			b, err := tm.MarshalText()
			return string(b), err
		}
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", &json.UnsupportedTypeError{Type: k.Type()}
}

// redactJSON redacts v in its JSON encoding.
func redactJSON(v any, p policy, depth int) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	tree, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	return redactAny(tree, p, depth+1)
}

var errTooDeep = errors.New("value nested deeper than 64 levels (cyclic?)")

// redactSlogAny redacts a slog.Value found inside an Any value.
func redactSlogAny(v slog.Value, p policy, depth int) (any, error) {
	v = v.Resolve()
	if v.Kind() == slog.KindGroup {
		out := object{}
		for _, a := range v.Group() {
			r, err := redactMember(a.Key, a.Value, depth)
			if err != nil {
				return nil, err
			}
			out = append(out, member{a.Key, r})
		}
		return out, nil
	}
	return redactAny(v.Any(), p, depth+1)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// decodeJSON decodes one JSON value into nil, bool, json.Number, string,
// []any and object, keeping object key order.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	return decodeValue(dec, 0)
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := object{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj = append(obj, member{key, v})
			}
			_, err := dec.Token() // '}'
			return obj, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ']'
			return arr, err
		}
		return nil, fmt.Errorf("unexpected JSON delimiter %q", t)
	}
	return tok, nil
}
