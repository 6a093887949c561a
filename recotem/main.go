// Command recotem is the git-style front end of the recotem tools:
//
//	recotem CMD ARGS...
//
// replaces itself (execve) with the executable recotem-CMD, passing ARGS
// through untouched. Because the process is replaced, not wrapped, the exit
// code, stdout, stderr, process id and signal handling are exactly those of
// recotem-CMD: a scheduler that sends SIGTERM to the pid it started reaches
// the command itself. The dispatcher links only the standard library and
// pkg/version (for the version string) and pkg/exitcode.
//
// # Lookup
//
// recotem-CMD is searched for, first match wins, in
//
//  1. the directory of the recotem executable itself (os.Executable with
//     symlinks resolved), so an installation prefix is self-contained;
//  2. each directory of RECOTEM_EXEC_PATH (a colon-separated list), in order;
//  3. each directory of PATH, in order.
//
// Empty and relative entries of RECOTEM_EXEC_PATH and PATH are skipped (a
// relative entry would make the command depend on the working directory).
// A candidate must be a regular file (after following symlinks) with an
// execute bit set; directories and non-executable files are skipped. The
// executed program receives the found path as argv[0] and the unchanged
// environment. CMD must not contain a path separator.
//
// # Built-in commands and extensions
//
// The built-in commands are train, serve, inspect, validate, schema and
// keygen. Any other recotem-NAME executable on the search path is an
// extension command, exactly like git's git-NAME: `recotem NAME` runs it and
// `recotem help` lists it. Executables named recotem-source-TYPE are data
// source plugins (run by recotem-train, not by people); they are listed in a
// separate section of the help and are not offered as commands, but
// `recotem source-TYPE` still executes them.
//
// # Usage of the dispatcher itself
//
//	recotem --help | -h | help      list commands and extensions (stdout), exit 0
//	                                (--help-long is accepted as a synonym)
//	recotem                         the same list on stderr, exit 2 (a missing
//	                                command is a usage error; a scheduler that
//	                                runs a bare "recotem" must not see success)
//	recotem help CMD                exec recotem-CMD --help
//	recotem --version               print the version (stdout), exit 0
//	recotem --help-man              print the man page recotem(1) (stdout), exit 0:
//	                                the built-in commands, the lookup, the exit
//	                                codes; written in man.go in the layout of the
//	                                pages kingpin generates for the other binaries
//	                                (`make man` installs it with theirs)
//	recotem --completion-script-bash | --completion-script-zsh
//	                                print a shell completion script, exit 0
//	recotem __complete WORDS...     (hidden) completion candidates, see below
//
// # Exit codes of the dispatcher
//
// When recotem-CMD is executed, the exit code is that of the command. When
// the dispatcher itself fails it writes exactly one line to stderr and exits
//
//   - 2 (usage error) for an unknown command or an unknown flag before the
//     command. The line names the closest known command (Levenshtein distance
//     over built-ins and extensions, a command the typed name is a prefix of
//     winning), e.g. "recotem: 'trian' is not a recotem command. Did you mean
//     'train'?"; when nothing is close (distance above max(2, len/3)) it says
//     "See 'recotem help'." instead of suggesting an unrelated name;
//   - 8 (configuration error) when CMD is a built-in command whose executable
//     is not installed anywhere on the search path, or when the found file
//     cannot be executed for a reason that retrying will not fix (permission
//     denied, exec format error, missing interpreter). The line names every
//     directory searched. This is an installation problem: a scheduler should
//     alert, not retry, exactly as for the other configuration errors;
//   - 1 for any other failure of execve (for example E2BIG or ETXTBSY while
//     the binary is being replaced), which may be transient.
//
// # Shell completion
//
// The scripts printed by --completion-script-bash/zsh call
// `recotem __complete WORDS...`, where WORDS are the words after "recotem" up
// to and including the one being completed. With one word it prints the
// matching command names (built-ins, help and extensions), or the
// dispatcher's flags when the word starts with "-"; after `help` it prints
// command names; otherwise it executes `recotem-CMD --completion-bash
// WORDS[1:]...`, kingpin's own completion protocol, so every command
// completes its own flags and arguments. `recotem --completion-bash WORDS...`
// is accepted as a synonym of __complete.
package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	d := &dispatcher{
		selfDir:  selfDir(),
		execPath: os.Getenv("RECOTEM_EXEC_PATH"),
		path:     os.Getenv("PATH"),
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		exec: func(path string, argv []string) error {
			return syscall.Exec(path, argv, os.Environ())
		},
	}
	os.Exit(d.run(os.Args[1:]))
}

// selfDir returns the directory holding the running executable with
// symlinks resolved, or "" when it cannot be determined (the own-directory
// step of the lookup is then skipped).
func selfDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return resolvedDir(exe)
}

// usageError reports a dispatcher usage problem in one line.
func (d *dispatcher) usageError(format string, args ...any) int {
	fmt.Fprintf(d.stderr, "recotem: "+format+"\n", args...)
	return 2
}
