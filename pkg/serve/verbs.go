package serve

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/julienschmidt/httprouter"

	"github.com/codelibs/recotem-go/pkg/model"
)

// The four verbs, as they appear after the recipe name in the URL.
const (
	verbRecommend      = "recommend"
	verbRelated        = "recommend-related"
	verbBatchRecommend = "batch-recommend"
	verbBatchRelated   = "batch-recommend-related"
)

var verbs = []string{verbRecommend, verbRelated, verbBatchRecommend, verbBatchRelated}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// postRecipe handles POST /v1/recipes/{name}:{verb}.
func (s *Server) postRecipe(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	spec := ps.ByName("spec")
	i := strings.LastIndexByte(spec, ':')
	verb := ""
	if i >= 0 {
		verb = spec[i+1:]
	}
	known := false
	for _, v := range verbs {
		known = known || v == verb
	}
	if !known {
		w.Header().Set("Allow", "GET")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
		return
	}
	name := spec[:i]
	start := time.Now()
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "Request body too large", codeValidation)
			return
		}
		writeError(w, http.StatusBadRequest, "could not read request body", codeValidation)
		return
	}
	if !namePattern.MatchString(name) {
		s.m.outsideVerb.Inc()
		writeValidation(w, r, []fieldError{{"string_pattern_mismatch", []any{"path", "name"}, "String should match pattern '^[A-Za-z0-9_-]{1,64}$'"}})
		return
	}
	label := name
	if _, ok := s.reg.Get(name); !ok {
		label = unknownRecipe
	}
	select {
	case s.gate <- struct{}{}:
	case <-r.Context().Done(): // the client left while waiting for a slot
		return
	}
	status := s.serveVerb(w, r, name, verb, body)
	<-s.gate
	s.m.requests.WithLabelValues(label, verb, status).Inc()
	if status == "validation_error" {
		s.m.latency.WithLabelValues(label, verb).Observe(0)
	} else {
		s.m.latency.WithLabelValues(label, verb).Observe(time.Since(start).Seconds())
	}
}

// serveVerb runs one verb and returns its status label.
func (s *Server) serveVerb(w http.ResponseWriter, r *http.Request, name, verb string, body []byte) string {
	raw, errs := parseJSON(body)
	var (
		rec   recommendRequest
		rel   relatedRequest
		batch batchRequest
	)
	if errs == nil {
		switch verb {
		case verbRecommend:
			rec, errs = decodeRecommend(raw, []any{"body"})
		case verbRelated:
			rel, errs = decodeRelated(raw, []any{"body"})
		default:
			batch, errs = decodeBatch(raw)
		}
	}
	if errs != nil {
		writeValidation(w, r, errs)
		return "validation_error"
	}
	e, release, ok := s.reg.Acquire(name)
	if !ok {
		writeError(w, http.StatusNotFound, "Recipe '"+name+"' not found", codeRecipeNotFound)
		return "recipe_not_found"
	}
	defer release()
	if !e.Loaded {
		writeError(w, http.StatusServiceUnavailable, "Recipe '"+name+"' is registered but not loaded", codeRecipeUnavailable)
		return "unavailable"
	}
	switch verb {
	case verbRecommend:
		return s.recommend(w, r, e, rec)
	case verbRelated:
		return s.related(w, r, e, rel)
	}
	return s.batch(w, r, e, verb, batch)
}

func (s *Server) recommend(w http.ResponseWriter, r *http.Request, e *Entry, req recommendRequest) string {
	u, ok := e.Model.UserIndex(req.UserID)
	if !ok {
		writeError(w, http.StatusNotFound, "user not seen during training", codeUnknownUser)
		return "unknown_user"
	}
	s.writeItems(w, r, e, verbRecommend, e.Model.Recommend(u, req.Limit, req.Exclude))
	return "ok"
}

// seedIndices maps seed ids to known item indices, dropping unknown ones.
func seedIndices(m *model.Model, seeds []string) []int32 {
	out := make([]int32, 0, len(seeds))
	for _, id := range seeds {
		if j, ok := m.ItemIndex(id); ok {
			out = append(out, j)
		}
	}
	return out
}

func (s *Server) related(w http.ResponseWriter, r *http.Request, e *Entry, req relatedRequest) string {
	seeds := seedIndices(e.Model, req.Seeds)
	if len(seeds) == 0 {
		writeError(w, http.StatusNotFound, "no known seed_items", codeUnknownSeeds)
		return "unknown_seed_items"
	}
	items, ok := e.Model.Related(seeds, req.Limit, req.Exclude)
	if !ok {
		writeError(w, http.StatusNotFound, "no candidates produced by ranker", codeNoCandidates)
		return "no_candidates"
	}
	s.writeItems(w, r, e, verbRelated, items)
	return "ok"
}

// envelope appends the common head of a verb response.
func envelope(b []byte, r *http.Request, e *Entry) []byte {
	b = append(b, `{"request_id":`...)
	b = strconv.AppendQuote(b, requestID(r))
	b = append(b, `,"recipe":`...)
	b = appendString(b, e.Name)
	b = append(b, `,"model_version":`...)
	b = appendString(b, e.ModelVersion)
	return b
}

func (s *Server) writeItems(w http.ResponseWriter, r *http.Request, e *Entry, verb string, items []model.Scored) {
	bp := bufPool.Get().(*[]byte)
	b := envelope((*bp)[:0], r, e)
	b = append(b, `,"items":`...)
	b, fallback, dropped := appendItems(b, items, e.Metadata)
	b = append(b, '}')
	s.countDegraded(e.Name, verb, fallback, dropped)
	w.Header().Set("X-Recotem-Model-Version", e.ModelVersion)
	if n := fallback + dropped; n > 0 {
		w.Header().Set("X-Recotem-Items-Degraded", strconv.Itoa(n))
	}
	writeBody(w, http.StatusOK, b)
	*bp = b
	bufPool.Put(bp)
}

func (s *Server) countDegraded(recipe, verb string, fallback, dropped int) {
	if fallback > 0 {
		s.m.degraded.WithLabelValues(recipe, verb, "fallback").Add(float64(fallback))
	}
	if dropped > 0 {
		s.m.degraded.WithLabelValues(recipe, verb, "dropped").Add(float64(dropped))
	}
}

// appendItems appends the JSON array of items, each enriched with its
// metadata when md is not nil. An item whose id or score is invalid is
// dropped; one whose metadata cannot be encoded is served bare (fallback).
func appendItems(b []byte, items []model.Scored, md *Metadata) ([]byte, int, int) {
	fallback, dropped := 0, 0
	b = append(b, '[')
	first := true
	for _, it := range items {
		if n := utf8.RuneCountInString(it.Item); n < 1 || n > maxIDLen || math.IsNaN(it.Score) || math.IsInf(it.Score, 0) {
			dropped++
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"item_id":`...)
		b = appendString(b, it.Item)
		b = append(b, `,"score":`...)
		b = appendFloat(b, it.Score)
		if md != nil {
			frag, bad := md.fragment(it.Item)
			if bad {
				fallback++
			} else {
				b = append(b, frag...)
			}
		}
		b = append(b, '}')
	}
	return append(b, ']'), fallback, dropped
}

// appendString appends s as a JSON string, exactly as encoding/json
// writes it; plain printable ASCII (the common id) is copied directly.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s)
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendFloat appends f as encoding/json formats a float64.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// batchBlock is the number of users a batch scores in one block.
const batchBlock = 64

// element is the outcome of one batch element.
type element struct {
	code, msg string // error, or "" for ok
	items     []model.Scored
}

// batch runs a batch verb: every element is validated and answered in
// input order; the response is 200 whenever the recipe resolves. Known
// users of :batch-recommend are scored in blocks.
func (s *Server) batch(w http.ResponseWriter, r *http.Request, e *Entry, verb string, req batchRequest) string {
	s.m.batchSize.WithLabelValues(e.Name, verb).Observe(float64(len(req.Requests)))
	results := make([]element, len(req.Requests))
	var (
		users    []int32
		limits   []int
		excludes [][]string
		at       []int // element index of each scored user
	)
	sum := 0
	for i, raw := range req.Requests {
		res := &results[i]
		if len(raw) == 0 || raw[0] != '{' {
			res.code, res.msg = codeValidation, "request must be an object"
			continue
		}
		var limit int
		var errs []fieldError
		var rec recommendRequest
		var rel relatedRequest
		if verb == verbBatchRecommend {
			rec, errs = decodeRecommend(raw, nil)
			limit = rec.Limit
		} else {
			rel, errs = decodeRelated(raw, nil)
			limit = rel.Limit
		}
		switch {
		case errs != nil:
			res.code, res.msg = codeValidation, elementMessage(errs)
			continue
		case sum+limit > maxBatchLimitSum:
			res.code, res.msg = codeValidation, "aggregate limit cap exceeded: 5000"
			continue
		}
		sum += limit
		if verb == verbBatchRecommend {
			u, ok := e.Model.UserIndex(rec.UserID)
			if !ok {
				res.code, res.msg = codeUnknownUser, "user not seen during training"
				continue
			}
			users, limits, excludes, at = append(users, u), append(limits, rec.Limit), append(excludes, rec.Exclude), append(at, i)
			continue
		}
		seeds := seedIndices(e.Model, rel.Seeds)
		if len(seeds) == 0 {
			res.code, res.msg = codeUnknownSeeds, "no known seed_items"
			continue
		}
		items, ok := e.Model.Related(seeds, rel.Limit, rel.Exclude)
		if !ok {
			res.code, res.msg = codeNoCandidates, "no candidates produced by ranker"
			continue
		}
		res.items = items
	}
	for lo := 0; lo < len(users); lo += batchBlock {
		hi := min(lo+batchBlock, len(users))
		for k, items := range e.Model.RecommendBatch(users[lo:hi], limits[lo:hi], excludes[lo:hi]) {
			results[at[lo+k]].items = items
		}
	}

	md := e.Metadata
	if !req.IncludeMetadata {
		md = nil
	}
	bp := bufPool.Get().(*[]byte)
	b := envelope((*bp)[:0], r, e)
	b = append(b, `,"results":[`...)
	fallbackTotal, droppedTotal := 0, 0
	for i, res := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		if res.code != "" {
			s.m.elementErrors.WithLabelValues(e.Name, verb, res.code).Inc()
			b = append(b, `,"status":"error","error":{"code":`...)
			b = appendString(b, res.code)
			b = append(b, `,"message":`...)
			b = appendString(b, res.msg)
			b = append(b, `}}`...)
			continue
		}
		b = append(b, `,"status":"ok","items":`...)
		var fallback, dropped int
		b, fallback, dropped = appendItems(b, res.items, md)
		fallbackTotal += fallback
		droppedTotal += dropped
		b = append(b, '}')
	}
	b = append(b, "]}"...)
	s.countDegraded(e.Name, verb, fallbackTotal, droppedTotal)
	w.Header().Set("X-Recotem-Model-Version", e.ModelVersion)
	writeBody(w, http.StatusOK, b)
	*bp = b
	bufPool.Put(bp)
	return "ok"
}
