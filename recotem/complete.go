package main

import (
	"fmt"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// flags are the dispatcher's own visible flags, offered for completion.
var flags = []string{"--help", "--version"}

// complete prints completion candidates for words, the arguments after
// "recotem" up to and including the word being completed. Past the command
// name it hands over to the command's kingpin completion
// (recotem-CMD --completion-bash WORDS...). Nothing found prints nothing and
// exits 0, so a shell never shows an error while completing.
func (d *dispatcher) complete(words []string) int {
	if len(words) <= 1 || (len(words) == 2 && words[0] == "help") {
		cur := ""
		if len(words) > 0 {
			cur = words[len(words)-1]
		}
		var candidates []string
		if strings.HasPrefix(cur, "-") && len(words) == 1 {
			candidates = flags
		} else {
			candidates = append([]string{"help"}, d.commandNames()...)
		}
		for _, c := range candidates {
			if strings.HasPrefix(c, cur) {
				fmt.Fprintln(d.stdout, c)
			}
		}
		return exitcode.OK
	}
	name := words[0]
	if !validName(name) || name == "help" {
		return exitcode.OK
	}
	path, found := d.lookup(name)
	if !found {
		return exitcode.OK
	}
	argv := append([]string{path, "--completion-bash"}, words[1:]...)
	_ = d.exec(path, argv) // returns only on failure: nothing to complete
	return exitcode.OK
}

// bashScript is printed by --completion-script-bash.
const bashScript = `_recotem_bash_autocomplete() {
    local cur opts
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    opts=$( "${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:$COMP_CWORD}" 2>/dev/null )
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}
complete -F _recotem_bash_autocomplete -o default recotem
`

// zshScript is printed by --completion-script-zsh.
const zshScript = `#compdef recotem

_recotem() {
    local matches=($(${words[1]} __complete "${(@)words[2,$CURRENT]}" 2>/dev/null))
    compadd -a matches

    if [[ $compstate[nmatches] -eq 0 && $words[$CURRENT] != -* ]]; then
        _files
    fi
}

# Sourced or evaluated (source <(recotem --completion-script-zsh)): register
# the function. Autoloaded from $fpath as _recotem (make install puts this
# file in site-functions): the file is the body of the first call of
# _recotem, which has just redefined itself, so complete that call too.
if [[ "$funcstack[1]" == "_recotem" ]]; then
    _recotem "$@"
else
    compdef _recotem recotem
fi
`
