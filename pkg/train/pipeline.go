package train

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/catalog"
	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/dataset"
	"github.com/codelibs/recotem-go/pkg/env"
	"github.com/codelibs/recotem-go/pkg/eval"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/lock"
	"github.com/codelibs/recotem-go/pkg/model"
	"github.com/codelibs/recotem-go/pkg/payload"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/source"
	"github.com/codelibs/recotem-go/pkg/tune"
	"github.com/codelibs/recotem-go/pkg/uri"
	"github.com/codelibs/recotem-go/pkg/version"
)

// Options are the settings of one `recotem train` run.
type Options struct {
	RecipePath string
	// EnvVars are the raw --env-var KEY=VALUE flags.
	EnvVars []string
	// RunID names the study; "" means 12 random hex digits.
	RunID string
	// Lock settings: NoLock skips the lock; FailOnBusy turns a busy lock
	// into exit 6 instead of a skip; LockTimeout 0 tries once, -1 waits
	// forever, > 0 waits that many seconds.
	NoLock      bool
	FailOnBusy  bool
	LockTimeout float64
	// Quiet suppresses per-trial events; Verbose adds their parameters.
	Quiet, Verbose bool
	// DevUnsigned signs with the fixed development key; it needs
	// Understand and RECOTEM_ENV=development.
	DevUnsigned bool
	Understand  bool
	// JSON writes a summary object to Stdout on success.
	JSON bool
	// Report, if set, is the path of an HTML report of the search.
	Report string

	Getenv env.Getenv
	Stdout io.Writer
	Stderr io.Writer
	// Logger receives the train events.
	Logger *slog.Logger
	// Progress, if set, shows a live progress display (a TTY bar) instead
	// of per-trial events.
	Progress Progress
	// Store writes object-store outputs; nil means uri.Default.
	Store *uri.Store
}

// Progress follows a search as it runs.
type Progress interface {
	Start(total int)
	Trial(t tune.Trial, bestScore float64, bestClass string)
	Finish()
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Result summarises a successful run (the --json output).
type Result struct {
	Recipe       string         `json:"recipe"`
	RunID        string         `json:"run_id"`
	Skipped      bool           `json:"skipped,omitempty"`
	Artifact     string         `json:"artifact,omitempty"`
	Pointer      string         `json:"pointer,omitempty"`
	ModelVersion string         `json:"model_version,omitempty"`
	BestClass    string         `json:"best_class,omitempty"`
	BestParams   map[string]any `json:"best_params,omitempty"`
	BestScore    float64        `json:"best_score"`
	Metric       string         `json:"metric,omitempty"`
	Trials       int            `json:"trials"`
	Completed    int            `json:"completed"`
	Failed       int            `json:"failed"`
	Pruned       int            `json:"pruned"`
	Durations    Durations      `json:"durations_seconds"`
}

// Durations are the wall times of the phases of a run, in seconds.
type Durations struct {
	Fetch  float64 `json:"fetch"`
	Search float64 `json:"search"`
	Refit  float64 `json:"refit"`
	Write  float64 `json:"write"`
	Total  float64 `json:"total"`
}

// Run executes `recotem train` with the checks in the reference's order
// (recipe-and-cli.md §2.2). Every error carries its exit code; a skipped
// run (lock busy, no --fail-on-busy) returns a Result with Skipped set and
// a nil error.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	getenv := o.Getenv
	log := o.Logger
	if o.DevUnsigned && !o.Understand {
		return nil, exitcode.New(exitcode.Config, "--dev-allow-unsigned requires --i-understand-this-loads-arbitrary-code to also be passed.")
	}
	if raw := getenv("RECOTEM_ENV"); o.DevUnsigned && strings.ToLower(strings.TrimSpace(raw)) != "development" {
		return nil, exitcode.New(exitcode.Config, "--dev-allow-unsigned requires RECOTEM_ENV=development. Current RECOTEM_ENV='%s'.", raw)
	}
	if o.LockTimeout < 0 && o.LockTimeout != -1 {
		return nil, exitcode.New(exitcode.Config, "--lock-timeout must be -1, 0 or positive, got %v", o.LockTimeout)
	}
	vars, err := recipe.ParseEnvVars(o.EnvVars)
	if err != nil {
		return nil, err
	}
	plugins, err := source.Discover(ctx, source.ExecPath(getenv))
	if err != nil {
		return nil, fmt.Errorf("Recipe error: %w", err)
	}
	r, err := recipe.Load(o.RecipePath, recipe.LoadOptions{
		EnvVars: vars, Plugins: plugins.Types(), ValidateParams: catalog.ValidateParams, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("Recipe error: %w", err)
	}
	runID := o.RunID
	if runID == "" {
		var b [6]byte
		rand.Read(b[:])
		runID = hex.EncodeToString(b[:])
	} else if !runIDPattern.MatchString(runID) {
		return nil, exitcode.New(exitcode.Recipe, "--run-id must match [A-Za-z0-9_.-]{1,64}.")
	}
	log = log.With("recipe", r.Name, "run_id", runID)
	p := &pipeline{o: o, r: r, runID: runID, log: log, plugins: plugins, hash: r.Hash(), started: start}

	var ring *keys.SigningRing
	if o.DevUnsigned {
		ring = keys.DevRing()
	} else if ring, err = keys.ParseSigning(getenv(keys.EnvSigning)); err != nil {
		return nil, p.fail(err)
	}
	p.kid = ring.Active().Kid

	if !o.NoLock {
		path, remote := lock.Path(r.Output.Path, strings.TrimSpace(getenv("RECOTEM_LOCK_DIR")))
		timeout := time.Duration(o.LockTimeout * float64(time.Second))
		if o.LockTimeout == -1 {
			timeout = -1
		}
		waitStart := time.Now()
		l, err := lock.Acquire(ctx, path, timeout)
		switch {
		case errors.Is(err, lock.ErrBusy) && !o.FailOnBusy:
			log.Info("recipe_lock_contended_skipping")
			return &Result{Recipe: r.Name, RunID: runID, Skipped: true}, nil
		case exitcode.ReasonOf(err) == "lock_timeout":
			log.Warn("recipe_lock_timeout", "lock_path", path, "waited_seconds", time.Since(waitStart).Seconds(), "timeout", o.LockTimeout)
			return nil, p.fail(err)
		case err != nil:
			return nil, p.fail(err)
		}
		defer l.Release()
		if remote {
			// The flock only excludes trainers on this host; a lease object
			// beside the artifact excludes the other hosts.
			var cancel context.CancelCauseFunc
			ctx, cancel = context.WithCancelCause(ctx)
			defer cancel(nil)
			store := o.Store
			if store == nil {
				store = uri.Default
			}
			log.Info("recipe_lock_lease", "lock_path", path, "lease", lock.LeaseURI(r.Output.Path))
			lease, err := lock.AcquireLease(ctx, store, lock.LeaseURI(r.Output.Path), tune.OwnerID(runID), timeout, cancel)
			switch {
			case errors.Is(err, lock.ErrBusy) && !o.FailOnBusy:
				log.Info("recipe_lock_contended_skipping", "lease", lock.LeaseURI(r.Output.Path))
				return &Result{Recipe: r.Name, RunID: runID, Skipped: true}, nil
			case err != nil:
				return nil, p.fail(err)
			}
			defer lease.Release(context.WithoutCancel(ctx))
		}
	}
	res, err := p.run(ctx, ring)
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, lock.ErrLeaseLost) {
		err = cause
	}
	if err != nil {
		return nil, p.fail(err)
	}
	res.Durations.Total = time.Since(start).Seconds()
	return res, nil
}

// pipeline is one run after the recipe is loaded.
type pipeline struct {
	o       Options
	r       *recipe.Recipe
	runID   string
	log     *slog.Logger
	plugins *source.Registry
	hash    string
	kid     string
	started time.Time
	stats   *dataset.Stats
}

// fail logs train_error and returns err prefixed as the reference prints
// training failures.
func (p *pipeline) fail(err error) error {
	attrs := []any{"name", p.r.Name, "error", err.Error(), "code", reasonOr(err), "exit_code", exitcode.Of(err),
		"trained_at", p.started.UTC().Format(time.RFC3339), "recipe_hash", p.hash}
	if p.kid != "" {
		attrs = append(attrs, "kid", p.kid)
	}
	if p.stats != nil {
		attrs = append(attrs, "n_rows", p.stats.NRows, "n_users", p.stats.NUsers, "n_items", p.stats.NItems)
	}
	var v *dataset.MinDataViolation
	if errors.As(err, &v) {
		attrs = append(attrs, "n_rows", v.NRows, "n_users", v.NUsers, "n_items", v.NItems,
			"min_rows", v.MinRows, "min_users", v.MinUsers, "min_items", v.MinItems)
	}
	p.log.Error("train_error", attrs...)
	return fmt.Errorf("Training failed: %w", err)
}

func reasonOr(err error) string {
	if r := exitcode.ReasonOf(err); r != "" {
		return r
	}
	switch exitcode.Of(err) {
	case exitcode.DataSource:
		return "datasource_error"
	case exitcode.Fetch:
		return "http_fetch_error"
	case exitcode.Artifact:
		return "artifact_error"
	case exitcode.Internal:
		return "internal_error"
	}
	return "training_error"
}

// rowSink feeds source rows into the dataset builder.
type rowSink struct {
	b      *dataset.Builder
	row    dataset.Row
	fetchN int
}

func (s *rowSink) Begin(h source.Header) error {
	s.b.SetInferNumericText(h.TimeNeedsInference)
	return nil
}

func (s *rowSink) Row(r *source.Row) error {
	s.fetchN++
	s.row = dataset.Row{User: r.User, Item: r.Item, UserNull: r.UserNull, ItemNull: r.ItemNull,
		Time: dataset.Time{Kind: dataset.TimeKind(r.Time.Kind), Text: r.Time.Text, Int: r.Time.Int, Float: r.Time.Float, Instant: r.Time.Instant}}
	return s.b.Add(&s.row)
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// run fetches, cleanses, splits, searches, refits and writes.
func (p *pipeline) run(ctx context.Context, ring *keys.SigningRing) (*Result, error) {
	r, log := p.r, p.log
	res := &Result{Recipe: r.Name, RunID: p.runID, Metric: r.Training.Metric}
	log.Info("training_started", "recipe_hash", p.hash)

	// Fetch and cleanse.
	t0 := time.Now()
	log.Info("fetching_data", "source_type", r.Source.Type)
	src, err := source.New(r.Source, source.Env{Getenv: p.o.Getenv, Logger: log, RecipeName: r.Name, RunID: p.runID, Plugins: p.plugins})
	if err != nil {
		return nil, asDataSource(err)
	}
	b, err := dataset.NewBuilder(dataset.Options{
		DropNullIDs: r.Cleansing.DropNullIDs, Dedup: r.Cleansing.Dedup,
		MinRows: derefInt(r.Cleansing.MinRows), MinUsers: derefInt(r.Cleansing.MinUsers), MinItems: derefInt(r.Cleansing.MinItems),
		TimeUnit: derefString(r.Schema.TimeUnit),
	})
	if err != nil {
		return nil, err
	}
	sink := &rowSink{b: b}
	cols := source.Columns{User: r.Schema.UserColumn, Item: r.Schema.ItemColumn, Time: derefString(r.Schema.TimeColumn)}
	if err := src.Fetch(ctx, cols, sink); err != nil {
		return nil, asDataSource(err)
	}
	log.Info("data_fetched", "n_rows", sink.fetchN)
	ds, err := b.Build()
	if err != nil {
		return nil, err
	}
	p.stats = &ds.Stats
	log.Info("data_cleansed", "n_rows", ds.Stats.NRows, "drop_count", ds.Stats.DropCount)
	res.Durations.Fetch = time.Since(t0).Seconds()

	// Split and evaluator.
	log.Info("splitting_data", "scheme", r.Training.Split.Scheme)
	split, err := ds.Split(dataset.SplitConfig{Scheme: r.Training.Split.Scheme, HeldoutRatio: r.Training.Split.HeldoutRatio,
		TestUserRatio: r.Training.Split.TestUserRatio, Seed: int64(r.Training.Split.Seed)})
	if err != nil {
		return nil, err
	}
	log.Info("split_done", "val_offset", split.Offset, "n_validation_users", split.Heldout.Rows)
	metric, err := eval.ParseMetric(r.Training.Metric)
	if err != nil {
		return nil, exitcode.Reasoned(exitcode.Training, "invalid_metric", "%v", err)
	}
	if r.Training.Cutoff > ds.X.Cols {
		return nil, exitcode.Reasoned(exitcode.Training, "search_error",
			"training.cutoff %d exceeds the number of items (%d)", r.Training.Cutoff, ds.X.Cols)
	}
	threads := linalg.Threads()
	ev, err := eval.New(eval.Config{Train: split.Train, Heldout: split.Heldout, Offset: split.Offset,
		Cutoff: r.Training.Cutoff, Metric: metric, Threads: threads})
	if err != nil {
		return nil, exitcode.Reasoned(exitcode.Training, "search_error", "%v", err)
	}

	// Search.
	classes := r.Classes()
	budgets, err := recipe.Budgets(classes, r.Training.NTrials, r.Training.PerAlgorithmTrials)
	if err != nil {
		return nil, err
	}
	var active []string
	specs := map[string]algo.Spec{}
	pinned := map[string]algo.Params{}
	for _, c := range classes {
		if budgets[c] == 0 {
			continue
		}
		spec, err := catalog.Lookup(c)
		if err != nil {
			return nil, exitcode.Reasoned(exitcode.Training, "unknown_algorithm", "%v", err)
		}
		active = append(active, c)
		specs[c] = spec
		pinned[c] = algo.Params(r.ParamsFor(c))
		if fullyPinned(spec, pinned[c]) && budgets[c] > 1 {
			budgets[c] = 1 // nothing to search: one fit is enough
		}
	}
	store, err := tune.OpenStorage(ctx, r.Training.StoragePath)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	studyName := "recotem_" + r.Name + "_" + p.runID
	study, err := tune.Open(ctx, store, studyName, tune.Sampler{Seed: int64(r.Training.Split.Seed)}, tune.OwnerID(p.runID))
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Training, err)
	}
	log.Info("search_started", "algorithms", active, "n_trials", r.Training.NTrials, "budgets", budgets)
	t1 := time.Now()
	search := &Search{
		Study: study, Specs: specs, Classes: active, Budgets: budgets, Pinned: pinned,
		Train: split.Train, Score: func(m algo.Recommender) (float64, error) { return ev.Score(ctx, m) },
		Parallelism: r.Training.Parallelism, Threads: threads,
		OnTrial: p.trialReporter(),
	}
	if v := r.Training.TimeoutSeconds; v != nil {
		search.Timeout = time.Duration(*v) * time.Second
	}
	if v := r.Training.PerTrialTimeoutSeconds; v != nil {
		search.TrialTimeout = time.Duration(*v) * time.Second
	}
	if p.o.Progress != nil {
		total := 0
		for _, c := range active {
			total += budgets[c]
		}
		p.o.Progress.Start(total)
	}
	out, err := search.Run(ctx)
	if p.o.Progress != nil {
		p.o.Progress.Finish()
	}
	countStates(res, out.Trials)
	if err != nil {
		log.Warn("tuning_aborted", "trials_done", len(out.Trials), "best_score", nil)
		return nil, err
	}
	best := out.Best
	log.Info("tuning_complete", "n_completed", res.Completed, "best_score", best.Score, "best_algorithm", best.Class)
	log.Info("search_done", "best_class", best.Class, "best_score", best.Score, "n_completed", res.Completed)
	if best.Score == 0 {
		if metric != eval.Hit {
			return nil, exitcode.Reasoned(exitcode.Training, "zero_score", "the best trial scored 0.0 on %s@%d", r.Training.Metric, r.Training.Cutoff)
		}
		log.Warn("zero_score_hit_metric", "best_class", best.Class)
	}
	res.Durations.Search = time.Since(t1).Seconds()

	// Refit on all data.
	t2 := time.Now()
	log.Info("training_final_model", "best_class", best.Class)
	spec := specs[best.Class]
	params := best.Params.Clone()
	for k, v := range best.Attrs {
		params[k] = v
	}
	rec, err := spec.New(spec.Defaults.Merge(params), algo.Options{Threads: threads})
	if err != nil {
		return nil, exitcode.Reasoned(exitcode.Training, "final_training_error", "%v", err)
	}
	if err := rec.Fit(ctx, ds.X); err != nil {
		return nil, exitcode.Reasoned(exitcode.Training, "final_training_error", "%v", err)
	}
	log.Info("final_model_trained", "best_class", best.Class)
	res.Durations.Refit = time.Since(t2).Seconds()

	// Write.
	t3 := time.Now()
	m, err := model.New(ds.UserIDs, ds.ItemIDs, ds.X, rec)
	if err != nil {
		return nil, err
	}
	pw := payload.NewWriter()
	if err := m.Encode(pw); err != nil {
		return nil, exitcode.Wrap(exitcode.Artifact, err)
	}
	bestParams := map[string]any(rec.Params())
	header := &artifact.Header{
		RecipeName: r.Name, RecipeHash: p.hash, RecotemVersion: version.Version,
		TrainedAt: p.started.UTC().Format("2006-01-02T15:04:05Z"), BestClass: best.Class, BestParams: bestParams,
		BestScore: best.Score, Metric: r.Training.Metric, Cutoff: r.Training.Cutoff,
		Tuning: artifact.Tuning{TriedAlgorithms: active, NTrials: r.Training.NTrials, NCompleted: res.Completed,
			NOrphaned: 0, BestTrialNumber: best.Number, SearchSeed: int64(r.Training.Split.Seed)},
		DataStats: artifact.DataStats{NRows: int64(ds.Stats.NRows), NUsers: int64(ds.Stats.NUsers), NItems: int64(ds.Stats.NItems),
			DropCount: int64(ds.Stats.DropCount), DedupPolicy: ds.Stats.DedupPolicy},
		Algorithms: active,
	}
	enc, err := artifact.Encode(ring, header, pw)
	if err != nil {
		return nil, err
	}
	written, err := p.write(ctx, enc)
	if err != nil {
		return nil, err
	}
	res.Durations.Write = time.Since(t3).Seconds()
	log.Info("artifact_written", "versioning", r.Output.Versioning, "artifact", written.Artifact, "pointer", written.Pointer, "kid", p.kid)
	res.Artifact, res.Pointer, res.ModelVersion = written.Artifact, written.Pointer, enc.ModelVersion()
	res.BestClass, res.BestParams, res.BestScore = best.Class, bestParams, best.Score
	log.Info("train_done", "name", r.Name, "exit_code", 0, "artifact", written.Artifact, "best_class", best.Class,
		"best_score", best.Score, "trials", res.Completed, "n_orphaned", 0, "trained_at", header.TrainedAt,
		"kid", p.kid, "recipe_hash", p.hash, "n_rows", ds.Stats.NRows, "n_users", ds.Stats.NUsers, "n_items", ds.Stats.NItems)
	if p.o.Report != "" {
		if err := p.writeReport(res, best, out.Trials, specs, pinned, ds, split); err != nil {
			log.Warn("report_failed", "path", p.o.Report, "error", err.Error())
		}
	}
	return res, nil
}

// fullyPinned reports whether every searchable parameter is pinned.
func fullyPinned(spec algo.Spec, pinned algo.Params) bool {
	for _, p := range spec.Space {
		if _, ok := pinned[p.Name]; !ok {
			return false
		}
	}
	return true
}

func countStates(res *Result, trials []tune.Trial) {
	for _, t := range trials {
		res.Trials++
		switch t.State {
		case tune.Complete:
			res.Completed++
		case tune.Failed:
			res.Failed++
		case tune.Pruned:
			res.Pruned++
		}
	}
}

// asDataSource wraps an uncoded error from a source as a data-source
// error (exit 3), as the reference wraps unexpected fetch failures.
func asDataSource(err error) error {
	if exitcode.Of(err) != exitcode.Internal || errors.Is(err, context.Canceled) {
		return err
	}
	return exitcode.Reasoned(exitcode.DataSource, "datasource_error", "Data fetch failed: %w", err)
}

// trialReporter returns the per-trial callback: progress display or
// trial_done events.
func (p *pipeline) trialReporter() func(tune.Trial) {
	best, bestClass := 0.0, ""
	return func(t tune.Trial) {
		if t.State == tune.Complete && (bestClass == "" || t.Score > best) {
			best, bestClass = t.Score, t.Class
		}
		if p.o.Progress != nil {
			p.o.Progress.Trial(t, best, bestClass)
			return
		}
		if p.o.Quiet {
			return
		}
		var score any
		if t.State == tune.Complete {
			score = t.Score
		}
		attrs := []any{"trial", t.Number, "score", score, "algorithm", t.Class, "state", string(t.State), "duration_seconds", t.Duration().Seconds()}
		if t.Error != "" {
			attrs = append(attrs, "error", t.Error)
		}
		if e, ok := t.Attrs["train_epochs"]; ok {
			attrs = append(attrs, "train_epochs", e)
		}
		if p.o.Verbose {
			attrs = append(attrs, "params", map[string]any(t.Params))
		}
		p.log.Info("trial_done", attrs...)
	}
}

// write stores the artifact at the recipe's output path.
func (p *pipeline) write(ctx context.Context, enc *artifact.Encoded) (artifact.Written, error) {
	out := p.r.Output
	if local, ok := recipe.LocalOutputPath(out.Path); ok {
		return artifact.WriteFile(local, enc, artifact.WriteOptions{Versioning: out.Versioning, Check: func(dest string) error {
			if err := recipe.CheckArtifactRoot(dest); err != nil {
				return exitcode.Wrap(exitcode.Artifact, err)
			}
			return nil
		}})
	}
	store := p.o.Store
	if store == nil {
		store = uri.Default
	}
	return artifact.WriteStore(ctx, objectStore{store}, out.Path, enc, out.Versioning)
}
