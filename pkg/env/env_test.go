package env

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func vars(kv ...string) Getenv {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestInt(t *testing.T) {
	const MiB, GiB = 1 << 20, 1 << 30
	for _, tc := range []struct {
		raw  string
		want int64
		warn string
	}{
		{"", 256 * MiB, ""},
		{"0", MiB, "env_var_clamped"},
		{"68719476736", 16 * GiB, "env_var_clamped"},
		{"not-a-number", 256 * MiB, "env_var_unparseable"},
		{" 2_000_000 ", 2000000, ""},
		{"1__0", 256 * MiB, "env_var_unparseable"},
		{"99999999999999999999999", 16 * GiB, "env_var_clamped"},
	} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		got := Int(vars("X", tc.raw), log, "X", 256*MiB, MiB, 16*GiB)
		if got != tc.want {
			t.Errorf("Int(%q) = %d, want %d", tc.raw, got, tc.want)
		}
		if (tc.warn == "") != (buf.Len() == 0) || !strings.Contains(buf.String(), tc.warn) {
			t.Errorf("Int(%q) logged %q, want %q", tc.raw, buf.String(), tc.warn)
		}
	}
}

func TestFloatTruthyList(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want float64
		ok   bool
	}{{"", 5, true}, {"0", 1, true}, {"31", 30, true}, {"2.5", 2.5, true}, {"abc", 0, false}, {"nan", 0, false}} {
		got, err := Float(vars("W", tc.raw), "W", 5, 1, 30)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Float(%q) = %v, %v", tc.raw, got, err)
		}
	}
	for raw, want := range map[string]bool{"1": true, "TRUE": true, " yes ": true, "On": true, "0": false, "false": false, "": false, "2": false, "enabled": false} {
		if got := Truthy(vars("T", raw), "T"); got != want {
			t.Errorf("Truthy(%q) = %v", raw, got)
		}
	}
	def := []string{"127.0.0.1", "localhost"}
	if got := List(vars("L", " , , "), "L", def); !reflect.DeepEqual(got, def) {
		t.Errorf("List(blank) = %v", got)
	}
	if got := List(vars("L", "a, b,,c "), "L", def); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("List = %v", got)
	}
}
