package algo

import "strings"

// The canonical class names of the seven algorithms.
const (
	IALS         = "IALSRecommender"
	CosineKNN    = "CosineKNNRecommender"
	TopPop       = "TopPopRecommender"
	RP3beta      = "RP3betaRecommender"
	DenseSLIM    = "DenseSLIMRecommender"
	TruncatedSVD = "TruncatedSVDRecommender"
	BPRFM        = "BPRFMRecommender"
)

// Classes lists the canonical class names in a stable order.
var Classes = []string{IALS, CosineKNN, TopPop, RP3beta, DenseSLIM, TruncatedSVD, BPRFM}

// Resolve maps an algorithm name as written in a recipe to its canonical
// class name, case-insensitively: an alias (IALS, CosineKNN or CosinekNN,
// TopPop, RP3beta, DenseSLIM, TruncatedSVD, BPRFM), a canonical class name,
// or an alias followed by "Recommender". It reports false for anything else.
func Resolve(name string) (string, bool) {
	key := strings.ToLower(name)
	key = strings.TrimSuffix(key, "recommender")
	for _, c := range Classes {
		if strings.ToLower(strings.TrimSuffix(c, "Recommender")) == key {
			return c, true
		}
	}
	return "", false
}

// Alias returns the short name of a canonical class ("IALS" for
// "IALSRecommender").
func Alias(class string) string { return strings.TrimSuffix(class, "Recommender") }
