package algo

import (
	"strings"
	"testing"
)

func TestParamReader(t *testing.T) {
	defaults := Params{"k": 8, "reg": 0.1, "lr": 0.05, "mode": "fast"}
	for _, tc := range []struct {
		p    Params
		errs []string
	}{
		{Params{}, nil},
		{Params{"k": 16.0, "mode": "FAST"}, nil},
		{Params{"bogus": 1}, []string{`unknown parameter "bogus"`}},
		{Params{"k": 0, "reg": -1.0, "lr": 0.0, "mode": "slow"}, []string{`"k": must be at least 1`, `"reg": must be a finite number >= 0`, `"lr": must be a finite number > 0`, `"mode": must be one of fast, exact`}},
		{Params{"k": 1.5}, []string{`"k"`}},
	} {
		r := NewParamReader("Test", defaults, tc.p)
		k, _, _, mode := r.Int("k", 1), r.Float("reg", false), r.Float("lr", true), r.Choice("mode", "fast", "exact")
		err := r.Err()
		if len(tc.errs) == 0 {
			if err != nil || mode != "fast" || k < 1 {
				t.Errorf("%v: %v, k %d mode %q", tc.p, err, k, mode)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), "Test: ") {
			t.Fatalf("%v: err %v", tc.p, err)
		}
		for _, want := range tc.errs {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: %v does not mention %s", tc.p, err, want)
			}
		}
	}
}
