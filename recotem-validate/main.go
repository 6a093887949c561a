// Command recotem-validate pre-flights a recipe: `recotem validate
// RECIPE` checks it against the schema and probes its data source
// without reading the data (recipe-and-cli.md §2.5).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/codelibs/recotem-go/pkg/algo/catalog"
	"github.com/codelibs/recotem-go/pkg/cmdline"
	"github.com/codelibs/recotem-go/pkg/logx"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/source"
)

func main() {
	app := cmdline.New("recotem-validate", "Check a recipe against the schema and probe its data source.")
	path := app.Arg("recipe", "Recipe YAML file.").Required().ExistingFile()
	envVars := app.Flag("env-var", "KEY=VALUE for ${RECOTEM_RECIPE_*} expansion (repeatable).").Strings()
	cmdline.Parse(app, os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmdline.Exit("", validate(ctx, *path, *envVars, os.Stdout))
}

// validate loads the recipe and probes its source, printing the reference's
// three lines on success.
func validate(ctx context.Context, path string, envVars []string, stdout io.Writer) error {
	log := logx.New(os.Stderr, logx.Options{Format: logx.LenientFormat(os.Getenv(logx.EnvFormat)), Name: "recotem.validate"})
	vars, err := recipe.ParseEnvVars(envVars)
	if err != nil {
		return err
	}
	plugins, err := source.Discover(ctx, source.ExecPath(os.Getenv))
	if err != nil {
		return fmt.Errorf("Recipe validation failed: %w", err)
	}
	r, err := recipe.Load(path, recipe.LoadOptions{EnvVars: vars, Plugins: plugins.Types(), ValidateParams: catalog.ValidateParams, Logger: log})
	if err != nil {
		return fmt.Errorf("Recipe validation failed: %w", err)
	}
	fmt.Fprintf(stdout, "Recipe '%s': schema OK\n", r.Name)
	env := source.Env{Getenv: os.Getenv, Logger: log, RecipeName: r.Name, Plugins: plugins}
	if err := source.Validate(ctx, r, env, stdout); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, "Validation passed.")
	return err
}
