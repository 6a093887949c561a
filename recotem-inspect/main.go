// Command recotem-inspect reads a signed artifact, verifies its HMAC and
// prints its header without loading the model payload. Local paths,
// file:// URIs, object stores (s3, gs, az, abfs, abfss) and HTTPS (with
// the SSRF guard) are accepted; a pointer file is followed.
package main

import (
	"context"
	"os"
	"strings"

	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/cmdline"
	"github.com/codelibs/recotem-go/pkg/fetch"
	"github.com/codelibs/recotem-go/pkg/logx"
	"github.com/codelibs/recotem-go/pkg/uri"
)

func main() {
	app := cmdline.New("recotem-inspect", "Verify an artifact's HMAC and print its header JSON (the payload is never loaded).")
	path := app.Arg("artifact", "Artifact path or URI: file://, s3://, gs://, az://, abfs(s)://, https:// (a pointer file is followed).").Required().String()
	dev := app.Flag("dev-allow-unsigned", "Verify with the development key dev:<64 zeros> when RECOTEM_SIGNING_KEYS is unset (requires RECOTEM_ENV=development).").Bool()
	app.Flag("i-understand-this-loads-arbitrary-code", "Accepted for symmetry with train and serve; inspect never loads the payload.").Bool()
	asJSON := app.Flag("json", "Print one JSON object (kid, hmac, header, payload_bytes, model_version, sections).").Bool()
	cmdline.Parse(app, os.Args[1:])

	ctx := context.Background()
	err := artifact.Inspect(artifact.InspectOptions{
		Artifact:         *path,
		DevAllowUnsigned: *dev,
		JSON:             *asJSON,
		Getenv:           os.Getenv,
		Stdout:           os.Stdout,
		Log:              logx.New(os.Stderr, logx.Options{Format: logx.LenientFormat(os.Getenv(logx.EnvFormat)), Name: "recotem.inspect"}),
		ReadRemote: func(u string, max int64) ([]byte, error) {
			if s := strings.ToLower(uri.Scheme(u)); s == "http" || s == "https" {
				c := fetch.FromEnv()
				c.MaxBytes = max
				return c.GetAuthenticated(ctx, u)
			}
			return uri.ReadAll(ctx, u, max)
		},
	})
	cmdline.Exit("", err)
}
