package algotest

import "testing"

func TestSyntheticDeterministic(t *testing.T) {
	a := Synthetic(2000, 500, 7)
	b := Synthetic(2000, 500, 7)
	if a.NNZ() != b.NNZ() || a.NNZ() == 0 {
		t.Fatalf("nnz %d vs %d", a.NNZ(), b.NNZ())
	}
	for i := range a.Indices {
		if a.Indices[i] != b.Indices[i] {
			t.Fatalf("index %d differs", i)
		}
	}
	for u := range a.Rows {
		cols, _ := a.Row(u)
		for k := 1; k < len(cols); k++ {
			if cols[k] <= cols[k-1] {
				t.Fatalf("row %d not strictly ascending", u)
			}
		}
	}
	if c := Synthetic(2000, 500, 8); c.NNZ() == a.NNZ() && c.Indices[0] == a.Indices[0] && c.Indices[len(c.Indices)-1] == a.Indices[len(a.Indices)-1] {
		t.Errorf("seeds 7 and 8 look identical")
	}
}

func TestSyntheticScale(t *testing.T) {
	if testing.Short() {
		t.Skip("5M interactions")
	}
	m := Synthetic(100000, 20000, 42)
	maxRow, maxCol := 0, 0
	cols := make([]int, m.Cols)
	for u := range m.Rows {
		maxRow = max(maxRow, m.RowLen(u))
	}
	for _, i := range m.Indices {
		cols[i]++
		maxCol = max(maxCol, cols[i])
	}
	t.Logf("nnz %d, max row %d, max column %d", m.NNZ(), maxRow, maxCol)
	if m.NNZ() < 4_800_000 || m.NNZ() > 5_300_000 {
		t.Errorf("nnz = %d, want about 5.06M", m.NNZ())
	}
}
