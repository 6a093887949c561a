package recipe

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// EnvPrefix is the prefix every variable referenced from a recipe must carry.
const EnvPrefix = "RECOTEM_RECIPE_"

var envTokenRE = regexp.MustCompile(`\$\{([^}]+)\}`)

var (
	envBlacklistExact    = []string{"RECOTEM_SIGNING_KEYS", "RECOTEM_API_KEYS"}
	envBlacklistPrefixes = []string{"AWS_", "GCP_", "GOOGLE_", "AZURE_", "ALIYUN_", "ALICLOUD_", "OCI_", "IBM_", "DO_", "HCLOUD_", "DIGITALOCEAN_"}
	envBlacklistWords    = []string{"SECRET", "PASSWORD", "PASSWD", "TOKEN", "KEY", "AUTH", "BEARER", "CRED", "PRIVATE"}
)

// alwaysNoExpand are the keys (compared case-insensitively) below which no
// expansion happens anywhere in a recipe.
var alwaysNoExpand = []string{"query", "query_parameters"}

// ParseEnvVars parses --env-var KEY=VALUE flags into a map, split at the
// first "=". A flag without "=" is a recipe error (exit 2) with the
// reference's message; so is an empty key (a fix: the reference accepted
// "=v", which no ${...} token can reference). Later flags win.
func ParseEnvVars(flags []string) (map[string]string, error) {
	out := make(map[string]string, len(flags))
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, exitcode.New(exitcode.Recipe, "--env-var '%s' must be in KEY=VALUE format.", f)
		}
		out[k] = v
	}
	return out, nil
}

// checkEnvName applies the blacklist and the prefix rule to a referenced
// name. It returns the reason it is refused, or "".
func checkEnvName(name string) string {
	up := strings.ToUpper(name)
	blocked := false
	for _, e := range envBlacklistExact {
		if up == e {
			blocked = true
		}
	}
	for _, p := range envBlacklistPrefixes {
		if strings.HasPrefix(up, p) {
			blocked = true
		}
	}
	for _, w := range envBlacklistWords {
		if strings.Contains(up, w) {
			blocked = true
		}
	}
	if blocked {
		return fmt.Sprintf("Environment variable '${%s}' is blacklisted: names that look like credentials or cloud settings cannot be referenced from a recipe.", name)
	}
	if !strings.HasPrefix(up, EnvPrefix) {
		return fmt.Sprintf("Environment variable '${%s}' is not allowed in a recipe: only %s* variables can be referenced.", name, EnvPrefix)
	}
	return ""
}

// expander substitutes ${RECOTEM_RECIPE_*} references in string values.
type expander struct {
	opts   *LoadOptions
	logger *slog.Logger
}

// expandString performs one left-to-right pass over s; substituted text is
// not rescanned.
func (x *expander) expandString(s string) (string, string) {
	matches := envTokenRE.FindAllStringSubmatchIndex(s, -1)
	if matches == nil {
		return s, ""
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		name := s[m[2]:m[3]]
		if reason := checkEnvName(name); reason != "" {
			return "", reason
		}
		val, ok := x.opts.EnvVars[name]
		if !ok {
			val, ok = x.opts.lookupEnv(name)
		}
		if !ok {
			return "", fmt.Sprintf("Environment variable '${%s}' is referenced in the recipe but is not set.", name)
		}
		if val == "" {
			x.logger.Warn("recipe_env_var_empty", "name", name)
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(val)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), ""
}

// expand walks n in document order and expands every string value, never
// keys, skipping the subtrees below the no-expand keys. extra holds further
// no-expand keys (lower-cased) that apply below this node. The first
// failure is returned as an issue.
func (x *expander) expand(n *node, loc string, extra []string) *Issue {
	switch n.kind {
	case kString:
		out, reason := x.expandString(n.s)
		if reason != "" {
			return &Issue{Loc: loc, Msg: reason, Line: n.line}
		}
		n.s = out
	case kSeq:
		for i, it := range n.items {
			if is := x.expand(it, joinLoc(loc, fmt.Sprint(i)), extra); is != nil {
				return is
			}
		}
	case kMap:
		for _, e := range n.entries {
			k := strings.ToLower(e.key)
			if contains(alwaysNoExpand, k) || contains(extra, k) {
				continue
			}
			if is := x.expand(e.val, joinLoc(loc, e.key), extra); is != nil {
				return is
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func joinLoc(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
