package lock

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/uri"
)

// stores returns the places a lease can live: an S3-compatible server in
// process and a local directory.
func stores(t *testing.T) map[string]string {
	backend := s3mem.New()
	if err := backend.CreateBucket("models"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return map[string]string{
		"s3":    "s3://models/news.recotem.lease",
		"local": filepath.Join(t.TempDir(), "news.recotem.lease"),
	}
}

func TestLease(t *testing.T) {
	ctx := context.Background()
	store := &uri.Store{}
	for name, u := range stores(t) {
		t.Run(name, func(t *testing.T) {
			a, err := AcquireLease(ctx, store, u, "host-a", 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := AcquireLease(ctx, store, u, "host-b", 0, nil); !errors.Is(err, ErrBusy) {
				t.Fatalf("second owner: %v, want ErrBusy", err)
			}
			start := time.Now()
			_, err = AcquireLease(ctx, store, u, "host-b", 300*time.Millisecond, nil)
			if exitcode.ReasonOf(err) != "lock_timeout" || time.Since(start) < 300*time.Millisecond {
				t.Fatalf("timeout: %v after %v", err, time.Since(start))
			}
			if err := a.Release(ctx); err != nil {
				t.Fatal(err)
			}
			b, err := AcquireLease(ctx, store, u, "host-b", 0, nil)
			if err != nil {
				t.Fatalf("after release: %v", err)
			}
			b.Release(ctx)

			// An expired lease of a dead trainer is taken over.
			old, _ := json.Marshal(leaseRecord{Owner: "dead", Expires: time.Now().Add(-time.Minute)})
			if err := store.WriteFile(ctx, u, old); err != nil {
				t.Fatal(err)
			}
			c, err := AcquireLease(ctx, store, u, "host-c", 0, nil)
			if err != nil {
				t.Fatalf("expired lease not taken over: %v", err)
			}
			c.Release(ctx)
		})
	}
}

func TestLeaseLost(t *testing.T) {
	ctx := context.Background()
	saved := leaseTTL
	leaseTTL = 2 * time.Second
	defer func() { leaseTTL = saved }()
	u := filepath.Join(t.TempDir(), "m.recotem.lease")
	store := &uri.Store{}
	lost := make(chan error, 1)
	l, err := AcquireLease(ctx, store, u, "host-a", 0, func(err error) { lost <- err })
	if err != nil {
		t.Fatal(err)
	}
	// Renewal keeps it alive past its TTL.
	time.Sleep(2500 * time.Millisecond)
	if _, err := AcquireLease(ctx, store, u, "host-b", 0, nil); !errors.Is(err, ErrBusy) {
		t.Fatalf("renewed lease taken: %v", err)
	}
	// Another owner overwrites it: the holder notices at a renewal. The
	// overwrite is repeated because a renewal that read the record just
	// before it can write the holder's record back over it.
	other, _ := json.Marshal(leaseRecord{Owner: "host-b", Expires: time.Now().Add(time.Minute)})
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	store.WriteFile(ctx, u, other)
wait:
	for {
		select {
		case err := <-lost:
			if !errors.Is(err, ErrLeaseLost) || exitcode.Of(err) != exitcode.Lock {
				t.Errorf("lost: %v", err)
			}
			break wait
		case <-tick.C:
			store.WriteFile(ctx, u, other)
		case <-deadline:
			t.Fatal("a lost lease was not noticed")
		}
	}
	if err := l.Release(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Release after loss: %v", err)
	}
}
