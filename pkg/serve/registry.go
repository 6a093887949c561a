package serve

import (
	"encoding/json"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/model"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

// Entry is one recipe as served. Entries are immutable once published: a
// swap or an error annotation publishes a new Entry, so a request that
// acquired an entry uses one consistent model, version and header until it
// ends (artifact-and-serving.md §3.1).
type Entry struct {
	Name   string
	File   string         // recipe file
	Recipe *recipe.Recipe // nil for a recipe file that failed to load

	Loaded       bool
	Model        *model.Model
	Header       *artifact.Header
	Fields       map[string]json.RawMessage // raw header fields
	Kid          string
	ModelVersion string
	LoadedAt     time.Time
	Metadata     *Metadata
	// Err is the last load error; a loaded entry with an error is stale
	// (it keeps serving its model).
	Err string

	// sha is the hex digest of the loaded artifact bytes.
	sha string
	// res is the shared resource (mapped artifact) behind Model.
	res *resource
}

// with returns a copy of e sharing its resource (which gains a reference).
func (e *Entry) with(change func(*Entry)) *Entry {
	c := *e
	if c.res != nil {
		c.res.ref()
	}
	change(&c)
	return &c
}

// resource is a loaded artifact shared by the entries that serve it; it is
// closed (unmapped) when the last entry and the last request release it.
type resource struct {
	refs atomic.Int64
	art  *artifact.Artifact
	once sync.Once
}

func newResource(a *artifact.Artifact) *resource {
	r := &resource{art: a}
	r.refs.Store(1)
	return r
}

// acquire takes a reference unless the resource is already closed.
func (r *resource) acquire() bool {
	for {
		n := r.refs.Load()
		if n <= 0 {
			return false
		}
		if r.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (r *resource) ref() { r.refs.Add(1) }

func (r *resource) release() {
	if r.refs.Add(-1) == 0 {
		r.once.Do(func() { r.art.Close() })
	}
}

// Registry maps recipe names to entries. Reads are lock-free.
type Registry struct {
	mu      sync.Mutex // serialises writers
	entries atomic.Pointer[map[string]*Entry]
	onSet   func(name string, loaded bool)
}

// NewRegistry returns an empty registry. onSet, if not nil, is called after
// every change with the name and whether it is now loaded (false when
// removed), for metrics.
func NewRegistry(onSet func(name string, loaded bool)) *Registry {
	r := &Registry{onSet: onSet}
	m := map[string]*Entry{}
	r.entries.Store(&m)
	return r
}

// Acquire returns the entry of name holding a reference on its model, and
// the function that releases it. ok is false when there is no such entry.
func (r *Registry) Acquire(name string) (e *Entry, release func(), ok bool) {
	for {
		e, ok = (*r.entries.Load())[name]
		if !ok {
			return nil, nil, false
		}
		if e.res == nil {
			return e, func() {}, true
		}
		if e.res.acquire() {
			return e, e.res.release, true
		}
		// Swapped and closed between the load and the acquire: retry.
	}
}

// Get returns the current entry of name without taking a reference (for
// metadata such as health, not for using the model).
func (r *Registry) Get(name string) (*Entry, bool) {
	e, ok := (*r.entries.Load())[name]
	return e, ok
}

// List returns every entry, sorted by name.
func (r *Registry) List() []*Entry {
	m := *r.entries.Load()
	out := make([]*Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Counts returns the number of loaded entries and of all entries from one
// snapshot.
func (r *Registry) Counts() (loaded, total int) {
	m := *r.entries.Load()
	for _, e := range m {
		if e.Loaded {
			loaded++
		}
	}
	return loaded, len(m)
}

// Set publishes e under e.Name, releasing the entry it replaces.
func (r *Registry) Set(e *Entry) {
	r.update(func(m map[string]*Entry) { m[e.Name] = e })
	if r.onSet != nil {
		r.onSet(e.Name, e.Loaded)
	}
}

// Annotate publishes a copy of the entry of name with its error set (or
// cleared with ""); it never changes Loaded. It reports false if there is
// no such entry.
func (r *Registry) Annotate(name, msg string) bool {
	found := false
	r.update(func(m map[string]*Entry) {
		if e, ok := m[name]; ok && e.Err != msg {
			m[name] = e.with(func(c *Entry) { c.Err = msg })
		}
		_, found = m[name]
	})
	return found
}

// Remove deletes the entry of name.
func (r *Registry) Remove(name string) {
	r.update(func(m map[string]*Entry) { delete(m, name) })
	if r.onSet != nil {
		r.onSet(name, false)
	}
}

// Close releases every entry (at shutdown, after in-flight requests ended).
func (r *Registry) Close() {
	r.update(func(m map[string]*Entry) {
		for k := range m {
			delete(m, k)
		}
	})
}

// update applies change to a copy of the map and publishes it, releasing
// the entries that are no longer present.
func (r *Registry) update(change func(map[string]*Entry)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.entries.Load()
	next := make(map[string]*Entry, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	change(next)
	r.entries.Store(&next)
	for k, v := range old {
		if next[k] != v && v.res != nil {
			v.res.release()
		}
	}
}
