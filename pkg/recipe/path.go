package recipe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ArtifactRootEnv names the environment variable that confines local
// artifact outputs to one directory tree.
const ArtifactRootEnv = "RECOTEM_ARTIFACT_ROOT"

// URL is the part of Python's urllib.parse.urlsplit result the path policy
// needs.
type URL struct {
	Scheme   string // lower-cased; "" for a bare path
	Netloc   string // after "//" up to the first "/", "?" or "#"
	User     string
	Password string
	HasPass  bool
	Path     string // the rest after the netloc, up to "?" or "#"
}

// ParseURL splits s the way Python's urlsplit does: the scheme is the text
// before the first ":" when it is non-empty, starts with an ASCII letter and
// holds only letters, digits, "+", "-" and "." ("C:\x" has scheme "c",
// "models:v1.recotem" has scheme "models"); otherwise s is a bare path.
func ParseURL(s string) URL {
	s = strings.TrimLeft(s, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	s = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(s)
	var u URL
	if i := strings.IndexByte(s, ':'); i > 0 && isScheme(s[:i]) {
		u.Scheme = strings.ToLower(s[:i])
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "//") {
		rest := s[2:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		u.Netloc = rest[:end]
		s = rest[end:]
		if at := strings.LastIndexByte(u.Netloc, '@'); at >= 0 {
			userinfo := u.Netloc[:at]
			u.User, u.Password, u.HasPass = strings.Cut(userinfo, ":")
		}
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	u.Path = s
	return u
}

func isScheme(s string) bool {
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

var (
	credentialSchemes = []string{"http", "https", "ftp", "ftps", "s3", "abfs", "abfss"}
	outputSchemes     = []string{"", "file", "s3", "gs", "az", "abfs", "abfss"}
	inputSchemes      = []string{"", "file", "s3", "gs", "az", "abfs", "abfss", "http", "https"}
)

// IsHTTP reports whether a path is an http or https URL.
func IsHTTP(path string) bool {
	s := ParseURL(path).Scheme
	return s == "http" || s == "https"
}

// checkInputPath applies the input path policy (source.path,
// item_metadata.path): no "::" chains, no embedded credentials, an allowed
// scheme. It returns the problem, or "".
func checkInputPath(field, p string) string {
	if strings.Contains(p, "::") {
		return fmt.Sprintf("'%s' contains '::' (chained protocols are not allowed).", field)
	}
	u := ParseURL(p)
	if msg := checkCredentials(field, u); msg != "" {
		return msg
	}
	if !contains(inputSchemes, u.Scheme) {
		return fmt.Sprintf("'%s' uses scheme '%s', which is not allowed for input paths; allowed: a local path, file, s3, gs, az, abfs, abfss, http, https.", field, u.Scheme)
	}
	return ""
}

// checkOutputPath applies the output path policy: no embedded credentials,
// an allowed scheme, and file:// URIs only with an empty or "localhost" host.
func checkOutputPath(field, p string) string {
	u := ParseURL(p)
	if msg := checkCredentials(field, u); msg != "" {
		return msg
	}
	if !contains(outputSchemes, u.Scheme) {
		return fmt.Sprintf("'%s' uses scheme '%s', which is not allowed for outputs; allowed: a local path, file, s3, gs, az, abfs, abfss.", field, u.Scheme)
	}
	if u.Scheme == "file" && u.Netloc != "" && !strings.EqualFold(u.Netloc, "localhost") {
		return fmt.Sprintf("'%s' is a file:// URI with host '%s'; only an empty host or 'localhost' is allowed.", field, u.Netloc)
	}
	return ""
}

func checkCredentials(field string, u URL) string {
	if contains(credentialSchemes, u.Scheme) && (u.User != "" || u.Password != "") {
		return fmt.Sprintf("'%s' contains embedded credentials in the URI. Use the backend's ambient credentials instead.", field)
	}
	return ""
}

// LocalOutputPath returns the local file system path of an output path that
// is a bare path or a file:// URI (the URI's path), and false for object
// store URIs.
func LocalOutputPath(output string) (string, bool) {
	u := ParseURL(output)
	switch u.Scheme {
	case "":
		return output, true
	case "file":
		return u.Path, true
	}
	return "", false
}

// errArtifactRootUnresolved marks a failure to resolve the root itself (the
// reference's "unknown" category) rather than a containment violation.
var errArtifactRootUnresolved = errors.New("cannot resolve " + ArtifactRootEnv)

// CheckArtifactRoot checks that the local path dest lies inside
// $RECOTEM_ARTIFACT_ROOT when that variable is set and non-empty: dest's
// parent must exist and its real path (symlinks followed, ".." resolved)
// must be the root or below it, and so must dest's real path when dest
// already exists. The recipe loader calls it for bare and file:// outputs;
// the artifact writer calls it again just before its rename. The error
// carries no exit code: the loader maps it to 2, the writer to 5.
func CheckArtifactRoot(dest string) error {
	return checkArtifactRoot(dest, os.Getenv(ArtifactRootEnv))
}

func checkArtifactRoot(dest, rootEnv string) error {
	if rootEnv == "" {
		return nil
	}
	root, err := filepath.EvalSymlinks(rootEnv)
	if err == nil {
		root, err = filepath.Abs(root)
	}
	if err != nil {
		return fmt.Errorf("%w %q: %v", errArtifactRootUnresolved, rootEnv, err)
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return fmt.Errorf("output path %q: %w", dest, err)
	}
	parent := filepath.Dir(abs)
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		return fmt.Errorf("output path %q: parent directory %q does not exist (required when %s is set)", dest, parent, ArtifactRootEnv)
	}
	realParent, err := filepath.EvalSymlinks(parent)
	if err != nil {
		return fmt.Errorf("output path %q: cannot resolve parent directory: %v", dest, err)
	}
	if !within(root, realParent) {
		return fmt.Errorf("output path %q resolves to %q, outside %s %q", dest, filepath.Join(realParent, filepath.Base(abs)), ArtifactRootEnv, root)
	}
	if _, err := os.Lstat(abs); err == nil {
		real, err := realPath(abs, 0)
		if err != nil {
			return fmt.Errorf("output path %q: cannot resolve: %v", dest, err)
		}
		if !within(root, real) {
			return fmt.Errorf("output path %q resolves to %q, outside %s %q", dest, real, ArtifactRootEnv, root)
		}
	}
	return nil
}

// within reports whether path is root or below it; both must be clean
// absolute paths.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}

// realPath resolves symlinks like Python's os.path.realpath in non-strict
// mode: a dangling link resolves to where it points.
func realPath(p string, depth int) (string, error) {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return filepath.Abs(r)
	}
	if depth > 40 {
		return "", fmt.Errorf("too many levels of symbolic links: %s", p)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) || filepath.Dir(p) == p {
			return "", err
		}
		parent, err := realPath(filepath.Dir(p), depth+1)
		if err != nil {
			return "", err
		}
		return filepath.Join(parent, filepath.Base(p)), nil
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		return "", fmt.Errorf("cannot resolve %s", p)
	}
	target, err := os.Readlink(p)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(p), target)
	}
	return realPath(target, depth+1)
}
