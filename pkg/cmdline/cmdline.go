// Package cmdline holds what every recotem binary shares on its command
// line: a kingpin application with --version and shell completion, usage
// errors that exit 2, and the single place where a returned error becomes a
// one-line message on stderr and an exit code.
package cmdline

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/template"

	"github.com/alecthomas/kingpin/v2"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/version"
)

// Stderr is where usage errors and failure lines are written; tests may
// replace it.
var Stderr io.Writer = os.Stderr

// exit ends the process; tests may replace it.
var exit = os.Exit

// manHeader is the head of kingpin's man page template, and manHeaderFixed
// what replaces it: kingpin puts the whole --version text in .TH (several
// words, for train and serve two lines) and only the name under NAME; the
// pages need a one-word version and, for whatis and apropos, a one-line
// summary (the first sentence of the help).
const (
	manHeader      = ".TH {{.App.Name}} 1 {{.App.Version}} \"{{.App.Author}}\"\n.SH \"NAME\"\n{{.App.Name}}\n"
	manHeaderFixed = ".TH {{.App.Name}} 1 {{manVersion}} \"recotem {{manVersion}}\" \"Recotem Manual\"\n" +
		".SH \"NAME\"\n{{.App.Name}} \\- {{.App.Help|manSummary}}\n"
)

func init() {
	kingpin.ManPageTemplate = strings.Replace(kingpin.ManPageTemplate, manHeader, manHeaderFixed, 1)
}

// manSummary returns the first sentence of help, without its full stop.
func manSummary(help string) string {
	s, _, _ := strings.Cut(help, "\n")
	s, _, _ = strings.Cut(s, ". ")
	return strings.TrimSuffix(s, ".")
}

// New returns a kingpin application named name with --help, --version
// (printing version.Text with extra lines), --help-man (a man page whose
// header carries version.Version) and kingpin's hidden
// --completion-script-bash and --completion-script-zsh flags. Usage errors
// are reported by Parse.
func New(name, help string, extra ...string) *kingpin.Application {
	app := kingpin.New(name, help)
	app.Version(version.Text(name, extra...))
	app.UsageFuncs(template.FuncMap{
		"manVersion": func() string { return version.Version },
		"manSummary": manSummary,
	})
	app.HelpFlag.Short('h')
	app.ErrorWriter(Stderr)
	app.UsageWriter(os.Stdout)
	return app
}

// Parse parses args (without the program name). On a usage error (unknown
// flag, missing argument, bad value) it prints one line on stderr and exits
// with exitcode.Recipe (2), as the reference CLI does.
func Parse(app *kingpin.Application, args []string) string {
	cmd, err := app.Parse(joinNegativeValues(app, args))
	if err != nil {
		fmt.Fprintf(Stderr, "%s: error: %v, try --help\n", app.Name, err)
		exit(exitcode.Recipe)
	}
	return cmd
}

var negativeNumber = regexp.MustCompile(`^-[0-9.]`)

// joinNegativeValues rewrites "--flag -1" as "--flag=-1" for flags that
// take a value, so that documented forms such as `--lock-timeout -1` are
// not mistaken for a short flag.
func joinNegativeValues(app *kingpin.Application, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if strings.HasPrefix(a, "--") && !strings.Contains(a, "=") && i+1 < len(args) && negativeNumber.MatchString(args[i+1]) {
			if f := app.GetFlag(a[2:]); f != nil && !f.Model().IsBoolFlag() {
				out = append(out, a+"="+args[i+1])
				i++
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// Exit ends the process for the error a command returned: nil exits 0;
// otherwise one line "<prefix>: <error>" goes to stderr (newlines in the
// message are kept, the reference prints multi-line validation lists) and
// the process exits with exitcode.Of(err).
func Exit(prefix string, err error) {
	if err == nil {
		exit(exitcode.OK)
		return
	}
	if prefix != "" {
		fmt.Fprintf(Stderr, "%s: %v\n", prefix, err)
	} else {
		fmt.Fprintf(Stderr, "%v\n", err)
	}
	exit(exitcode.Of(err))
}
