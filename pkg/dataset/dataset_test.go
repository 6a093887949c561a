package dataset

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// in is a test row; the id null marks a null id.
type in struct {
	user, item string
	t          Time
}

const null = "\x00"

func buildRows(t *testing.T, o Options, rows []in) (*Dataset, error) {
	t.Helper()
	b, err := NewBuilder(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		row := Row{User: []byte(r.user), Item: []byte(r.item), Time: r.t}
		if r.user == null {
			row.User, row.UserNull = nil, true
		}
		if r.item == null {
			row.Item, row.ItemNull = nil, true
		}
		if err := b.Add(&row); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

func mustBuild(t *testing.T, o Options, rows []in) *Dataset {
	t.Helper()
	d, err := buildRows(t, o, rows)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.X.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

func ti(v int64) Time  { return Time{Kind: TimeInt, Int: v} }
func tt(s string) Time { return Time{Kind: TimeText, Text: []byte(s)} }
func pairs(rows ...string) []in {
	var out []in
	for _, r := range rows {
		f := strings.Split(r, ",")
		out = append(out, in{user: f[0], item: f[1]})
	}
	return out
}

func TestMinDataViolation(t *testing.T) {
	cases := []struct {
		o    Options
		rows []in
		want []string
	}{
		{Options{MinRows: 1000}, pairs("u1,i1"), []string{"n_rows 1 < min_rows 1000"}},
		{Options{MinUsers: 100}, pairs("a,i", "b,i", "c,i", "d,i", "e,i"), []string{"n_users 5 < min_users 100"}},
		{Options{MinItems: 200}, pairs("a,i", "b,i"), []string{"n_items 1 < min_items 200"}},
		{Options{MinRows: 3, MinUsers: 2, MinItems: 2}, pairs("a,i"), []string{"n_rows 1 < min_rows 3", "n_users 1 < min_users 2", "n_items 1 < min_items 2"}},
	}
	for _, c := range cases {
		_, err := buildRows(t, c.o, c.rows)
		var v *MinDataViolation
		if exitcode.Of(err) != exitcode.Training || exitcode.ReasonOf(err) != "min_data_violation" || !errors.As(err, &v) {
			t.Fatalf("%+v: err = %v, want min_data_violation", c.o, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q lacks %q", err, w)
			}
		}
		if strings.Count(err.Error(), "<") != len(c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: want exactly %d violations on one line", err, len(c.want))
		}
		if v.NRows != len(c.rows) || v.MinRows != c.o.MinRows {
			t.Errorf("violation fields %+v", v)
		}
	}
	if _, err := buildRows(t, Options{MinRows: 2, MinUsers: 2, MinItems: 1}, pairs("a,i", "b,i")); err != nil {
		t.Errorf("minimums met exactly: %v", err)
	}
}

func TestDedup(t *testing.T) {
	rows := []in{{"u1", "i1", ti(1)}, {"u1", "i1", ti(2)}, {"u2", "i1", ti(3)}, {"u1", "i1", ti(4)}}
	for _, c := range []struct {
		policy string
		rows   int
		x      []float32
		times  []int64
	}{
		{KeepLast, 2, []float32{1, 1}, []int64{3, 4}},
		{KeepFirst, 2, []float32{1, 1}, []int64{1, 3}},
		{KeepAll, 4, []float32{3, 1}, []int64{1, 2, 3, 4}},
		{"", 2, []float32{1, 1}, []int64{3, 4}},
	} {
		d := mustBuild(t, Options{Dedup: c.policy, TimeUnit: "ns"}, rows)
		want := c.policy
		if want == "" {
			want = KeepLast
		}
		s := d.Stats
		if s.NRows != c.rows || s.DropCount != 4-c.rows || s.NUsers != 2 || s.NItems != 1 || s.DedupPolicy != want {
			t.Errorf("%q: stats %+v", c.policy, s)
		}
		if !slices.Equal(d.X.Dense(), c.x) {
			t.Errorf("%q: X = %v, want %v", c.policy, d.X.Dense(), c.x)
		}
		if !slices.Equal(d.times, c.times) {
			t.Errorf("%q: kept times %v, want %v", c.policy, d.times, c.times)
		}
	}
	if _, err := NewBuilder(Options{Dedup: "sum_weight"}); exitcode.Of(err) != exitcode.Recipe {
		t.Errorf("dedup sum_weight: %v, want a recipe error", err)
	}
}

func TestNullIDs(t *testing.T) {
	rows := []in{{"u1", "i1", Time{}}, {null, "i2", Time{}}, {"u3", null, Time{}}, {"u4", "i1", Time{}}}
	d := mustBuild(t, Options{DropNullIDs: true}, rows)
	if d.Stats.NRows != 2 || d.Stats.DropCount != 2 || !slices.Equal(d.UserIDs, []string{"u1", "u4"}) || !slices.Equal(d.ItemIDs, []string{"i1"}) {
		t.Errorf("drop: %+v %v %v", d.Stats, d.UserIDs, d.ItemIDs)
	}
	d = mustBuild(t, Options{}, rows)
	if d.Stats.NRows != 4 || !slices.Equal(d.UserIDs, []string{"None", "u1", "u3", "u4"}) || !slices.Equal(d.ItemIDs, []string{"None", "i1", "i2"}) {
		t.Errorf("keep: %+v %v %v", d.Stats, d.UserIDs, d.ItemIDs)
	}
	// Empty strings are not null.
	d = mustBuild(t, Options{DropNullIDs: true}, pairs(",i"))
	if d.Stats.NRows != 1 || d.UserIDs[0] != "" {
		t.Errorf("empty id: %+v %q", d.Stats, d.UserIDs)
	}
}

func TestIDOrderAndMatrix(t *testing.T) {
	d := mustBuild(t, Options{Dedup: KeepAll}, pairs("10,b", "2,a", "1,b", "2,a", "10,a"))
	if !slices.Equal(d.UserIDs, []string{"1", "10", "2"}) || !slices.Equal(d.ItemIDs, []string{"a", "b"}) {
		t.Fatalf("ids %v %v", d.UserIDs, d.ItemIDs)
	}
	if want := []float32{0, 1, 1, 1, 2, 0}; !slices.Equal(d.X.Dense(), want) {
		t.Errorf("X = %v, want %v", d.X.Dense(), want)
	}
}

func TestTimes(t *testing.T) {
	_, err := buildRows(t, Options{}, []in{{"u", "i", ti(5)}})
	if exitcode.Of(err) != exitcode.Training || exitcode.ReasonOf(err) != "time_unit_required" {
		t.Errorf("numeric without unit: %v", err)
	}
	_, err = buildRows(t, Options{InferNumericText: true}, []in{{"u", "i", tt("964982703")}})
	if exitcode.ReasonOf(err) != "time_unit_required" {
		t.Errorf("numeric text without unit: %v", err)
	}
	// Typed text is never read as a number.
	_, err = buildRows(t, Options{TimeUnit: "s"}, []in{{"u", "i", tt("964982703")}})
	if exitcode.ReasonOf(err) != "time_column_parse_error" {
		t.Errorf("typed numeric text: %v, want time_column_parse_error", err)
	}
	b, _ := NewBuilder(Options{TimeUnit: "s"})
	b.SetInferNumericText(true)
	if err := b.Add(&Row{User: []byte("u"), Item: []byte("i"), Time: tt("5")}); err != nil {
		t.Fatal(err)
	}
	if d, err := b.Build(); err != nil || d.times[0] != 5e9 || b.Len() != 0 {
		t.Errorf("SetInferNumericText: %v %v", d, err)
	}
	for _, c := range []struct {
		o    Options
		t    Time
		want time.Time
	}{
		{Options{TimeUnit: "s"}, ti(0), time.Unix(0, 0)},
		{Options{TimeUnit: "s"}, ti(964982703), time.Unix(964982703, 0)},
		{Options{TimeUnit: "ms"}, ti(1500), time.Unix(1, 5e8)},
		{Options{TimeUnit: "us"}, ti(1500), time.Unix(0, 15e5)},
		{Options{TimeUnit: "s"}, Time{Kind: TimeFloat, Float: 1.5}, time.Unix(1, 5e8)},
		{Options{TimeUnit: "s", InferNumericText: true}, tt("2.25"), time.Unix(2, 25e7)},
		{Options{}, tt("2024-01-02T03:04:05Z"), time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{Options{}, tt("2024-01-02 03:04:05.5+09:00"), time.Date(2024, 1, 1, 18, 4, 5, 5e8, time.UTC)},
		{Options{}, tt("2024-01-02"), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{Options{InferNumericText: true}, tt("2024-01-02"), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{Options{}, Time{Kind: TimeInstant, Instant: time.Date(2020, 5, 5, 0, 0, 0, 0, time.FixedZone("x", 3600))}, time.Date(2020, 5, 4, 23, 0, 0, 0, time.UTC)},
	} {
		d := mustBuild(t, c.o, []in{{"u", "i", c.t}})
		if !d.HasTime() || d.times[0] != c.want.UnixNano() {
			t.Errorf("%+v %+v: time %v, want %v", c.o, c.t, time.Unix(0, d.times[0]).UTC(), c.want.UTC())
		}
	}
	for _, rows := range [][]in{
		{{"u", "i", tt("yesterday")}},
		{{"u", "i", tt("2024-01-02")}, {"u", "j", ti(5)}},
	} {
		_, err := buildRows(t, Options{TimeUnit: "s"}, rows)
		if exitcode.Of(err) != exitcode.Training || exitcode.ReasonOf(err) != "time_column_parse_error" {
			t.Errorf("%v: err = %v, want time_column_parse_error", rows, err)
		}
	}
	if _, err := NewBuilder(Options{TimeUnit: "h"}); exitcode.Of(err) != exitcode.Recipe {
		t.Errorf("time_unit h: %v, want a recipe error", err)
	}
	// No time column at all.
	if d := mustBuild(t, Options{}, pairs("u,i")); d.HasTime() {
		t.Error("HasTime without a time column")
	}
	// Null times are kept as nulls; a time split refuses them.
	d := mustBuild(t, Options{TimeUnit: "s"}, []in{{"u", "i", ti(1)}, {"u", "j", Time{Kind: TimeNull}}})
	if d.times[1] != nullTime {
		t.Errorf("null time stored as %d", d.times[1])
	}
	if _, err := d.Split(SplitConfig{Scheme: SchemeTimeUser, HeldoutRatio: 0.5, TestUserRatio: 1}); exitcode.ReasonOf(err) != "split_error" {
		t.Errorf("time split with a null time: %v", err)
	}
}

// grid is users u00..u(nu-1) × items i0..i(ni-1) with time u·ni+i.
func grid(t *testing.T, nu, ni int) *Dataset {
	var rows []in
	for u := 0; u < nu; u++ {
		for i := 0; i < ni; i++ {
			rows = append(rows, in{fmt.Sprintf("u%02d", u), fmt.Sprintf("i%d", i), ti(int64(u*ni + i))})
		}
	}
	return mustBuild(t, Options{TimeUnit: "ns"}, rows)
}

func splitOK(t *testing.T, d *Dataset, c SplitConfig) *Split {
	t.Helper()
	s, err := d.Split(c)
	if err != nil {
		t.Fatalf("%+v: %v", c, err)
	}
	if s.Train.Validate() != nil || s.Heldout.Validate() != nil || s.Train.Rows != s.Offset+s.Heldout.Rows || len(s.Users) != s.Train.Rows {
		t.Fatalf("%+v: inconsistent split %v", c, s)
	}
	return s
}

func same(a, b *Split) bool {
	return slices.Equal(a.Heldout.Dense(), b.Heldout.Dense()) && slices.Equal(a.Train.Dense(), b.Train.Dense()) && slices.Equal(a.Users, b.Users)
}

func TestSplitRandom(t *testing.T) {
	d := grid(t, 20, 10)
	c := SplitConfig{Scheme: SchemeRandom, HeldoutRatio: 0.3, TestUserRatio: 1, Seed: 1}
	a, b := splitOK(t, d, c), splitOK(t, d, c)
	if !same(a, b) {
		t.Error("same seed twice: different splits")
	}
	c.Seed = 999
	if same(a, splitOK(t, d, c)) {
		t.Error("seeds 1 and 999: identical splits")
	}
	if a.Offset != 0 || a.Heldout.Rows != 20 || a.Heldout.NNZ() != 20*3 || a.Train.NNZ() != 20*7 {
		t.Errorf("default test_user_ratio: offset %d, %d validation users, held-out %d, train %d", a.Offset, a.Heldout.Rows, a.Heldout.NNZ(), a.Train.NNZ())
	}
	// Held-out and kept items partition each validation user's items.
	for k := 0; k < a.Heldout.Rows; k++ {
		h, _ := a.Heldout.Row(k)
		tr, _ := a.Train.Row(a.Offset + k)
		all := slices.Concat(h, tr)
		slices.Sort(all)
		if !slices.Equal(all, []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Fatalf("user %d: held-out %v + kept %v", k, h, tr)
		}
	}
	// Partial user holdout: floor(U·ratio) validation users; training
	// users keep all their rows.
	c.TestUserRatio = 0.33
	p := splitOK(t, d, c)
	if p.Heldout.Rows != 6 || p.Offset != 14 {
		t.Errorf("ratio 0.33 of 20: %d validation users, offset %d", p.Heldout.Rows, p.Offset)
	}
	for k := 0; k < p.Offset; k++ {
		if p.Train.RowLen(k) != 10 {
			t.Errorf("training user row %d has %d items", k, p.Train.RowLen(k))
		}
	}
	// The deliberate fix: random ignores a time column.
	var rows []in
	for u := 0; u < 20; u++ {
		for i := 0; i < 10; i++ {
			rows = append(rows, in{fmt.Sprintf("u%02d", u), fmt.Sprintf("i%d", i), Time{}})
		}
	}
	noTime := mustBuild(t, Options{}, rows)
	c.TestUserRatio = 1
	c.Seed = 1
	if !same(a, splitOK(t, noTime, c)) {
		t.Error("random split depends on the time column")
	}
	if same(a, splitOK(t, d, SplitConfig{Scheme: SchemeTimeUser, HeldoutRatio: 0.3, TestUserRatio: 1, Seed: 1})) {
		t.Error("random equals time_user")
	}
}

func TestSplitBinaryUnderDedupNone(t *testing.T) {
	rows := []in{{"u", "a", ti(1)}, {"u", "a", ti(9)}, {"u", "b", ti(2)}, {"u", "c", ti(3)}, {"u", "d", ti(4)}}
	d := mustBuild(t, Options{Dedup: KeepAll, TimeUnit: "s"}, rows)
	s := splitOK(t, d, SplitConfig{Scheme: SchemeTimeUser, HeldoutRatio: 0.5, TestUserRatio: 1})
	// Distinct items a(1) b(2) c(3) d(4), first rows kept: hold out c, d.
	if !slices.Equal(s.Train.Dense(), []float32{1, 1, 0, 0}) || !slices.Equal(s.Heldout.Dense(), []float32{0, 0, 1, 1}) {
		t.Errorf("train %v held-out %v", s.Train.Dense(), s.Heldout.Dense())
	}
}

func TestSplitTimeUser(t *testing.T) {
	d := grid(t, 20, 10)
	s := splitOK(t, d, SplitConfig{Scheme: SchemeTimeUser, HeldoutRatio: 0.2, TestUserRatio: 1, Seed: 3})
	for k := 0; k < s.Heldout.Rows; k++ {
		h, _ := s.Heldout.Row(k)
		if !slices.Equal(h, []int32{8, 9}) {
			t.Errorf("user %d holds out %v, want its 2 latest items [8 9]", k, h)
		}
	}
	// Equal times: the later source row counts as more recent.
	rows := []in{{"u", "a", ti(5)}, {"u", "b", ti(5)}, {"u", "c", ti(1)}}
	s = splitOK(t, mustBuild(t, Options{TimeUnit: "s"}, rows), SplitConfig{Scheme: SchemeTimeUser, HeldoutRatio: 0.34, TestUserRatio: 1})
	if !slices.Equal(s.Heldout.Dense(), []float32{0, 1, 0}) {
		t.Errorf("tie: held-out %v, want item b", s.Heldout.Dense())
	}
}

func TestSplitTimeGlobal(t *testing.T) {
	d := grid(t, 20, 10)
	c := SplitConfig{Scheme: SchemeTimeGlobal, HeldoutRatio: 0.2, TestUserRatio: 1}
	s := splitOK(t, d, c)
	q := 0.8 * 199 // quantile of 0..199
	for k := 0; k < s.Heldout.Rows; k++ {
		u := int(s.Users[s.Offset+k])
		h, _ := s.Heldout.Row(k)
		for _, i := range h {
			if ts := float64(u*10 + int(i)); ts < q {
				t.Errorf("held-out time %g < quantile %g", ts, q)
			}
		}
		tr, _ := s.Train.Row(s.Offset + k)
		for _, i := range tr {
			if ts := float64(u*10 + int(i)); ts >= q {
				t.Errorf("kept time %g ≥ quantile %g", ts, q)
			}
		}
	}
	if s.Heldout.NNZ() != 40 || s.Heldout.Rows != 4 || s.Offset != 16 {
		t.Errorf("held-out %d in %d users, offset %d; want 40, 4, 16", s.Heldout.NNZ(), s.Heldout.Rows, s.Offset)
	}
	tu := splitOK(t, d, SplitConfig{Scheme: SchemeTimeUser, HeldoutRatio: 0.2, TestUserRatio: 1})
	if same(s, tu) {
		t.Error("time_global equals time_user")
	}
	// No user is lost to rounding: every validatable user is a training or
	// a validation user, for every ratio.
	wide := grid(t, 40, 5)
	for _, r := range []float64{0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99} {
		s := splitOK(t, wide, SplitConfig{Scheme: SchemeTimeGlobal, HeldoutRatio: 0.5, TestUserRatio: r, Seed: 7})
		if s.Train.Rows != 40 {
			t.Errorf("test_user_ratio %g: %d of 40 users in the search data", r, s.Train.Rows)
		}
		if want := 20 - int(math.Floor((1-r)*20)); s.Heldout.Rows != want {
			t.Errorf("test_user_ratio %g: %d validation users, want %d", r, s.Heldout.Rows, want)
		}
		if s.Train.NNZ()+s.Heldout.NNZ() != 200 {
			t.Errorf("test_user_ratio %g: %d interactions, want 200", r, s.Train.NNZ()+s.Heldout.NNZ())
		}
	}
	// Counts are summed under dedup none, with no re-dedup.
	rows := []in{{"u", "a", ti(1)}, {"u", "a", ti(2)}, {"u", "b", ti(10)}, {"u", "b", ti(11)}}
	s = splitOK(t, mustBuild(t, Options{Dedup: KeepAll, TimeUnit: "s"}, rows), SplitConfig{Scheme: SchemeTimeGlobal, HeldoutRatio: 0.5, TestUserRatio: 1})
	if !slices.Equal(s.Train.Dense(), []float32{2, 0}) || !slices.Equal(s.Heldout.Dense(), []float32{0, 2}) {
		t.Errorf("counts: train %v held-out %v", s.Train.Dense(), s.Heldout.Dense())
	}
}

func TestSplitErrors(t *testing.T) {
	tiny := mustBuild(t, Options{TimeUnit: "s"}, []in{{"a", "i", ti(1)}, {"b", "j", ti(2)}})
	empty := mustBuild(t, Options{TimeUnit: "s"}, nil)
	noTime := mustBuild(t, Options{}, pairs("a,i"))
	for name, c := range map[string]struct {
		d *Dataset
		c SplitConfig
	}{
		"floor(1·0.001)=0":  {tiny, SplitConfig{Scheme: SchemeRandom, HeldoutRatio: 0.001, TestUserRatio: 1}},
		"empty random":      {empty, SplitConfig{Scheme: SchemeRandom, HeldoutRatio: 0.1, TestUserRatio: 1}},
		"empty time_global": {empty, SplitConfig{Scheme: SchemeTimeGlobal, HeldoutRatio: 0.1, TestUserRatio: 1}},
		"no time column":    {noTime, SplitConfig{Scheme: SchemeTimeUser, HeldoutRatio: 0.1, TestUserRatio: 1}},
		"heldout 0":         {tiny, SplitConfig{Scheme: SchemeRandom, HeldoutRatio: 0, TestUserRatio: 1}},
		"heldout 1":         {tiny, SplitConfig{Scheme: SchemeRandom, HeldoutRatio: 1, TestUserRatio: 1}},
		"test ratio 0":      {tiny, SplitConfig{Scheme: SchemeRandom, HeldoutRatio: 0.5, TestUserRatio: 0}},
		"unknown scheme":    {tiny, SplitConfig{Scheme: "weekly", HeldoutRatio: 0.5, TestUserRatio: 1}},
	} {
		_, err := c.d.Split(c.c)
		if exitcode.Of(err) != exitcode.Training || exitcode.ReasonOf(err) != "split_error" {
			t.Errorf("%s: err = %v, want split_error", name, err)
		}
	}
}

// BenchmarkBuild5M streams 5M synthetic rows (100k users, 20k items) into a
// Builder and builds the dataset.
func BenchmarkBuild5M(b *testing.B) {
	const n, nu, ni = 5_000_000, 100_000, 20_000
	users := make([][]byte, nu)
	items := make([][]byte, ni)
	for k := range users {
		users[k] = fmt.Appendf(nil, "user-%d", k)
	}
	for k := range items {
		items[k] = fmt.Appendf(nil, "item-%d", k)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	ru, ri := make([]int32, n), make([]int32, n)
	for k := range ru {
		ru[k], ri[k] = int32(rng.IntN(nu)), int32(rng.IntN(ni))
	}
	var retained float64
	for b.Loop() {
		bl, _ := NewBuilder(Options{Dedup: KeepLast})
		var row Row
		for k := 0; k < n; k++ {
			row.User, row.Item = users[ru[k]], items[ri[k]]
			if err := bl.Add(&row); err != nil {
				b.Fatal(err)
			}
		}
		d, err := bl.Build()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		retained = float64(ms.HeapAlloc) / n
		runtime.KeepAlive(d)
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(retained, "retained-bytes/row")
}

// BenchmarkSplit2M splits 2M synthetic timed rows (40k users, 20k items)
// with each scheme.
func BenchmarkSplit2M(b *testing.B) {
	const n, nu, ni = 2_000_000, 40_000, 20_000
	bl, _ := NewBuilder(Options{Dedup: KeepLast, TimeUnit: "s"})
	rng := rand.New(rand.NewPCG(2, 2))
	var row Row
	for k := 0; k < n; k++ {
		row.User = fmt.Appendf(row.User[:0], "user-%d", rng.IntN(nu))
		row.Item = fmt.Appendf(row.Item[:0], "item-%d", rng.IntN(ni))
		row.Time = Time{Kind: TimeInt, Int: int64(rng.IntN(1 << 30))}
		if err := bl.Add(&row); err != nil {
			b.Fatal(err)
		}
	}
	d, err := bl.Build()
	if err != nil {
		b.Fatal(err)
	}
	for _, scheme := range []string{SchemeRandom, SchemeTimeUser, SchemeTimeGlobal} {
		b.Run(scheme, func(b *testing.B) {
			for b.Loop() {
				if _, err := d.Split(SplitConfig{Scheme: scheme, HeldoutRatio: 0.1, TestUserRatio: 1, Seed: 42}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
