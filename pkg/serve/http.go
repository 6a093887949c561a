package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/codelibs/recotem-go/pkg/keys"
)

type ctxKey int

const requestIDKey ctxKey = iota

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// requestID returns the request's id (set by withRequestID).
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

func newRequestID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withRequestID accepts a well-formed X-Request-ID or makes a 12-hex one,
// and sets it on every response.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// withCORS answers CORS requests from the allowed origins (only installed
// when RECOTEM_ALLOWED_ORIGINS is set).
func withCORS(origins []string, next http.Handler) http.Handler {
	allowed := func(o string) bool {
		for _, a := range origins {
			if a == "*" || a == o {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if !allowed(origin) {
			if preflight {
				http.Error(w, "Disallowed CORS origin", http.StatusBadRequest)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if preflight {
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				h.Set("Access-Control-Allow-Headers", req)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusOK)
			return
		}
		h.Set("Access-Control-Expose-Headers", "X-Request-ID, X-Recotem-Model-Version, X-Recotem-Items-Degraded")
		next.ServeHTTP(w, r)
	})
}

// withTrustedHost rejects requests whose Host is not allowed: entries are
// exact names, "*", or "*.suffix"; the port is ignored.
func withTrustedHost(hosts []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(strings.ToLower(host), "[]")
		for _, a := range hosts {
			a = strings.ToLower(a)
			if a == "*" || a == host || strings.HasPrefix(a, "*.") && strings.HasSuffix(host, a[1:]) {
				next.ServeHTTP(w, r)
				return
			}
		}
		http.Error(w, "Invalid host header", http.StatusBadRequest)
	})
}

// withTrailingSlash redirects /path/ to /path with 307.
func withTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			u := *r.URL
			u.Path = strings.TrimRight(p, "/")
			http.Redirect(w, r, u.String(), http.StatusTemporaryRedirect)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withRecover turns a handler panic into the unhandled-error 500 body.
func withRecover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("request_failed", "path", r.URL.Path, "request_id", requestID(r), "error", v)
				writeInternal(w, r)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"detail":"internal error","code":"INTERNAL_ERROR"}`)
		status = http.StatusInternalServerError
	}
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// Error codes of the API (a closed set).
const (
	codeRecipeNotFound    = "RECIPE_NOT_FOUND"
	codeRecipeUnavailable = "RECIPE_UNAVAILABLE"
	codeUnknownUser       = "UNKNOWN_USER"
	codeUnknownSeeds      = "UNKNOWN_SEED_ITEMS"
	codeNoCandidates      = "NO_CANDIDATES"
	codeValidation        = "VALIDATION_ERROR"
	codeMissingKey        = "MISSING_API_KEY"
	codeInvalidKey        = "INVALID_API_KEY"
	codeInternal          = "INTERNAL_ERROR"
)

// writeError writes the flat {"detail", "code"} body.
func writeError(w http.ResponseWriter, status int, detail, code string) {
	writeJSON(w, status, struct {
		Detail string `json:"detail"`
		Code   string `json:"code"`
	}{detail, code})
}

func writeInternal(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusInternalServerError, struct {
		Detail    string `json:"detail"`
		Code      string `json:"code"`
		RequestID string `json:"request_id"`
	}{"internal error", codeInternal, requestID(r)})
}

// fieldError is one entry of a 422 body.
type fieldError struct {
	Type string `json:"type"`
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
}

func writeValidation(w http.ResponseWriter, r *http.Request, errs []fieldError) {
	writeJSON(w, http.StatusUnprocessableEntity, struct {
		RequestID string       `json:"request_id"`
		Detail    string       `json:"detail"`
		Code      string       `json:"code"`
		Errors    []fieldError `json:"errors"`
	}{requestID(r), "Request validation failed", codeValidation, errs})
}

// equaliser is hashed on every rejected key so that rejections cost one
// scrypt like an accepted key does.
var equaliser = strings.Repeat("\x00", 256)

// authenticate checks X-API-Key and returns the key's kid, or writes the
// 401 and reports false. With no keys configured (or --insecure-no-auth)
// every request is "anonymous".
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	if s.cfg.APIKeys == nil || s.cfg.Insecure {
		return "anonymous", true
	}
	values, present := r.Header["X-Api-Key"]
	reject := func(detail, code string) (string, bool) {
		keys.HashAPIKey(equaliser)
		writeError(w, http.StatusUnauthorized, detail, code)
		return "", false
	}
	if !present {
		return reject("X-API-Key header required", codeMissingKey)
	}
	key := values[0]
	if len(key) > 256 || len(key) < 32 {
		return reject("Invalid API key", codeInvalidKey)
	}
	kid, ok := s.cfg.APIKeys.Match(key)
	if !ok {
		return reject("Invalid API key", codeInvalidKey)
	}
	return kid, true
}
