package logx

import (
	"io"
	"log/slog"
	"testing"
)

// BenchmarkInfoJSON measures one typical request record: six attributes
// including a path and a sensitive header, written as JSON.
func BenchmarkInfoJSON(b *testing.B) {
	l := New(io.Discard, Options{Format: FormatJSON}).With("recipe", "news_articles")
	b.ReportAllocs()
	for b.Loop() {
		l.Info("request", "method", "GET", "path", "/v1/recipes/news_articles/users/u123/items",
			"status", 200, "duration_ms", 1.25, "x-api-key", "k", "remote", "10.0.0.1:5555")
	}
}

// BenchmarkRedactString measures the value rules on an error message
// holding a DSN and a hex key.
func BenchmarkRedactString(b *testing.B) {
	s := "connect postgres://app:pw@db.internal:5432/prod failed: key " + hex64 + " rejected"
	b.ReportAllocs()
	for b.Loop() {
		RedactString(s)
	}
}

// BenchmarkInfoStruct measures a record carrying a nested struct value.
func BenchmarkInfoStruct(b *testing.B) {
	l := New(io.Discard, Options{Format: FormatJSON})
	v := sample{Name: "n", Detail: "d", Nested: map[string]any{"a": 1, "token": "t"}}
	b.ReportAllocs()
	for b.Loop() {
		l.Info("cfg", slog.Any("cfg", v))
	}
}
