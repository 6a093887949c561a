package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	fetch := New(Fetch, "HTTP 404 fetching https://example.com/x.csv")
	data := func(cause error) error { return Wrap(DataSource, fmt.Errorf("CSV read failed: %w", cause)) }
	signingMissing := &Error{Code: Config, Reason: ReasonSigningKeyMissing, Err: errors.New("RECOTEM_SIGNING_KEYS is not set")}
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain error", errors.New("boom"), Internal},
		{"plain error wrapping a plain error", fmt.Errorf("outer: %w", errors.New("boom")), Internal},
		{"coded error with a nil cause", &Error{Code: Lock}, Lock},
		{"each code", New(Training, "no trial completed"), Training},
		{"Wrap keeps the code", Wrap(Artifact, errors.New("bad magic")), Artifact},
		{"Reasoned", Reasoned(Lock, "lock_timeout", "timed out"), Lock},
		{"wrapped by fmt.Errorf", fmt.Errorf("Training failed: %w", New(DataSource, "no rows")), DataSource},
		{"outermost code wins", New(Training, "fit: %w", New(Artifact, "write")), Training},
		{"code below an uncoded error", fmt.Errorf("a: %w", fmt.Errorf("b: %w", New(Lock, "busy"))), Lock},
		// A fetch error anywhere wins, except under a recipe error or a
		// missing signing key (§2.1: HttpFetchError anywhere in the chain → 7).
		{"fetch alone", fetch, Fetch},
		{"fetch below data source", data(fetch), Fetch},
		{"fetch below training", New(Training, "x: %w", fetch), Fetch},
		{"fetch below artifact", New(Artifact, "x: %w", fetch), Fetch},
		{"fetch below lock", New(Lock, "x: %w", fetch), Fetch},
		{"fetch below config", New(Config, "x: %w", fetch), Fetch},
		{"fetch below plain errors", fmt.Errorf("Training failed: %w", fmt.Errorf("x: %w", fetch)), Fetch},
		{"fetch deep below", New(Training, "a: %w", data(New(Internal, "b: %w", fetch))), Fetch},
		{"fetch below recipe", New(Recipe, "item_metadata: %w", fetch), Recipe},
		{"recipe below data source", data(New(Recipe, "bad")), DataSource},
		{"config below training", New(Training, "x: %w", New(Config, "y")), Training},
		{"signing key missing", fmt.Errorf("Training failed: %w", signingMissing), Config},
		{"fetch below signing key missing", &Error{Code: Config, Reason: ReasonSigningKeyMissing, Err: fetch}, Config},
		{"other config reason below nothing", Reasoned(Config, "other", "x"), Config},
		{"other config reason over fetch", Reasoned(Config, "other", "x: %w", fetch), Fetch},
		// errors.Join: the first coded branch is the outermost; a fetch
		// error in any branch counts.
		{"join first coded branch", errors.Join(errors.New("plain"), New(Lock, "busy"), New(Artifact, "x")), Lock},
		{"join fetch in a later branch", errors.Join(New(DataSource, "x"), fetch), Fetch},
		{"join recipe first", errors.Join(New(Recipe, "x"), fetch), Recipe},
		{"join below a coded error", New(Training, "x: %w", errors.Join(errors.New("a"), fetch)), Fetch},
		{"join without codes", errors.Join(errors.New("a"), errors.New("b")), Internal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Of(tc.err); got != tc.want {
				t.Errorf("Of(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestReasonOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"no code", errors.New("x"), ""},
		{"no reason", New(Lock, "x"), ""},
		{"reason", Reasoned(Lock, "lock_timeout", "x"), "lock_timeout"},
		{"outermost reason", Reasoned(Training, "outer", "x: %w", Reasoned(Fetch, "inner", "y")), "outer"},
		{"reason below a code without one", fmt.Errorf("a: %w", New(Training, "x: %w", Reasoned(Fetch, "ssrf_refused", "y"))), "ssrf_refused"},
		{"reason in a join", errors.Join(New(Lock, "x"), Reasoned(Fetch, "status", "y")), "status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ReasonOf(tc.err); got != tc.want {
				t.Errorf("ReasonOf(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestError(t *testing.T) {
	cause := errors.New("disk full")
	cases := []struct {
		name, msg string
		err       error
	}{
		{"New formats like fmt.Errorf", "write m.recotem: disk full", New(Artifact, "write %s: %w", "m.recotem", cause)},
		{"Reasoned", "lock held", Reasoned(Lock, "lock_contested", "lock held")},
		{"Wrap keeps the text", "disk full", Wrap(Artifact, cause)},
		{"no cause", "exit code 6", &Error{Code: Lock}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err.Error() != tc.msg {
				t.Errorf("Error() = %q, want %q", tc.err.Error(), tc.msg)
			}
		})
	}
	if Wrap(Artifact, nil) != nil {
		t.Error("Wrap(code, nil) != nil")
	}
	if err := New(Artifact, "write: %w", cause); !errors.Is(err, cause) {
		t.Error("New with %w does not wrap its operand")
	}
	var e *Error
	if err := fmt.Errorf("outer: %w", Wrap(Lock, cause)); !errors.As(err, &e) || e.Code != Lock || !errors.Is(err, cause) {
		t.Errorf("errors.As/Is through fmt.Errorf: %+v", e)
	}
}
