package recipe

// Recipe is one validated recipe file: one data source, one model, one
// recommendation API. Field tags: `yaml` is the key in the recipe file;
// `json` is the key in the canonical JSON that the recipe hash is computed
// over (recipe-and-cli.md §1.15), which differs only for `schema`
// (hashed as `schema_`, as the reference does).
type Recipe struct {
	Name         string        `yaml:"name" json:"name" jsonschema:"required"`
	Source       Source        `yaml:"source" json:"source" jsonschema:"required"`
	Schema       Schema        `yaml:"schema" json:"schema_" jsonschema:"required"`
	Cleansing    Cleansing     `yaml:"cleansing" json:"cleansing"`
	ItemMetadata *ItemMetadata `yaml:"item_metadata" json:"item_metadata"`
	Training     Training      `yaml:"training" json:"training" jsonschema:"required"`
	Output       Output        `yaml:"output" json:"output" jsonschema:"required"`

	// Path is the file the recipe was loaded from, as given (not hashed).
	Path string `yaml:"-" json:"-"`
}

// Source is the `source` mapping: a `type` discriminator and exactly one of
// the typed configurations. Plugin holds the whole mapping (type included)
// of an exec-plugin source type, validated against the plugin's schema.
type Source struct {
	Type     string
	CSV      *CSVSource
	Parquet  *ParquetSource
	SQL      *SQLSource
	BigQuery *BigQuerySource
	Plugin   map[string]any
}

// CSVSource reads a delimited text file (datasources.md §1.1).
type CSVSource struct {
	Type      string            `yaml:"type" json:"type" jsonschema:"required"`
	Path      string            `yaml:"path" json:"path" jsonschema:"required"`
	Delimiter string            `yaml:"delimiter" json:"delimiter"`
	Encoding  string            `yaml:"encoding" json:"encoding"`
	Header    int               `yaml:"header" json:"header"`
	Dtype     map[string]string `yaml:"dtype" json:"dtype"`
	SHA256    *string           `yaml:"sha256" json:"sha256"`
}

// ParquetSource reads a Parquet file (datasources.md §1.2).
type ParquetSource struct {
	Type   string  `yaml:"type" json:"type" jsonschema:"required"`
	Path   string  `yaml:"path" json:"path" jsonschema:"required"`
	SHA256 *string `yaml:"sha256" json:"sha256"`
}

// SQLSource runs a read-only query (datasources.md §1.4).
type SQLSource struct {
	Type                    string         `yaml:"type" json:"type" jsonschema:"required"`
	DSNEnv                  string         `yaml:"dsn_env" json:"dsn_env" jsonschema:"required"`
	Query                   string         `yaml:"query" json:"query" jsonschema:"required"`
	QueryParameters         map[string]any `yaml:"query_parameters" json:"query_parameters"`
	ConnectTimeoutSeconds   int            `yaml:"connect_timeout_seconds" json:"connect_timeout_seconds"`
	StatementTimeoutSeconds int            `yaml:"statement_timeout_seconds" json:"statement_timeout_seconds"`
}

// BigQuerySource runs a BigQuery query through the recotem-source-bigquery
// plugin (datasources.md §1.5).
type BigQuerySource struct {
	Type            string         `yaml:"type" json:"type" jsonschema:"required"`
	Query           string         `yaml:"query" json:"query" jsonschema:"required"`
	QueryParameters map[string]any `yaml:"query_parameters" json:"query_parameters"`
	Project         *string        `yaml:"project" json:"project"`
}

// Schema names the interaction columns (recipe-and-cli.md §1.6).
type Schema struct {
	UserColumn string  `yaml:"user_column" json:"user_column" jsonschema:"required"`
	ItemColumn string  `yaml:"item_column" json:"item_column" jsonschema:"required"`
	TimeColumn *string `yaml:"time_column" json:"time_column"`
	TimeUnit   *string `yaml:"time_unit" json:"time_unit"`
}

// Cleansing configures row cleansing before training (§1.7).
type Cleansing struct {
	DropNullIDs bool   `yaml:"drop_null_ids" json:"drop_null_ids"`
	Dedup       string `yaml:"dedup" json:"dedup"`
	MinRows     *int   `yaml:"min_rows" json:"min_rows"`
	MinUsers    *int   `yaml:"min_users" json:"min_users"`
	MinItems    *int   `yaml:"min_items" json:"min_items"`
}

// ItemMetadata configures the item metadata joined into responses by serve
// (§1.8).
type ItemMetadata struct {
	Type           string   `yaml:"type" json:"type" jsonschema:"required"`
	Path           string   `yaml:"path" json:"path" jsonschema:"required"`
	SHA256         *string  `yaml:"sha256" json:"sha256"`
	Fields         []string `yaml:"fields" json:"fields" jsonschema:"required"`
	OnFieldMissing string   `yaml:"on_field_missing" json:"on_field_missing"`
	ItemIDColumn   string   `yaml:"item_id_column" json:"item_id_column"`
}

// Training configures the hyperparameter search (§1.9).
type Training struct {
	Algorithms             []string       `yaml:"algorithms" json:"algorithms" jsonschema:"required"`
	Metric                 string         `yaml:"metric" json:"metric"`
	Cutoff                 int            `yaml:"cutoff" json:"cutoff"`
	NTrials                int            `yaml:"n_trials" json:"n_trials"`
	PerAlgorithmTrials     map[string]int `yaml:"per_algorithm_trials" json:"per_algorithm_trials"`
	PerTrialTimeoutSeconds *int           `yaml:"per_trial_timeout_seconds" json:"per_trial_timeout_seconds"`
	TimeoutSeconds         *int           `yaml:"timeout_seconds" json:"timeout_seconds"`
	Parallelism            int            `yaml:"parallelism" json:"parallelism"`
	StoragePath            string         `yaml:"storage_path" json:"storage_path"`
	Split                  Split          `yaml:"split" json:"split"`
	// Params pins hyperparameters per algorithm (a recotem-go extension):
	// keys are algorithm names as in Algorithms, values map parameter names
	// to values. Omitted from the hash when empty, so recipes without it hash
	// exactly as the reference does.
	Params map[string]map[string]any `yaml:"params" json:"params,omitempty"`
}

// Split configures the validation split (§1.9.1).
type Split struct {
	Scheme        string  `yaml:"scheme" json:"scheme"`
	HeldoutRatio  float64 `yaml:"heldout_ratio" json:"heldout_ratio"`
	TestUserRatio float64 `yaml:"test_user_ratio" json:"test_user_ratio"`
	Seed          int     `yaml:"seed" json:"seed"`
}

// Output configures where the artifact is written (§1.10).
type Output struct {
	Path       string `yaml:"path" json:"path" jsonschema:"required"`
	Versioning string `yaml:"versioning" json:"versioning"`
}
