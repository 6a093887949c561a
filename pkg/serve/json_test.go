package serve

import (
	"encoding/json"
	"testing"
)

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "item_42", "a b", `q"uote`, `back\slash`, "<tag>&", "tab\t", "é", "\x7f", "\u2028", string([]byte{0xff})} {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}
