package algo

import (
	"strings"
	"testing"
)

func TestFieldReader(t *testing.T) {
	full := Params{"k": int64(8), "reg": 0.5, "whole": int64(3), "loss": "bpr", "norm": true, "seed": int64(-1)}
	read := func(r *FieldReader) (int, float64, float64, string, bool, int64) {
		return r.Int("k"), r.Float("reg"), r.Float("whole"), r.String("loss"), r.Bool("norm"), r.Int64("seed")
	}
	r := NewFieldReader("x.config", full)
	k, reg, whole, loss, norm, seed := read(r)
	if err := r.Err(); err != nil || k != 8 || reg != 0.5 || whole != 3 || loss != "bpr" || !norm || seed != -1 {
		t.Fatalf("full: %v: %d %v %v %q %v %d", err, k, reg, whole, loss, norm, seed)
	}
	for _, tc := range []struct {
		name string
		edit Params // nil value: delete the field
		errs []string
	}{
		{"missing", Params{"k": nil, "loss": nil}, []string{`field "k" is missing`, `field "loss" is missing`}},
		{"unknown", Params{"extra": int64(1)}, []string{`unknown field "extra"`}},
		{"string for number", Params{"reg": "0.5"}, []string{`"reg": want a number, got string`}},
		{"fraction for int", Params{"k": 8.5}, []string{`"k": want an integer, got 8.5`}},
		{"float beyond int64", Params{"seed": 1e19}, []string{`"seed": want an integer, got 1e+19`}},
		{"number for string", Params{"loss": int64(1)}, []string{`"loss": want a string, got int64`}},
		{"string for bool", Params{"norm": "true"}, []string{`"norm": want a bool, got string`}},
	} {
		p := full.Clone()
		for name, v := range tc.edit {
			if v == nil {
				delete(p, name)
			} else {
				p[name] = v
			}
		}
		r := NewFieldReader("x.config", p)
		read(r)
		err := r.Err()
		if err == nil || !strings.HasPrefix(err.Error(), "x.config: ") {
			t.Fatalf("%s: err %v", tc.name, err)
		}
		for _, want := range tc.errs {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not mention %q", tc.name, err, want)
			}
		}
	}
	// An integral float (a float field written as 3.0 by another encoder)
	// reads as an int.
	r = NewFieldReader("x.config", Params{"k": 3.0})
	if k := r.Int("k"); k != 3 || r.Err() != nil {
		t.Errorf("integral float: %d, %v", k, r.Err())
	}
}

func TestShapeOK(t *testing.T) {
	for _, tc := range []struct {
		n, rows, cols int
		want          bool
	}{
		{0, 0, 0, true},
		{0, 0, 1 << 40, true},
		{12, 3, 4, true},
		{12, 4, 4, false},
		{0, -1, 0, false},
		{0, 1 << 32, 1 << 32, false}, // 2⁶⁴ wraps to 0 without the overflow check
		{1 << 62, 1 << 31, 1 << 31, true},
	} {
		if got := ShapeOK(tc.n, tc.rows, tc.cols); got != tc.want {
			t.Errorf("ShapeOK(%d, %d, %d) = %v, want %v", tc.n, tc.rows, tc.cols, got, tc.want)
		}
	}
}
