package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository root, relative to this package.
const root = "../.."

// markdownFiles lists the documents whose links are checked.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join(root, "README.md")}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, docs...)
	for _, dir := range []string{"contrib", "examples"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".md") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return files
}

var (
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refLink    = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$`)
	codeSpan   = regexp.MustCompile("`+[^`]*`+")
	heading    = regexp.MustCompile(`^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	htmlAnchor = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
)

// links returns the link targets of a Markdown document with their line
// numbers, ignoring fenced code blocks and code spans.
func links(src []byte) (targets []string, lines []int) {
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	fence := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			targets, lines = append(targets, m[1]), append(lines, n)
		}
		if m := refLink.FindStringSubmatch(line); m != nil {
			targets, lines = append(targets, m[1]), append(lines, n)
		}
	}
	return targets, lines
}

// anchors returns the GitHub heading anchors of a Markdown document (and
// explicit <a name> / <a id> anchors).
func anchors(src []byte) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fence := ""
	for _, line := range strings.Split(string(src), "\n") {
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		a := slug(m[1])
		if k := seen[a]; k > 0 {
			out[fmt.Sprintf("%s-%d", a, k)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// slug is GitHub's heading anchor: lower case, link syntax and punctuation
// removed except '-' and '_', spaces turned into '-'.
func slug(h string) string {
	h = inlineLink.ReplaceAllStringFunc(h, func(s string) string {
		return s[strings.Index(s, "[")+1 : strings.Index(s, "]")]
	})
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestRelativeLinks fails for every relative link whose file or heading
// anchor does not exist.
func TestRelativeLinks(t *testing.T) {
	files := markdownFiles(t)
	if len(files) < 2 {
		t.Fatalf("found only %d Markdown files under %s", len(files), root)
	}
	cache := map[string]map[string]bool{}
	anchorsOf := func(p string) (map[string]bool, error) {
		if a, ok := cache[p]; ok {
			return a, nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		cache[p] = anchors(src)
		return cache[p], nil
	}
	checked := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		targets, lines := links(src)
		for i, target := range targets {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path, frag, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Join(filepath.Dir(f), filepath.FromSlash(path))
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s:%d: link %q: no such file", rel, lines[i], target)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(dest, ".md") {
				continue
			}
			a, err := anchorsOf(dest)
			if err != nil {
				t.Errorf("%s:%d: link %q: %v", rel, lines[i], target, err)
				continue
			}
			if !a[frag] {
				t.Errorf("%s:%d: link %q: no heading with anchor #%s", rel, lines[i], target, frag)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative links found; the Markdown scan is broken")
	}
}

// TestLinkScanner checks the scanner and the anchor rules on fixed input,
// so that a scanner that finds nothing cannot pass TestRelativeLinks.
func TestLinkScanner(t *testing.T) {
	src := []byte("# Exit codes\n\n## `training.split`\n\n## Exit codes\n\nSee [a](cli.md#exit-codes) and `[no](x.md)`.\n\n```\n[no](y.md)\n```\n\n[ref]: ops.md\n")
	targets, lines := links(src)
	if want := []string{"cli.md#exit-codes", "ops.md"}; strings.Join(targets, " ") != strings.Join(want, " ") {
		t.Errorf("links = %q, want %q", targets, want)
	}
	if len(lines) != 2 || lines[0] != 7 || lines[1] != 13 {
		t.Errorf("lines = %v, want [7 13]", lines)
	}
	a := anchors(src)
	for _, want := range []string{"exit-codes", "exit-codes-1", "trainingsplit"} {
		if !a[want] {
			t.Errorf("anchors lack %q: %v", want, a)
		}
	}
}

// TestIndexListsEveryPage fails when a page in docs/ is not linked from
// the documentation index docs/README.md.
func TestIndexListsEveryPage(t *testing.T) {
	index := filepath.Join(root, "docs", "README.md")
	src, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	targets, _ := links(src)
	linked := map[string]bool{}
	for _, target := range targets {
		path, _, _ := strings.Cut(target, "#")
		linked[path] = true
	}
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		name := filepath.Base(p)
		if name != "README.md" && !linked[name] {
			t.Errorf("docs/README.md does not link docs/%s", name)
		}
	}
}
