package source

import (
	"context"
	"fmt"
	"io"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

// Validate builds the recipe's source and probes it, for `recotem
// validate` (recipe-and-cli.md §2.5). On success it writes one line to w:
//
//	DataSource: probe OK (<type>)
//	DataSource: extras OK (<type>, no probe defined)
//
// A failure is returned as "DataSource probe failed: <error>" carrying the
// exit code of the cause (3 data source, 7 fetch/SSRF refusal, 2 unknown
// type, 1 for a crashed plugin).
func Validate(ctx context.Context, r *recipe.Recipe, env Env, w io.Writer) error {
	src, err := New(r.Source, env)
	if err != nil {
		return probeFailed(err)
	}
	p, ok := src.(Prober)
	if !ok {
		_, err := fmt.Fprintf(w, "DataSource: extras OK (%s, no probe defined)\n", src.Type())
		return err
	}
	if err := p.Probe(ctx); err != nil {
		return probeFailed(err)
	}
	_, err = fmt.Fprintf(w, "DataSource: probe OK (%s)\n", src.Type())
	return err
}

func probeFailed(err error) error {
	code := exitcode.Of(err)
	return &exitcode.Error{Code: code, Err: fmt.Errorf("DataSource probe failed: %w", err)}
}
