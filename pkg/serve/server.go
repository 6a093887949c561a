// Package serve is `recotem serve`: an HTTP API that serves the model of
// every recipe in a directory, with API-key authentication, Prometheus
// metrics and hot-swap of artifacts that never drops a request
// (artifact-and-serving.md §2-§6).
//
// The server is an oklog/run group of three actors: the HTTP server, the
// watcher (fsnotify on local recipe and artifact directories, plus polling
// every RECOTEM_WATCH_INTERVAL seconds for object stores and as a safety
// net) and a signal handler (SIGTERM/SIGINT drain in-flight requests and
// exit 0; SIGHUP rescans recipes now).
//
// Deliberate differences from the reference: authentication is checked
// before the body is parsed; exclude_items are removed before the list is
// truncated (responses are backfilled up to limit); request bodies are
// capped (RECOTEM_MAX_BODY_BYTES, 413); the recipe metric label is bounded
// to known recipes; edits to a recipe file are applied at runtime; start-up
// YAML stubs are replaced once the file is fixed; a restored artifact
// clears its error; /health, /readyz and /livez exist beside /v1/health.
package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/julienschmidt/httprouter"
	"github.com/oklog/run"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/codelibs/recotem-go/pkg/recipe"
)

// Server serves the recipes of one directory.
type Server struct {
	cfg    Config
	log    *slog.Logger
	reg    *Registry
	m      *metrics
	loader *Loader
	recipe recipe.LoadOptions
	watch  *watcher
	notify *notifier

	handler http.Handler
	// gate bounds the verbs computing at once to GOMAXPROCS. Waiting
	// requests get a slot in arrival order (a channel's blocked senders
	// are FIFO), so under overload each waits about as long as the
	// others instead of some being overtaken many times.
	gate chan struct{}
}

// New builds a server. recipeOpts configures how recipe files are loaded
// (plugins, hyperparameter validation); its RecipesRoot is set to
// cfg.RecipesDir.
func New(cfg Config, log *slog.Logger, loader *Loader, recipeOpts recipe.LoadOptions) *Server {
	s := &Server{cfg: cfg, log: log, loader: loader, recipe: recipeOpts, notify: newNotifier(),
		gate: make(chan struct{}, runtime.GOMAXPROCS(0))}
	s.recipe.RecipesRoot = cfg.RecipesDir
	s.recipe.Logger = log
	s.m = newMetrics(func() float64 { l, _ := s.reg.Counts(); return float64(l) })
	s.reg = NewRegistry(func(name string, loaded bool) {
		v := 0.0
		if loaded {
			v = 1
		}
		s.m.modelLoaded.WithLabelValues(name).Set(v)
	})
	s.watch = newWatcher(s)
	s.handler = s.routes()
	return s
}

// Registry returns the server's model registry.
func (s *Server) Registry() *Registry { return s.reg }

// Handler returns the server's HTTP handler with its middleware.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	r := httprouter.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleOPTIONS = false
	r.NotFound = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	})
	r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
	})
	r.GET("/v1/health", s.health)
	r.GET("/health", s.health)
	r.GET("/readyz", s.health)
	r.GET("/livez", s.live)
	r.GET("/v1/health/details", s.healthDetails)
	r.GET("/v1/recipes", s.recipes)
	r.GET("/v1/recipes/:spec", s.recipeDetail)
	r.POST("/v1/recipes/:spec", s.postRecipe)
	if s.cfg.Metrics {
		exp := promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{})
		r.GET("/v1/metrics", func(w http.ResponseWriter, req *http.Request, _ httprouter.Params) {
			if _, ok := s.authenticate(w, req); ok {
				exp.ServeHTTP(w, req)
			}
		})
	}
	var h http.Handler = r
	h = withRecover(s.log, h)
	h = withTrailingSlash(h)
	h = withTrustedHost(s.cfg.AllowedHosts, h)
	if len(s.cfg.AllowedOrigins) > 0 {
		h = withCORS(s.cfg.AllowedOrigins, h)
	}
	return withRequestID(h)
}

// Start loads every recipe of the directory (in parallel) and seeds the
// watcher. The server starts even if every recipe fails: failures become
// unloaded entries that health reports.
func (s *Server) Start(ctx context.Context) {
	s.watch.tick(ctx, true)
	loaded, total := s.reg.Counts()
	s.log.Info("recipes_loaded", "loaded", loaded, "total", total)
}

// Run serves on ln until ctx ends or SIGTERM/SIGINT arrives, then drains
// in-flight requests for up to RECOTEM_DRAIN_SECONDS and returns nil.
// Start must have been called.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	var g run.Group
	{
		g.Add(func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}, func(error) {
			s.notify.send("STOPPING=1")
			s.log.Info("serve_draining", "drain_seconds", s.cfg.Drain.Seconds())
			dctx, cancel := context.WithTimeout(context.Background(), s.cfg.Drain)
			defer cancel()
			srv.Shutdown(dctx)
		})
	}
	{
		wctx, cancel := context.WithCancel(ctx)
		g.Add(func() error { s.watch.run(wctx); return nil }, func(error) { cancel() })
	}
	{
		sigs := make(chan os.Signal, 4)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
		stop := make(chan struct{})
		g.Add(func() error {
			defer signal.Stop(sigs)
			for {
				select {
				case sig := <-sigs:
					if sig == syscall.SIGHUP {
						s.log.Info("sighup_rescan")
						s.watch.poke()
						continue
					}
					s.log.Info("serve_signal", "signal", sig.String())
					return nil
				case <-ctx.Done():
					return nil
				case <-stop:
					return nil
				}
			}
		}, func(error) { close(stop) })
	}
	if d := watchdogInterval(); d > 0 {
		stop := make(chan struct{})
		g.Add(func() error {
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					s.notify.send("WATCHDOG=1")
				case <-stop:
					return nil
				}
			}
		}, func(error) { close(stop) })
	}
	s.notify.send("READY=1")
	s.log.Info("serve_started", "address", ln.Addr().String())
	err := g.Run()
	s.reg.Close()
	s.log.Info("serve_shutdown")
	return err
}

// parallel runs fn for every item with at most n at once.
func parallel[T any](items []T, n int, fn func(T)) {
	if n < 1 {
		n = 1
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(it)
		}()
	}
	wg.Wait()
}
