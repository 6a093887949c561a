package cmdline

import (
	"bytes"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

func TestParseNegativeValuesAndUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		timeout float64
		code    int
	}{
		{[]string{"--lock-timeout", "-1"}, -1, -1},
		{[]string{"--lock-timeout", "-10"}, -10, -1},
		{[]string{"--lock-timeout=2.5"}, 2.5, -1},
		{[]string{"--quiet", "-1"}, 0, exitcode.Recipe}, // a bool flag does not take the number
		{[]string{"--bogus"}, 0, exitcode.Recipe},
	} {
		app := New("t", "test")
		timeout := app.Flag("lock-timeout", "").Float64()
		app.Flag("quiet", "").Bool()
		code := -1
		exit = func(c int) { code = c; panic(c) }
		var stderr bytes.Buffer
		Stderr = &stderr
		app.ErrorWriter(&stderr)
		func() {
			defer func() { recover() }()
			Parse(app, tc.args)
		}()
		if code != tc.code || code == -1 && *timeout != tc.timeout {
			t.Errorf("%v: exit %d timeout %v; want exit %d timeout %v (%s)", tc.args, code, *timeout, tc.code, tc.timeout, stderr.String())
		}
	}
}
