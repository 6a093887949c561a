package artifact

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/payload"
)

// InspectOptions are the inputs of Inspect.
type InspectOptions struct {
	// Artifact is the path or URI given on the command line: a local path,
	// a file:// URI, or (with ReadRemote) an object-store or HTTPS URI.
	Artifact string
	// DevAllowUnsigned verifies with the dev key "dev:"+64×"0" when
	// RECOTEM_SIGNING_KEYS is unset; it requires RECOTEM_ENV=development.
	DevAllowUnsigned bool
	// JSON prints one JSON object instead of the reference's text.
	JSON bool
	// Getenv reads the environment (os.Getenv).
	Getenv func(string) string
	// Stdout receives the result.
	Stdout io.Writer
	// Log receives warnings (may be nil).
	Log *slog.Logger
	// ReadRemote reads an object-store or HTTPS URI, at most limit bytes;
	// nil refuses such URIs. The bytes are verified by the HMAC before use.
	ReadRemote func(uri string, limit int64) ([]byte, error)
}

var repairPattern = regexp.MustCompile(`^[a-z][a-z0-9+.\-]+:/[^/]`)
var uriPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*://`)

// readArtifact reads a local artifact (memory-mapped when mmap) or, with
// readRemote, one behind an object-store or HTTPS URI.
func readArtifact(name string, limit int64, mmap bool, readRemote func(string, int64) ([]byte, error)) ([]byte, func() error, error) {
	if readRemote == nil || !uriPattern.MatchString(name) || strings.HasPrefix(strings.ToLower(name), "file:") {
		path, err := LocalPath(name)
		if err != nil {
			return nil, nil, err
		}
		data, release, _, err := ReadResolved(path, limit, mmap)
		return data, release, err
	}
	b, err := ReadURI(name, limit, readRemote)
	return b, func() error { return nil }, err
}

// ReadURI reads the artifact at an object-store or HTTPS URI through read,
// asking for at most limit+1 bytes (more is "exceeds cap"), and follows a
// pointer object in the same prefix one level, as ReadResolved does for
// files. A pointer whose target does not exist (read returns an error that
// is fs.ErrNotExist) fails as a local one does: "pointer '<uri>' references
// missing artifact '<target>'". Errors carry exitcode.Artifact.
func ReadURI(name string, limit int64, read func(uri string, max int64) ([]byte, error)) ([]byte, error) {
	// The cause is kept as text only: a fetch error must not turn an
	// artifact error (exit 5) into a fetch error (exit 7).
	get := func(u string, pointer string) ([]byte, error) {
		b, err := read(u, limit+1)
		if pointer != "" && errors.Is(err, fs.ErrNotExist) {
			return nil, exitcode.Reasoned(exitcode.Artifact, ReasonRead,
				"pointer %s references missing artifact %s", pyRepr(pointer), pyRepr(u))
		}
		if err != nil {
			return nil, exitcode.Reasoned(exitcode.Artifact, ReasonRead, "Cannot read artifact '%s': %v", u, err)
		}
		if int64(len(b)) > limit {
			return nil, capErr(int64(len(b)), limit)
		}
		return b, nil
	}
	b, err := get(name, "")
	if err != nil {
		return nil, err
	}
	if target, ok := ParsePointer(b); ok {
		return get(name[:strings.LastIndexByte(name, '/')+1]+target, name)
	}
	return b, nil
}

// RepairURI turns "scheme:/x" into "scheme://x" (a single slash lost by a
// shell or a path join), as the reference does; other text is unchanged.
func RepairURI(s string) string {
	if repairPattern.MatchString(s) {
		i := strings.Index(s, ":/")
		return s[:i] + "://" + s[i+2:]
	}
	return s
}

// LocalPath returns the local file path named by a bare path or a file://
// URI (host empty or "localhost"). Other URI schemes are not readable by
// this build; the error says so and carries exitcode.Artifact.
func LocalPath(s string) (string, error) {
	if !uriPattern.MatchString(s) {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", exitcode.Reasoned(exitcode.Artifact, ReasonRead, "Cannot open artifact %s: %v", pyRepr(s), err)
	}
	if strings.ToLower(u.Scheme) != "file" {
		return "", exitcode.Reasoned(exitcode.Artifact, ReasonRead,
			"Cannot open artifact %s: URI scheme '%s' is not supported by this build (local paths and file:// URIs only)",
			pyRepr(s), strings.ToLower(u.Scheme))
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", exitcode.Reasoned(exitcode.Artifact, ReasonRead,
			"Cannot open artifact %s: file URI host must be empty or localhost", pyRepr(s))
	}
	return u.Path, nil
}

// Inspect implements `recotem inspect`: it reads an artifact (resolving a
// pointer), parses it with the payload cap, verifies its HMAC and prints
// "HMAC: OK  (kid='<kid>')" and the header JSON (2-space indent, ASCII
// escaped, original key order). The payload is never decoded, except that
// with opt.JSON the table of contents of a recotem-go payload is listed.
//
// Returned errors carry their full message (with the reference's prefix,
// such as "HMAC verification failed: ") and an exit code: 8 for a dev flag
// outside RECOTEM_ENV=development, a payload cap above the artifact cap, or
// missing signing keys; 5 for everything about the artifact and a malformed
// key ring.
//
// Deliberate differences from the reference: it reads only the two size
// caps of the serve configuration (the reference parses all of it and
// crashes with exit 1 on any invalid serve variable; here a payload cap
// above the artifact cap is a configuration error, exit 8); a NaN or
// infinite number in a header prints as in the reference but is null in
// --json output; object-store and HTTPS URIs are read through
// opt.ReadRemote.
func Inspect(opt InspectOptions) error {
	getenv := opt.Getenv
	if opt.DevAllowUnsigned {
		raw := getenv("RECOTEM_ENV")
		if strings.ToLower(strings.TrimSpace(raw)) != "development" {
			return exitcode.New(exitcode.Config,
				"--dev-allow-unsigned requires RECOTEM_ENV=development. Current RECOTEM_ENV=%s.", pyRepr(raw))
		}
	}
	caps, err := CapsFromEnv(getenv, opt.Log)
	if err != nil {
		return fmt.Errorf("Configuration error: %w", err)
	}
	name := RepairURI(opt.Artifact)
	data, release, err := readArtifact(name, caps.Artifact, MmapFromEnv(getenv), opt.ReadRemote)
	if err != nil {
		if exitcode.ReasonOf(err) == ReasonCap {
			return fmt.Errorf("Artifact parse failed: %w", err)
		}
		return err
	}
	defer release()

	c, err := Parse(data, caps.Payload)
	if err != nil {
		return fmt.Errorf("Artifact parse failed: %w", err)
	}
	var ring *keys.SigningRing
	if rawKeys := getenv(keys.EnvSigning); strings.TrimSpace(rawKeys) == "" {
		if !opt.DevAllowUnsigned {
			return exitcode.New(exitcode.Config,
				"Cannot verify artifact (kid=%s): %s is not set and --dev-allow-unsigned was not passed.\n"+
					"  Set %s=<kid>:<64 hex chars> with the key this artifact was signed with (see `recotem keygen`),\n"+
					"  or, for a development artifact, pass --dev-allow-unsigned with RECOTEM_ENV=development.",
				pyRepr(c.Kid), keys.EnvSigning, keys.EnvSigning)
		}
		ring = keys.DevRing()
	} else {
		if opt.DevAllowUnsigned && opt.Log != nil {
			opt.Log.Warn("dev_allow_unsigned_ignored", "reason", keys.EnvSigning+" is set; verifying with it")
		}
		if ring, err = keys.ParseSigning(rawKeys); err != nil {
			return fmt.Errorf("HMAC verification failed: %w", err)
		}
	}
	// Only --json prints the model version: the text output skips its
	// SHA-256 pass over the artifact.
	var sum [32]byte
	if opt.JSON {
		sum, err = c.Verify(ring)
	} else {
		err = c.VerifyHMAC(ring)
	}
	if err != nil {
		return fmt.Errorf("HMAC verification failed: %w", err)
	}
	hv, err := parseJSON(c.Header)
	if err == nil && hv.kind != jObject {
		err = errors.New("header is not a JSON object")
	}
	if err != nil {
		return exitcode.Reasoned(exitcode.Artifact, ReasonHeader, "Header JSON parse failed: %v", err)
	}

	var out strings.Builder
	if !opt.JSON {
		fmt.Fprintf(&out, "HMAC: OK  (kid=%s)\n", pyRepr(c.Kid))
		writePython(&out, hv, 0)
		out.WriteByte('\n')
		_, err = io.WriteString(opt.Stdout, out.String())
		return err
	}

	var sections []payload.Section
	if enc, ok := hv.member("payload_encoding"); ok && enc.kind == jString && supportedEncoding(enc.jstring()) {
		r, err := payload.NewReader(c.Payload)
		if err != nil {
			return fmt.Errorf("Payload parse failed: %w", err)
		}
		sections = r.Sections()
	}
	writeJSON(&out, hv)
	doc := struct {
		Kid          string            `json:"kid"`
		HMAC         string            `json:"hmac"`
		Header       json.RawMessage   `json:"header"`
		PayloadBytes int               `json:"payload_bytes"`
		ModelVersion string            `json:"model_version"`
		Sections     []payload.Section `json:"sections"`
	}{c.Kid, "ok", json.RawMessage(out.String()), len(c.Payload), fmt.Sprintf("sha256:%x", sum), sections}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return exitcode.New(exitcode.Internal, "encode --json output: %w", err)
	}
	b = append(b, '\n')
	_, err = opt.Stdout.Write(b)
	return err
}
