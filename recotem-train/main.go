// Command recotem-train trains one recipe: `recotem train RECIPE`. It
// fetches the interactions, searches the hyperparameters of the recipe's
// algorithms, refits the best configuration on all data and writes a
// signed artifact. See pkg/train.
package main

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/codelibs/recotem-go/pkg/cmdline"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/logx"
	"github.com/codelibs/recotem-go/pkg/train"
)

func main() {
	app := cmdline.New("recotem-train", "Train the model of one recipe and write a signed artifact.\n\n"+
		"Resumable studies: set training.storage_path in the recipe (a journal file or a postgresql:// URL) and reuse --run-id.",
		"kernels: "+linalg.Kernels())
	var o train.Options
	app.Arg("recipe", "Recipe YAML file.").Required().ExistingFileVar(&o.RecipePath)
	app.Flag("no-lock", "Skip the per-recipe lock (only if nothing else can train this recipe concurrently).").BoolVar(&o.NoLock)
	app.Flag("fail-on-busy", "Exit 6 when the lock is held instead of skipping with exit 0.").BoolVar(&o.FailOnBusy)
	app.Flag("lock-timeout", "Seconds to wait for the lock: 0 = don't wait, -1 = wait forever.").Default("0").Float64Var(&o.LockTimeout)
	app.Flag("quiet", "No per-trial events.").Short('q').BoolVar(&o.Quiet)
	app.Flag("verbose", "Per-trial events include the hyperparameters.").Short('v').BoolVar(&o.Verbose)
	app.Flag("run-id", "Study id; reuse it to resume a persistent study (default: random).").StringVar(&o.RunID)
	app.Flag("env-var", "KEY=VALUE for ${RECOTEM_RECIPE_*} expansion (repeatable).").StringsVar(&o.EnvVars)
	app.Flag("json", "Print a JSON summary of the run on stdout.").BoolVar(&o.JSON)
	app.Flag("report", "Write a self-contained HTML report of the search to this file.").PlaceHolder("FILE.html").StringVar(&o.Report)
	app.Flag("dev-allow-unsigned", "Sign with the fixed development key (RECOTEM_ENV=development only).").BoolVar(&o.DevUnsigned)
	app.Flag("i-understand-this-loads-arbitrary-code", "Companion flag required by --dev-allow-unsigned.").BoolVar(&o.Understand)
	cmdline.Parse(app, os.Args[1:])

	o.Getenv, o.Stdout, o.Stderr = os.Getenv, os.Stdout, os.Stderr
	o.Logger = logx.New(os.Stderr, logx.Options{Format: logx.LenientFormat(os.Getenv(logx.EnvFormat)), Name: "recotem.train"})
	if !o.Quiet && term.IsTerminal(int(os.Stderr.Fd())) {
		o.Progress = train.NewBar(os.Stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	res, err := train.Run(ctx, o)
	stop()
	if err == nil && o.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	}
	cmdline.Exit("", err)
}
