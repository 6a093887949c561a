// Command recotem-inspect reads a signed artifact, verifies its HMAC and
// prints its header without loading the model payload. Local paths,
// file:// URIs, object stores (s3, gs, az, abfs, abfss) and HTTPS (with
// the SSRF guard) are accepted; a pointer file is followed.
package main

import (
	"context"
	"io/fs"
	"os"
	"strings"

	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/cmdline"
	"github.com/codelibs/recotem-go/pkg/exitcode"
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
		ReadRemote:       readRemote(ctx),
	})
	cmdline.Exit("", err)
}

// readRemote returns the reader of object-store and HTTPS artifacts:
// object stores through uri (their credentials from the environment),
// HTTPS through the fetch guard (SSRF check, caps, timeout; no sha256 pin,
// the HMAC authenticates the bytes). An HTTP 404 or 410 is reported as
// fs.ErrNotExist, as a missing object is, so that a pointer whose target
// is gone fails with "pointer … references missing artifact …".
func readRemote(ctx context.Context) func(u string, max int64) ([]byte, error) {
	return func(u string, max int64) ([]byte, error) {
		if s := strings.ToLower(uri.Scheme(u)); s == "http" || s == "https" {
			c := fetch.FromEnv()
			c.MaxBytes = max
			b, err := c.GetAuthenticated(ctx, u)
			if err != nil && exitcode.ReasonOf(err) == fetch.ReasonStatus &&
				(strings.HasPrefix(err.Error(), "HTTP 404 ") || strings.HasPrefix(err.Error(), "HTTP 410 ")) {
				return nil, notFound{err}
			}
			return b, err
		}
		return uri.ReadAll(ctx, u, max)
	}
}

// notFound is an HTTP error that is fs.ErrNotExist.
type notFound struct{ error }

func (e notFound) Is(target error) bool { return target == fs.ErrNotExist }
func (e notFound) Unwrap() error        { return e.error }
