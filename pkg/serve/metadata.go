package serve

import (
	"encoding/json"
	"strings"
)

// Metadata is a recipe's item metadata, ready to be joined into responses:
// for each item, its fields pre-encoded as a JSON object fragment in the
// recipe's `fields` order.
type Metadata struct {
	Fields []string
	frags  map[string][]byte
	bad    map[string]bool
}

// NewMetadata indexes metadata rows: items maps an item id to the values
// of fields, in order (nil for null). Fields named in deny
// (case-insensitively) and the names item_id and score (which the ranker's
// values always win) are left out. An item whose values cannot be encoded
// as JSON is served without metadata (the "fallback" case).
func NewMetadata(fields []string, items map[string][]any, deny []string) *Metadata {
	denied := map[string]bool{"item_id": true, "score": true}
	for _, d := range deny {
		denied[strings.ToLower(d)] = true
	}
	md := &Metadata{frags: make(map[string][]byte, len(items)), bad: map[string]bool{}}
	var keep []int
	for i, f := range fields {
		if !denied[strings.ToLower(f)] && f != "item_id" && f != "score" {
			keep = append(keep, i)
			md.Fields = append(md.Fields, f)
		}
	}
	keys := make([][]byte, len(fields))
	for i, f := range fields {
		keys[i], _ = json.Marshal(f)
	}
	for id, values := range items {
		var b []byte
		ok := true
		for _, i := range keep {
			var v any
			if i < len(values) {
				v = values[i]
			}
			enc, err := json.Marshal(v)
			if err != nil {
				ok = false
				break
			}
			b = append(b, ',')
			b = append(b, keys[i]...)
			b = append(b, ':')
			b = append(b, enc...)
		}
		if ok {
			md.frags[id] = b
		} else {
			md.bad[id] = true
		}
	}
	return md
}

// fragment returns the item's metadata fragment (",\"k\":v..."), or bad
// when its metadata cannot be served. Items without metadata get an empty
// fragment.
func (m *Metadata) fragment(id string) ([]byte, bool) {
	if m.bad[id] {
		return nil, true
	}
	return m.frags[id], false
}
