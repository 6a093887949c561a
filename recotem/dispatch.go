package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/version"
)

// prefix is the name every command executable starts with.
const prefix = "recotem-"

// pluginPrefix marks data-source plugins, which are not commands.
const pluginPrefix = "source-"

// builtin is a command shipped with recotem.
type builtin struct {
	name, help string
}

// builtins are the commands shipped with recotem, in help order.
var builtins = []builtin{
	{"train", "Fetch data, search hyperparameters, train the best model and write a signed artifact."},
	{"serve", "Serve recommendations over HTTP for every recipe in a directory, hot-swapping new artifacts."},
	{"inspect", "Verify an artifact's signature and print its header without loading the model."},
	{"validate", "Check a recipe against the schema and probe its data source."},
	{"schema", "Print the JSON Schema of the recipe format."},
	{"keygen", "Generate an artifact signing key or an API key."},
}

// dispatcher holds what the lookup depends on, so tests can run it without
// replacing their own process.
type dispatcher struct {
	selfDir  string // directory of the recotem executable, "" if unknown
	execPath string // RECOTEM_EXEC_PATH
	path     string // PATH
	stdout   io.Writer
	stderr   io.Writer
	// exec replaces the process; it returns only on failure.
	exec func(path string, argv []string) error
}

// run dispatches args (without the program name) and returns the exit code
// for the cases where the process was not replaced.
func (d *dispatcher) run(args []string) int {
	if len(args) == 0 {
		d.help(d.stderr)
		return exitcode.Recipe
	}
	switch arg := args[0]; arg {
	case "-h", "--help", "--help-long":
		d.help(d.stdout)
		return exitcode.OK
	case "--help-man":
		if err := manPage(d.stdout); err != nil {
			fmt.Fprintf(d.stderr, "recotem: writing the man page: %v\n", err)
			return exitcode.Internal
		}
		return exitcode.OK
	case "help":
		return d.runHelp(args[1:])
	case "--version":
		fmt.Fprintln(d.stdout, version.Text("recotem"))
		return exitcode.OK
	case "--completion-script-bash":
		io.WriteString(d.stdout, bashScript)
		return exitcode.OK
	case "--completion-script-zsh":
		io.WriteString(d.stdout, zshScript)
		return exitcode.OK
	case "__complete", "--completion-bash":
		return d.complete(args[1:])
	default:
		if strings.HasPrefix(arg, "-") {
			return d.usageError("unknown flag '%s', try 'recotem --help'", arg)
		}
		return d.execCommand(arg, args[1:])
	}
}

// runHelp implements `recotem help [CMD]`.
func (d *dispatcher) runHelp(args []string) int {
	switch {
	case len(args) == 0 || args[0] == "help":
		d.help(d.stdout)
		return exitcode.OK
	case len(args) > 1:
		return d.usageError("help takes at most one command, got %d arguments", len(args))
	}
	return d.execCommand(args[0], []string{"--help"})
}

// execCommand replaces the process with recotem-name args...; it returns
// only when that is impossible.
func (d *dispatcher) execCommand(name string, args []string) int {
	if !validName(name) {
		return d.unknown(name)
	}
	path, found := d.lookup(name)
	if !found {
		if isBuiltin(name) {
			fmt.Fprintf(d.stderr, "recotem: command '%s' is not installed: no executable %s%s in %s\n",
				name, prefix, name, d.searchedText())
			return exitcode.Config
		}
		return d.unknown(name)
	}
	err := d.exec(path, append([]string{path}, args...))
	fmt.Fprintf(d.stderr, "recotem: cannot execute %s: %v\n", path, err)
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENOEXEC) ||
		errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EPERM) {
		return exitcode.Config
	}
	return exitcode.Internal
}

// unknown reports a command that is neither built in nor installed.
func (d *dispatcher) unknown(name string) int {
	if s := suggest(name, d.commandNames()); s != "" {
		return d.usageError("'%s' is not a recotem command. Did you mean '%s'?", name, s)
	}
	return d.usageError("'%s' is not a recotem command. See 'recotem help'.", name)
}

// validName reports whether name can be a command: non-empty, not a flag,
// no path separator or NUL.
func validName(name string) bool {
	return name != "" && !strings.HasPrefix(name, "-") && !strings.ContainsAny(name, "/\x00")
}

func isBuiltin(name string) bool {
	for _, b := range builtins {
		if b.name == name {
			return true
		}
	}
	return false
}

// dirs returns the directories searched, in order, without duplicates.
func (d *dispatcher) dirs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(dir string) {
		if dir == "" || !filepath.IsAbs(dir) {
			return
		}
		dir = filepath.Clean(dir)
		if !seen[dir] {
			seen[dir] = true
			out = append(out, dir)
		}
	}
	add(d.selfDir)
	for _, list := range []string{d.execPath, d.path} {
		for _, dir := range filepath.SplitList(list) {
			add(dir)
		}
	}
	return out
}

// searchedText describes the search path for an error line.
func (d *dispatcher) searchedText() string {
	dirs := d.dirs()
	if len(dirs) == 0 {
		return "no directory (own directory unknown, RECOTEM_EXEC_PATH and PATH empty)"
	}
	return strings.Join(dirs, ":") + " (own directory, RECOTEM_EXEC_PATH, PATH)"
}

// lookup finds recotem-name on the search path.
func (d *dispatcher) lookup(name string) (string, bool) {
	for _, dir := range d.dirs() {
		p := filepath.Join(dir, prefix+name)
		if isExecutable(p) {
			return p, true
		}
	}
	return "", false
}

// isExecutable reports whether p is a regular file (after following
// symlinks) with an execute bit.
func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// installed returns every recotem-* executable on the search path by
// command name (the part after "recotem-"); the first found wins.
func (d *dispatcher) installed() map[string]string {
	found := map[string]string{}
	for _, dir := range d.dirs() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Name(), prefix)
			if !ok || !validName(name) {
				continue
			}
			if _, dup := found[name]; dup {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if isExecutable(p) {
				found[name] = p
			}
		}
	}
	return found
}

// extensions splits the installed non-built-in executables into extension
// commands and source plugins, each sorted by name.
func (d *dispatcher) extensions() (cmds, plugins []string, paths map[string]string) {
	paths = d.installed()
	for name := range paths {
		switch {
		case isBuiltin(name):
		case strings.HasPrefix(name, pluginPrefix):
			plugins = append(plugins, name)
		default:
			cmds = append(cmds, name)
		}
	}
	sort.Strings(cmds)
	sort.Strings(plugins)
	return cmds, plugins, paths
}

// commandNames returns the built-ins followed by the extension commands.
func (d *dispatcher) commandNames() []string {
	var names []string
	for _, b := range builtins {
		names = append(names, b.name)
	}
	cmds, _, _ := d.extensions()
	return append(names, cmds...)
}

// help writes the command list to w.
func (d *dispatcher) help(w io.Writer) {
	cmds, plugins, paths := d.extensions()
	width := 0
	for _, n := range d.commandNames() {
		width = max(width, len(n))
	}
	for _, n := range plugins {
		width = max(width, len(strings.TrimPrefix(n, pluginPrefix)))
	}
	var b strings.Builder
	b.WriteString("usage: recotem [--help] [--version] <command> [<args>...]\n\n")
	b.WriteString("Train recommender models from a recipe and serve them over HTTP.\n\n")
	b.WriteString("Commands:\n")
	for _, c := range builtins {
		note := ""
		if _, ok := paths[c.name]; !ok {
			note = " (not installed)"
		}
		fmt.Fprintf(&b, "  %-*s  %s%s\n", width, c.name, c.help, note)
	}
	if len(cmds) > 0 {
		b.WriteString("\nExtension commands (recotem-* on the search path):\n")
		for _, c := range cmds {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, c, paths[c])
		}
	}
	if len(plugins) > 0 {
		b.WriteString("\nSource plugins (recotem-source-*, used by recipes' source.type):\n")
		for _, p := range plugins {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, strings.TrimPrefix(p, pluginPrefix), paths[p])
		}
	}
	b.WriteString("\nRun 'recotem help <command>' or 'recotem <command> --help' for a command's flags.\n")
	io.WriteString(w, b.String())
}

// suggest returns the known command closest to name, or "" when none is
// close enough to be a plausible typo. A command that name is a prefix of
// wins; otherwise the smallest Levenshtein distance, first in order on ties,
// if it is at most max(2, len(name)/3).
func suggest(name string, known []string) string {
	for _, k := range known {
		if len(name) >= 2 && strings.HasPrefix(k, name) {
			return k
		}
	}
	best, bestDist := "", -1
	for _, k := range known {
		if dist := levenshtein(name, k); bestDist < 0 || dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if bestDist < 0 || bestDist > max(2, len([]rune(name))/3) {
		return ""
	}
	return best
}

// levenshtein returns the edit distance between a and b (insertions,
// deletions and substitutions of runes, each costing one).
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// resolvedDir returns the directory of p after resolving symlinks, or ""
// when p cannot be resolved.
func resolvedDir(p string) string {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return ""
	}
	abs, err := filepath.Abs(real)
	if err != nil {
		return ""
	}
	return filepath.Dir(abs)
}
