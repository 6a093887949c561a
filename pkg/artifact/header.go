package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/payload"
)

// Header is the artifact header JSON (§1.7). Field order is the key order
// written. Every field is optional for a reader.
type Header struct {
	RecipeName     string         `json:"recipe_name"`
	RecipeHash     string         `json:"recipe_hash"`
	RecotemVersion string         `json:"recotem_version"`
	IrspackVersion string         `json:"irspack_version,omitempty"` // Python engine only
	TrainedAt      string         `json:"trained_at"`                // UTC, 2006-01-02T15:04:05Z
	BestClass      string         `json:"best_class"`
	BestParams     map[string]any `json:"best_params"`
	BestScore      float64        `json:"best_score"`
	Metric         string         `json:"metric"`
	Cutoff         int            `json:"cutoff"`
	Tuning         Tuning         `json:"tuning"`
	DataStats      DataStats      `json:"data_stats"`
	Algorithms     []string       `json:"algorithms,omitempty"`
	ConfigDigest   string         `json:"config_digest,omitempty"`
	// PayloadEncoding names the payload format; Encode sets it to
	// payload.Encoding. Reference (pickle) artifacts have none.
	PayloadEncoding string `json:"payload_encoding,omitempty"`
	// EngineVersion is the version of the Go engine that wrote the artifact.
	EngineVersion string `json:"engine_version,omitempty"`
}

// Tuning is the header's search summary.
type Tuning struct {
	TriedAlgorithms []string `json:"tried_algorithms"`
	NTrials         int      `json:"n_trials"`
	NCompleted      int      `json:"n_completed"`
	NOrphaned       int      `json:"n_orphaned"`
	BestTrialNumber int      `json:"best_trial_number"`
	SearchSeed      int64    `json:"search_seed"`
}

// DataStats is the header's data summary.
type DataStats struct {
	NRows       int64  `json:"n_rows"`
	NUsers      int64  `json:"n_users"`
	NItems      int64  `json:"n_items"`
	DropCount   int64  `json:"drop_count"`
	DedupPolicy string `json:"dedup_policy"`
}

// MarshalHeader encodes h as the reference writes headers: compact, keys in
// §1.7 order, non-ASCII characters escaped as \uXXXX, HTML characters not
// escaped. A NaN or infinite best score is refused.
func MarshalHeader(h *Header) ([]byte, error) {
	if math.IsNaN(h.BestScore) || math.IsInf(h.BestScore, 0) {
		return nil, exitcode.New(exitcode.Artifact, "header best_score %v is not finite", h.BestScore)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return nil, exitcode.New(exitcode.Artifact, "encode header JSON: %w", err)
	}
	b := asciiEscape(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	if len(b) > MaxHeaderLen {
		return nil, exitcode.New(exitcode.Artifact, "header JSON of %d bytes exceeds %d", len(b), MaxHeaderLen)
	}
	return b, nil
}

// asciiEscape rewrites every non-ASCII character of JSON text b as \uXXXX
// (UTF-16 surrogate pairs above U+FFFF). Outside strings JSON text is ASCII,
// so the rewrite only touches string contents.
func asciiEscape(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r < utf8.RuneSelf:
			out = append(out, byte(r))
		case r > 0xFFFF:
			r -= 0x10000
			out = fmt.Appendf(out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
	}
	return out
}

// decodeHeader checks that header JSON is an object (step 17, with
// Python's json.loads rules, so a reference header holding NaN decodes) and
// decodes the known fields; NaN and ±Infinity become null. A known field of
// the wrong type is an error.
func decodeHeader(b []byte) (map[string]json.RawMessage, *Header, error) {
	v, err := parseJSON(b)
	if err == nil && v.kind != jObject {
		err = fmt.Errorf("not a JSON object")
	}
	if err != nil {
		return nil, nil, exitcode.Reasoned(exitcode.Artifact, ReasonHeader, "header JSON decode failed: %v", err)
	}
	var sb strings.Builder
	writeJSON(&sb, v)
	std := []byte(sb.String())
	var fields map[string]json.RawMessage
	h := new(Header)
	err = json.Unmarshal(std, &fields)
	if err == nil {
		err = json.Unmarshal(std, h)
	}
	if err != nil {
		return nil, nil, exitcode.Reasoned(exitcode.Artifact, ReasonHeader, "header JSON decode failed: %v", err)
	}
	return fields, h, nil
}

// supportedEncoding reports whether this build decodes payloads of enc.
func supportedEncoding(enc string) bool { return enc == payload.Encoding }
