// Package algo defines the contract every recommendation algorithm
// implements (fit, score known users, score a cold profile of seed items,
// encode to and decode from artifact payload sections), the description of
// hyperparameters and search spaces, and the table of canonical algorithm
// names with their aliases.
//
// The algorithms themselves live in sub-packages (algo/ials, algo/knn, ...);
// algo/catalog lists them. This package holds no numeric code, so the recipe
// loader can resolve names without linking any algorithm.
package algo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Recommender is a trainable, scoreable model.
//
// After Fit (or after a Spec.Load), the scoring methods must be safe for
// concurrent use and must not start goroutines of their own: callers
// (the evaluator, the server's batch verbs) parallelise across users.
type Recommender interface {
	// Class returns the canonical class name, e.g. "IALSRecommender".
	Class() string
	// Fit trains on X (users x items). It honours ctx cancellation, checking
	// at least once per epoch or per block of rows, and then returns ctx.Err().
	Fit(ctx context.Context, X *sparse.CSR) error
	// NumItems returns the number of items (columns) the model scores.
	NumItems() int
	// ScoreUsers writes the scores of the given rows of X into dst, row-major:
	// dst[k*NumItems()+i] is the score of item i for user users[k]. X is the
	// matrix the model was fitted on (or the stored "seen" matrix at serve
	// time); item-based models score from the user's row of X, factor models
	// from their own user factors. Seen items are not masked here.
	ScoreUsers(X *sparse.CSR, users []int32, dst []float32)
	// ScoreProfile writes into dst (length NumItems()) the scores of a cold
	// profile: the deduplicated seed items, each with weight 1. Seeds are not
	// masked here.
	ScoreProfile(items []int32, dst []float32)
	// Params returns the hyperparameters the model was built with, including
	// learnt ones (e.g. "train_epochs" chosen by early stopping).
	Params() Params
	// Encode writes the model state as named payload sections.
	Encode(enc Encoder) error
}

// Iterative is a Recommender trained epoch by epoch (IALS, BPRFM). Fit
// runs Start then the configured number of epochs; the search instead calls
// Start and Epoch itself to validate and stop early.
type Iterative interface {
	Recommender
	// Start initialises the model for X without running an epoch.
	Start(ctx context.Context, X *sparse.CSR) error
	// Epoch runs one epoch. It returns ctx.Err() if cancelled mid-epoch.
	Epoch(ctx context.Context) error
	// Snapshot captures the current model state; calling the returned
	// function restores it.
	Snapshot() (restore func())
	// SetEpochs records the number of epochs to report in Params (and to run
	// in a later Fit) as "train_epochs".
	SetEpochs(n int)
}

// Options are the execution settings of a fit, not hyperparameters.
type Options struct {
	// Threads bounds the goroutines a fit uses; < 1 means 1.
	Threads int
}

// Spec describes one algorithm: its names, default hyperparameters, search
// space and constructors.
type Spec struct {
	// Class is the canonical class name, e.g. "IALSRecommender".
	Class string
	// Defaults are the constructor defaults of every hyperparameter.
	Defaults Params
	// Space is the default search space (training.md §2).
	Space []Param
	// Iterative reports whether New returns an Iterative.
	Iterative bool
	// New builds an untrained model; params missing from p take Defaults.
	// Unknown names or out-of-range values are errors.
	New func(p Params, opt Options) (Recommender, error)
	// Load rebuilds a trained model from its payload sections.
	Load func(d Decoder, opt Options) (Recommender, error)
}

// Encoder receives a model's state as named, typed little-endian arrays.
// Names are unique within a payload; algorithms prefix theirs with a short
// algorithm tag (e.g. "ials.item_factors").
type Encoder interface {
	Float32(name string, v []float32)
	Float64(name string, v []float64)
	Int32(name string, v []int32)
	Int64(name string, v []int64)
	// JSON stores a small JSON document (configuration, shapes): a struct
	// of numbers, strings and bools, read back with Decoder.Object.
	JSON(name string, v any) error
}

// Decoder returns the sections an Encoder wrote. Slices may alias a
// memory-mapped file and must not be modified.
type Decoder interface {
	Float32(name string) ([]float32, error)
	Float64(name string) ([]float64, error)
	Int32(name string) ([]int32, error)
	Int64(name string) ([]int64, error)
	// Object returns a JSON section that holds one flat object of scalars
	// (what Encoder.JSON writes for a struct of numbers, strings and
	// bools), decoded without reflection: a number written as an integer
	// that fits is an int64, any other number a float64, then string and
	// bool. Nested objects and arrays, null and duplicate keys are errors.
	// Read the fields with a FieldReader.
	Object(name string) (Params, error)
}

// FieldReader reads the fields of a configuration object returned by
// Decoder.Object by name, with the Params getters, and collects every
// problem: a missing field, a value of the wrong type and, in Err, a field
// that was never read (a payload written by another version).
type FieldReader struct {
	section string
	p       Params
	read    map[string]bool
	errs    []error
}

// NewFieldReader returns a reader of the fields of p, the object of the
// named section (used in error messages).
func NewFieldReader(section string, p Params) *FieldReader {
	return &FieldReader{section: section, p: p, read: make(map[string]bool, len(p))}
}

// has marks name as read and records an error if it is missing.
func (r *FieldReader) has(name string) bool {
	r.read[name] = true
	if _, ok := r.p[name]; !ok {
		r.errs = append(r.errs, fmt.Errorf("field %q is missing", name))
		return false
	}
	return true
}

func (r *FieldReader) check(err error) {
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

// Float returns a number field.
func (r *FieldReader) Float(name string) float64 {
	if !r.has(name) {
		return 0
	}
	v, err := r.p.Float(name)
	r.check(err)
	return v
}

// Int returns an integer field (a float must be integral and within the
// int64 range).
func (r *FieldReader) Int(name string) int {
	if !r.has(name) {
		return 0
	}
	if f, ok := r.p[name].(float64); ok && !(f >= math.MinInt64 && f < math.MaxInt64) {
		r.errs = append(r.errs, fmt.Errorf("parameter %q: want an integer, got %v", name, f))
		return 0
	}
	v, err := r.p.Int(name)
	r.check(err)
	return v
}

// Int64 returns an integer field as an int64.
func (r *FieldReader) Int64(name string) int64 { return int64(r.Int(name)) }

// String returns a string field.
func (r *FieldReader) String(name string) string {
	if !r.has(name) {
		return ""
	}
	v, err := r.p.String(name)
	r.check(err)
	return v
}

// Bool returns a boolean field.
func (r *FieldReader) Bool(name string) bool {
	if !r.has(name) {
		return false
	}
	v, err := r.p.Bool(name)
	r.check(err)
	return v
}

// Err returns every problem found, including the fields that were never
// read, prefixed with the section name, or nil.
func (r *FieldReader) Err() error {
	errs := r.errs
	for _, name := range r.p.Names() {
		if !r.read[name] {
			errs = append(errs, fmt.Errorf("unknown field %q", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: %w", r.section, err)
	}
	return nil
}

// ShapeOK reports whether a section of n values holds a rows×cols matrix
// as a configuration says: both dimensions non-negative and their product,
// computed without overflow, equal to n. Load functions check it before
// they trust a shape.
func ShapeOK(n, rows, cols int) bool {
	if rows < 0 || cols < 0 {
		return false
	}
	hi, lo := bits.Mul64(uint64(rows), uint64(cols))
	return hi == 0 && lo == uint64(n)
}

// ErrNotFitted is returned when a model is used before Fit.
var ErrNotFitted = errors.New("model is not fitted")
