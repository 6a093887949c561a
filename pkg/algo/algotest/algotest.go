// Package algotest holds helpers for testing and benchmarking algorithms:
// an in-memory payload (Encoder and Decoder), the encode→load round-trip
// and cancellation checks every algorithm should pass, and the
// deterministic synthetic interaction generator of evaluation-protocol.md
// ("Scale").
package algotest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/payload"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Payload is an in-memory algo.Encoder and algo.Decoder. Encoded slices
// are copied, so later changes by the model do not leak into the payload.
type Payload struct {
	f32  map[string][]float32
	f64  map[string][]float64
	i32  map[string][]int32
	i64  map[string][]int64
	json map[string][]byte
}

// NewPayload returns an empty payload.
func NewPayload() *Payload {
	return &Payload{
		f32: map[string][]float32{}, f64: map[string][]float64{},
		i32: map[string][]int32{}, i64: map[string][]int64{}, json: map[string][]byte{},
	}
}

// Float32 stores a float32 section.
func (p *Payload) Float32(name string, v []float32) { p.f32[name] = slices.Clone(v) }

// Float64 stores a float64 section.
func (p *Payload) Float64(name string, v []float64) { p.f64[name] = slices.Clone(v) }

// Int32 stores an int32 section.
func (p *Payload) Int32(name string, v []int32) { p.i32[name] = slices.Clone(v) }

// Int64 stores an int64 section.
func (p *Payload) Int64(name string, v []int64) { p.i64[name] = slices.Clone(v) }

// JSON stores v as a JSON section.
func (p *Payload) JSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	p.json[name] = b
	return nil
}

// Decoder returns a view of p that reads sections.
func (p *Payload) Decoder() algo.Decoder { return decoder{p} }

type decoder struct{ p *Payload }

func get[T any](m map[string][]T, name string) ([]T, error) {
	v, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("section %q not found", name)
	}
	return v, nil
}

func (d decoder) Float32(name string) ([]float32, error) { return get(d.p.f32, name) }
func (d decoder) Float64(name string) ([]float64, error) { return get(d.p.f64, name) }
func (d decoder) Int32(name string) ([]int32, error)     { return get(d.p.i32, name) }
func (d decoder) Int64(name string) ([]int64, error)     { return get(d.p.i64, name) }
func (d decoder) Object(name string) (algo.Params, error) {
	b, ok := d.p.json[name]
	if !ok {
		return nil, fmt.Errorf("section %q not found", name)
	}
	p, err := payload.DecodeObject(b)
	if err != nil {
		return nil, fmt.Errorf("section %q: %w", name, err)
	}
	return p, nil
}

// Sections lists the names of every stored section, sorted.
func (p *Payload) Sections() []string {
	var names []string
	for _, m := range []map[string]int{lens(p.f32), lens(p.f64), lens(p.i32), lens(p.i64), lens(p.json)} {
		for k := range m {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

func lens[T any](m map[string][]T) map[string]int {
	r := make(map[string]int, len(m))
	for k, v := range m {
		r[k] = len(v)
	}
	return r
}

// CheckRoundTrip encodes the fitted model m, loads it back with spec.Load
// and fails t unless the loaded model reports the same class, item count
// and parameters and scores every user of X and a few seed profiles
// bit-for-bit identically. It then runs CheckConfigErrors on the payload.
func CheckRoundTrip(t testing.TB, spec algo.Spec, m algo.Recommender, X *sparse.CSR) {
	t.Helper()
	p := NewPayload()
	if err := m.Encode(p); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	l, err := spec.Load(p.Decoder(), algo.Options{Threads: 1})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if l.Class() != m.Class() || l.NumItems() != m.NumItems() {
		t.Fatalf("loaded %s with %d items, want %s with %d", l.Class(), l.NumItems(), m.Class(), m.NumItems())
	}
	if a, b := fmt.Sprint(l.Params()), fmt.Sprint(m.Params()); a != b {
		t.Errorf("loaded params %s, want %s", a, b)
	}
	n := m.NumItems()
	users := make([]int32, X.Rows)
	for u := range users {
		users[u] = int32(u)
	}
	want := make([]float32, len(users)*n)
	got := make([]float32, len(users)*n)
	m.ScoreUsers(X, users, want)
	l.ScoreUsers(X, users, got)
	if i := firstDiff(want, got); i >= 0 {
		t.Fatalf("ScoreUsers after load: user %d item %d = %v, want %v", i/n, i%n, got[i], want[i])
	}
	for _, seeds := range [][]int32{{}, {0}, {int32(n - 1), 0, 0}} {
		want, got := make([]float32, n), make([]float32, n)
		m.ScoreProfile(seeds, want)
		l.ScoreProfile(seeds, got)
		if i := firstDiff(want, got); i >= 0 {
			t.Fatalf("ScoreProfile(%v) after load: item %d = %v, want %v", seeds, i, got[i], want[i])
		}
	}
	CheckConfigErrors(t, spec, p)
}

// CheckConfigErrors fails t unless spec.Load, given the payload p of a
// fitted model with one field of one JSON section altered, fails with an
// error naming that field: for every field, when it is removed and when
// its value has the wrong type; and for a field added to each section.
// Every JSON section must decode with payload.DecodeObject.
func CheckConfigErrors(t testing.TB, spec algo.Spec, p *Payload) {
	t.Helper()
	for section, orig := range p.json {
		fields, err := payload.DecodeObject(orig)
		if err != nil {
			t.Fatalf("section %s: %v", section, err)
		}
		try := func(what, field string, edit func(algo.Params)) {
			t.Helper()
			q := fields.Clone()
			edit(q)
			b, err := json.Marshal(q)
			if err != nil {
				t.Fatal(err)
			}
			p.json[section] = b
			defer func() { p.json[section] = orig }()
			_, err = spec.Load(p.Decoder(), algo.Options{Threads: 1})
			if err == nil || !strings.Contains(err.Error(), strconv.Quote(field)) {
				t.Errorf("%s: %s %q: Load error %v, want one naming the field", section, what, field, err)
			}
		}
		for _, name := range fields.Names() {
			try("without", name, func(q algo.Params) { delete(q, name) })
			try("mistyped", name, func(q algo.Params) {
				if _, ok := q[name].(string); ok {
					q[name] = 1.5
				} else {
					q[name] = "1"
				}
			})
		}
		try("with", "unexpected_field", func(q algo.Params) { q["unexpected_field"] = 1 })
	}
}

func firstDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// CheckCancel fails t unless Fit on an already cancelled context returns
// context.Canceled, and Fit on a context cancelled shortly after the fit
// starts returns (context.Canceled, or nil if it had already finished)
// within limit (ten times limit under the race detector).
func CheckCancel(t testing.TB, m algo.Recommender, X *sparse.CSR, limit time.Duration) {
	t.Helper()
	if raceEnabled {
		limit *= 10
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Fit(ctx, X); err != context.Canceled {
		t.Fatalf("Fit on a cancelled context = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Fit(ctx, X) }()
	time.Sleep(time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil && err != context.Canceled {
			t.Fatalf("Fit cancelled mid-way = %v, want context.Canceled or nil", err)
		}
	case <-time.After(limit):
		t.Fatalf("Fit did not return within %v of cancellation", limit)
	}
}

// CheckMalformed fits a fresh model of spec (default hyperparameters) on
// structurally broken matrices and fails the test unless every fit returns
// an error (and none panics).
func CheckMalformed(t testing.TB, spec algo.Spec) {
	t.Helper()
	for name, x := range map[string]*sparse.CSR{
		"nil":          nil,
		"short indptr": {Rows: 2, Cols: 3, Indptr: []int64{0, 1}, Indices: []int32{0}, Data: []float32{1}},
		"column range": {Rows: 1, Cols: 3, Indptr: []int64{0, 1}, Indices: []int32{3}, Data: []float32{1}},
		"indptr end":   {Rows: 1, Cols: 3, Indptr: []int64{0, 2}, Indices: []int32{0}, Data: []float32{1}},
	} {
		m, err := spec.New(nil, algo.Options{})
		if err != nil {
			t.Fatalf("%s: New: %v", spec.Class, err)
		}
		if err := m.Fit(context.Background(), x); err == nil {
			t.Errorf("%s: %s: Fit succeeded", spec.Class, name)
		}
	}
}

// Synthetic returns the deterministic synthetic interaction matrix of
// evaluation-protocol.md ("Scale") for the given size and seed: per-user
// activity log-normal (mu 3.5, sigma 1.0, at least 5 draws), each draw an
// item with probability ∝ (rank+1)^-0.8, ranks assigned to item ids by a
// random permutation, duplicate pairs removed, all values 1.
// Synthetic(100000, 20000, 42) has about 5.06M interactions.
func Synthetic(users, items int, seed uint64) *sparse.CSR {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	perm := rng.Perm(items)
	cdf := make([]float64, items)
	var s float64
	for r := range items {
		s += math.Pow(float64(r+1), -0.8)
		cdf[r] = s
	}
	for r := range cdf {
		cdf[r] /= s
	}
	indptr := make([]int64, users+1)
	var indices []int32
	seen := make(map[int32]struct{})
	var row []int32
	for u := range users {
		n := int(math.Round(math.Exp(3.5 + rng.NormFloat64())))
		n = max(n, 5)
		clear(seen)
		row = row[:0]
		for range n {
			rank, _ := slices.BinarySearch(cdf, rng.Float64())
			i := int32(perm[min(rank, items-1)])
			if _, dup := seen[i]; !dup {
				seen[i] = struct{}{}
				row = append(row, i)
			}
		}
		slices.Sort(row)
		indices = append(indices, row...)
		indptr[u+1] = int64(len(indices))
	}
	data := make([]float32, len(indices))
	for i := range data {
		data[i] = 1
	}
	return &sparse.CSR{Rows: users, Cols: items, Indptr: indptr, Indices: indices, Data: data}
}

// ReportCPU runs fn b.N times (with b.Loop) and reports, next to the wall
// time, the process CPU seconds per iteration as "cpu-s/op". On a machine
// shared with other work the wall time of a multi-threaded fit says little;
// CPU time per fit (and its ratio to wall time) still does.
func ReportCPU(b *testing.B, fn func()) {
	b.Helper()
	start := CPUTime()
	n := 0
	for b.Loop() {
		fn()
		n++
	}
	if n > 0 {
		b.ReportMetric((CPUTime()-start).Seconds()/float64(n), "cpu-s/op")
	}
}

// FromDense builds a CSR matrix from a row-major dense rows×cols slice,
// storing the nonzeros.
func FromDense(rows, cols int, d []float32) *sparse.CSR {
	m := &sparse.CSR{Rows: rows, Cols: cols, Indptr: make([]int64, rows+1)}
	for r := range rows {
		for c := range cols {
			if v := d[r*cols+c]; v != 0 {
				m.Indices = append(m.Indices, int32(c))
				m.Data = append(m.Data, v)
			}
		}
		m.Indptr[r+1] = int64(len(m.Indices))
	}
	return m
}

// XSmall returns training.md §4's X_small:
// [[1,1,2,3,4],[0,1,0,1,0],[0,0,1,0,0],[0,0,0,0,0]].
func XSmall() *sparse.CSR {
	return FromDense(4, 5, []float32{1, 1, 2, 3, 4, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
}

// PeakRSS returns the process's peak resident set size in bytes (VmHWM of
// /proc/self/status), or 0 where that file does not exist.
func PeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}
