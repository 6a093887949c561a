// Command recotem-serve serves the model of every recipe in a directory
// over HTTP: `recotem serve --recipes DIR`. See pkg/serve.
package main

import (
	"context"
	"os"

	"github.com/codelibs/recotem-go/pkg/cmdline"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/serve"
)

func main() {
	app := cmdline.New("recotem-serve", "Serve every recipe's model over HTTP, hot-swapping new artifacts.", "kernels: "+linalg.Kernels())
	var f serve.Flags
	app.Flag("recipes", "Directory of *.yaml recipe files.").Required().ExistingDirVar(&f.RecipesDir)
	app.Flag("port", "Port to bind (default $RECOTEM_PORT or 8080).").Short('p').IntVar(&f.Port)
	app.Flag("host", "Host to bind (default $RECOTEM_HOST or 127.0.0.1).").Short('H').StringVar(&f.Host)
	app.Flag("insecure-no-auth", "Disable API-key authentication (RECOTEM_ENV=development|dev|test only).").BoolVar(&f.Insecure)
	app.Flag("dev-allow-unsigned", "Skip artifact HMAC verification (RECOTEM_ENV=development only).").BoolVar(&f.DevUnsigned)
	app.Flag("i-understand-this-loads-arbitrary-code", "Companion flag required by --dev-allow-unsigned.").BoolVar(&f.Understand)
	cmdline.Parse(app, os.Args[1:])
	cmdline.Exit("", serve.Main(context.Background(), f, os.Getenv, os.Stderr))
}
