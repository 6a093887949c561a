package serve

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/uri"
)

// TestObjectStoreArtifact serves an artifact from an S3-compatible server
// (in process) and swaps it when a new version and pointer are uploaded.
func TestObjectStoreArtifact(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("models"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	store := &uri.Store{}
	ctx := context.Background()

	// upload writes an artifact locally and copies its versioned file and
	// pointer to the bucket, versioned object first.
	upload := func(extra int) string {
		local := filepath.Join(t.TempDir(), "demo.recotem")
		version := writeArtifact(t, local, extra)
		ptr, _ := os.ReadFile(local)
		versioned, _ := os.ReadFile(filepath.Join(filepath.Dir(local), strings.TrimSpace(string(ptr))))
		if err := store.WriteFile(ctx, "s3://models/demo/"+strings.TrimSpace(string(ptr)), versioned); err != nil {
			t.Fatal(err)
		}
		if err := store.WriteFile(ctx, "s3://models/demo/demo.recotem", ptr); err != nil {
			t.Fatal(err)
		}
		return version
	}
	v1 := upload(0)
	dir := t.TempDir()
	writeRecipe(t, dir, "demo.yaml", "demo", "s3://models/demo/demo.recotem")
	cfg := Config{RecipesDir: dir, Signing: ring(t), AllowedHosts: []string{"*"}, WatchInterval: time.Second, MaxBodyBytes: DefaultMaxBodyBytes}
	s := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), &Loader{Options: artifact.Options{Ring: cfg.Signing}, Store: store}, recipe.LoadOptions{})
	s.Start(ctx)
	e, ok := s.reg.Get("demo")
	if !ok || !e.Loaded || e.ModelVersion != v1 {
		t.Fatalf("start-up from S3: %+v", e)
	}
	s.watch.tick(ctx, false)
	if e2, _ := s.reg.Get("demo"); e2 != e {
		t.Error("an unchanged object was reloaded")
	}
	v2 := upload(3)
	s.watch.tick(ctx, false)
	if e, _ := s.reg.Get("demo"); e.ModelVersion != v2 || e.Err != "" {
		t.Errorf("after upload: version %s err %q, want %s", e.ModelVersion, e.Err, v2)
	}
}
