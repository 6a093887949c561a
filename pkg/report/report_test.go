package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"gonum.org/v1/plot"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/catalog"
	"github.com/codelibs/recotem-go/pkg/tune"
)

var update = flag.Bool("update", false, "rewrite testdata/report.png from the Chromium screenshot")

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// spaces returns the real search spaces of every algorithm.
func spaces(t testing.TB) map[string][]algo.Param {
	t.Helper()
	out := map[string][]algo.Param{}
	for _, c := range algo.Classes {
		spec, err := catalog.Lookup(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(spec.Space) > 0 {
			out[c] = spec.Space
		}
	}
	return out
}

// synth builds n trials over classes, deterministic for a seed: most
// complete, some pruned (with intermediate scores), some failed.
func synth(classes []string, n int, seed uint64, sp map[string][]algo.Param) []tune.Trial {
	rng := rand.New(rand.NewPCG(seed, 7))
	var ts []tune.Trial
	for i := 0; i < n; i++ {
		c := classes[i%len(classes)]
		p := algo.Params{}
		for _, q := range sp[c] {
			switch q.Kind {
			case algo.Categorical:
				p[q.Name] = q.Choices[rng.IntN(len(q.Choices))]
			case algo.Int:
				p[q.Name] = int(q.Low) + rng.IntN(int(q.High-q.Low)+1)
			default:
				if q.Log {
					p[q.Name] = math.Exp(math.Log(q.Low) + rng.Float64()*(math.Log(q.High)-math.Log(q.Low)))
				} else {
					p[q.Name] = q.Low + rng.Float64()*(q.High-q.Low)
				}
			}
		}
		tr := tune.Trial{
			Number:   i,
			Class:    c,
			Params:   p,
			State:    tune.Complete,
			Score:    0.08 + 0.03*float64(indexOf(algo.Classes, c)) + 0.1*rng.Float64(),
			Started:  t0.Add(time.Duration(i) * 3 * time.Second),
			Finished: t0.Add(time.Duration(i)*3*time.Second + time.Duration(200+rng.IntN(2500))*time.Millisecond),
		}
		switch {
		case i%9 == 4:
			tr.State, tr.Score, tr.Error = tune.Failed, 0, "fit: matrix is singular <at> row 3 & col 4"
		case i%8 == 5:
			tr.State, tr.Score = tune.Pruned, 0
			tr.Steps = map[int]float64{4: 0.05 + 0.05*rng.Float64(), 9: 0.06 + 0.05*rng.Float64()}
		case c == algo.IALS || c == algo.BPRFM:
			tr.Attrs = map[string]any{"train_epochs": 5 * (1 + rng.IntN(6))}
		}
		ts = append(ts, tr)
	}
	return ts
}

func summary(recipe string, ts []tune.Trial) Summary {
	s := Summary{
		Recipe:     recipe,
		RecipeHash: "sha256:0f3c9a",
		RunID:      "nightly-2026-03-14",
		Metric:     "ndcg",
		Cutoff:     20,
		Split:      Split{Scheme: "random", HeldoutRatio: 0.1, TestUserRatio: 1, Seed: 42},
		Data: Data{Rows: 100000, Users: 943, Items: 1682, Dedup: "keep_last",
			ValidationUsers: 943, TrainNNZ: 90570, HeldoutNNZ: 9430},
		Started:      t0,
		Finished:     t0.Add(2*time.Minute + 3*time.Second),
		Artifact:     "/var/lib/recotem/ml-100k.recotem",
		ModelVersion: "20260314T092653Z-0f3c9a",
	}
	for _, t := range ts {
		if t.State == tune.Complete && !math.IsNaN(t.Score) && (s.Best.State != tune.Complete || t.Score > s.Best.Score) {
			s.Best = t
		}
	}
	return s
}

func TestWrite(t *testing.T) {
	sp := spaces(t)
	seven := synth(algo.Classes, 40, 1, sp)
	onlyFailed := synth([]string{algo.IALS, algo.TopPop}, 5, 2, sp)
	for i := range onlyFailed {
		onlyFailed[i].State, onlyFailed[i].Score, onlyFailed[i].Error = tune.Failed, 0, fmt.Sprintf("error %d", i)
	}
	messy := messyTrials()
	cases := []struct {
		name    string
		recipe  string
		trials  []tune.Trial
		classes int
	}{
		{"no trials", "empty", nil, 0},
		{"only failed", "broken", onlyFailed, 2},
		{"one algorithm", "ials-only", synth([]string{algo.IALS}, 12, 3, sp), 1},
		{"seven algorithms", "ml-100k", seven, 7},
		{"script in recipe name", `<script>alert("x")</script>`, seven[:9], 7},
		{"messy values", "messy & odd", messy, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := summary(tc.recipe, tc.trials)
			var buf bytes.Buffer
			if err := Write(&buf, s, tc.trials, sp); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			doc, err := html.Parse(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}

			// One <svg> per plot: score per trial, best so far, one panel per algorithm.
			svgs := find(doc, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "svg" })
			if want := 2 + tc.classes; len(svgs) != want {
				t.Errorf("%d <svg> elements, want %d", len(svgs), want)
			}
			for _, n := range svgs {
				if n.Namespace != "svg" {
					t.Errorf("<svg> parsed in namespace %q", n.Namespace)
				}
			}
			wellFormedSVG(t, out, 2+tc.classes)

			// Every trial has its row.
			for _, tr := range tc.trials {
				id := fmt.Sprintf("trial-%d", tr.Number)
				rows := find(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "id") == id })
				if len(rows) != 1 {
					t.Errorf("%d rows with id %s, want 1", len(rows), id)
				}
			}
			// Rows are in trial-number order.
			var ids []string
			for _, n := range find(doc, func(n *html.Node) bool { return n.Data == "tr" && strings.HasPrefix(attr(n, "id"), "trial-") }) {
				ids = append(ids, attr(n, "id"))
			}
			for i := 1; i < len(ids); i++ {
				var a, b int
				fmt.Sscanf(ids[i-1], "trial-%d", &a)
				fmt.Sscanf(ids[i], "trial-%d", &b)
				if a >= b {
					t.Errorf("rows out of order: %s before %s", ids[i-1], ids[i])
				}
			}

			// The best trial, and only it, is highlighted.
			best := find(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "class") == "best" })
			if s.Best.State == tune.Complete {
				if len(best) != 1 || attr(best[0], "id") != fmt.Sprintf("trial-%d", s.Best.Number) {
					t.Errorf("highlighted rows %v, want trial-%d", ids, s.Best.Number)
				}
			} else if len(best) != 0 {
				t.Errorf("%d highlighted rows without a best trial", len(best))
			}

			// User strings are escaped: no script element, the recipe name appears as text.
			if n := find(doc, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "script" }); len(n) != 0 {
				t.Errorf("page has %d <script> elements", len(n))
			}
			h1 := find(doc, func(n *html.Node) bool { return n.Data == "h1" })
			if len(h1) != 1 || !strings.Contains(textOf(h1[0]), tc.recipe) {
				t.Errorf("<h1> does not show the recipe name %q", tc.recipe)
			}

			// Nothing is loaded from elsewhere.
			selfContained(t, doc, out)

			// Same input, same bytes.
			var again bytes.Buffer
			if err := Write(&again, s, tc.trials, sp); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, again.Bytes()) {
				t.Error("output differs between two renderings of the same input")
			}
		})
	}
}

// TestWriteInputOrder checks that the page does not depend on the order of
// the trials given.
func TestWriteInputOrder(t *testing.T) {
	sp := spaces(t)
	ts := synth(algo.Classes, 20, 9, sp)
	rev := make([]tune.Trial, len(ts))
	for i, tr := range ts {
		rev[len(ts)-1-i] = tr
	}
	var a, b bytes.Buffer
	if err := Write(&a, summary("order", ts), ts, sp); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, summary("order", ts), rev, sp); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("output depends on the order of the trials")
	}
}

// TestMainParam checks the choice of each panel's x axis.
func TestMainParam(t *testing.T) {
	space := []algo.Param{{Name: "a", Kind: algo.Int, Low: 1, High: 9}, {Name: "b", Kind: algo.Float, Low: 1e-3, High: 1, Log: true}}
	cases := []struct {
		name   string
		trials []tune.Trial
		space  []algo.Param
		want   string
	}{
		{"first varying", []tune.Trial{{Params: algo.Params{"a": 1, "b": 0.1}}, {Params: algo.Params{"a": 2, "b": 0.2}}}, space, "a"},
		{"first constant", []tune.Trial{{Params: algo.Params{"a": 1, "b": 0.1}}, {Params: algo.Params{"a": 1, "b": 0.2}}}, space, "b"},
		{"single trial", []tune.Trial{{Params: algo.Params{"b": 0.1}}}, space, "b"},
		{"no space", []tune.Trial{{Params: algo.Params{"a": 1}}}, nil, ""},
		{"not in trials", []tune.Trial{{Params: algo.Params{"c": 1}}}, space, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := mainParam(tc.trials, tc.space)
			if got := map[bool]string{true: p.Name, false: ""}[ok]; got != tc.want {
				t.Errorf("main parameter %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTicks(t *testing.T) {
	cases := []struct {
		ticker    plot.Ticker
		lo, hi    float64
		want      []string
		minLabels int
	}{
		{trialTicks, -0.5, 0.5, []string{"0"}, 1},
		{trialTicks, -0.5, 3.5, []string{"0", "1", "2", "3"}, 4},
		{trialTicks, -1, 40, []string{"0", "5", "10", "15", "20", "25", "30", "35", "40"}, 0},
		{niceTicks{n: 6}, 0.04, 0.37, []string{"0.05", "0.10", "0.15", "0.20", "0.25", "0.30", "0.35"}, 0},
		{niceTicks{n: 5}, -10, 1010, []string{"0", "200", "400", "600", "800", "1000"}, 0},
		{niceTicks{n: 5}, -0.2, 0.2, []string{"-0.2", "-0.1", "0.0", "0.1", "0.2"}, 0},
		{logTicks{}, 1e-9, 1e-2, nil, 7},
		{logTicks{}, 3e-3, 1, nil, 3},
		{logTicks{}, 0.2, 0.5, nil, 2},
		{logTicks{}, 12, 13, nil, 2},
	}
	for _, tc := range cases {
		var got []string
		for _, tk := range tc.ticker.Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
			if tk.Value < tc.lo || tk.Value > tc.hi {
				t.Errorf("%T(%g, %g): tick %g out of range", tc.ticker, tc.lo, tc.hi, tk.Value)
			}
		}
		if tc.want != nil && strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%T(%g, %g) labels %q, want %q", tc.ticker, tc.lo, tc.hi, got, tc.want)
		}
		if len(got) < tc.minLabels {
			t.Errorf("%T(%g, %g) labels %q, want at least %d", tc.ticker, tc.lo, tc.hi, got, tc.minLabels)
		}
	}
}

func TestWriteFile(t *testing.T) {
	sp := spaces(t)
	ts := synth([]string{algo.TopPop, algo.TruncatedSVD}, 4, 5, sp)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, summary("file", ts), ts, sp); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("<!DOCTYPE html>")) {
		t.Errorf("file starts with %q", got[:min(len(got), 20)])
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the report", len(entries))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "r.html"), summary("file", ts), ts, sp); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	if err := Write(failWriter{}, Summary{}, nil, nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error %v, want the writer's", err)
	}
}

// TestChromium renders the page in headless Chromium and checks the
// screenshot is a real picture. With -update it refreshes
// testdata/report.png.
func TestChromium(t *testing.T) {
	const bin = "/usr/bin/chromium"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("no Chromium at " + bin)
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	sp := spaces(t)
	ts := synth(algo.Classes, 40, 1, sp)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := WriteFile(page, summary("ml-100k", ts), ts, sp); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot,
		"--window-size=1280,2000", "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %dx%d, want 1280x2000", b.Dx(), b.Dy())
	}
	if len(raw) < 50<<10 {
		t.Errorf("screenshot is %d bytes, want a real page", len(raw))
	}
	if n := colours(img); n < 50 {
		t.Errorf("screenshot has %d colours, want a real page", n)
	}
	if *update {
		small, err := shrink(img)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "report.png"), small, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// colours counts the distinct colours of an image, up to 1000.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// shrink encodes the screenshot at maximum compression.
func shrink(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	if match(n) {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, find(c, match)...)
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for _, t := range find(n, func(n *html.Node) bool { return n.Type == html.TextNode }) {
		b.WriteString(t.Data)
	}
	return b.String()
}

// wellFormedSVG checks that the page holds want <svg> elements, each a
// well-formed XML document using only the embedded font.
func wellFormedSVG(t *testing.T, page []byte, want int) {
	t.Helper()
	parts := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAll(page, -1)
	if len(parts) != want {
		t.Errorf("%d <svg>…</svg> parts, want %d", len(parts), want)
	}
	family := regexp.MustCompile(`font-family:([^;"]*)`)
	for i, p := range parts {
		d := xml.NewDecoder(bytes.NewReader(p))
		texts := 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("svg %d: %v", i, err)
				break
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "text" {
				texts++
			}
		}
		if texts == 0 {
			t.Errorf("svg %d has no text", i)
		}
		if bytes.Contains(p, []byte("NaN")) || bytes.Contains(p, []byte("Inf")) {
			t.Errorf("svg %d holds a non-finite coordinate", i)
		}
		for _, m := range family.FindAllSubmatch(p, -1) {
			if string(m[1]) != "Liberation Sans" {
				t.Errorf("svg %d uses font %q, which the page does not embed", i, m[1])
			}
		}
	}
}

// selfContained checks that the page references nothing outside itself.
func selfContained(t *testing.T, doc *html.Node, page []byte) {
	t.Helper()
	for _, n := range find(doc, func(n *html.Node) bool { return n.Type == html.ElementNode }) {
		for _, a := range n.Attr {
			if a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" {
				t.Errorf("<%s> has %s=%q", n.Data, a.Key, a.Val)
			}
		}
		switch n.Data {
		case "link", "script", "img", "iframe", "object", "embed":
			t.Errorf("page has a <%s> element", n.Data)
		}
	}
	for _, m := range regexp.MustCompile(`url\(([^)]{0,16})`).FindAllSubmatch(page, -1) {
		if !bytes.HasPrefix(m[1], []byte("data:")) {
			t.Errorf("page loads url(%s…)", m[1])
		}
	}
	if bytes.Contains(page, []byte("@import")) {
		t.Error("page has an @import")
	}
	if !bytes.Contains(page, []byte("@font-face{font-family:\"Liberation Sans\"")) {
		t.Error("page does not embed the plot font")
	}
}

// messyTrials are trials with values a report must survive: a NaN score,
// a zero value of a log parameter, an unknown class, markup in a value, a
// running trial and a pruned one with only an infinite step score.
func messyTrials() []tune.Trial {
	return []tune.Trial{
		{Number: 3, Class: algo.IALS, State: tune.Complete, Score: math.NaN(), Params: algo.Params{"n_components": 8}},
		{Number: 1, Class: algo.RP3beta, State: tune.Complete, Score: 0.2, Params: algo.Params{"beta": 0.0, "top_k": 10}},
		{Number: 2, Class: "MysteryRecommender", State: tune.Complete, Score: 0.1, Params: algo.Params{"x": "y"}},
		{Number: 0, Class: algo.CosineKNN, State: tune.Complete, Score: 0.15, Params: algo.Params{"feature_weighting": "<b>odd</b>", "normalize": true}},
		{Number: 4, Class: algo.BPRFM, State: tune.Running, Started: t0},
		{Number: 5, Class: algo.BPRFM, State: tune.Pruned, Steps: map[int]float64{0: math.Inf(1)}},
	}
}

func BenchmarkWrite(b *testing.B) {
	sp := spaces(b)
	ts := synth(algo.Classes, 40, 1, sp)
	s := summary("bench", ts)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := Write(io.Discard, s, ts, sp); err != nil {
			b.Fatal(err)
		}
	}
}
