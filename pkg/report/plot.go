package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/tune"
)

// sans is the one font face of every plot; fontFaceCSS embeds it in the
// page, so the plots render with the metrics gonum/plot laid them out with.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

var (
	fontOnce sync.Once
	fontCSS  string
	fontErr  error
)

// fontFaceCSS returns an @font-face rule carrying the plot font as a data
// URL.
func fontFaceCSS() (string, error) {
	fontOnce.Do(func() {
		face := font.DefaultCache.Lookup(sans, 10)
		if face.Face == nil {
			fontErr = fmt.Errorf("report: plot font %s %s is not available", sans.Typeface, sans.Variant)
			return
		}
		family, err := face.Face.Name(nil, sfnt.NameIDFamily)
		if err != nil {
			fontErr = fmt.Errorf("report: reading the plot font's name: %w", err)
			return
		}
		var raw bytes.Buffer
		if _, err := face.Face.WriteSourceTo(nil, &raw); err != nil {
			fontErr = fmt.Errorf("report: reading the plot font: %w", err)
			return
		}
		fontCSS = fmt.Sprintf(`@font-face{font-family:%q;font-style:normal;font-weight:normal;src:url(data:font/ttf;base64,%s) format("truetype")}`,
			family, base64.StdEncoding.EncodeToString(raw.Bytes()))
	})
	return fontCSS, fontErr
}

// category10 are the colours of the algorithms: the first seven belong to
// algo.Classes in order, the rest to unknown classes.
var category10 = []string{
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
	"#bcbd22", "#17becf", "#7f7f7f",
}

// palette assigns each class a colour, stable across reports for the seven
// known classes.
func palette(classes []string) map[string]string {
	out := map[string]string{}
	extra := 0
	for _, c := range classes {
		i := indexOf(algo.Classes, c)
		if i < 0 {
			i = len(algo.Classes) + extra%(len(category10)-len(algo.Classes))
			extra++
		}
		out[c] = category10[i]
	}
	return out
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func rgb(hex string) color.Color {
	var r, g, b uint8
	fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b)
	return color.NRGBA{R: r, G: g, B: b, A: 255}
}

var (
	grey      = color.NRGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 255}
	gridGrey  = color.NRGBA{R: 0xe4, G: 0xe4, B: 0xe4, A: 255}
	lineBlue  = color.NRGBA{R: 0x1f, G: 0x4e, B: 0x9b, A: 255}
	bestRed   = color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 255}
	noteColor = color.NRGBA{R: 0x70, G: 0x70, B: 0x70, A: 255}
)

// trialTicks labels the trial-number axes.
var trialTicks = niceTicks{n: 8, integer: true}

// Plot sizes, in points.
const (
	mainW, mainH   = 480, 300
	legendW        = 118
	panelW, panelH = 300, 230
	markerR        = 3
)

// plotSet holds the rendered figures.
type plotSet struct{ main, panels []figure }

// drawPlots draws the score-per-trial plot, the best-so-far plot and one
// panel per class.
func drawPlots(ts []tune.Trial, classes []string, colors map[string]string, spaces map[string][]algo.Param, metric string) (plotSet, error) {
	var out plotSet
	xr := trialRange(ts)
	yr := scoreRange(ts)

	f, err := scorePerTrial(ts, classes, colors, metric, xr, yr)
	if err != nil {
		return out, err
	}
	out.main = append(out.main, f)
	if f, err = bestSoFar(ts, metric, xr, yr); err != nil {
		return out, err
	}
	out.main = append(out.main, f)
	for _, c := range classes {
		var own []tune.Trial
		for _, t := range ts {
			if t.Class == c {
				own = append(own, t)
			}
		}
		f, err := panel(c, own, spaces[c], colors[c], metric, yr)
		if err != nil {
			return out, err
		}
		out.panels = append(out.panels, f)
	}
	return out, nil
}

// span is a closed axis range.
type span struct{ lo, hi float64 }

// trialRange is the x range of the trial-number axes.
func trialRange(ts []tune.Trial) span {
	if len(ts) == 0 {
		return span{-0.5, 0.5}
	}
	lo, hi := float64(ts[0].Number), float64(ts[0].Number)
	for _, t := range ts {
		lo = math.Min(lo, float64(t.Number))
		hi = math.Max(hi, float64(t.Number))
	}
	pad := math.Max(0.5, (hi-lo)*0.02)
	return span{lo - pad, hi + pad}
}

// scoreRange is the shared y range of every plot: the plotted scores with
// a margin.
func scoreRange(ts []tune.Trial) span {
	lo, hi, any := math.Inf(1), math.Inf(-1), false
	for _, t := range ts {
		if v, ok := plotScore(t); ok {
			lo, hi, any = math.Min(lo, v), math.Max(hi, v), true
		}
	}
	if !any {
		return span{0, 1}
	}
	pad := (hi - lo) * 0.08
	if pad == 0 {
		pad = math.Max(math.Abs(hi)*0.05, 0.01)
	}
	return span{lo - pad, hi + pad}
}

// newPlot returns a plot with the report's fonts, sizes and grid.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	for _, f := range []*font.Font{
		&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font,
	} {
		f.Typeface, f.Variant = sans.Typeface, sans.Variant
	}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 12
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.X.Label.TextStyle.Font.Size, p.Y.Label.TextStyle.Font.Size = 11, 11
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = 9, 9
	p.Y.Tick.Marker = niceTicks{n: 6}
	p.X.Tick.Marker = niceTicks{n: 5}
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = gridGrey, gridGrey
	g.Vertical.Width, g.Horizontal.Width = 0.5, 0.5
	p.Add(g)
	return p
}

func setRange(a *plot.Axis, r span) { a.Min, a.Max = r.lo, r.hi }

// scatter returns a scatter plotter of xys with filled or hollow markers.
func scatter(xys plotter.XYs, c color.Color, hollow bool, r vg.Length) (*plotter.Scatter, error) {
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, err
	}
	s.GlyphStyle = glyph(c, hollow, r)
	return s, nil
}

// addMarkers adds the points of full with filled markers and those of
// hollow (pruned trials) with rings, in colour c.
func addMarkers(p *plot.Plot, full, hollow plotter.XYs, c color.Color) error {
	for _, set := range []struct {
		xys    plotter.XYs
		hollow bool
	}{{full, false}, {hollow, true}} {
		if len(set.xys) == 0 {
			continue
		}
		s, err := scatter(set.xys, c, set.hollow, markerR)
		if err != nil {
			return err
		}
		p.Add(s)
	}
	return nil
}

func glyph(c color.Color, hollow bool, r vg.Length) draw.GlyphStyle {
	if hollow {
		return draw.GlyphStyle{Color: c, Radius: r, Shape: draw.RingGlyph{}}
	}
	return draw.GlyphStyle{Color: c, Radius: r, Shape: draw.CircleGlyph{}}
}

// thumb is a legend thumbnail of a glyph or a line.
type thumb struct {
	glyph *draw.GlyphStyle
	line  *draw.LineStyle
}

// Thumbnail implements plot.Thumbnailer.
func (t thumb) Thumbnail(c *draw.Canvas) {
	mid := vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}
	if t.line != nil {
		c.StrokeLine2(*t.line, c.Min.X, mid.Y, c.Max.X, mid.Y)
	}
	if t.glyph != nil {
		c.DrawGlyph(*t.glyph, mid)
	}
}

// note is a plotter writing a message in the middle of the data area.
type note string

// Plot implements plot.Plotter.
func (n note) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := text.Style{
		Color:   noteColor,
		Font:    font.From(sans, 11),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
	c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}, string(n))
}

// niceTicks labels about n round values (1, 2, 2.5 or 5 times a power
// of ten apart, at least 1 apart on an integer axis) with an unlabelled
// tick halfway between labels.
type niceTicks struct {
	n       int
	integer bool
}

// Ticks implements plot.Ticker.
func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !finite(lo) || !finite(hi) {
		return nil
	}
	step := niceStep((hi-lo)/float64(max(t.n, 1)), t.integer)
	dec := 0
	if f := -math.Floor(math.Log10(step)); f > 0 {
		dec = int(f)
	}
	if m := step / math.Pow10(-dec); math.Abs(m-math.Round(m)) > 1e-9 {
		dec++ // 2.5 × 10^k needs one more digit
	}
	var out []plot.Tick
	k0 := math.Ceil(lo/step - 0.5)
	for k := k0; ; k++ {
		v := k * step
		if v > hi+step*1e-9 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		if v >= lo-step*1e-9 {
			out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', dec, 64)})
		}
		if mid := v + step/2; mid >= lo && mid <= hi && !(t.integer && mid != math.Trunc(mid)) {
			out = append(out, plot.Tick{Value: mid})
		}
	}
	return out
}

// niceStep returns the value of 1, 2, 2.5, 5 or 10 times a power of ten
// nearest to raw on a log scale (at least 1, and not 2.5, on an integer
// axis).
func niceStep(raw float64, integer bool) float64 {
	if integer && raw < 1 {
		return 1
	}
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	best, dist := 0.0, math.Inf(1)
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if integer && m == 2.5 && mag < 10 {
			continue
		}
		if d := math.Abs(math.Log(m * mag / raw)); d < dist {
			best, dist = m*mag, d
		}
	}
	return best
}

// logTicks labels decades, falling back to linear labels when the range
// holds fewer than two decades.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var in []plot.Tick
	for _, t := range (plot.LogTicks{Prec: -1}).Ticks(lo, hi) {
		if t.Value >= lo && t.Value <= hi {
			in = append(in, t)
		}
	}
	if labelled(in) >= 2 {
		return in
	}
	return niceTicks{n: 5}.Ticks(lo, hi)
}

func labelled(ts []plot.Tick) int {
	n := 0
	for _, t := range ts {
		if t.Label != "" {
			n++
		}
	}
	return n
}

// scorePerTrial draws every plotted score over the trial number, coloured
// by class, with the legend in a column on the right.
func scorePerTrial(ts []tune.Trial, classes []string, colors map[string]string, metric string, xr, yr span) (figure, error) {
	p := newPlot("Score per trial", "trial", metric)
	p.X.Tick.Marker = trialTicks
	leg := plot.NewLegend()
	leg.TextStyle.Font = font.From(sans, 10)
	leg.Top, leg.Left = true, true
	leg.ThumbnailWidth = 12
	leg.Padding = 2
	plotted, pruned := 0, false
	for _, c := range classes {
		var full, hollow plotter.XYs
		for _, t := range ts {
			if t.Class != c {
				continue
			}
			if v, ok := plotScore(t); ok {
				xy := plotter.XY{X: float64(t.Number), Y: v}
				if t.State == tune.Complete {
					full = append(full, xy)
				} else {
					hollow = append(hollow, xy)
				}
			}
		}
		col := rgb(colors[c])
		if err := addMarkers(p, full, hollow, col); err != nil {
			return figure{}, fmt.Errorf("report: score plot of %s: %w", c, err)
		}
		plotted += len(full) + len(hollow)
		pruned = pruned || len(hollow) > 0
		g := glyph(col, false, markerR)
		leg.Add(algo.Alias(c), thumb{glyph: &g})
	}
	if pruned {
		g := glyph(grey, true, markerR)
		leg.Add("pruned", thumb{glyph: &g})
	}
	if plotted == 0 {
		p.Add(note("no scored trials"))
	}
	setRange(&p.X, xr)
	setRange(&p.Y, yr)
	svg, err := render("score per trial", mainW, mainH, func(dc draw.Canvas) {
		p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
		leg.Draw(draw.Crop(dc, mainW-legendW+10, 0, 0, -12))
	})
	if err != nil {
		return figure{}, err
	}
	return figure{Caption: "Score of every trial by algorithm", SVG: svg}, nil
}

// bestSoFar draws the running best complete score over the trial number.
func bestSoFar(ts []tune.Trial, metric string, xr, yr span) (figure, error) {
	p := newPlot("Best score so far", "trial", metric)
	p.X.Tick.Marker = trialTicks
	leg := plot.NewLegend()
	leg.TextStyle.Font = font.From(sans, 10)
	leg.Top, leg.Left = true, true
	leg.ThumbnailWidth = 16
	leg.Padding = 2

	var all, steps plotter.XYs
	best, bestAt := math.Inf(-1), -1
	for _, t := range ts {
		if t.State == tune.Complete && finite(t.Score) {
			all = append(all, plotter.XY{X: float64(t.Number), Y: t.Score})
			if t.Score > best {
				best, bestAt = t.Score, t.Number
			}
		}
		if bestAt >= 0 {
			steps = append(steps, plotter.XY{X: float64(t.Number), Y: best})
		}
	}
	if len(all) == 0 {
		p.Add(note("no completed trials"))
	} else {
		s, err := scatter(all, grey, false, 2.5)
		if err != nil {
			return figure{}, fmt.Errorf("report: best-so-far plot: %w", err)
		}
		l, err := plotter.NewLine(steps)
		if err != nil {
			return figure{}, fmt.Errorf("report: best-so-far plot: %w", err)
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle.Color, l.LineStyle.Width = lineBlue, 2
		b, err := scatter(plotter.XYs{{X: float64(bestAt), Y: best}}, bestRed, true, 6)
		if err != nil {
			return figure{}, fmt.Errorf("report: best-so-far plot: %w", err)
		}
		b.GlyphStyle.Shape = thickRing{}
		p.Add(s, l, b)
		g := s.GlyphStyle
		leg.Add("complete trial", thumb{glyph: &g})
		ls := l.LineStyle
		leg.Add("best so far", thumb{line: &ls})
		bg := b.GlyphStyle
		bg.Radius = 4
		leg.Add("best trial", thumb{glyph: &bg})
	}
	setRange(&p.X, xr)
	setRange(&p.Y, yr)
	svg, err := render("best score so far", mainW, mainH, func(dc draw.Canvas) {
		p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
		leg.Draw(draw.Crop(dc, mainW-legendW+10, 0, 0, -12))
	})
	if err != nil {
		return figure{}, err
	}
	return figure{Caption: "Best complete score after each trial", SVG: svg}, nil
}

// thickRing is a ring glyph drawn with a 1.5pt line.
type thickRing struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (thickRing) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: 1.5})
	var p vg.Path
	p.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	p.Arc(pt, sty.Radius, 0, 2*math.Pi)
	p.Close()
	c.Stroke(p)
}

// panel draws one class's main hyperparameter against the score.
func panel(class string, ts []tune.Trial, space []algo.Param, hex, metric string, yr span) (figure, error) {
	alias := algo.Alias(class)
	par, ok := mainParam(ts, space)
	xlabel := "trial (no searched hyperparameter)"
	if ok {
		xlabel = par.Name
		if par.Log {
			xlabel += " (log scale)"
		}
	}
	p := newPlot(alias, xlabel, metric)
	col := rgb(hex)
	var full, hollow plotter.XYs
	add := func(t tune.Trial, x float64) {
		v, ok := plotScore(t)
		if !ok {
			return
		}
		if t.State == tune.Complete {
			full = append(full, plotter.XY{X: x, Y: v})
		} else {
			hollow = append(hollow, plotter.XY{X: x, Y: v})
		}
	}
	var xr span
	switch {
	case !ok:
		p.X.Tick.Marker = trialTicks
		xr = trialRange(ts)
		for _, t := range ts {
			add(t, float64(t.Number))
		}
	case par.Kind == algo.Categorical:
		cats := categories(ts, par)
		ticks := make(plot.ConstantTicks, len(cats))
		for i, c := range cats {
			ticks[i] = plot.Tick{Value: float64(i), Label: c}
		}
		p.X.Tick.Marker = ticks
		xr = span{-0.5, float64(len(cats)) - 0.5}
		for _, t := range ts {
			if v, has := t.Params[par.Name]; has {
				add(t, float64(indexOf(cats, fmt.Sprint(v)))+jitter(t.Number))
			}
		}
	default:
		var xs []float64
		for _, t := range ts {
			if x, err := t.Params.Float(par.Name); err == nil && finite(x) {
				xs = append(xs, x)
			}
		}
		log := par.Log && par.Low > 0
		for _, x := range xs {
			log = log && x > 0
		}
		xr = numericRange(xs, par, log)
		if log {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = logTicks{}
		}
		for _, t := range ts {
			if x, err := t.Params.Float(par.Name); err == nil && finite(x) {
				add(t, x)
			}
		}
	}
	if err := addMarkers(p, full, hollow, col); err != nil {
		return figure{}, fmt.Errorf("report: %s panel: %w", alias, err)
	}
	if len(full)+len(hollow) == 0 {
		p.Add(note("no scored trials"))
	}
	setRange(&p.X, xr)
	setRange(&p.Y, yr)
	svg, err := render(alias+" panel", panelW, panelH, func(dc draw.Canvas) { p.Draw(dc) })
	if err != nil {
		return figure{}, err
	}
	f := figure{Caption: alias, SVG: svg}
	if n := len(ts) - len(full) - len(hollow); n > 0 {
		f.Note = fmt.Sprintf("%d of %d trials not plotted (failed, running or without the parameter)", n, len(ts))
	}
	return f, nil
}

// mainParam picks the hyperparameter of a class's panel: the first of the
// space that takes more than one value among the trials, else the first
// the trials hold.
func mainParam(ts []tune.Trial, space []algo.Param) (algo.Param, bool) {
	for _, p := range space {
		seen := map[string]bool{}
		for _, t := range ts {
			if v, ok := t.Params[p.Name]; ok {
				seen[fmt.Sprint(v)] = true
			}
		}
		if len(seen) > 1 {
			return p, true
		}
	}
	for _, p := range space {
		for _, t := range ts {
			if _, ok := t.Params[p.Name]; ok {
				return p, true
			}
		}
	}
	return algo.Param{}, false
}

// categories lists the x positions of a categorical parameter: its choices
// in order, then any other value the trials hold, sorted.
func categories(ts []tune.Trial, p algo.Param) []string {
	var out []string
	for _, c := range p.Choices {
		out = append(out, fmt.Sprint(c))
	}
	var extra []string
	for _, t := range ts {
		if v, ok := t.Params[p.Name]; ok {
			s := fmt.Sprint(v)
			if indexOf(out, s) < 0 && indexOf(extra, s) < 0 {
				extra = append(extra, s)
			}
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// jitter spreads the markers of one category deterministically: the
// fractional part of the trial number times the golden ratio, scaled to
// ±0.25.
func jitter(n int) float64 {
	f := math.Mod(float64(n)*0.6180339887498949, 1)
	if f < 0 {
		f++
	}
	return (f - 0.5) * 0.5
}

// numericRange is the x range of a numeric parameter: its search space
// extended to the values the trials hold, with a margin.
func numericRange(xs []float64, p algo.Param, log bool) span {
	lo, hi := math.Inf(1), math.Inf(-1)
	if p.Low < p.High && (!log || p.Low > 0) {
		lo, hi = p.Low, p.High
	}
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if math.IsInf(lo, 0) {
		if log {
			return span{0.1, 10}
		}
		return span{0, 1}
	}
	if log {
		if lo == hi {
			return span{lo / 2, hi * 2}
		}
		f := math.Pow(hi/lo, 0.03)
		return span{lo / f, hi * f}
	}
	if lo == hi {
		d := math.Max(math.Abs(lo)*0.1, 0.5)
		return span{lo - d, hi + d}
	}
	d := (hi - lo) * 0.03
	return span{lo - d, hi + d}
}

// render draws a w×h point canvas into an inline <svg> element labelled for
// screen readers. A panic of the plotting library becomes an error.
func render(label string, w, h vg.Length, drawFn func(draw.Canvas)) (out template.HTML, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("report: drawing the %s plot: %v", label, r)
		}
	}()
	c := vgsvg.New(w, h)
	drawFn(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("report: writing the %s plot: %w", label, err)
	}
	svg := buf.String()
	i := strings.Index(svg, "<svg")
	if i < 0 {
		return "", fmt.Errorf("report: the %s plot has no <svg> element", label)
	}
	svg = `<svg role="img" aria-label="` + html.EscapeString(label) + `"` + strings.TrimPrefix(svg[i:], "<svg")
	return template.HTML(svg), nil
}
