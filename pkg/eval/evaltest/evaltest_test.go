package evaltest

import (
	"slices"
	"testing"
)

func TestLoad(t *testing.T) {
	d, err := Load("testdata/tiny", "ml-100k")
	if err != nil {
		t.Fatal(err)
	}
	// Items sorted numerically: 9 < 10 < 20 < 30.
	if !slices.Equal(d.ItemIDs, []string{"9", "10", "20", "30"}) || !slices.Equal(d.UserIDs, []string{"1", "2", "3"}) || d.Offset != 1 {
		t.Fatalf("ids %v %v offset %d", d.ItemIDs, d.UserIDs, d.Offset)
	}
	if got := d.Train.Dense(); !slices.Equal(got, []float32{0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1}) {
		t.Errorf("train = %v", got)
	}
	if got := d.Heldout.Dense(); !slices.Equal(got, []float32{0, 0, 1, 0, 1, 0, 0, 0}) {
		t.Errorf("held-out = %v", got)
	}
	if _, err := Load("testdata/tiny", "nope"); err == nil {
		t.Error("unknown set: want an error")
	}
	if _, err := Load("testdata/missing", "ml-100k"); err == nil {
		t.Error("missing directory: want an error")
	}
}

func TestSharedDirEnv(t *testing.T) {
	t.Setenv(SharedDirEnv, "testdata/none")
	if _, ok := SharedDir(); ok {
		t.Error("a missing RECOTEM_SHARED_DIR was accepted")
	}
}
