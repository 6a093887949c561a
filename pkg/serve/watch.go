package serve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

// maxConcurrentStats bounds the artifact checks of one tick.
const maxConcurrentStats = 16

// fileState is what the watcher knows of one recipe file.
type fileState struct {
	mod     time.Time
	size    int64
	recipe  *recipe.Recipe // last good parse
	err     string         // current parse error, "" if the file parses
	secure  bool           // the parse error is a security violation
	stub    string         // stable stub name for a file that never parsed
	changed bool           // re-parsed in this tick
}

// watcher keeps the registry in step with the recipes directory and the
// artifacts the recipes name.
type watcher struct {
	s       *Server
	mu      sync.Mutex // one tick at a time
	files   map[string]*fileState
	markers map[string]string // recipe name → artifact marker last loaded
	failed  int               // consecutive failed ticks

	pokeCh    chan struct{}
	eventMu   sync.Mutex
	lastEvent time.Time // when fsnotify last reported a change
}

func newWatcher(s *Server) *watcher {
	return &watcher{s: s, files: map[string]*fileState{}, markers: map[string]string{}, pokeCh: make(chan struct{}, 1)}
}

// poke asks for a tick as soon as possible.
func (w *watcher) poke() {
	select {
	case w.pokeCh <- struct{}{}:
	default:
	}
}

// run ticks until ctx ends: on every fsnotify event in the recipes
// directory or an artifact directory, on poke, and every watch interval
// (±10% jitter).
func (w *watcher) run(ctx context.Context) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		w.s.log.Warn("fsnotify_unavailable", "error", err.Error())
	}
	var (
		events chan fsnotify.Event
		errs   chan error
	)
	watched := map[string]bool{}
	if fw != nil {
		defer fw.Close()
		events, errs = fw.Events, fw.Errors
	}
	watchDirs := func() {
		if fw == nil {
			return
		}
		for _, d := range w.dirs() {
			if !watched[d] && fw.Add(d) == nil {
				watched[d] = true
			}
		}
	}
	watchDirs()
	interval := w.s.cfg.WatchInterval
	for {
		jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(interval))
		timer := time.NewTimer(max(interval+jitter, 100*time.Millisecond))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-w.pokeCh:
		case err, ok := <-errs:
			// fsnotify blocks until its unbuffered Errors channel is read;
			// an overflow (ErrEventOverflow) means events were lost, so
			// rescan now.
			if !ok {
				events, errs = nil, nil
				timer.Stop()
				continue
			}
			w.s.log.Warn("fsnotify_error", "error", err.Error())
		case ev := <-events:
			if ev.Op == fsnotify.Chmod || !w.relevant(ev.Name) {
				timer.Stop()
				continue
			}
			w.eventMu.Lock()
			w.lastEvent = time.Now()
			w.eventMu.Unlock()
		}
		timer.Stop()
		w.tick(ctx, false)
		watchDirs()
	}
}

// relevant reports whether a file event can change what is served: a
// recipe file (*.yaml) in the recipes directory, or an artifact or pointer
// (*.recotem). Other files (logs, temporary files) are ignored, so a log
// written into a watched directory cannot trigger rescans; polling every
// watch interval covers anything else (such as a Kubernetes ConfigMap's
// symlink swap).
func (w *watcher) relevant(name string) bool {
	base := filepath.Base(name)
	if strings.HasSuffix(base, ".recotem") {
		return true
	}
	return strings.HasSuffix(base, ".yaml") && filepath.Clean(filepath.Dir(name)) == filepath.Clean(w.s.cfg.RecipesDir)
}

// dirs returns the directories to watch: the recipes directory and the
// directory of every local artifact.
func (w *watcher) dirs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := []string{w.s.cfg.RecipesDir}
	for _, f := range w.files {
		if f.recipe != nil && !isRemote(f.recipe.Output.Path) {
			out = append(out, filepath.Dir(localPath(f.recipe.Output.Path)))
		}
	}
	return out
}

// tick rescans the recipes and then checks every artifact. At start-up
// failures are recorded without counting swaps.
func (w *watcher) tick(ctx context.Context, startup bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			w.s.m.watcherErrors.Inc()
			w.s.log.Error("watcher_tick_failed", "error", fmt.Sprint(v))
			if w.failed++; w.failed >= 5 {
				for _, e := range w.s.reg.List() {
					w.s.reg.Annotate(e.Name, "watcher unhealthy")
				}
			}
		}
	}()
	plan := w.rescan()
	w.poll(ctx, plan, startup)
	if w.failed >= 5 {
		for _, e := range w.s.reg.List() {
			if e.Err == "watcher unhealthy" {
				w.s.reg.Annotate(e.Name, "")
			}
		}
	}
	w.failed = 0
}

// planned is a recipe to keep loaded after a rescan.
type planned struct {
	name   string
	file   string
	recipe *recipe.Recipe
	reload bool // the recipe file changed: load even if the artifact did not
}

// rescan re-reads changed recipe files, updates stubs, removes recipes
// whose file is gone, and returns the recipes to poll.
func (w *watcher) rescan() []planned {
	dir := w.s.cfg.RecipesDir
	entries, err := os.ReadDir(dir)
	if err != nil {
		class := errorClass(err)
		w.s.m.dirScanErrors.WithLabelValues("dir_iter_" + class).Inc()
		for _, e := range w.s.reg.List() {
			w.s.reg.Annotate(e.Name, "recipes-dir scan failed: "+err.Error())
			w.s.m.loadFailures.WithLabelValues(e.Name, reasonDirScan).Inc()
		}
		return nil
	}
	var files []string
	for _, de := range entries {
		if strings.HasSuffix(de.Name(), ".yaml") {
			p := filepath.Join(dir, de.Name())
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				files = append(files, p)
			}
		}
	}
	sort.Strings(files)
	present := map[string]bool{}
	for _, p := range files {
		present[p] = true
		st, _ := os.Stat(p)
		old := w.files[p]
		if old != nil && st.ModTime().Equal(old.mod) && st.Size() == old.size {
			old.changed = false
			continue
		}
		next := &fileState{mod: st.ModTime(), size: st.Size(), changed: true}
		if old != nil {
			next.stub = old.stub
		}
		r, err := recipe.Load(p, w.s.recipe)
		if err != nil {
			next.err, next.secure = err.Error(), recipe.IsSecurity(err)
			if old != nil {
				next.recipe = old.recipe
			}
		} else {
			next.recipe = r
		}
		w.files[p] = next
	}
	for p := range w.files {
		if !present[p] {
			delete(w.files, p)
		}
	}

	claimed := map[string]string{}
	var plan []planned
	var stubs []string
	for _, p := range files {
		f := w.files[p]
		if f.recipe != nil {
			name := f.recipe.Name
			if other, dup := claimed[name]; dup {
				if f.err == "" {
					f.err = fmt.Sprintf("duplicate recipe name '%s' (already defined by %s)", name, filepath.Base(other))
				}
				f.recipe = nil
			} else {
				claimed[name] = p
				if f.err != "" {
					// A known recipe whose file no longer parses keeps serving.
					if f.changed {
						w.s.m.rescanErrors.WithLabelValues(name).Inc()
					}
					w.ensure(name, p, f.recipe, "recipe YAML parse error on rescan: "+f.err)
				}
				plan = append(plan, planned{name: name, file: p, recipe: f.recipe, reload: f.changed && f.err == ""})
				continue
			}
		}
		stubs = append(stubs, p)
	}
	for _, p := range stubs {
		f := w.files[p]
		if f.stub == "" || claimed[f.stub] != "" {
			f.stub = uniqueName(strings.TrimSuffix(filepath.Base(p), ".yaml"), claimed)
		}
		claimed[f.stub] = p
		msg := "YAML parse failed: " + f.err
		if cur, ok := w.s.reg.Get(f.stub); !ok || cur.Loaded || cur.Err != msg {
			w.s.reg.Set(stub(f.stub, p, nil, msg))
			w.s.m.loadFailures.WithLabelValues(f.stub, reasonYAML).Inc()
			if f.secure {
				w.s.log.Error("recipe_security_violation_skipped", "file", p, "error", f.err)
			} else {
				w.s.log.Warn("recipe_load_error_skipped", "file", p, "error", f.err)
			}
		}
	}
	for _, e := range w.s.reg.List() {
		if _, ok := claimed[e.Name]; !ok {
			w.s.reg.Remove(e.Name)
			delete(w.markers, e.Name)
		}
	}
	return plan
}

// ensure makes sure name has an entry, annotated with msg.
func (w *watcher) ensure(name, file string, r *recipe.Recipe, msg string) {
	if _, ok := w.s.reg.Get(name); !ok {
		w.s.reg.Set(stub(name, file, r, msg))
		return
	}
	w.s.reg.Annotate(name, msg)
}

// uniqueName returns base, or base_1, base_2, ... not in taken.
func uniqueName(base string, taken map[string]string) string {
	name := base
	for i := 1; taken[name] != ""; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	return name
}

// poll checks the artifact of every planned recipe and loads it when it
// changed, at most maxConcurrentStats at a time.
func (w *watcher) poll(ctx context.Context, plan []planned, startup bool) {
	var mu sync.Mutex // guards w.markers
	n := maxConcurrentStats
	if startup && w.s.cfg.StartupParallelism > 0 {
		n = w.s.cfg.StartupParallelism
	}
	parallel(plan, n, func(p planned) {
		name := p.name
		cur, exists := w.s.reg.Get(name)
		if !exists || cur.Recipe == nil {
			w.s.reg.Set(stub(name, p.file, p.recipe, ""))
			cur, exists = nil, false
		}
		marker, err := w.marker(ctx, p.recipe.Output.Path)
		if err != nil {
			msg, reason := "artifact missing or unreadable", reasonRead
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				msg, reason = fmt.Sprintf("stat timeout after %s", w.statTimeout()), reasonTimeout
			case !errors.Is(err, fs.ErrNotExist):
				msg = "stat failed: " + errorClass(err)
				w.s.m.statFailures.WithLabelValues(name).Inc()
			}
			w.s.reg.Annotate(name, msg)
			w.s.m.loadFailures.WithLabelValues(name, reason).Inc()
			return
		}
		mu.Lock()
		unchanged := w.markers[name] == marker
		mu.Unlock()
		if unchanged && !p.reload && exists && cur.Loaded {
			return
		}
		current := cur
		if p.reload {
			current = nil // the recipe changed: rebuild metadata too
		}
		e, same, err := w.s.loader.Load(ctx, p.recipe, p.file, current)
		if err != nil {
			le := classify(err)
			msg := le.msg
			if startup {
				msg = startupError(msg)
			}
			w.s.reg.Annotate(name, msg)
			w.s.m.loadFailures.WithLabelValues(name, le.reason).Inc()
			if !startup {
				w.s.m.swaps.WithLabelValues(name, "error").Inc()
			}
			w.s.log.Warn("artifact_load_failed", "recipe", name, "reason", le.reason, "error", msg)
			return
		}
		if exists && cur.Loaded && p.reload && cur.sha == e.sha && reflect.DeepEqual(cur.Recipe, e.Recipe) {
			same = true
		}
		w.s.reg.Set(e)
		if !same && e.Metadata != nil && e.Metadata.Dropped > 0 {
			w.s.m.metadataDrops.WithLabelValues(name).Add(float64(e.Metadata.Dropped))
		}
		mu.Lock()
		w.markers[name] = marker
		mu.Unlock()
		if !startup && !same {
			w.s.m.swaps.WithLabelValues(name, "ok").Inc()
			w.eventMu.Lock()
			if !w.lastEvent.IsZero() {
				w.s.m.swapLatency.Observe(time.Since(w.lastEvent).Seconds())
			}
			w.eventMu.Unlock()
			w.s.log.Info("model_swapped", "recipe", name, "model_version", e.ModelVersion)
		}
		if startup || !same {
			w.s.log.Info("model_loaded", "recipe", name, "model_version", e.ModelVersion, "best_class", e.Header.BestClass)
		}
	})
}

// statTimeout bounds one artifact check: max(1, min(interval, 30)) s.
func (w *watcher) statTimeout() time.Duration {
	return min(max(w.s.cfg.WatchInterval, time.Second), 30*time.Second)
}

// marker identifies the artifact state of an output path without reading
// it: for a local file its mtime, size and inode, and when it is a pointer
// file also its content and its target's.
func (w *watcher) marker(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, w.statTimeout())
	defer cancel()
	type result struct {
		m   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		if isRemote(path) {
			m, err := objectMarker(ctx, w.s.loader.store(), path)
			ch <- result{m, err}
			return
		}
		m, err := localMarker(localPath(path))
		ch <- result{m, err}
	}()
	select {
	case r := <-ch:
		return r.m, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func localMarker(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	m := statMarker(st)
	if st.Size() <= artifact.MaxPointerLen {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		if target, ok := artifact.ParsePointer(b); ok {
			tst, err := os.Stat(filepath.Join(filepath.Dir(path), target))
			if err != nil {
				return "", err
			}
			m += "|" + target + "|" + statMarker(tst)
		}
	}
	return m, nil
}

func statMarker(st os.FileInfo) string {
	ino := uint64(0)
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	return fmt.Sprintf("%d:%d:%d", st.ModTime().UnixNano(), st.Size(), ino)
}

// errorClass names an error's kind for health details and labels.
func errorClass(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "PermissionError"
	case errors.Is(err, fs.ErrNotExist):
		return "FileNotFoundError"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return "OSError"
	}
	return fmt.Sprintf("%T", err)
}
