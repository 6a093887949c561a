package recipe

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// FileError is one recipe file the lenient directory loader skipped.
type FileError struct {
	// File is the recipe file path (dir joined with the file name).
	File string
	// Err is the load error (exit code 2).
	Err error
	// Security reports a security-category error (path policy, symlink
	// escaping the directory, artifact root); serve logs those at ERROR.
	Security bool
	// Duplicate reports a file skipped because an earlier file (by file
	// name) already uses its recipe name.
	Duplicate bool
	// Name is the recipe name when the file loaded but was a duplicate.
	Name string
}

// recipeFiles lists the direct-child files of dir named *.yaml (not .yml),
// sorted by file name. Symlinks are listed; Load checks where they lead.
func recipeFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, exitcode.New(exitcode.Recipe, "cannot read recipes directory '%s': %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		files = append(files, e.Name())
	}
	sort.Strings(files)
	for i, f := range files {
		files[i] = filepath.Join(dir, f)
	}
	return files, nil
}

// LoadDir loads every recipe of a directory strictly: the direct-child
// *.yaml files sorted by file name, each through Load with the directory as
// RecipesRoot. The first failing file or duplicate recipe name aborts with
// a recipe error (exit 2).
func LoadDir(dir string, opts LoadOptions) ([]*Recipe, error) {
	files, err := recipeFiles(dir)
	if err != nil {
		return nil, err
	}
	opts.RecipesRoot = dir
	var out []*Recipe
	byName := map[string]string{}
	for _, f := range files {
		r, err := Load(f, opts)
		if err != nil {
			return nil, err
		}
		if prev, dup := byName[r.Name]; dup {
			return nil, newError(f, CategorySchema, fmt.Sprintf("Duplicate recipe name '%s' in '%s' (already defined in '%s').", r.Name, f, prev))
		}
		byName[r.Name] = f
		out = append(out, r)
	}
	return out, nil
}

// LoadDirLenient loads the recipes of a directory as serve does: a file
// that fails to load is skipped and reported as a FileError (logged as
// ERROR recipe_security_violation_skipped or WARN
// recipe_load_error_skipped), and a later file reusing an earlier recipe
// name is skipped (WARN recipe_duplicate_name_skipped). Only failing to
// read the directory itself is an error.
func LoadDirLenient(dir string, opts LoadOptions) ([]*Recipe, []FileError, error) {
	files, err := recipeFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	log := opts.logger()
	opts.RecipesRoot = dir
	var out []*Recipe
	var failed []FileError
	byName := map[string]string{}
	for _, f := range files {
		r, err := Load(f, opts)
		if err != nil {
			sec := IsSecurity(err)
			if sec {
				log.Error("recipe_security_violation_skipped", "path", f, "error", err.Error())
			} else {
				log.Warn("recipe_load_error_skipped", "path", f, "error", err.Error())
			}
			failed = append(failed, FileError{File: f, Err: err, Security: sec})
			continue
		}
		if prev, dup := byName[r.Name]; dup {
			log.Warn("recipe_duplicate_name_skipped", "name", r.Name, "path", f, "kept", prev)
			failed = append(failed, FileError{
				File:      f,
				Err:       newError(f, CategorySchema, fmt.Sprintf("Duplicate recipe name '%s' in '%s' (already defined in '%s').", r.Name, f, prev)),
				Duplicate: true,
				Name:      r.Name,
			})
			continue
		}
		byName[r.Name] = f
		out = append(out, r)
	}
	return out, failed, nil
}
