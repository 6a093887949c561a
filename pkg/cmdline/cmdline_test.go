package cmdline

import (
	"bytes"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/version"
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

// TestManPageHeader: --help-man starts with a one-word version in .TH and a
// one-line summary under NAME, whatever --version prints (kingpin's own
// template would put both lines of a two-line version text in .TH).
func TestManPageHeader(t *testing.T) {
	if !strings.Contains(kingpin.ManPageTemplate, manHeaderFixed) {
		t.Fatal("kingpin's man page template no longer has the header cmdline replaces")
	}
	app := New("recotem-x", "Do x. More about x.\n\nDetails.", "kernels: test")
	var b strings.Builder
	app.UsageWriter(&b)
	ctx, err := app.ParseContext(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.UsageForContextWithTemplate(ctx, 2, kingpin.ManPageTemplate); err != nil {
		t.Fatal(err)
	}
	want := ".TH recotem-x 1 " + version.Version + ` "recotem ` + version.Version + `" "Recotem Manual"` + "\n" +
		`.SH "NAME"` + "\nrecotem-x \\- Do x\n"
	if got := b.String(); !strings.HasPrefix(got, want) {
		t.Errorf("man page starts\n%s\nwant\n%s", got[:min(len(got), len(want)+40)], want)
	}
}
