// Package exitcode defines the process exit codes shared by every recotem
// command and an error type that carries one through a wrap chain.
//
// The codes are a public contract: schedulers, systemd units and CI jobs act
// on them. A command maps the error it returns to a code in exactly one
// place, with Of.
package exitcode

import "fmt"

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

// ReasonSigningKeyMissing is the reason of the configuration error for an
// unset signing key ring; Of never lets a fetch error below it decide.
const ReasonSigningKeyMissing = "signing_key_missing"

// Of maps an error to an exit code with the reference's precedence
// (recipe-and-cli.md §2.1), the outermost coded error standing for the
// exception that was raised:
//
//  1. a missing signing key ring (Config with reason signing_key_missing): 8;
//  2. an outermost recipe error: 2;
//  3. a fetch error (7) anywhere in the tree: 7, so a data source, config,
//     artifact, lock or training error caused by a refused or failed HTTP
//     fetch exits 7;
//  4. otherwise the outermost code.
//
// nil is OK; an error without any code is Internal. The whole tree is
// searched, including every branch of errors.Join, outermost first.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var outer *Error
	fetch := false
	walk(err, func(e *Error) {
		if outer == nil {
			outer = e
		}
		if e.Code == Fetch {
			fetch = true
		}
	})
	switch {
	case outer == nil:
		return Internal
	case outer.Code == Config && outer.Reason == ReasonSigningKeyMissing:
		return Config
	case outer.Code == Recipe:
		return Recipe
	case fetch:
		return Fetch
	}
	return outer.Code
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

// walk visits every *Error in err's tree in the order errors.As searches
// it: depth first, an error before what it wraps, errors.Join branches in
// order.
func walk(err error, visit func(*Error)) {
	for err != nil {
		if e, ok := err.(*Error); ok {
			visit(e)
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, b := range u.Unwrap() {
				walk(b, visit)
			}
			return
		default:
			return
		}
	}
}
