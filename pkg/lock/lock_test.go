package lock

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

func TestPath(t *testing.T) {
	for _, tc := range []struct {
		output, dir, want string
		remote            bool
	}{
		{"/a/m.recotem", "", "/a/m.recotem.lock", false},
		{"rel/m.recotem", "", "rel/m.recotem.lock", false},
		{"file:///a/m.recotem", "", "/a/m.recotem.lock", false},
		{"file://localhost/a/m.recotem", "", "/a/m.recotem.lock", false},
		{"s3://b/k.recotem", "/locks", "/locks/", true},
	} {
		got, remote := Path(tc.output, tc.dir)
		if remote != tc.remote || !strings.HasPrefix(got, tc.want) {
			t.Errorf("Path(%q) = %q %v, want %q %v", tc.output, got, remote, tc.want, tc.remote)
		}
	}
	got, _ := Path("s3://b/k.recotem", "/locks")
	if len(filepath.Base(got)) != 64+len(".lock") {
		t.Errorf("remote lock name %q is not a sha256 hex", got)
	}
}

// TestMain lets the test binary double as a lock holder: with
// RECOTEM_TEST_HOLD_LOCK set it takes that lock and sleeps until killed.
func TestMain(m *testing.M) {
	if path := os.Getenv("RECOTEM_TEST_HOLD_LOCK"); path != "" {
		if _, err := Acquire(context.Background(), path, -1); err != nil {
			os.Exit(1)
		}
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holdInChild takes the lock in a separate process, as a competing trainer
// would, and returns a function that kills it (releasing the lock).
func holdInChild(t *testing.T, path string) func() {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "RECOTEM_TEST_HOLD_LOCK="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := Acquire(context.Background(), path, 0)
		if errors.Is(err, ErrBusy) {
			break
		}
		if err == nil {
			l.Release()
		}
		if time.Now().After(deadline) {
			t.Fatal("child never took the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return func() { cmd.Process.Kill(); cmd.Wait() }
}

func TestAcquireContention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "m.recotem.lock")
	l, err := Acquire(context.Background(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("lock file mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	l.Release()

	release := holdInChild(t, path)
	defer release()

	if _, err := Acquire(context.Background(), path, 0); !errors.Is(err, ErrBusy) || exitcode.Of(err) != exitcode.Lock {
		t.Fatalf("busy lock: err = %v (code %d), want ErrBusy with code 6", err, exitcode.Of(err))
	}
	start := time.Now()
	_, err = Acquire(context.Background(), path, 300*time.Millisecond)
	if exitcode.Of(err) != exitcode.Lock || exitcode.ReasonOf(err) != "lock_timeout" {
		t.Fatalf("timeout: err = %v, want lock_timeout", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("gave up after %v, before the timeout", waited)
	}
	done := make(chan error, 1)
	go func() {
		l, err := Acquire(context.Background(), path, -1)
		if err == nil {
			l.Release()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	release()
	if err := <-done; err != nil {
		t.Fatalf("blocking acquire after release: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("lock file removed: %v", err)
	}
}

func TestAcquireRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.lock")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), path); err != nil {
		t.Fatal(err)
	}
	_, err := Acquire(context.Background(), path, 0)
	if err == nil || exitcode.Of(err) != exitcode.Internal || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("symlink lock: err = %v (code %d), want a code-1 symlink refusal", err, exitcode.Of(err))
	}
}

func TestAcquireHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.lock")
	release := holdInChild(t, path)
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx, path, -1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context deadline", err)
	}
}
