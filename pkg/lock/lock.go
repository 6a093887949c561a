// Package lock holds the per-recipe training lock that keeps two trainers
// from writing the same artifact at once (recipe-and-cli.md §4).
//
// Local outputs are locked with an exclusive flock(2) on "<output>.lock"
// beside the artifact (for file:// outputs the local path is used, not the
// reference's literal "file:/..." relative path). The lock file is created
// with mode 0600 without following symlinks and is never deleted, so a
// crashed holder releases it simply by exiting.
package lock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// ErrBusy reports that another process holds the lock. It carries exit
// code 6 with reason "lock_contested"; train turns it into a skip (exit 0)
// unless --fail-on-busy is set.
var ErrBusy = &exitcode.Error{Code: exitcode.Lock, Reason: "lock_contested", Err: errors.New("lock is held by another process")}

// pollInterval is how often a waiting Acquire retries.
const pollInterval = 50 * time.Millisecond

// Path returns the lock file path for an artifact output path. Outputs on
// an object store (a scheme other than file) are locked host-locally under
// lockDir (RECOTEM_LOCK_DIR, default <tmp>/recotem-locks), named by the
// SHA-256 of the output URI; remote reports that case.
func Path(output, lockDir string) (path string, remote bool) {
	if i := strings.Index(output, "://"); i > 0 {
		scheme := strings.ToLower(output[:i])
		if scheme == "file" {
			local := strings.TrimPrefix(output[i+3:], "localhost")
			return local + ".lock", false
		}
		if lockDir == "" {
			lockDir = filepath.Join(os.TempDir(), "recotem-locks")
		}
		sum := sha256.Sum256([]byte(output))
		return filepath.Join(lockDir, hex.EncodeToString(sum[:])+".lock"), true
	}
	return output + ".lock", false
}

// Lock is a held lock; Release frees it.
type Lock struct {
	Path string
	f    *os.File
}

// Acquire takes the exclusive lock at path. timeout 0 tries once and
// returns ErrBusy if the lock is held; a negative timeout waits until the
// lock is free or ctx ends; a positive timeout retries every 50 ms and then
// fails with exit code 6, reason "lock_timeout". Errors other than
// contention (a symlink at path, an unwritable directory) are exit code 1.
func Acquire(ctx context.Context, path string, timeout time.Duration) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating lock directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		switch {
		case errors.Is(err, syscall.ELOOP):
			return nil, fmt.Errorf("refusing lock path %s: it is a symbolic link", path)
		case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	start := time.Now()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &Lock{Path: path, f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EACCES) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if timeout == 0 {
			f.Close()
			return nil, ErrBusy
		}
		if timeout > 0 && time.Since(start) >= timeout {
			f.Close()
			return nil, exitcode.Reasoned(exitcode.Lock, "lock_timeout",
				"lock %s still held after waiting %.1fs", path, time.Since(start).Seconds())
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// Release frees the lock. The lock file stays in place.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}
