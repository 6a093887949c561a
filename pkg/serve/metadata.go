package serve

import (
	"encoding/json"

	"github.com/codelibs/recotem-go/pkg/metadata"
)

// Metadata is a recipe's item metadata, ready to be joined into responses:
// for each item, its fields pre-encoded once per load as a JSON object
// fragment in the recipe's `fields` order, so requests do no encoding.
type Metadata struct {
	frags map[string][]byte
	bad   map[string]bool
	// Dropped counts rows the index skipped at build time.
	Dropped int
}

// newMetadata pre-encodes an index. The fields item_id and score are left
// out (the ranker's values always win). An item whose values cannot be
// encoded as JSON is served bare (the "fallback" case).
func newMetadata(ix *metadata.Index) *Metadata {
	fields := ix.Fields()
	keys := make([][]byte, len(fields))
	for i, f := range fields {
		keys[i], _ = json.Marshal(f)
	}
	md := &Metadata{frags: make(map[string][]byte, ix.Len()), bad: map[string]bool{}, Dropped: ix.Dropped}
	ix.Each(func(id string, values []any) {
		var b []byte
		for i, f := range fields {
			if f == "item_id" || f == "score" {
				continue
			}
			var v any
			if i < len(values) {
				v = values[i]
			}
			enc, err := json.Marshal(v)
			if err != nil {
				md.bad[id] = true
				return
			}
			b = append(b, ',')
			b = append(b, keys[i]...)
			b = append(b, ':')
			b = append(b, enc...)
		}
		md.frags[id] = b
	})
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
