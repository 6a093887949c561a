package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/codelibs/recotem-go/pkg/version"
)

// exitCodes are the exit codes shared by every recotem command, for the
// man page (docs/cli.md has the scheduler's view of each).
var exitCodes = []struct {
	code    int
	meaning string
}{
	{0, "success (also: train skipped because another trainer holds the lock)"},
	{1, "unexpected error"},
	{2, "recipe or usage error (also an unknown command or flag of the dispatcher)"},
	{3, "data-source error"},
	{4, "training error"},
	{5, "artifact error (corrupt, bad signature, malformed signing keys)"},
	{6, "lock contested (train --fail-on-busy or --lock-timeout)"},
	{7, "HTTP fetch error (SSRF refusal, timeout, sha256 mismatch)"},
	{8, "configuration error (also a built-in command that is not installed)"},
}

// manPage writes the dispatcher's man page (roff, man(7) macros) to w, in
// the layout of the pages kingpin generates for the other binaries. The
// dispatcher parses its arguments by hand so that they reach the command
// untouched, so the page is written here rather than by kingpin. It lists
// the built-in commands only: extension commands depend on the machine,
// `recotem help` lists them.
func manPage(w io.Writer) error {
	var b strings.Builder
	// One-token version: .TH title section footer-middle footer-inside header-middle.
	v := versionToken()
	fmt.Fprintf(&b, ".TH recotem 1 %s \"recotem %s\" \"Recotem Manual\"\n", v, v)
	b.WriteString(".SH \"NAME\"\n")
	b.WriteString("recotem \\- train recommender models from a recipe and serve them over HTTP\n")
	b.WriteString(".SH \"SYNOPSIS\"\n")
	b.WriteString(".TP\n\\fBrecotem [--help] [--version] <command> [<args> ...]\\fR\n")
	b.WriteString(".SH \"DESCRIPTION\"\n")
	b.WriteString("\\fBrecotem\\fR \\fIcommand\\fR replaces itself with the executable \\fBrecotem-\\fR\\fIcommand\\fR, " +
		"passing the arguments through untouched, like git. The exit code, output and signal handling are those of the command.\n")
	b.WriteString(".PP\nThe executable is looked up, first match wins, in the directory of the \\fBrecotem\\fR binary " +
		"(symlinks resolved), then in each directory of \\fBRECOTEM_EXEC_PATH\\fR, then in each directory of \\fBPATH\\fR. " +
		"Any other \\fBrecotem-\\fR\\fIname\\fR executable found there is an extension command; " +
		"\\fBrecotem-source-\\fR\\fItype\\fR executables are data-source plugins run by the commands.\n")
	b.WriteString(".SH \"OPTIONS\"\n")
	for _, f := range []struct{ flag, help string }{
		{"-h, --help", "List the commands, extension commands and source plugins (--help-long is the same)."},
		{"--version", "Show the version."},
		{"--help-man", "Print this man page."},
		{"--completion-script-bash", "Print the bash completion script (completes commands, extensions and their flags)."},
		{"--completion-script-zsh", "Print the zsh completion script."},
	} {
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fR\n%s\n", roffEscape(f.flag), roffEscape(f.help))
	}
	b.WriteString(".SH \"COMMANDS\"\n")
	b.WriteString(".SS\n\\fBhelp [<command>]\\fR\n.PP\nList the commands, or run \\fBrecotem-\\fR\\fIcommand\\fR \\fB--help\\fR.\n")
	for _, c := range builtins {
		fmt.Fprintf(&b, ".SS\n\\fB%s\\fR\n.PP\n%s See \\fBrecotem-%s\\fR(1).\n", c.name, roffEscape(c.help), c.name)
	}
	b.WriteString(".SH \"EXIT STATUS\"\n")
	b.WriteString("The exit status of the command. When the dispatcher itself fails it prints one line and exits " +
		"2 (unknown command or flag), 8 (a built-in command that is not installed or cannot be executed) " +
		"or 1 (any other failure to execute the command). Every recotem command uses the same codes:\n")
	for _, e := range exitCodes {
		fmt.Fprintf(&b, ".TP\n\\fB%d\\fR\n%s\n", e.code, roffEscape(e.meaning))
	}
	b.WriteString(".SH \"ENVIRONMENT\"\n")
	b.WriteString(".TP\n\\fBRECOTEM_EXEC_PATH\\fR\nColon-separated directories searched for commands and plugins " +
		"after the directory of the recotem binary, before PATH. Relative entries are ignored.\n")
	b.WriteString(".SH \"SEE ALSO\"\n")
	var refs []string
	for _, c := range builtins {
		refs = append(refs, fmt.Sprintf("\\fBrecotem-%s\\fR(1)", c.name))
	}
	refs = append(refs, "\\fBrecotem-source-bigquery\\fR(1)")
	b.WriteString(strings.Join(refs, ", ") + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// roffEscape escapes backslashes and hyphens (a plain "-" may be rendered
// as a hyphen, not the minus of a flag) and protects a leading dot or quote.
func roffEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// versionToken returns version.Version as one word without quotes or
// backslashes, so that it is a single argument of the .TH line.
func versionToken() string {
	v := strings.Join(strings.Fields(strings.NewReplacer(`"`, "", `\`, "").Replace(version.Version)), "_")
	if v == "" {
		return "unknown"
	}
	return v
}
