package deploy

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/repotest"
)

// documented lists every environment variable contrib/env/recotem.env.example
// must describe (recipe-and-cli.md §3, artifact-and-serving.md §6 and the Go
// extensions). Recipe variables (RECOTEM_RECIPE_*) are checked separately.
var documented = []string{
	"RECOTEM_SIGNING_KEYS",
	"RECOTEM_API_KEYS",
	"RECOTEM_ENV",
	"RECOTEM_LOG_FORMAT",
	"RECOTEM_EXEC_PATH",
	"RECOTEM_HOST",
	"RECOTEM_PORT",
	"RECOTEM_ALLOWED_HOSTS",
	"RECOTEM_ALLOWED_ORIGINS",
	"RECOTEM_WATCH_INTERVAL",
	"RECOTEM_DRAIN_SECONDS",
	"RECOTEM_MAX_ARTIFACT_BYTES",
	"RECOTEM_MAX_PAYLOAD_BYTES",
	"RECOTEM_ARTIFACT_MMAP",
	"RECOTEM_MAX_BODY_BYTES",
	"RECOTEM_METADATA_FIELD_DENY",
	"RECOTEM_STARTUP_PARALLELISM",
	"RECOTEM_METRICS_ENABLED",
	"RECOTEM_MAX_DOWNLOAD_BYTES",
	"RECOTEM_HTTP_TIMEOUT_SECONDS",
	"RECOTEM_HTTP_ALLOW_PRIVATE",
	"RECOTEM_FETCH_ALLOW_CIDRS",
	"RECOTEM_MAX_SQL_ROWS",
	"RECOTEM_SQL_ALLOW_PRIVATE",
	"RECOTEM_BQ_REQUIRE_STORAGE_API",
	"RECOTEM_ARTIFACT_ROOT",
	"RECOTEM_LOCK_DIR",
	"RECOTEM_THREADS",
}

// recipePrefix starts the names of recipe variables (recipe-and-cli.md §1.13).
const recipePrefix = "RECOTEM_RECIPE_"

// binaries are the programs `make install` puts in $(PREFIX)/bin.
var binaries = []string{
	"recotem", "recotem-train", "recotem-serve", "recotem-inspect", "recotem-validate",
	"recotem-schema", "recotem-keygen", "recotem-source-bigquery",
}

// installBin is the binary directory the units and manifests name; `make
// install` rewrites it to $(PREFIX)/bin in the units.
const installBin = "/usr/local/bin/"

const (
	envExample    = "contrib/env/recotem.env.example"
	serveUnit     = "contrib/systemd/recotem-serve.service"
	trainUnit     = "contrib/systemd/recotem-train@.service"
	trainTimer    = "contrib/systemd/recotem-train@.timer"
	k8sDir        = "contrib/k8s"
	kustomization = "kustomization.yaml"
	secretExample = "secret.example.yaml"
	defaultDrain  = 30 // RECOTEM_DRAIN_SECONDS default
)

var units = []string{serveUnit, trainUnit, trainTimer}

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repotest.Root(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func isDocumented(name string) bool {
	return slices.Contains(documented, name) || strings.HasPrefix(name, recipePrefix)
}

// loadOptions loads recipes with an empty environment and no logging.
func loadOptions() recipe.LoadOptions {
	return recipe.LoadOptions{
		LookupEnv: func(string) (string, bool) { return "", false },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}
