package serve

import (
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"time"

	"github.com/julienschmidt/httprouter"
)

// health answers /v1/health (and its /health, /readyz aliases): 200 when
// every entry is loaded, else 503 "degraded". Public.
func (s *Server) health(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	loaded, total := s.reg.Counts()
	status, code := "ok", http.StatusOK
	if loaded != total {
		status, code = "degraded", http.StatusServiceUnavailable
	}
	writeJSON(w, code, struct {
		Status string `json:"status"`
		Total  int    `json:"total"`
		Loaded int    `json:"loaded"`
	}{status, total, loaded})
}

// live answers /livez: the process is up.
func (s *Server) live(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type recipeHealth struct {
	Loaded    bool   `json:"loaded"`
	TrainedAt string `json:"trained_at,omitempty"`
	BestClass string `json:"best_class,omitempty"`
	Kid       string `json:"kid,omitempty"`
	Error     string `json:"error,omitempty"`
}

// healthDetails answers /v1/health/details: degraded (503) if any entry is
// unloaded or carries an error.
func (s *Server) healthDetails(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	out := map[string]recipeHealth{}
	code, status := http.StatusOK, "ok"
	for _, e := range s.reg.List() {
		h := recipeHealth{Loaded: e.Loaded, Kid: e.Kid, Error: e.Err}
		if e.Header != nil {
			h.TrainedAt, h.BestClass = e.Header.TrainedAt, e.Header.BestClass
		}
		if !e.Loaded || e.Err != "" {
			code, status = http.StatusServiceUnavailable, "degraded"
		}
		out[e.Name] = h
	}
	writeJSON(w, code, struct {
		Status  string                  `json:"status"`
		Recipes map[string]recipeHealth `json:"recipes"`
	}{status, out})
}

type recipeSummary struct {
	Name           string   `json:"name"`
	ModelVersion   *string  `json:"model_version"`
	LoadedAt       string   `json:"loaded_at"`
	SupportedVerbs []string `json:"supported_verbs"`
	Kind           string   `json:"kind"`
}

func summary(e *Entry) recipeSummary {
	s := recipeSummary{Name: e.Name, LoadedAt: e.LoadedAt.Format(time.RFC3339Nano), SupportedVerbs: verbs, Kind: "user-item"}
	if e.ModelVersion != "" {
		v := e.ModelVersion
		s.ModelVersion = &v
	}
	return s
}

// recipes answers /v1/recipes: the loaded entries (stale included).
func (s *Server) recipes(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	list := []recipeSummary{}
	for _, e := range s.reg.List() {
		if e.Loaded {
			list = append(list, summary(e))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"recipes": list})
}

var (
	hexDigest   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	version     = regexp.MustCompile(`^\d+\.\d+`)
	metricNames = map[string]bool{"ndcg": true, "map": true, "recall": true, "hit": true}
)

// recipeDetail answers GET /v1/recipes/{name}. Header values of the wrong
// shape are reported as null (the reference answered 500).
func (s *Server) recipeDetail(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	name := ps.ByName("spec")
	if !namePattern.MatchString(name) {
		s.m.outsideVerb.Inc()
		writeValidation(w, r, []fieldError{{"string_pattern_mismatch", []any{"path", "name"}, "String should match pattern '^[A-Za-z0-9_-]{1,64}$'"}})
		return
	}
	e, ok := s.reg.Get(name)
	if !ok {
		writeError(w, http.StatusNotFound, "Recipe '"+name+"' not found", codeRecipeNotFound)
		return
	}
	if !e.Loaded {
		writeError(w, http.StatusServiceUnavailable, "Recipe '"+name+"' is registered but not loaded", codeRecipeUnavailable)
		return
	}
	f := e.Fields
	raw := func(k string) json.RawMessage {
		if v, ok := f[k]; ok {
			return v
		}
		return json.RawMessage("null")
	}
	str := func(k string, valid func(string) bool) any {
		var s string
		if json.Unmarshal(f[k], &s) != nil || s == "" || (valid != nil && !valid(s)) {
			return nil
		}
		return s
	}
	var algorithms []string
	if json.Unmarshal(f["algorithms"], &algorithms) != nil || len(algorithms) == 0 {
		algorithms = nil
		if e.Header != nil {
			algorithms = e.Header.Tuning.TriedAlgorithms
		}
	}
	if algorithms == nil {
		algorithms = []string{}
	}
	var digest any
	if d, ok := str("config_digest", nil).(string); ok {
		if hexDigest.MatchString(d) {
			d = "sha256:" + d
		}
		digest = d
	}
	var bestScore any
	var score float64
	if json.Unmarshal(f["best_score"], &score) == nil && !math.IsNaN(score) && !math.IsInf(score, 0) {
		bestScore = score
	}
	var cutoff any
	var c int
	if json.Unmarshal(f["cutoff"], &c) == nil && c >= 1 {
		cutoff = c
	}
	bestAlgorithm := ""
	if e.Header != nil {
		bestAlgorithm = e.Header.BestClass
	}
	sum := summary(e)
	writeJSON(w, http.StatusOK, map[string]any{
		"name": sum.Name, "model_version": sum.ModelVersion, "loaded_at": sum.LoadedAt,
		"supported_verbs": sum.SupportedVerbs, "kind": sum.Kind,
		"config_digest": digest, "algorithms": algorithms, "best_algorithm": bestAlgorithm,
		"trained_at": str("trained_at", func(s string) bool { _, err := time.Parse(time.RFC3339, s); return err == nil }),
		"best_class": str("best_class", nil), "best_params": raw("best_params"), "best_score": bestScore,
		"metric": str("metric", func(s string) bool { return metricNames[s] }), "cutoff": cutoff,
		"tuning": raw("tuning"), "data_stats": raw("data_stats"),
		"recotem_version": str("recotem_version", version.MatchString),
		"irspack_version": str("irspack_version", version.MatchString),
		"recipe_hash":     str("recipe_hash", hexDigest.MatchString),
	})
}
