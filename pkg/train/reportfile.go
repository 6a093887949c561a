package train

import (
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/dataset"
	"github.com/codelibs/recotem-go/pkg/report"
	"github.com/codelibs/recotem-go/pkg/tune"
)

// writeReport writes the HTML report of the search (--report).
func (p *pipeline) writeReport(res *Result, best tune.Trial, trials []tune.Trial, specs map[string]algo.Spec, pinned map[string]algo.Params, ds *dataset.Dataset, split *dataset.Split) error {
	spaces := map[string][]algo.Param{}
	for class, spec := range specs {
		for _, prm := range spec.Space {
			if _, ok := pinned[class][prm.Name]; !ok {
				spaces[class] = append(spaces[class], prm)
			}
		}
	}
	sp := p.r.Training.Split
	s := report.Summary{
		Recipe: p.r.Name, RecipeHash: p.hash, RunID: p.runID,
		Metric: p.r.Training.Metric, Cutoff: p.r.Training.Cutoff,
		Split: report.Split{Scheme: sp.Scheme, HeldoutRatio: sp.HeldoutRatio, TestUserRatio: sp.TestUserRatio, Seed: int64(sp.Seed)},
		Data: report.Data{Rows: ds.Stats.NRows, Users: ds.Stats.NUsers, Items: ds.Stats.NItems, DropCount: ds.Stats.DropCount,
			Dedup: ds.Stats.DedupPolicy, ValidationUsers: split.Heldout.Rows, TrainNNZ: split.Train.NNZ(), HeldoutNNZ: split.Heldout.NNZ()},
		Best: best, Started: p.started, Finished: time.Now(),
		Artifact: res.Artifact, ModelVersion: res.ModelVersion,
	}
	return report.WriteFile(p.o.Report, s, trials, spaces)
}
