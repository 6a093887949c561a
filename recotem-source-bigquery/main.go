// Command recotem-source-bigquery is the BigQuery data source of recotem,
// an exec plugin speaking protocol 1 of docs/plugins.md: `describe` prints
// its configuration schema, `probe` dry-runs the query, `fetch` runs it and
// writes the result as NDJSON on stdout.
//
// The command line is a kingpin application like every other recotem
// binary, with describe, probe and fetch as its commands, so it also has
// --help, --version, --help-man and the completion scripts. The protocol is
// unchanged: one argument, the command; a usage error (no command, an
// unknown one, an extra argument) exits 2.
//
// It is a separate module so that the Google Cloud client stays out of
// every other recotem binary.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kingpin/v2"

	"github.com/codelibs/recotem-go/pkg/cmdline"
)

// newApp returns the command line of the plugin: one kingpin command per
// protocol command.
func newApp() *kingpin.Application {
	app := cmdline.New("recotem-source-bigquery",
		"The BigQuery data source of recotem (source.type: bigquery), an exec plugin speaking protocol 1 of "+
			"docs/plugins.md. recotem runs it with one command; probe and fetch read the request (JSON) on stdin. "+
			"Exit status: 0 success, 2 usage error, 3 data-source error (one line on stderr).")
	app.Command("describe", "Print the plugin description (protocol, type, JSON Schema of the source mapping) as JSON.")
	app.Command("probe", "Dry-run the query of the request on stdin (recotem validate).")
	app.Command("fetch", "Run the query of the request on stdin and write the rows as NDJSON on stdout (recotem train).")
	return app
}

func main() {
	if len(os.Args) < 2 {
		// kingpin prints the usage and exits 0 when the command is missing;
		// for a plugin that is a usage error.
		fmt.Fprintln(os.Stderr, "recotem-source-bigquery: error: expected a command (describe, probe or fetch), try --help")
		os.Exit(exitUsage)
	}
	cmd := cmdline.Parse(newApp(), os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, cmd, os.Stdin, os.Stdout, os.Stderr, os.Getenv, nil)
	stop()
	os.Exit(code)
}
