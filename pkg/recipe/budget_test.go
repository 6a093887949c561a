package recipe

import (
	"fmt"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

func TestBudgets(t *testing.T) {
	const (
		ials = "IALSRecommender"
		knn  = "CosineKNNRecommender"
		top  = "TopPopRecommender"
		rp3  = "RP3betaRecommender"
	)
	abc := []string{ials, knn, top}
	for _, c := range []struct {
		name    string
		classes []string
		n       int
		per     map[string]int
		want    []int
		reason  string
	}{
		{"none 40", abc, 40, nil, []int{14, 13, 13}, ""},
		{"empty map", abc, 40, map[string]int{}, []int{14, 13, 13}, ""},
		{"explicit 24/12/4", abc, 40, map[string]int{"IALS": 24, "CosineKNN": 12, "TopPop": 4}, []int{24, 12, 4}, ""},
		{"even 9", abc, 9, nil, []int{3, 3, 3}, ""},
		{"even 10", abc, 10, nil, []int{4, 3, 3}, ""},
		{"A:0 → B gets all", []string{ials, knn}, 10, map[string]int{"IALS": 0}, []int{0, 10}, ""},
		{"all zero → even", []string{ials, knn}, 10, map[string]int{"IALS": 0, "CosineKNN": 0}, []int{5, 5}, ""},
		{"all zero three", abc, 9, map[string]int{"IALS": 0, "CosineKNN": 0, "TopPop": 0}, []int{3, 3, 3}, ""},
		{"n below positives", abc, 2, map[string]int{"IALS": 5, "CosineKNN": 5, "TopPop": 5}, []int{1, 1, 0}, ""},
		{"7/3", []string{ials, top}, 10, map[string]int{"IALS": 7, "TopPop": 3}, []int{7, 3}, ""},
		{"10/0/0", abc, 10, map[string]int{"IALS": 10, "CosineKNN": 0, "TopPop": 0}, []int{10, 0, 0}, ""},
		{"leftover to unlisted", abc, 10, map[string]int{"IALS": 5}, []int{5, 3, 2}, ""},
		{"half even 8/7/5", abc, 10, map[string]int{"IALS": 8, "CosineKNN": 7, "TopPop": 5}, []int{4, 4, 2}, ""},
		{"four times 5", []string{ials, knn, top, rp3}, 10, map[string]int{"IALS": 5, "CosineKNN": 5, "TopPop": 5, "RP3beta": 5}, []int{2, 2, 2, 4}, ""},
		{"sum may exceed n", abc, 4, map[string]int{"IALS": 10, "CosineKNN": 10, "TopPop": 1}, []int{2, 2, 1}, ""},
		{"leftover to last listed", []string{ials, knn}, 10, map[string]int{"IALS": 3, "CosineKNN": 2}, []int{3, 7}, ""},
		{"negative clamps", []string{ials, knn}, 10, map[string]int{"IALS": -4}, []int{0, 10}, ""},
		{"over budget unlisted get 0", abc, 10, map[string]int{"IALS": 20}, []int{10, 0, 0}, ""},
		{"aliases and class names", []string{ials, knn}, 10, map[string]int{"ialsrecommender": 4, "CosinekNN": 6}, []int{4, 6}, ""},
		{"forced zero", []string{ials}, 10, map[string]int{"IALS": 0, "TopPop": 5}, []int{10}, ""},
		{"no active", []string{ials, knn}, 0, nil, []int{0, 0}, "no_active_algorithms"},
		{"unknown key", abc, 10, map[string]int{"IALSS": 3}, nil, "unknown_algorithm_in_budget"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Budgets(c.classes, c.n, c.per)
			if c.reason != "" {
				if err == nil || exitcode.ReasonOf(err) != c.reason || exitcode.Of(err) != exitcode.Training {
					t.Fatalf("err %v, want reason %s", err, c.reason)
				}
				if c.want == nil {
					return
				}
			} else if err != nil {
				t.Fatal(err)
			}
			var vals []int
			for _, cl := range c.classes {
				vals = append(vals, got[cl])
			}
			if fmt.Sprint(vals) != fmt.Sprint(c.want) {
				t.Errorf("budgets %v, want %v", vals, c.want)
			}
		})
	}
}
