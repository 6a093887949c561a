// Command recotem-schema prints the JSON Schema (draft 2020-12) of a recipe
// file on stdout, for editors and YAML language servers:
//
//	recotem schema > recipe-schema.json
//
// The schema is generated from the Go recipe types; `source` is a
// discriminated union over the built-in source types and every
// recotem-source-<type> plugin found on the exec path (the binary's own
// directory, RECOTEM_EXEC_PATH, PATH). A plugin that cannot be loaded is a
// recipe error (exit 2).
package main

import (
	"context"
	"os"

	"github.com/codelibs/recotem-go/pkg/cmdline"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/source"
)

func main() {
	app := cmdline.New("recotem-schema", "Print the JSON Schema of a recipe file on stdout.")
	cmdline.Parse(app, os.Args[1:])

	var out []byte
	reg, err := source.Discover(context.Background(), source.ExecPath(nil))
	if err == nil {
		out, err = recipe.JSONSchema(recipe.LoadOptions{Plugins: reg.Types()})
	}
	if err == nil {
		_, err = os.Stdout.Write(out)
	}
	cmdline.Exit("Schema generation failed", err)
}
