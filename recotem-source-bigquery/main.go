// Command recotem-source-bigquery is the BigQuery data source of recotem,
// an exec plugin speaking protocol 1 of docs/plugins.md: `describe` prints
// its configuration schema, `probe` dry-runs the query, `fetch` runs it and
// writes the result as NDJSON on stdout.
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
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: recotem-source-bigquery describe|probe|fetch")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1], os.Stdin, os.Stdout, os.Stderr, os.Getenv, nil)
	stop()
	os.Exit(code)
}
