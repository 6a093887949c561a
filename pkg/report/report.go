// Package report renders the training report of `recotem train --report`:
// one self-contained HTML page (inline CSS, inline SVG plots drawn with
// gonum/plot, the plot font embedded as a data URL) that describes the
// data, the validation split, every trial of the hyperparameter search and
// the chosen model. The page loads nothing from the network and is
// byte-for-byte the same for the same input.
package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/tune"
)

// Summary describes a training run beyond its trials.
type Summary struct {
	// Recipe names the recipe (its name or path); RecipeHash is its hash.
	Recipe     string
	RecipeHash string
	// RunID is the study's run id.
	RunID string
	// Metric and Cutoff name the optimised score, e.g. "ndcg" and 20.
	Metric string
	Cutoff int
	// Split is the validation split.
	Split Split
	// Data describes the cleansed data and the split matrices.
	Data Data
	// Best is the chosen trial. It counts only when its State is
	// tune.Complete; otherwise the page says that no trial completed.
	Best tune.Trial
	// Started and Finished bound the run; zero times are shown as "—".
	Started, Finished time.Time
	// Artifact is where the model was written (empty if it was not) and
	// ModelVersion its version.
	Artifact     string
	ModelVersion string
}

// Split is the validation split of the search. Its fields mirror
// dataset.SplitConfig, so a conversion report.Split(cfg) fills it.
type Split struct {
	Scheme        string
	HeldoutRatio  float64
	TestUserRatio float64
	Seed          int64
}

// Data describes the cleansed interaction data and the search matrices.
type Data struct {
	// Rows, Users, Items, DropCount and Dedup are the data_stats of the
	// artifact (dataset.Stats).
	Rows, Users, Items, DropCount int
	Dedup                         string
	// ValidationUsers is the number of validation users; TrainNNZ and
	// HeldoutNNZ the non-zeros of the search training and held-out
	// matrices.
	ValidationUsers      int
	TrainNNZ, HeldoutNNZ int
}

// WriteFile writes the report to path atomically: to a temporary file in
// the same directory, synced, then renamed over path.
func WriteFile(path string, s Summary, trials []tune.Trial, spaces map[string][]algo.Param) error {
	var buf bytes.Buffer
	if err := Write(&buf, s, trials, spaces); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("report %s: %w", path, err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("report %s: %w", path, err)
	}
	return nil
}

// Write renders the report page of a run to w.
//
// trials may be in any order; the page lists them by number. spaces maps
// canonical class names to the search space each algorithm was searched
// over (pinned hyperparameters removed; an absent class has no searchable
// hyperparameter). Each algorithm gets a panel plotting its main
// hyperparameter against the score: the first parameter of its space that
// takes more than one value among its trials, else the first one its trials
// hold, else (TopPop, or everything pinned) the trial number. Log
// parameters get a log axis; categorical ones one jittered column per
// choice.
//
// Complete trials are plotted with filled markers, pruned ones with hollow
// markers at their best intermediate score; failed and running trials have
// no score and are left out of the plots (the page says how many).
//
// Nothing is written to w if rendering fails.
func Write(w io.Writer, s Summary, trials []tune.Trial, spaces map[string][]algo.Param) error {
	ts := append([]tune.Trial(nil), trials...)
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Number < ts[j].Number })
	pg, err := build(s, ts, spaces)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, pg); err != nil {
		return fmt.Errorf("report: rendering page: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: writing page: %w", err)
	}
	return nil
}

// view is the data of the page template.
type view struct {
	Title        string
	S            Summary
	Metric       string
	HasBest      bool
	BestAlgo     string
	BestScore    string
	BestParams   []kv
	BestAttrs    []kv
	Started      string
	Finished     string
	Elapsed      string
	Counts       counts
	Algorithms   []algoRow
	Split        []kv
	Data         []kv
	Trials       []trialRow
	Plots        []figure
	Panels       []figure
	FontCSS      template.CSS
	Unplotted    int
	PrunedPlots  int
	HasUnplotted bool
}

type kv struct{ K, V string }

type counts struct{ Total, Complete, Pruned, Failed, Running int }

type algoRow struct {
	Algo, Color                      string
	Trials, Complete, Pruned, Failed int
	Best, Time                       string
}

type trialRow struct {
	Number                 int
	Algo, Color, State     string
	Score, Duration, Error string
	Params, Attrs          []kv
	IsBest, Dim, Bad       bool
}

type figure struct {
	Caption string
	Note    string
	SVG     template.HTML
}

func build(s Summary, ts []tune.Trial, spaces map[string][]algo.Param) (*view, error) {
	fontCSS, err := fontFaceCSS()
	if err != nil {
		return nil, err
	}
	metric := metricLabel(s.Metric, s.Cutoff)
	classes := classOrder(ts)
	colors := palette(classes)
	v := &view{
		Title:    "Recotem training report",
		S:        s,
		Metric:   metric,
		HasBest:  s.Best.State == tune.Complete,
		Started:  stamp(s.Started),
		Finished: stamp(s.Finished),
		Elapsed:  "—",
		FontCSS:  template.CSS(fontCSS),
	}
	if s.Recipe != "" {
		v.Title += ": " + s.Recipe
	}
	if !s.Started.IsZero() && !s.Finished.IsZero() && !s.Finished.Before(s.Started) {
		v.Elapsed = duration(s.Finished.Sub(s.Started))
	}
	if v.HasBest {
		v.BestAlgo = algo.Alias(s.Best.Class)
		v.BestScore = number(s.Best.Score)
		v.BestParams = pairs(s.Best.Params)
		v.BestAttrs = pairs(s.Best.Attrs)
	}
	v.Data = []kv{
		{"rows", integer(s.Data.Rows)},
		{"users", integer(s.Data.Users)},
		{"items", integer(s.Data.Items)},
		{"dropped rows", integer(s.Data.DropCount)},
		{"deduplication", orDash(s.Data.Dedup)},
		{"validation users", integer(s.Data.ValidationUsers)},
		{"training non-zeros", integer(s.Data.TrainNNZ)},
		{"held-out non-zeros", integer(s.Data.HeldoutNNZ)},
	}
	v.Split = []kv{
		{"scheme", orDash(s.Split.Scheme)},
		{"heldout_ratio", number(s.Split.HeldoutRatio)},
		{"test_user_ratio", number(s.Split.TestUserRatio)},
		{"seed", strconv.FormatInt(s.Split.Seed, 10)},
		{"metric", metric},
	}

	per := map[string]*algoRow{}
	var perTime = map[string]time.Duration{}
	for _, c := range classes {
		per[c] = &algoRow{Algo: algo.Alias(c), Color: colors[c], Best: "—"}
	}
	best := map[string]float64{}
	for _, t := range ts {
		r := per[t.Class]
		r.Trials++
		v.Counts.Total++
		perTime[t.Class] += t.Duration()
		switch t.State {
		case tune.Complete:
			v.Counts.Complete++
			r.Complete++
			if b, ok := best[t.Class]; (!ok || t.Score > b) && finite(t.Score) {
				best[t.Class] = t.Score
				r.Best = number(t.Score)
			}
		case tune.Pruned:
			v.Counts.Pruned++
			r.Pruned++
		case tune.Failed:
			v.Counts.Failed++
			r.Failed++
		default:
			v.Counts.Running++
		}
		if _, ok := plotScore(t); !ok {
			v.Unplotted++
		} else if t.State == tune.Pruned {
			v.PrunedPlots++
		}
		row := trialRow{
			Number:   t.Number,
			Algo:     algo.Alias(t.Class),
			Color:    colors[t.Class],
			State:    string(t.State),
			Score:    "—",
			Duration: "—",
			Error:    t.Error,
			Params:   pairs(t.Params),
			Attrs:    pairs(t.Attrs),
			IsBest:   v.HasBest && t.Number == s.Best.Number,
			Dim:      t.State == tune.Pruned,
			Bad:      t.State == tune.Failed,
		}
		if row.State == "" {
			row.State = "—"
		}
		if t.State == tune.Complete {
			row.Score = number(t.Score)
		} else if sc, ok := plotScore(t); ok {
			row.Score = number(sc) + " (intermediate)"
		}
		if d := t.Duration(); d > 0 {
			row.Duration = duration(d)
		}
		v.Trials = append(v.Trials, row)
	}
	v.HasUnplotted = v.Unplotted > 0
	for _, c := range classes {
		per[c].Time = duration(perTime[c])
		v.Algorithms = append(v.Algorithms, *per[c])
	}

	plots, err := drawPlots(ts, classes, colors, spaces, metric)
	if err != nil {
		return nil, err
	}
	v.Plots, v.Panels = plots.main, plots.panels
	return v, nil
}

// plotScore returns the score a trial is plotted at: the score of a
// complete trial, the best intermediate score of a pruned one.
func plotScore(t tune.Trial) (float64, bool) {
	switch t.State {
	case tune.Complete:
		return t.Score, finite(t.Score)
	case tune.Pruned:
		best, ok := math.Inf(-1), false
		for _, v := range t.Steps {
			if finite(v) && v > best {
				best, ok = v, true
			}
		}
		return best, ok
	}
	return 0, false
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// classOrder lists the classes of the trials: known classes in the order
// of algo.Classes (so colours are stable across reports), then unknown
// ones sorted.
func classOrder(ts []tune.Trial) []string {
	seen := map[string]bool{}
	for _, t := range ts {
		seen[t.Class] = true
	}
	var out []string
	for _, c := range algo.Classes {
		if seen[c] {
			out = append(out, c)
			delete(seen, c)
		}
	}
	var rest []string
	for c := range seen {
		rest = append(rest, c)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func metricLabel(metric string, cutoff int) string {
	if metric == "" {
		metric = "score"
	}
	if cutoff > 0 {
		return fmt.Sprintf("%s@%d", metric, cutoff)
	}
	return metric
}

// pairs lists a map's entries sorted by key with formatted values.
func pairs[M ~map[string]any](m M) []kv {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]kv, len(keys))
	for i, k := range keys {
		out[i] = kv{k, value(m[k])}
	}
	return out
}

// value formats a hyperparameter value.
func value(v any) string {
	switch x := v.(type) {
	case float64:
		return number(x)
	case float32:
		return number(float64(x))
	case string:
		return x
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// number formats a float with up to 5 significant digits.
func number(v float64) string {
	return strconv.FormatFloat(v, 'g', 5, 64)
}

// integer formats an int with thousands separators.
func integer(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
