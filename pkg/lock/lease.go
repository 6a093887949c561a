package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/uri"
)

// leaseTTL is how long a lease is valid; it is renewed every leaseTTL/3,
// so a trainer that dies frees the recipe within a minute.
var leaseTTL = 60 * time.Second

// ErrLeaseLost reports that a lease expired or was taken over while it
// was held (the holder could not renew it in time).
var ErrLeaseLost = &exitcode.Error{Code: exitcode.Lock, Reason: "lock_contested", Err: errors.New("training lease lost")}

// leaseRecord is the content of a lease object.
type leaseRecord struct {
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
}

// Lease is a lock held across hosts on an object store: the object
// "<output>.lease" written with a conditional create, so that two trainers
// on different hosts never train the same recipe at once (the local flock
// only covers one host). It carries an expiry and is renewed while held; an
// expired lease of a dead trainer is taken over.
//
// Object stores offer no conditional delete, so two trainers that find
// the same expired lease at the same moment may both delete it; the
// conditional create then lets only one of them win, and the loser's
// verification read detects it. The remaining window — a takeover that
// deletes a lease created a moment earlier — is closed by the renewal,
// which checks ownership and cancels the loser's run (ErrLeaseLost).
type Lease struct {
	URI   string
	owner string
	store *uri.Store
	ttl   time.Duration

	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	lost error
}

// LeaseURI returns the lease object of an artifact output URI.
func LeaseURI(output string) string { return output + ".lease" }

// AcquireLease takes the lease at u for owner, with the waiting rules of
// Acquire (timeout 0: once, ErrBusy when held; negative: until free; positive:
// then exit 6 lock_timeout). onLost is called (once, from another goroutine)
// if the lease is lost while held; train cancels its run there.
func AcquireLease(ctx context.Context, store *uri.Store, u, owner string, timeout time.Duration, onLost func(error)) (*Lease, error) {
	start, ttl := time.Now(), leaseTTL
	for {
		ok, err := tryLease(ctx, store, u, owner, ttl)
		if err != nil {
			return nil, fmt.Errorf("lease %s: %w", uri.Redact(u), err)
		}
		if ok {
			l := &Lease{URI: u, owner: owner, store: store, ttl: ttl, stop: make(chan struct{}), done: make(chan struct{})}
			go l.renew(onLost)
			return l, nil
		}
		if timeout == 0 {
			return nil, ErrBusy
		}
		if timeout > 0 && time.Since(start) >= timeout {
			return nil, exitcode.Reasoned(exitcode.Lock, "lock_timeout",
				"lease %s still held after waiting %.1fs", uri.Redact(u), time.Since(start).Seconds())
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(max(pollInterval, min(time.Second, timeout/10))):
		}
	}
}

// tryLease makes one attempt: create the lease, or take over an expired
// one. ok is false when a live lease of another owner exists.
func tryLease(ctx context.Context, store *uri.Store, u, owner string, ttl time.Duration) (bool, error) {
	rec, _ := json.Marshal(leaseRecord{Owner: owner, Expires: time.Now().Add(ttl).UTC()})
	err := store.CreateExclusive(ctx, u, rec)
	if err == nil {
		return verifyLease(ctx, store, u, owner)
	}
	if !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	cur, err := readLease(ctx, store, u)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // released meanwhile: the next attempt creates it
	}
	if err != nil || cur.Expires.After(time.Now()) {
		return false, nil // a live (or unreadable, being written) lease
	}
	if err := store.Remove(ctx, u); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := store.CreateExclusive(ctx, u, rec); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, err
	}
	return verifyLease(ctx, store, u, owner)
}

func readLease(ctx context.Context, store *uri.Store, u string) (leaseRecord, error) {
	b, err := store.ReadAll(ctx, u, 4096)
	if err != nil {
		return leaseRecord{}, err
	}
	var r leaseRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return leaseRecord{}, fmt.Errorf("malformed lease: %w", err)
	}
	return r, nil
}

// verifyLease reads the lease back and reports whether owner holds it.
func verifyLease(ctx context.Context, store *uri.Store, u, owner string) (bool, error) {
	r, err := readLease(ctx, store, u)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil && r.Owner == owner, err
}

// renew extends the lease every leaseRenewEvery until Release, checking
// that it is still ours.
func (l *Lease) renew(onLost func(error)) {
	defer close(l.done)
	every := l.ttl / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		err := l.extend(ctx)
		cancel()
		if err != nil {
			l.mu.Lock()
			l.lost = err
			l.mu.Unlock()
			if onLost != nil {
				onLost(err)
			}
			return
		}
	}
}

func (l *Lease) extend(ctx context.Context) error {
	ok, err := verifyLease(ctx, l.store, l.URI, l.owner)
	if err != nil || !ok {
		return ErrLeaseLost
	}
	rec, _ := json.Marshal(leaseRecord{Owner: l.owner, Expires: time.Now().Add(l.ttl).UTC()})
	if err := l.store.WriteFile(ctx, l.URI, rec); err != nil {
		return fmt.Errorf("renewing lease: %w", err)
	}
	return nil
}

// Release stops renewing and deletes the lease if it is still ours. It
// returns ErrLeaseLost if the lease was lost while held.
func (l *Lease) Release(ctx context.Context) error {
	if l == nil {
		return nil
	}
	close(l.stop)
	<-l.done
	l.mu.Lock()
	lost := l.lost
	l.mu.Unlock()
	if lost != nil {
		return lost
	}
	if ok, _ := verifyLease(ctx, l.store, l.URI, l.owner); ok {
		return l.store.Remove(ctx, l.URI)
	}
	return nil
}
