package pystr

import "testing"

func TestAppendFloat(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 1.5: "1.5", 12: "12.0", -3: "-3.0", 0: "0.0", 1e16: "1e+16", 1e-5: "1e-05", 0.0001: "0.0001", 123456789012345: "123456789012345.0", 0.1: "0.1"} {
		if got := string(AppendFloat(nil, f)); got != want {
			t.Errorf("AppendFloat(%v) = %q, want %q", f, got, want)
		}
	}
	if string(AppendBool(nil, true)) != "True" || string(AppendBool(nil, false)) != "False" {
		t.Error("AppendBool")
	}
}
