package recipe

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

// TestYAML11Resolution compares plain-scalar resolution with PyYAML's
// safe_load. testdata/yaml11.json was generated with PyYAML 6.0.3: for each
// input, the Python type and value of `yaml.safe_load("v: <input>")["v"]`
// (floats as repr, datetimes as naive UTC isoformat).
func TestYAML11Resolution(t *testing.T) {
	data, err := os.ReadFile("testdata/yaml11.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		In    string `json:"in"`
		Kind  string `json:"kind"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		n, err := parseYAML([]byte("v: " + c.In + "\n"))
		if c.Kind == "error" {
			if err == nil {
				t.Errorf("%q: decoded, PyYAML fails", c.In)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.In, err)
			continue
		}
		v, _ := n.get("v")
		kind, value := "", ""
		switch v.kind {
		case kBool:
			kind, value = "bool", strconv.FormatBool(v.b)
		case kInt:
			kind, value = "int", pyStr(v)
		case kFloat:
			kind, value = "float", pyFloat(v.f)
		case kNull:
			kind = "null"
		case kString:
			kind, value = "string", v.s
		case kDate:
			kind, value = "date", v.s
		case kTime:
			kind, value = "time", pyISOFormat(v.t)
		}
		if kind != c.Kind || value != c.Value {
			t.Errorf("%q: got %s %q, PyYAML %s %q", c.In, kind, value, c.Kind, c.Value)
		}
	}
}
