// Package exitcode defines the process exit codes shared by every recotem
// command and an error type that carries one through a wrap chain.
//
// The codes are a public contract: schedulers, systemd units and CI jobs act
// on them. A command maps the error it returns to a code in exactly one
// place, with Of.
package exitcode

import (
	"errors"
	"fmt"
)

// The exit codes of every recotem command.
const (
	OK         = 0 // success (also: train skipped because the lock is busy)
	Internal   = 1 // unknown or unmapped error
	Recipe     = 2 // recipe error, and command-line usage errors
	DataSource = 3 // data-source error
	Training   = 4 // training error
	Artifact   = 5 // artifact error: format, HMAC, caps, malformed signing keys
	Lock       = 6 // lock contested or lock timeout
	Fetch      = 7 // HTTP fetch error: SSRF refusal, timeout, status, caps, sha256
	Config     = 8 // configuration error
)

// Error is an error that carries an exit code and, optionally, a short
// machine-readable reason such as "min_data_violation" for logs.
type Error struct {
	Code   int
	Reason string
	Err    error
}

// Error returns the message of the wrapped error.
func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit code %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given code and a formatted message. Like
// fmt.Errorf, a %w verb wraps its operand.
func New(code int, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Reasoned returns an error with a code, a machine-readable reason and a
// formatted message.
func Reasoned(code int, reason, format string, args ...any) error {
	return &Error{Code: code, Reason: reason, Err: fmt.Errorf(format, args...)}
}

// Wrap attaches a code to err, keeping its message. It returns nil for a nil err.
func Wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Of maps an error to an exit code. nil is OK. The outermost coded error
// decides, except that a fetch error (7) anywhere below a data-source,
// training or unknown error wins over it, as in the reference: a data source
// that failed because an HTTP fetch was refused exits 7. Recipe (2) and
// configuration (8) errors are never overridden. An error without any code
// is Internal.
func Of(err error) int {
	if err == nil {
		return OK
	}
	outer := -1
	fetch := false
	walk(err, func(e *Error) {
		if outer < 0 {
			outer = e.Code
		}
		if e.Code == Fetch {
			fetch = true
		}
	})
	switch {
	case outer == Recipe || outer == Config:
		return outer
	case fetch:
		return Fetch
	case outer < 0:
		return Internal
	}
	return outer
}

// ReasonOf returns the reason of the outermost coded error that has one.
func ReasonOf(err error) string {
	reason := ""
	walk(err, func(e *Error) {
		if reason == "" {
			reason = e.Reason
		}
	})
	return reason
}

// walk visits every *Error in err's tree, outermost first.
func walk(err error, visit func(*Error)) {
	for err != nil {
		var e *Error
		if errors.As(err, &e) {
			visit(e)
			err = e.Err
			continue
		}
		return
	}
}
