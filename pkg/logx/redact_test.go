package logx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	hex63  = strings.Repeat("a", 63)
	hex64  = strings.Repeat("0123456789abcdef", 4)
	hex128 = strings.Repeat("DEADbeef", 16)
	b64_42 = strings.Repeat("Ab_-", 10) + "xy"
	b64_43 = strings.Repeat("Ab_-", 10) + "xyz"
)

func TestSensitiveKey(t *testing.T) {
	redacted := []string{
		// §6.4 exact names, any case
		"x-api-key", "X-Api-Key", "authorization", "Authorization", "cookie", "COOKIE",
		"recotem_signing_key", "RECOTEM_SIGNING_KEYS", "recotem_api_keys",
		// prefixes
		"aws_secret_access_key", "AWS_REGION", "gcp_project", "google_application_credentials", "azure_tenant",
		// substrings
		"db_secret", "password", "db_passwd", "tokens", "access_token", "auth", "author", "bearer",
		"credit", "credentials", "private", "private_key_pem",
		// key not followed by s + non-word
		"api_key", "apikey", "client_key", "keystore", "keys_total", "key", "KEY_ID", "signing_key",
		"monkey_business", "keysx", "keys_key", "keyś",
	}
	kept := []string{
		"keys", "api_keys", "signing_keys", "keys-x", "keys.total", "monkeys", "kid", "signing_kids",
		"monkey", "Turkey", "donkey", "hockey", "jockey", "recipe_hash", "name", "fingerprint", "event",
		"msg_detail", "error", "",
	}
	for _, k := range redacted {
		if !SensitiveKey(k) {
			t.Errorf("SensitiveKey(%q) = false, want true", k)
		}
	}
	for _, k := range kept {
		if SensitiveKey(k) {
			t.Errorf("SensitiveKey(%q) = true, want false", k)
		}
	}
}

func TestRedactString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"", ""},
		// 63 hex digits escape the hex rule but not the base64url one.
		{hex63, RedactedB64URL43},
		{"id " + hex63[:42], "id " + hex63[:42]},
		{hex64, RedactedHex64},
		{hex128, RedactedHex64},
		{"key=" + hex64 + " rest", "key=" + RedactedHex64 + " rest"},
		{"a:" + hex64 + "," + hex64, "a:" + RedactedHex64 + "," + RedactedHex64},
		{"RECOTEM_SIGNING_KEYS=foo:" + hex64 + " is malformed", "RECOTEM_SIGNING_KEYS=foo:" + RedactedHex64 + " is malformed"},
		// hex glued to other base64url characters: hex first, then the rest
		// of the run is still too short for the base64url rule.
		{"zz" + hex64, "zz" + RedactedHex64},
		{b64_42, b64_42},
		{b64_43, RedactedB64URL43},
		{"api key is " + b64_43 + " from config", "api key is " + RedactedB64URL43 + " from config"},
		{"/data/" + b64_43 + ".yaml", "/data/" + RedactedB64URL43 + ".yaml"},
		// URL userinfo, every listed scheme
		{"http://u:p@h/x", "http://***@h/x"},
		{"https://user@h", "https://***@h"},
		{"HTTPS://U:P@H", "HTTPS://***@H"},
		{"ftp://u:p@h", "ftp://***@h"},
		{"ftps://u:p@h", "ftps://***@h"},
		{"postgresql://u:p@db:5432/x", "postgresql://***@db:5432/x"},
		{"postgres://u:p@db/x", "postgres://***@db/x"},
		{"postgresql+psycopg2://u:p@db/x", "postgresql+psycopg2://***@db/x"},
		{"mysql+pymysql://u:p@db/x", "mysql+pymysql://***@db/x"},
		{"mariadb://u:p@db/x", "mariadb://***@db/x"},
		{"mssql://u:p@db/x", "mssql://***@db/x"},
		{"oracle://u:p@db/x", "oracle://***@db/x"},
		{"mongodb://u:p@m/x", "mongodb://***@m/x"},
		{"mongodb+srv://u:p@m/x", "mongodb+srv://***@m/x"},
		{"redis://:p@r:6379", "redis://***@r:6379"},
		{"rediss://u:p@r", "rediss://***@r"},
		{"amqp://u:p@q", "amqp://***@q"},
		{"amqps://u:p@q", "amqps://***@q"},
		{"http://@h", "http://***@h"},
		{"dsn=postgres://u:p@ss@db/x ok", "dsn=postgres://***@db/x ok"},
		{"a http://u:p@h b https://v:q@i c", "a http://***@h b https://***@i c"},
		// not userinfo: '@' after the authority, or unlisted schemes
		{"https://host/path?email=a@b.com", "https://host/path?email=a@b.com"},
		{"s3://acct@bucket/k", "s3://acct@bucket/k"},
		{"gs://proj@bucket/k", "gs://proj@bucket/k"},
		{"mailto:a@b", "mailto:a@b"},
		// userinfo masked before the hex rule
		{"postgres://u:" + hex64 + "@db/x", "postgres://***@db/x"},
		// placeholders are stable; a [REDACTED prefix does not skip scrubbing
		{Redacted, Redacted},
		{RedactedHex64, RedactedHex64},
		{RedactedB64URL43, RedactedB64URL43},
		{"[REDACTED] " + hex64, "[REDACTED] " + RedactedHex64},
	} {
		if got := RedactString(c.in); got != c.want {
			t.Errorf("RedactString(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

type sample struct {
	Name    string            `json:"name"`
	Secret  string            `json:"client_secret"`
	Detail  string            `json:"detail"`
	Skip    string            `json:"-"`
	Empty   string            `json:"empty,omitempty"`
	Key     []byte            `json:"material"`
	Raw     [32]byte          `json:"raw"`
	Nested  map[string]any    `json:"nested"`
	Headers map[string]string `json:"headers"`
	inner
	private string
}

type inner struct {
	Promoted string
}

func TestRedactValues(t *testing.T) {
	key32 := make([]byte, 32)
	for _, c := range []struct {
		name string
		key  string
		in   any
		want any
	}{
		// §8: key rule
		{"x-api-key", "x-api-key", "v", Redacted},
		{"Authorization", "Authorization", "Bearer abc", Redacted},
		{"aws_secret_access_key", "aws_secret_access_key", "v", Redacted},
		{"db_secret", "db_secret", "v", Redacted},
		{"apikey", "apikey", "v", Redacted},
		{"client_key", "client_key", "v", Redacted},
		{"keys_total number", "keys_total", 5, Redacted},
		{"monkey kept", "monkey", "banana", "banana"},
		{"signing_kids kept", "signing_kids", []string{"a", "b"}, []any{"a", "b"}},
		{"keys kept", "keys", "k1", "k1"},
		// §8: nesting
		{"nested keys list", "event_data",
			map[string]any{"keys": []any{map[string]any{"x-api-key": "v", "kid": "k"}}},
			map[string]any{"keys": []any{map[string]any{"x-api-key": Redacted, "kid": "k"}}}},
		{"deep nesting", "d",
			map[string]any{"a": map[string]any{"b": []any{[]any{map[string]string{"password": "p", "u": hex64}}}}},
			map[string]any{"a": map[string]any{"b": []any{[]any{map[string]any{"password": Redacted, "u": RedactedHex64}}}}}},
		// §8: value rules
		{"64-hex", "detail", hex64, RedactedHex64},
		{"128-hex", "detail", hex128, RedactedHex64},
		{"63-hex: no hex placeholder", "detail", hex63, RedactedB64URL43},
		{"43 base64url", "detail", b64_43, RedactedB64URL43},
		{"42 base64url", "detail", b64_42, b64_42},
		{"bytes hello", "payload", []byte("hello"), "<bytes len=5>"},
		{"32 raw bytes", "payload", key32, Redacted},
		{"31 raw bytes", "payload", key32[:31], "<bytes len=31>"},
		{"int", "n", 42, int64(42)},
		{"float", "score", 0.5, 0.5},
		{"bool", "ok", true, true},
		{"nil", "x", nil, nil},
		{"error", "error", errors.New("open postgres://u:p@h/db: " + hex64), "open postgres://***@h/db: " + RedactedHex64},
		{"url", "endpoint", &url.URL{Scheme: "https", User: url.UserPassword("u", "p"), Host: "h", Path: "/x"}, "https://***@h/x"},
		// a key under an innocuous name is still caught by the value rules
		{"signing key under msg_detail", "msg_detail", hex64, RedactedHex64},
		{"api key under msg_detail", "msg_detail", b64_43, RedactedB64URL43},
		{"signing key in a sentence", "note", "loaded " + strings.ToUpper(hex64), "loaded " + RedactedHex64},
		// deliberate exceptions
		{"recipe_hash digest kept", "recipe_hash", hex64, hex64},
		{"recipe_hash sha256: digest kept", "recipe_hash", "sha256:" + hex64, "sha256:" + hex64},
		{"recipe_hash uppercase scrubbed", "recipe_hash", strings.ToUpper(hex64), RedactedHex64},
		{"recipe_hash other scrubbed", "recipe_hash", "x " + hex64, "x " + RedactedHex64},
		{"model_version digest kept", "model_version", "sha256:" + hex64, "sha256:" + hex64},
		{"model_version other scrubbed", "model_version", "v " + hex64, "v " + RedactedHex64},
		{"long recipe name kept", "recipe", b64_43, b64_43},
		{"long name kept", "name", b64_43 + "-v2", b64_43 + "-v2"},
		{"long recipe_name kept", "recipe_name", b64_43, b64_43},
		{"long path kept", "path", "/recipes/" + b64_43 + ".yaml", "/recipes/" + b64_43 + ".yaml"},
		{"hex artifact kept", "artifact", "/m/model." + hex64 + ".recotem", "/m/model." + hex64 + ".recotem"},
		{"path userinfo masked", "path", "https://u:p@host/" + b64_43 + ".csv", "https://***@host/" + b64_43 + ".csv"},
		{"artifact userinfo masked", "artifact", "ftp://u:p@h/x.recotem", "ftp://***@h/x.recotem"},
		{"path list kept", "path", []string{b64_43}, []any{b64_43}},
		{"nested path kept", "source", map[string]any{"path": b64_43, "query": b64_43}, map[string]any{"path": b64_43, "query": RedactedB64URL43}},
		{"dsn password", "dsn", "postgresql://app:s3cr3t@db/prod", "postgresql://***@db/prod"},
		{"password key", "password", "short", Redacted},
		// structs, via reflection
		{"struct", "cfg", sample{
			Name: b64_43, Secret: "s", Detail: hex64, Skip: "x", Key: []byte("abc"), Raw: [32]byte{1},
			Nested:  map[string]any{"token": "t", "n": 1},
			Headers: map[string]string{"Authorization": "Basic x", "Accept": "*/*"},
			inner:   inner{Promoted: "p"}, private: "hidden",
		}, map[string]any{
			"name": b64_43, "client_secret": Redacted, "detail": RedactedHex64, "material": "<bytes len=3>",
			"raw": Redacted, "nested": map[string]any{"token": Redacted, "n": int64(1)},
			"headers": map[string]any{"Authorization": Redacted, "Accept": "*/*"}, "Promoted": "p",
		}},
		{"pointer to struct", "cfg", &inner{Promoted: hex64}, map[string]any{"Promoted": RedactedHex64}},
		{"typed map", "counts", map[int]string{2: hex64, 1: "a"}, map[string]any{"1": "a", "2": RedactedHex64}},
		{"json.RawMessage", "raw", json.RawMessage(`{"api_key":"k","v":[1,"` + hex64 + `"]}`),
			map[string]any{"api_key": Redacted, "v": []any{json.Number("1"), RedactedHex64}}},
		{"time kept", "at", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"slog group value", "g", slog.GroupValue(slog.String("token", "t"), slog.Int("n", 1)),
			map[string]any{"token": Redacted, "n": int64(1)}},
	} {
		got := Redact(c.key, c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Redact(%q, %#v) = %#v, want %#v", c.name, c.key, c.in, got, c.want)
		}
	}
}

func TestRedactFailureNeverLeaks(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	for _, v := range []any{make(chan int), func() {}, cyclic, panicky{}, complex(1, 2)} {
		if got := Redact("v", v); got != Redacted {
			t.Errorf("Redact(%T) = %#v, want %q", v, got, Redacted)
		}
	}
}

// panicky panics when encoded.
type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("boom") }
