package recipe

import (
	"errors"
	"io"
	"log/slog"
	"strings"
)

// testOptions returns load options with a fixed environment and a silent
// logger.
func testOptions(env map[string]string) LoadOptions {
	return LoadOptions{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }

// errorOf returns the *Error inside err, or nil.
func errorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
