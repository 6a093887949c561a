// Package catalog lists the seven built-in algorithms by canonical class
// name. It is the one place that links every algorithm package; the recipe
// loader only needs algo.Resolve and stays free of numeric code.
package catalog

import (
	"fmt"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/bprfm"
	"github.com/codelibs/recotem-go/pkg/algo/denseslim"
	"github.com/codelibs/recotem-go/pkg/algo/ials"
	"github.com/codelibs/recotem-go/pkg/algo/knn"
	"github.com/codelibs/recotem-go/pkg/algo/rp3beta"
	"github.com/codelibs/recotem-go/pkg/algo/svd"
	"github.com/codelibs/recotem-go/pkg/algo/toppop"
)

var specs = map[string]algo.Spec{
	algo.IALS:         ials.Spec,
	algo.CosineKNN:    knn.Spec,
	algo.TopPop:       toppop.Spec,
	algo.RP3beta:      rp3beta.Spec,
	algo.DenseSLIM:    denseslim.Spec,
	algo.TruncatedSVD: svd.Spec,
	algo.BPRFM:        bprfm.Spec,
}

// Lookup returns the algorithm of a canonical class name or alias.
func Lookup(name string) (algo.Spec, error) {
	class, ok := algo.Resolve(name)
	if !ok {
		return algo.Spec{}, fmt.Errorf("unknown algorithm %q", name)
	}
	return specs[class], nil
}

// ValidateParams checks pinned hyperparameters of class: every name must
// be a parameter of the algorithm, and a searchable one must lie in its
// search space. The recipe loader calls it through LoadOptions.
func ValidateParams(class string, params map[string]any) error {
	spec, err := Lookup(class)
	if err != nil {
		return err
	}
	for name, v := range params {
		if p, ok := spaceParam(spec, name); ok {
			if !p.Contains(v) {
				return fmt.Errorf("%s: %v is outside the search space of %s", name, v, algo.Alias(spec.Class))
			}
			continue
		}
		if _, ok := spec.Defaults[name]; !ok {
			return fmt.Errorf("%s: %s has no such parameter", name, algo.Alias(spec.Class))
		}
	}
	if _, err := spec.New(spec.Defaults.Merge(params), algo.Options{Threads: 1}); err != nil {
		return err
	}
	return nil
}

func spaceParam(spec algo.Spec, name string) (algo.Param, bool) {
	for _, p := range spec.Space {
		if p.Name == name {
			return p, true
		}
	}
	return algo.Param{}, false
}
