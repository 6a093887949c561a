package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/codelibs/recotem-go/pkg/uri"
)

// TestObjectStoreOutput trains into an S3-compatible bucket: the versioned
// object and the pointer are written and the lease is released; a live
// lease of another host makes the trainer skip, or fail with
// --fail-on-busy.
func TestObjectStoreOutput(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("models"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	awsEnv := []string{"AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_S3=" + srv.URL, "AWS_EC2_METADATA_DISABLED=true"}
	for _, kv := range awsEnv {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	csv := data(t, dir, 30, 12)
	p := recipe(t, dir, fmt.Sprintf("source: {type: csv, path: %s}\nschema: {user_column: user_id, item_column: item_id}\ntraining: {algorithms: [TopPop], n_trials: 1}\noutput: {path: 's3://models/news/m.recotem'}\n", csv))
	env := append([]string{"RECOTEM_SIGNING_KEYS=" + keys, "RECOTEM_LOCK_DIR=" + filepath.Join(dir, "locks")}, awsEnv...)

	r := run(t, env, p, "--json")
	if r.code != 0 {
		t.Fatalf("train to S3: exit %d %s", r.code, r.stderr)
	}
	var res struct{ Artifact, Pointer string }
	json.Unmarshal([]byte(r.stdout), &res)
	ctx := context.Background()
	store := &uri.Store{}
	ptr, err := store.ReadAll(ctx, "s3://models/news/m.recotem", 512)
	if err != nil || !strings.HasPrefix(res.Artifact, "s3://models/news/m.") || strings.TrimSpace(string(ptr)) != strings.TrimPrefix(res.Artifact, "s3://models/news/") {
		t.Fatalf("pointer %q (%v), artifact %q", ptr, err, res.Artifact)
	}
	if _, err := store.Stat(ctx, res.Artifact); err != nil {
		t.Fatalf("versioned object: %v", err)
	}
	if _, err := store.Stat(ctx, "s3://models/news/m.recotem.lease"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("lease left behind: %v", err)
	}

	// Another host holds a live lease (a separate lock dir stands for the
	// other host's local lock).
	lease, _ := json.Marshal(map[string]any{"owner": "other-host/1/x", "expires": time.Now().Add(time.Minute).UTC()})
	if err := store.WriteFile(ctx, "s3://models/news/m.recotem.lease", lease); err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, p); r.code != 0 || !strings.Contains(r.stderr, "recipe_lock_contended_skipping") {
		t.Errorf("lease held elsewhere: exit %d %s", r.code, r.stderr)
	}
	if r := run(t, env, p, "--fail-on-busy"); r.code != 6 {
		t.Errorf("lease held elsewhere with --fail-on-busy: exit %d", r.code)
	}
}
