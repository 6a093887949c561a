package recipe

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/codelibs/recotem-go/pkg/algo"
)

// Field rules shared by the loader and the JSON Schema.
var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	dsnEnvRE = regexp.MustCompile(`^RECOTEM_RECIPE_[A-Z0-9_]+$`)
)

// Enumerations of the recipe fields.
var (
	dedupValues      = []string{"keep_first", "keep_last", "none"}
	timeUnitValues   = []string{"s", "ms", "us", "ns"}
	metricValues     = []string{"ndcg", "map", "recall", "hit"}
	schemeValues     = []string{"random", "time_global", "time_user"}
	versioningValues = []string{"always_overwrite", "append_sha"}
	metadataTypes    = []string{"csv", "parquet"}
	onMissingValues  = []string{"error", "null"}
	recipeFields     = []string{"name", "source", "schema", "cleansing", "item_metadata", "training", "output"}
	schemaFields     = []string{"user_column", "item_column", "time_column", "time_unit"}
	cleansingFields  = []string{"drop_null_ids", "dedup", "min_rows", "min_users", "min_items"}
	itemMetaFields   = []string{"type", "path", "sha256", "fields", "on_field_missing", "item_id_column"}
	trainingFields   = []string{"algorithms", "metric", "cutoff", "n_trials", "per_algorithm_trials", "per_trial_timeout_seconds", "timeout_seconds", "parallelism", "storage_path", "split", "params"}
	splitFields      = []string{"scheme", "heldout_ratio", "test_user_ratio", "seed"}
	outputFields     = []string{"path", "versioning"}
)

// decodeRecipe validates the whole recipe (step 9). src is the source
// validated by step 8 (nil when the recipe has no source key).
func (d *decoder) decodeRecipe(root *node, src *Source, opts *LoadOptions) *Recipe {
	r := &Recipe{}
	vals, extras, _ := d.object(root, "", recipeFields...)
	before := len(d.issues)
	if n, ok := d.required(vals, "name", ""); ok {
		if s, ok := d.str(n, "name"); ok && d.pattern(s, n, "name", nameRE) {
			r.Name = s
		}
	}
	if src == nil {
		d.fail("source", nil, "Field required")
	} else {
		r.Source = *src
	}
	if n, ok := d.required(vals, "schema", ""); ok {
		d.decodeSchema(n, &r.Schema)
	}
	r.Cleansing = Cleansing{DropNullIDs: true, Dedup: "keep_last"}
	if n, ok := vals["cleansing"]; ok {
		d.decodeCleansing(n, &r.Cleansing)
	}
	if n, ok := vals["item_metadata"]; ok && n.kind != kNull {
		r.ItemMetadata = d.decodeItemMetadata(n)
	}
	if n, ok := vals["training"]; ok {
		d.decodeTraining(n, &r.Training, opts)
	} else {
		d.fail("training.algorithms", nil, "Field required")
	}
	if n, ok := d.required(vals, "output", ""); ok {
		d.decodeOutput(n, &r.Output)
	}
	extras()
	if len(d.issues) == before {
		if s := r.Training.Split.Scheme; (s == "time_user" || s == "time_global") && r.Schema.TimeColumn == nil {
			d.fail("", nil, fmt.Sprintf("Value error, training.split.scheme '%s' requires schema.time_column to be set.", s))
		}
	}
	return r
}

func (d *decoder) decodeSchema(n *node, s *Schema) {
	vals, extras, ok := d.object(n, "schema", schemaFields...)
	if !ok {
		return
	}
	if v, ok := d.required(vals, "user_column", "schema"); ok {
		s.UserColumn, _ = d.str(v, "schema.user_column")
	}
	if v, ok := d.required(vals, "item_column", "schema"); ok {
		s.ItemColumn, _ = d.str(v, "schema.item_column")
	}
	if v, ok := vals["time_column"]; ok {
		s.TimeColumn, _ = d.optStr(v, "schema.time_column")
	}
	if v, ok := vals["time_unit"]; ok {
		s.TimeUnit, _ = d.optLiteral(v, "schema.time_unit", timeUnitValues...)
	}
	extras()
}

func (d *decoder) decodeCleansing(n *node, c *Cleansing) {
	vals, extras, ok := d.object(n, "cleansing", cleansingFields...)
	if !ok {
		return
	}
	if v, ok := vals["drop_null_ids"]; ok {
		c.DropNullIDs, _ = d.boolean(v, "cleansing.drop_null_ids")
	}
	if v, ok := vals["dedup"]; ok {
		c.Dedup, _ = d.literal(v, "cleansing.dedup", dedupValues...)
	}
	for _, f := range []struct {
		key string
		dst **int
	}{{"min_rows", &c.MinRows}, {"min_users", &c.MinUsers}, {"min_items", &c.MinItems}} {
		if v, ok := vals[f.key]; ok {
			loc := "cleansing." + f.key
			if p, ok := d.optInt(v, loc); ok && (p == nil || d.minInt(*p, v, loc, 0)) {
				*f.dst = p
			}
		}
	}
	extras()
}

func (d *decoder) decodeItemMetadata(n *node) *ItemMetadata {
	m := &ItemMetadata{OnFieldMissing: "error", ItemIDColumn: "item_id"}
	vals, extras, ok := d.object(n, "item_metadata", itemMetaFields...)
	if !ok {
		return nil
	}
	if v, ok := d.required(vals, "type", "item_metadata"); ok {
		m.Type, _ = d.literal(v, "item_metadata.type", metadataTypes...)
	}
	if v, ok := d.required(vals, "path", "item_metadata"); ok {
		m.Path, _ = d.str(v, "item_metadata.path")
	}
	if v, ok := vals["sha256"]; ok {
		m.SHA256 = d.sha256(v, "item_metadata.sha256")
	}
	if v, ok := d.required(vals, "fields", "item_metadata"); ok {
		if l, ok := d.strList(v, "item_metadata.fields"); ok && d.minItems(l, v, "item_metadata.fields") {
			m.Fields = l
		}
	}
	if v, ok := vals["on_field_missing"]; ok {
		m.OnFieldMissing, _ = d.literal(v, "item_metadata.on_field_missing", onMissingValues...)
	}
	if v, ok := vals["item_id_column"]; ok {
		if s, ok := d.str(v, "item_metadata.item_id_column"); ok {
			if strings.TrimSpace(s) == "" {
				d.fail("item_metadata.item_id_column", v, "Value error, item_id_column must not be empty or whitespace-only")
			} else {
				m.ItemIDColumn = s
			}
		}
	}
	extras()
	return m
}

func (d *decoder) sha256(n *node, loc string) *string {
	p, ok := d.optStr(n, loc)
	if !ok || p == nil {
		return nil
	}
	if !d.pattern(*p, n, loc, sha256RE) {
		return nil
	}
	return p
}

func (d *decoder) decodeTraining(n *node, t *Training, opts *LoadOptions) {
	t.Metric, t.Cutoff, t.NTrials, t.Parallelism = "ndcg", 20, 40, 1
	t.Split = Split{Scheme: "random", HeldoutRatio: 0.1, TestUserRatio: 1.0, Seed: 42}
	vals, extras, ok := d.object(n, "training", trainingFields...)
	if !ok {
		return
	}
	before := len(d.issues)
	var classes []string
	algosOK := false
	if v, ok := d.required(vals, "algorithms", "training"); ok {
		if l, ok := d.strList(v, "training.algorithms"); ok && d.minItems(l, v, "training.algorithms") {
			algosOK = true
			for i, name := range l {
				c, found := algo.Resolve(name)
				if !found {
					d.fail("training.algorithms."+strconv.Itoa(i), v.items[i], fmt.Sprintf("Value error, unknown algorithm '%s'; known: %s", name, strings.Join(aliases(), ", ")))
					algosOK = false
					continue
				}
				classes = append(classes, c)
			}
			t.Algorithms = l
		}
	}
	if v, ok := vals["metric"]; ok {
		t.Metric, _ = d.literal(v, "training.metric", metricValues...)
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"cutoff", &t.Cutoff}, {"n_trials", &t.NTrials}} {
		if v, ok := vals[f.key]; ok {
			loc := "training." + f.key
			if x, ok := d.integer(v, loc); ok && d.minInt(x, v, loc, 1) {
				*f.dst = x
			}
		}
	}
	if v, ok := vals["per_algorithm_trials"]; ok && v.kind != kNull {
		t.PerAlgorithmTrials, _ = d.intMap(v, "training.per_algorithm_trials")
	}
	for _, f := range []struct {
		key string
		dst **int
	}{{"per_trial_timeout_seconds", &t.PerTrialTimeoutSeconds}, {"timeout_seconds", &t.TimeoutSeconds}} {
		if v, ok := vals[f.key]; ok {
			loc := "training." + f.key
			if p, ok := d.optInt(v, loc); ok && (p == nil || d.minInt(*p, v, loc, 1)) {
				*f.dst = p
			}
		}
	}
	if v, ok := vals["parallelism"]; ok {
		if x, ok := d.integer(v, "training.parallelism"); ok && d.minInt(x, v, "training.parallelism", 1) {
			t.Parallelism = x
		}
	}
	if v, ok := vals["storage_path"]; ok {
		t.StoragePath, _ = d.str(v, "training.storage_path")
	}
	if v, ok := vals["split"]; ok {
		d.decodeSplit(v, &t.Split)
	}
	if v, ok := vals["params"]; ok && v.kind != kNull {
		t.Params = d.decodeParams(v, classes, algosOK, opts)
	}
	extras()
	if len(d.issues) == before && len(t.PerAlgorithmTrials) > 0 {
		var bad []string
		for _, e := range vals["per_algorithm_trials"].entries {
			if c, ok := algo.Resolve(e.key); !ok || !contains(classes, c) {
				bad = append(bad, "'"+e.key+"'")
			}
		}
		if len(bad) > 0 {
			d.fail("training", nil, fmt.Sprintf("Value error, per_algorithm_trials keys do not match any entry of training.algorithms: [%s]", strings.Join(bad, ", ")))
		}
	}
}

// decodeParams decodes training.params: algorithm name → parameter map.
// Each key must resolve to one of the recipe's algorithms; the values are
// checked by opts.ValidateParams when set.
func (d *decoder) decodeParams(n *node, classes []string, algosOK bool, opts *LoadOptions) map[string]map[string]any {
	const loc = "training.params"
	if n.kind != kMap {
		d.fail(loc, n, "Input should be a valid dictionary")
		return nil
	}
	out := make(map[string]map[string]any, len(n.entries))
	seen := map[string]string{}
	for _, e := range n.entries {
		kloc := joinLoc(loc, e.key)
		if !e.keyStr {
			d.fail(kloc+".[key]", e.val, "Input should be a valid string")
			continue
		}
		var params map[string]any
		if e.val.kind == kNull {
			params = map[string]any{}
		} else {
			var ok bool
			if params, ok = d.anyMap(e.val, kloc); !ok {
				continue
			}
		}
		if !algosOK {
			out[e.key] = params
			continue
		}
		c, ok := algo.Resolve(e.key)
		if !ok || !contains(classes, c) {
			d.fail(kloc, e.val, fmt.Sprintf("Value error, '%s' does not name an algorithm listed in training.algorithms", e.key))
			continue
		}
		if prev, dup := seen[c]; dup {
			d.fail(kloc, e.val, fmt.Sprintf("Value error, '%s' and '%s' name the same algorithm %s", prev, e.key, c))
			continue
		}
		seen[c] = e.key
		if opts.ValidateParams != nil {
			if err := opts.ValidateParams(c, params); err != nil {
				d.fail(kloc, e.val, "Value error, "+err.Error())
				continue
			}
		}
		out[e.key] = params
	}
	return out
}

func (d *decoder) decodeSplit(n *node, s *Split) {
	vals, extras, ok := d.object(n, "training.split", splitFields...)
	if !ok {
		return
	}
	if v, ok := vals["scheme"]; ok {
		s.Scheme, _ = d.literal(v, "training.split.scheme", schemeValues...)
	}
	if v, ok := vals["heldout_ratio"]; ok {
		if f, ok := d.float(v, "training.split.heldout_ratio"); ok {
			switch {
			case !(f > 0):
				d.fail("training.split.heldout_ratio", v, "Input should be greater than 0")
			case !(f < 1):
				d.fail("training.split.heldout_ratio", v, "Input should be less than 1")
			default:
				s.HeldoutRatio = f
			}
		}
	}
	if v, ok := vals["test_user_ratio"]; ok {
		if f, ok := d.float(v, "training.split.test_user_ratio"); ok {
			switch {
			case !(f > 0):
				d.fail("training.split.test_user_ratio", v, "Input should be greater than 0")
			case !(f <= 1):
				d.fail("training.split.test_user_ratio", v, "Input should be less than or equal to 1")
			default:
				s.TestUserRatio = f
			}
		}
	}
	if v, ok := vals["seed"]; ok {
		s.Seed, _ = d.integer(v, "training.split.seed")
	}
	extras()
}

func (d *decoder) decodeOutput(n *node, o *Output) {
	o.Versioning = "append_sha"
	vals, extras, ok := d.object(n, "output", outputFields...)
	if !ok {
		return
	}
	if v, ok := d.required(vals, "path", "output"); ok {
		o.Path, _ = d.str(v, "output.path")
	}
	if v, ok := vals["versioning"]; ok {
		o.Versioning, _ = d.literal(v, "output.versioning", versioningValues...)
	}
	extras()
}

// aliases lists the short algorithm names.
func aliases() []string {
	out := make([]string, len(algo.Classes))
	for i, c := range algo.Classes {
		out[i] = algo.Alias(c)
	}
	return out
}

// Classes returns the canonical class names of training.algorithms in
// recipe order, without duplicates. Every name resolves: Load rejects
// unknown names.
func (r *Recipe) Classes() []string {
	var out []string
	for _, name := range r.Training.Algorithms {
		if c, ok := algo.Resolve(name); ok && !contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// ParamsFor returns the pinned hyperparameters of a canonical class from
// training.params (nil when none are pinned).
func (r *Recipe) ParamsFor(class string) map[string]any {
	keys := make([]string, 0, len(r.Training.Params))
	for k := range r.Training.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if c, ok := algo.Resolve(k); ok && c == class {
			return r.Training.Params[k]
		}
	}
	return nil
}
