package catalog

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// The engine benchmark (make bench-engine): the fits of
// evaluation-protocol.md with irspack's parameters. Each case reports
// s/fit (wall), cpu-s/fit and fit-peak-MiB, the peak resident memory the fit
// added above the loaded matrix. Run one case per process for clean peaks:
// scripts/bench-engine.sh does.

var (
	synthOnce sync.Once
	synth     *sparse.CSR
)

func synth5M() *sparse.CSR {
	synthOnce.Do(func() { synth = algotest.Synthetic(100000, 20000, 42) })
	return synth
}

// rss returns the current and peak resident set size in bytes.
func rss() (cur, peak int64) {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = v << 10
		case "VmHWM:":
			peak = v << 10
		}
	}
	return cur, peak
}

// resetPeak resets the kernel's peak-RSS mark (VmHWM) of this process.
func resetPeak() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func benchFit(b *testing.B, class string, p algo.Params, threads int, X *sparse.CSR) {
	spec, err := Lookup(class)
	if err != nil {
		b.Fatal(err)
	}
	var wall, cpu time.Duration
	var added int64
	for b.Loop() {
		m, err := spec.New(spec.Defaults.Merge(p), algo.Options{Threads: threads})
		if err != nil {
			b.Fatal(err)
		}
		resetPeak()
		before, _ := rss()
		c0, t0 := algotest.CPUTime(), time.Now()
		if err := m.Fit(context.Background(), X); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t0)
		cpu += algotest.CPUTime() - c0
		_, peak := rss()
		added = max(added, peak-before)
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "s/fit")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/fit")
	b.ReportMetric(float64(added)/(1<<20), "fit-peak-MiB")
}

var ml100kCases = []struct {
	name  string
	class string
	p     algo.Params
}{
	{"TopPop", algo.TopPop, algo.Params{}},
	{"IALS-k64", algo.IALS, algo.Params{"n_components": 64, "alpha0": 0.3, "reg": 0.01, "train_epochs": 16}},
	{"RP3beta-top300", algo.RP3beta, algo.Params{"alpha": 1.0, "beta": 0.5, "top_k": 300}},
	{"RP3beta-top100", algo.RP3beta, algo.Params{"alpha": 1.0, "beta": 0.5, "top_k": 100}},
	{"CosineKNN-norm", algo.CosineKNN, algo.Params{"top_k": 100, "shrinkage": 0.0, "normalize": true}},
	{"DenseSLIM-reg300", algo.DenseSLIM, algo.Params{"reg": 300.0}},
	{"TruncatedSVD-k64", algo.TruncatedSVD, algo.Params{"n_components": 64}},
	{"TruncatedSVD-k16", algo.TruncatedSVD, algo.Params{"n_components": 16}},
	{"BPRFM", algo.BPRFM, algo.Params{}},
}

func BenchmarkEngine(b *testing.B) {
	for _, threads := range []int{1, 2} {
		t := strconv.Itoa(threads)
		b.Run("Synth5M/IALS-k64-16ep/threads="+t, func(b *testing.B) {
			benchFit(b, algo.IALS, ml100kCases[1].p, threads, synth5M())
		})
		b.Run("Synth5M/RP3beta-top300/threads="+t, func(b *testing.B) {
			benchFit(b, algo.RP3beta, ml100kCases[2].p, threads, synth5M())
		})
	}
	b.Run("MLLatestSmall/DenseSLIM-reg300", func(b *testing.B) {
		d := evaltest.Anchor(b, "ml-latest-small")
		benchFit(b, algo.DenseSLIM, algo.Params{"reg": 300.0}, 2, d.Train)
	})
	for _, c := range ml100kCases {
		b.Run("ML100K/"+c.name, func(b *testing.B) {
			d := evaltest.Anchor(b, "ml-100k")
			benchFit(b, c.class, c.p, 2, d.Train)
		})
	}
}
