package train

import (
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/tune"
)

// Bar is a live progress bar on a terminal: trials done out of the budget,
// elapsed time, the best score so far and the algorithm being tried.
type Bar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// NewBar returns a progress bar writing to w (a terminal).
func NewBar(w io.Writer) *Bar { return &Bar{w: w} }

// Start implements Progress.
func (b *Bar) Start(total int) {
	b.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription("searching"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
}

// Trial implements Progress.
func (b *Bar) Trial(t tune.Trial, best float64, bestClass string) {
	desc := algo.Alias(t.Class)
	if bestClass != "" {
		desc = fmt.Sprintf("%-12s best %s %.4f", algo.Alias(t.Class), algo.Alias(bestClass), best)
	}
	b.bar.Describe(desc)
	b.bar.Add(1)
}

// Finish implements Progress.
func (b *Bar) Finish() {
	if b.bar != nil {
		b.bar.Finish()
	}
}
