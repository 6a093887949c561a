package serve

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// checkErrors fails t when an error entry lacks its type, loc or message.
func checkErrors(t *testing.T, errs []fieldError) {
	t.Helper()
	for _, e := range errs {
		if e.Type == "" || len(e.Loc) == 0 || e.Msg == "" {
			t.Fatalf("incomplete error entry %+v", e)
		}
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("error entry %+v does not encode: %v", e, err)
		}
	}
}

// checkIDs fails t unless every id has 1..256 characters.
func checkIDs(t *testing.T, what string, ids []string) {
	t.Helper()
	for _, id := range ids {
		if n := utf8.RuneCountInString(id); n < 1 || n > maxIDLen {
			t.Fatalf("%s id of %d characters accepted", what, n)
		}
	}
}

func checkLimit(t *testing.T, limit int) {
	t.Helper()
	if limit < 1 || limit > maxLimit {
		t.Fatalf("limit %d accepted", limit)
	}
}

// FuzzRecommendRequest feeds arbitrary bodies to parseJSON and
// decodeRecommend: they never panic, every error entry is complete, and an
// accepted request is within the limits.
func FuzzRecommendRequest(f *testing.F) {
	for _, s := range []string{`{"user_id":"u1"}`, `{"user_id":"u1","limit":"5","exclude_items":["a"]}`, `{"user_id":1e3}`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, errs := parseJSON(body)
		checkErrors(t, errs)
		if errs != nil {
			return
		}
		for _, loc := range [][]any{{"body"}, nil} {
			req, errs := decodeRecommend(raw, loc)
			if loc == nil && len(errs) > 0 && len(errs[0].Loc) == 0 {
				// A batch element's object-type error has no location; it
				// is rendered by elementMessage.
				if elementMessage(errs) == "" {
					t.Fatal("empty element message")
				}
				continue
			}
			checkErrors(t, errs)
			if errs != nil {
				continue
			}
			checkIDs(t, "user", []string{req.UserID})
			checkLimit(t, req.Limit)
			checkIDs(t, "exclude", req.Exclude)
			if len(req.Exclude) > maxExclude {
				t.Fatalf("%d exclude_items accepted", len(req.Exclude))
			}
		}
	})
}

// FuzzRelatedRequest is FuzzRecommendRequest for :recommend-related.
func FuzzRelatedRequest(f *testing.F) {
	for _, s := range []string{`{"seed_items":["i1"]}`, `{"seed_items":["i1","i2"],"limit":2.0,"exclude_items":null}`, `{"seed_items":[]}`, `{"seed_items":"i1"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, errs := parseJSON(body)
		checkErrors(t, errs)
		if errs != nil {
			return
		}
		req, errs := decodeRelated(raw, []any{"body"})
		checkErrors(t, errs)
		if errs != nil {
			return
		}
		if len(req.Seeds) < 1 || len(req.Seeds) > maxSeeds {
			t.Fatalf("%d seed_items accepted", len(req.Seeds))
		}
		checkIDs(t, "seed", req.Seeds)
		checkLimit(t, req.Limit)
		checkIDs(t, "exclude", req.Exclude)
		if len(req.Exclude) > maxExclude {
			t.Fatalf("%d exclude_items accepted", len(req.Exclude))
		}
	})
}

// FuzzBatchRequest feeds arbitrary bodies to the batch envelope decoder and
// then every element to both element decoders, as the batch verbs do.
func FuzzBatchRequest(f *testing.F) {
	for _, s := range []string{`{"requests":[{"user_id":"u1"},{"seed_items":["i1"]},5]}`, `{"requests":[],"include_metadata":true}`, `{"requests":{}}`, `{"include_metadata":"yes"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, errs := parseJSON(body)
		checkErrors(t, errs)
		if errs != nil {
			return
		}
		req, errs := decodeBatch(raw)
		checkErrors(t, errs)
		if errs != nil {
			return
		}
		if len(req.Requests) < 1 || len(req.Requests) > maxBatch {
			t.Fatalf("%d requests accepted", len(req.Requests))
		}
		for _, el := range req.Requests {
			if rec, errs := decodeRecommend(el, nil); errs != nil {
				if elementMessage(errs) == "" {
					t.Fatal("empty element message")
				}
			} else {
				checkIDs(t, "user", []string{rec.UserID})
				checkLimit(t, rec.Limit)
			}
			if rel, errs := decodeRelated(el, nil); errs != nil {
				if elementMessage(errs) == "" {
					t.Fatal("empty element message")
				}
			} else {
				checkIDs(t, "seed", rel.Seeds)
				checkLimit(t, rel.Limit)
			}
		}
	})
}
