package recipe

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// LoadOptions configures Load. The zero value loads with the process
// environment, the built-in source types only, no hyperparameter checks and
// slog.Default().
type LoadOptions struct {
	// EnvVars are --env-var overrides, consulted before the process
	// environment when expanding ${RECOTEM_RECIPE_*} references.
	EnvVars map[string]string
	// LookupEnv reads the process environment (expansion and
	// RECOTEM_ARTIFACT_ROOT); nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Plugins are the exec-plugin source types available besides the
	// built-in ones.
	Plugins []PluginType
	// ValidateParams checks the pinned hyperparameters of one algorithm
	// (canonical class name) from training.params; nil skips the check.
	ValidateParams func(class string, params map[string]any) error
	// Logger receives recipe_env_var_empty and recipe_loaded; nil means
	// slog.Default().
	Logger *slog.Logger
	// RecipesRoot, when set, requires the recipe file's real path to lie
	// inside this directory (directory mode, step 1).
	RecipesRoot string
}

func (o *LoadOptions) lookupEnv(name string) (string, bool) {
	if o.LookupEnv != nil {
		return o.LookupEnv(name)
	}
	return os.LookupEnv(name)
}

func (o *LoadOptions) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// Load reads, validates and returns the recipe at path, following the load
// pipeline of recipe-and-cli.md §1.1. Every failure is a recipe error
// (exit code 2) whose text names the recipe and the failing fields.
func Load(path string, opts LoadOptions) (*Recipe, error) {
	if opts.RecipesRoot != "" {
		if err := checkInsideRoot(path, opts.RecipesRoot); err != nil {
			return nil, err
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, newError(path, CategoryIO, fmt.Sprintf("Cannot read recipe file '%s': %v", path, err))
	}
	return load(path, data, &opts)
}

// LoadBytes validates recipe text as if read from path (steps 2 to 12;
// the directory containment check of step 1 is Load's).
func LoadBytes(path string, data []byte, opts LoadOptions) (*Recipe, error) {
	return load(path, data, &opts)
}

// checkInsideRoot is step 1: the file's real path must lie inside the
// recipes directory.
func checkInsideRoot(path, root string) error {
	header := fmt.Sprintf("Recipe '%s' failed validation:", path)
	realRoot, err := filepath.EvalSymlinks(root)
	if err == nil {
		realRoot, err = filepath.Abs(realRoot)
	}
	if err != nil {
		return newError(path, CategoryIO, fmt.Sprintf("Cannot read recipe file '%s': recipes directory: %v", path, err))
	}
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return newError(path, CategoryIO, fmt.Sprintf("Cannot read recipe file '%s': %v", path, err))
	}
	if !within(realRoot, real) || real == realRoot {
		return newError(path, CategorySecurity, header, Issue{Msg: fmt.Sprintf("recipe file resolves to '%s', outside the recipes root '%s'", real, realRoot)})
	}
	return nil
}

func load(path string, data []byte, opts *LoadOptions) (*Recipe, error) {
	log := opts.logger()
	// 2. UTF-8.
	if !utf8.Valid(data) {
		return nil, newError(path, CategoryIO, fmt.Sprintf("Cannot read recipe file '%s': not valid UTF-8", path))
	}
	// 3. YAML.
	root, err := parseYAML(data)
	if err != nil {
		var pe *parseError
		msg := err.Error()
		if errors.As(err, &pe) && pe.line > 0 {
			msg = fmt.Sprintf("%s (line %d)", pe.msg, pe.line)
		}
		return nil, newError(path, CategoryParse, fmt.Sprintf("Recipe '%s' is not valid YAML: %s", path, msg))
	}
	// 4. Top-level mapping.
	if root.kind != kMap {
		return nil, newError(path, CategoryParse, fmt.Sprintf("Recipe '%s' must be a YAML mapping at the top level.", path))
	}
	// 5. Source type lookup on the raw value, then expansion.
	x := &expander{opts: opts, logger: log}
	srcNode, hasSource := root.get("source")
	var srcType string
	var srcExtra []string
	if hasSource && srcNode.kind == kMap {
		if t, ok := srcNode.get("type"); ok && t.kind != kNull && !(t.kind == kString && t.s == "") {
			srcType = pyStr(t)
			keys, known := opts.noExpandKeys(srcType)
			if !known || t.kind != kString {
				return nil, validationError(path, CategorySchema, Issue{Loc: "source.type", Line: t.line, Msg: fmt.Sprintf(
					"plugin source discovery failed for type '%s': no built-in source type and no recotem-source-%s plugin of that name. Known types: %s",
					srcType, srcType, pyList(opts.knownTypes()))})
			}
			srcExtra = keys
		}
	}
	for _, e := range root.entries {
		extra := []string(nil)
		if e.keyStr && e.key == "source" {
			extra = srcExtra
		}
		if is := x.expand(e.val, e.key, extra); is != nil {
			return nil, validationError(path, CategorySchema, *is)
		}
	}
	// 6. Name.
	nameNode, ok := root.get("name")
	if !ok || !truthy(nameNode) {
		line := 0
		if ok {
			line = nameNode.line
		}
		return nil, validationError(path, CategorySchema, Issue{Loc: "name", Msg: "Field required: every recipe needs a non-empty name", Line: line})
	}
	if !nameRE.MatchString(pyStr(nameNode)) {
		return nil, validationError(path, CategorySchema, Issue{Loc: "name", Line: nameNode.line,
			Msg: fmt.Sprintf("String should match pattern '%s' (letters, digits, '_' and '-', at most 64)", nameRE)})
	}
	// 7. Path policy.
	if is := pathPolicy(root); is != nil {
		return nil, validationError(path, CategorySecurity, *is)
	}
	// 8. Source.
	var src *Source
	if hasSource {
		var issue *Issue
		switch {
		case srcNode.kind == kNull:
			issue = &Issue{Loc: "source", Msg: "source must not be None", Line: srcNode.line}
		case srcNode.kind != kMap:
			issue = &Issue{Loc: "source", Msg: "Input should be a valid dictionary with a 'type' discriminator", Line: srcNode.line}
		case srcType == "":
			issue = &Issue{Loc: "source.type", Msg: "Recipe source is missing the 'type' discriminator", Line: srcNode.line}
		}
		if issue != nil {
			return nil, newError(path, CategorySchema, fmt.Sprintf("Recipe '%s' source failed validation:", path), *issue)
		}
		d := &decoder{}
		src = d.decodeSource(srcNode, srcType, opts)
		if len(d.issues) > 0 {
			return nil, newError(path, CategorySchema, fmt.Sprintf("Recipe '%s' source failed validation:", path), d.issues...)
		}
	}
	// 9. Whole recipe.
	d := &decoder{}
	r := d.decodeRecipe(root, src, opts)
	if len(d.issues) > 0 {
		return nil, validationError(path, CategorySchema, d.issues...)
	}
	r.Path = path
	// 10. Integrity pins.
	if is := integrityPins(r, root); is != nil {
		return nil, validationError(path, CategorySecurity, *is)
	}
	// 11. Artifact root.
	if local, ok := LocalOutputPath(r.Output.Path); ok {
		rootEnv, _ := opts.lookupEnv(ArtifactRootEnv)
		if err := checkArtifactRoot(local, rootEnv); err != nil {
			cat := CategorySecurity
			if errors.Is(err, errArtifactRootUnresolved) {
				cat = CategoryUnknown
			}
			line := 0
			if out, ok := root.get("output"); ok {
				if p, ok := out.get("path"); ok {
					line = p.line
				}
			}
			return nil, validationError(path, cat, Issue{Loc: "output.path", Msg: err.Error(), Line: line})
		}
	}
	// 12.
	log.Info("recipe_loaded", "name", r.Name, "path", path)
	return r, nil
}

// pathPolicy is step 7: output.path, source.path and item_metadata.path,
// when they are strings.
func pathPolicy(root *node) *Issue {
	check := []struct {
		section, field string
		input          bool
	}{{"output", "output.path", false}, {"source", "source.path", true}, {"item_metadata", "item_metadata.path", true}}
	for _, c := range check {
		sec, ok := root.get(c.section)
		if !ok {
			continue
		}
		p, ok := sec.get("path")
		if !ok || p.kind != kString {
			continue
		}
		var msg string
		if c.input {
			msg = checkInputPath(c.field, p.s)
		} else {
			msg = checkOutputPath(c.field, p.s)
		}
		if msg != "" {
			return &Issue{Loc: c.field, Msg: msg, Line: p.line}
		}
	}
	return nil
}

// integrityPins is step 10: http(s) input paths need a sha256 pin.
func integrityPins(r *Recipe, root *node) *Issue {
	line := func(section string) int {
		if sec, ok := root.get(section); ok {
			if p, ok := sec.get("path"); ok {
				return p.line
			}
		}
		return 0
	}
	srcPath, srcPin := "", ""
	switch {
	case r.Source.CSV != nil:
		srcPath, srcPin = r.Source.CSV.Path, deref(r.Source.CSV.SHA256)
	case r.Source.Parquet != nil:
		srcPath, srcPin = r.Source.Parquet.Path, deref(r.Source.Parquet.SHA256)
	case r.Source.Plugin != nil:
		srcPath, _ = r.Source.Plugin["path"].(string)
		srcPin, _ = r.Source.Plugin["sha256"].(string)
	}
	if IsHTTP(srcPath) && srcPin == "" {
		return &Issue{Loc: "source.sha256", Line: line("source"),
			Msg: "'source.path' is an http(s) URL and requires an integrity pin: set source.sha256 to the lowercase hex SHA-256 of the file."}
	}
	if m := r.ItemMetadata; m != nil && IsHTTP(m.Path) && deref(m.SHA256) == "" {
		return &Issue{Loc: "item_metadata.sha256", Line: line("item_metadata"),
			Msg: "'item_metadata.path' is an http(s) URL and requires an integrity pin: set item_metadata.sha256 to the lowercase hex SHA-256 of the file."}
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
