package serve

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/metadata"
	"github.com/codelibs/recotem-go/pkg/model"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/uri"
)

// Load-failure reasons (the reason label of
// recotem_artifact_load_failures_total).
const (
	reasonRead        = "read"
	reasonParse       = "parse"
	reasonHMAC        = "hmac"
	reasonHeaderJSON  = "header_json"
	reasonDeserialize = "deserialize"
	reasonMetadata    = "metadata"
	reasonYAML        = "yaml"
	reasonDirScan     = "dir_scan"
	reasonTimeout     = "timeout"
	reasonUnexpected  = "unexpected"
)

// loadError is a failed artifact load: the reason label and the message
// shown in health details.
type loadError struct {
	reason string
	msg    string
}

func (e *loadError) Error() string { return e.msg }

// Loader turns a recipe into a served entry.
type Loader struct {
	Options artifact.Options
	Threads int
	// Store reads object-store artifacts and metadata; nil means uri.Default.
	Store *uri.Store
	// Getenv and Logger configure item metadata loading (caps, HTTP
	// settings, RECOTEM_METADATA_FIELD_DENY); nil means os.Getenv and no
	// warnings.
	Getenv func(string) string
	Logger *slog.Logger
}

func (l *Loader) store() *uri.Store {
	if l.Store == nil {
		return uri.Default
	}
	return l.Store
}

// open opens the artifact of a recipe, classifying failures.
func (l *Loader) open(ctx context.Context, r *recipe.Recipe) (*artifact.Artifact, error) {
	a, err := OpenArtifact(ctx, l.store(), r.Output.Path, l.Options)
	if err != nil {
		return nil, classify(err)
	}
	return a, nil
}

// localPath strips a file:// scheme.
func localPath(p string) string {
	if strings.HasPrefix(strings.ToLower(p), "file://") {
		p = p[len("file://"):]
		return strings.TrimPrefix(p, "localhost")
	}
	return p
}

func classify(err error) *loadError {
	var le *loadError
	if errors.As(err, &le) {
		return le
	}
	switch exitcode.ReasonOf(err) {
	case artifact.ReasonRead:
		return &loadError{reasonRead, "read failed: " + err.Error()}
	case artifact.ReasonHMAC:
		return &loadError{reasonHMAC, "HMAC verify failed: " + err.Error()}
	case artifact.ReasonHeader:
		return &loadError{reasonHeaderJSON, "header JSON decode failed: " + err.Error()}
	case artifact.ReasonDeserialize:
		return &loadError{reasonDeserialize, "deserialize failed: " + err.Error()}
	case artifact.ReasonParse, artifact.ReasonCap:
		return &loadError{reasonParse, "parse failed: " + err.Error()}
	}
	return &loadError{reasonUnexpected, "load failed: " + err.Error()}
}

// Load opens, verifies and decodes a recipe's artifact and its metadata.
// current, if not nil, is the entry being served: when the artifact is
// byte-identical to it, Load returns current's model with the error cleared
// and same == true, without decoding the payload again.
func (l *Loader) Load(ctx context.Context, r *recipe.Recipe, file string, current *Entry) (e *Entry, same bool, err error) {
	a, err := l.open(ctx, r)
	if err != nil {
		return nil, false, err
	}
	sha := strings.TrimPrefix(a.ModelVersion(), "sha256:")
	if current != nil && current.Loaded && current.sha == sha {
		a.Close()
		return current.with(func(c *Entry) { c.Err = ""; c.Recipe = r; c.File = file }), true, nil
	}
	res := newResource(a)
	fail := func(le *loadError) (*Entry, bool, error) {
		res.release()
		return nil, false, le
	}
	pl, err := a.Payload()
	if err != nil {
		return fail(classify(err))
	}
	m, err := model.Decode(pl, algo.Options{Threads: l.Threads})
	if err != nil {
		return fail(&loadError{reasonDeserialize, "deserialize failed: " + err.Error()})
	}
	var md *Metadata
	if r.ItemMetadata != nil {
		ix, err := metadata.Load(ctx, *r.ItemMetadata, metadata.Options{Getenv: l.Getenv, Logger: l.Logger})
		if err != nil {
			return fail(&loadError{reasonMetadata, "metadata load failed: " + err.Error()})
		}
		md = newMetadata(ix)
	}
	return &Entry{
		Name: r.Name, File: file, Recipe: r,
		Loaded: true, Model: m, Header: a.Header(), Fields: a.Fields(), Kid: a.Kid(),
		ModelVersion: a.ModelVersion(), LoadedAt: time.Now().UTC(), Metadata: md,
		sha: sha, res: res,
	}, false, nil
}

var uriPattern = regexp.MustCompile(`(?i)\b(s3|gs|az|abfs|abfss|http|https)://\S+`)

// startupError shortens a start-up failure for health details: at most 200
// characters, object-store and HTTP URIs replaced by <redacted-uri>.
func startupError(msg string) string {
	msg = uriPattern.ReplaceAllString(msg, "<redacted-uri>")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// stub returns an unloaded entry.
func stub(name, file string, r *recipe.Recipe, msg string) *Entry {
	return &Entry{Name: name, File: file, Recipe: r, Err: msg}
}
