package tune

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
)

// Storage records the trials of studies. Implementations must make Claim
// atomic for every process that shares the storage, so that a trial slot is
// never run twice.
type Storage interface {
	// Load returns every recorded trial of the study, in number order.
	Load(ctx context.Context, study string) ([]Trial, error)
	// Claim reserves the next trial number of the study for a trial of
	// class, unless the class already has budget trials that are not
	// interrupted (complete, pruned, failed, or running under a live owner);
	// then it reports ok == false. The claimed trial is recorded as running.
	Claim(ctx context.Context, study string, t Trial, budget int) (number int, ok bool, err error)
	// Save records a trial, replacing any earlier record with its number.
	Save(ctx context.Context, study string, t Trial) error
	// Close releases the storage.
	Close() error
}

// Study is one named search: its trials, sampler and pruner.
type Study struct {
	Name    string
	Sampler Sampler
	Pruner  MedianPruner
	// Owner identifies this process in claimed trials (e.g. host:pid:run).
	Owner string

	store Storage
	mu    sync.Mutex
	known []Trial // history as of the last refresh, plus this process's updates
}

// Open opens (creating if needed) the study name in store.
func Open(ctx context.Context, store Storage, name string, sampler Sampler, owner string) (*Study, error) {
	s := &Study{Name: name, Sampler: sampler, Owner: owner, store: store}
	if _, err := s.refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Study) refresh(ctx context.Context) ([]Trial, error) {
	trials, err := s.store.Load(ctx, s.Name)
	if err != nil {
		return nil, fmt.Errorf("loading study %q: %w", s.Name, err)
	}
	s.mu.Lock()
	s.known = trials
	s.mu.Unlock()
	return trials, nil
}

// Ask claims the next trial of class if its budget allows and suggests its
// hyperparameters: pinned values are kept, every other parameter of space
// is sampled from the study's history. ok is false when the class's budget
// is used up.
func (s *Study) Ask(ctx context.Context, class string, budget int, space []algo.Param, pinned algo.Params) (Trial, bool, error) {
	t := Trial{Class: class, State: Running, Owner: s.Owner, Started: time.Now().UTC()}
	number, ok, err := s.store.Claim(ctx, s.Name, t, budget)
	if err != nil || !ok {
		return Trial{}, false, err
	}
	history, err := s.refresh(ctx)
	if err != nil {
		return Trial{}, false, err
	}
	t.Number = number
	t.Params = pinned.Clone().Merge(s.Sampler.Sample(history, class, space, pinned, number))
	if err := s.store.Save(ctx, s.Name, t); err != nil {
		return Trial{}, false, fmt.Errorf("recording trial %d: %w", number, err)
	}
	return t, true, nil
}

// Report records the score of trial t at step and reports whether the
// pruner says to stop it.
func (s *Study) Report(t *Trial, step int, score float64) bool {
	if t.Steps == nil {
		t.Steps = map[int]float64{}
	}
	t.Steps[step] = score
	s.mu.Lock()
	history := s.known
	s.mu.Unlock()
	return s.Pruner.Prune(history, *t, step)
}

// Tell records the final state of a trial.
func (s *Study) Tell(ctx context.Context, t Trial) error {
	if t.Finished.IsZero() {
		t.Finished = time.Now().UTC()
	}
	if err := s.store.Save(ctx, s.Name, t); err != nil {
		return fmt.Errorf("recording trial %d: %w", t.Number, err)
	}
	// Copy on write: Ask and Report read the history without the lock.
	s.mu.Lock()
	known := make([]Trial, 0, len(s.known)+1)
	replaced := false
	for _, k := range s.known {
		if k.Number == t.Number {
			k, replaced = t, true
		}
		known = append(known, k)
	}
	if !replaced {
		known = append(known, t)
	}
	s.known = known
	s.mu.Unlock()
	return nil
}

// Trials returns every trial of the study from the storage.
func (s *Study) Trials(ctx context.Context) ([]Trial, error) {
	return s.refresh(ctx)
}

// Best returns the complete trial with the highest score; ties go to the
// lower trial number. ok is false when no trial completed.
func Best(trials []Trial) (best Trial, ok bool) {
	for _, t := range trials {
		if t.State != Complete {
			continue
		}
		if !ok || t.Score > best.Score || (t.Score == best.Score && t.Number < best.Number) {
			best, ok = t, true
		}
	}
	return best, ok
}

// Memory is an in-process Storage (the default when a recipe sets no
// storage_path). It is safe for concurrent use.
type Memory struct {
	mu      sync.Mutex
	studies map[string]map[int]Trial
}

// NewMemory returns an empty in-memory storage.
func NewMemory() *Memory { return &Memory{studies: map[string]map[int]Trial{}} }

// Load implements Storage.
func (m *Memory) Load(_ context.Context, study string) ([]Trial, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return sorted(m.studies[study]), nil
}

// Claim implements Storage.
func (m *Memory) Claim(_ context.Context, study string, t Trial, budget int) (int, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	trials := m.studies[study]
	if trials == nil {
		trials = map[int]Trial{}
		m.studies[study] = trials
	}
	if Used(sorted(trials), t.Class) >= budget {
		return 0, false, nil
	}
	t.Number = len(trials)
	trials[t.Number] = t
	return t.Number, true, nil
}

// Save implements Storage.
func (m *Memory) Save(_ context.Context, study string, t Trial) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.studies[study] == nil {
		m.studies[study] = map[int]Trial{}
	}
	m.studies[study][t.Number] = t
	return nil
}

// Close implements Storage.
func (m *Memory) Close() error { return nil }

// Used counts the trials of class that use up budget: every trial except
// interrupted ones (running trials marked Interrupted by their storage).
func Used(trials []Trial, class string) int {
	n := 0
	for _, t := range trials {
		if t.Class == class && t.Error != Interrupted {
			n++
		}
	}
	return n
}

// Interrupted is the Error of a running trial whose process died; its slot
// is claimed again when the study resumes.
const Interrupted = "interrupted"

func sorted(m map[int]Trial) []Trial {
	out := make([]Trial, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}
