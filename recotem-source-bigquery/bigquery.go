package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/oauth2/google"
	bigquery "google.golang.org/api/bigquery/v2"
	"google.golang.org/api/option"
)

// Exit statuses of protocol 1.
const (
	exitOK    = 0
	exitData  = 3
	exitUsage = 2
)

// EnvRequireStorageAPI, set to a truthy value, makes a fetch fail instead
// of falling back to the REST API when the Storage Read API refuses the
// read session for lack of permission.
const EnvRequireStorageAPI = "RECOTEM_BQ_REQUIRE_STORAGE_API"

// EnvEmulatorHost points the client at a BigQuery-compatible endpoint
// (host:port, plain HTTP, no authentication), as the official client
// libraries do. For emulators and tests only.
const EnvEmulatorHost = "BIGQUERY_EMULATOR_HOST"

// EnvStorageEmulatorHost points the Storage Read API client at a gRPC
// endpoint (host:port, plaintext, no authentication). For emulators and
// tests only.
const EnvStorageEmulatorHost = "BIGQUERY_STORAGE_EMULATOR_HOST"

// pageSize is the number of rows requested per REST page.
const pageSize = 10000

// schema is the JSON Schema of the `source:` mapping (datasources.md §1.5).
const schema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "BigQuerySource",
  "type": "object",
  "additionalProperties": false,
  "required": ["query"],
  "properties": {
    "type": {"const": "bigquery", "default": "bigquery"},
    "query": {"type": "string"},
    "query_parameters": {"anyOf": [{"type": "object"}, {"type": "null"}], "default": null},
    "project": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null}
  }
}`

// config is the validated source mapping.
type config struct {
	Type            string                     `json:"type"`
	Query           string                     `json:"query"`
	QueryParameters map[string]json.RawMessage `json:"query_parameters"`
	Project         *string                    `json:"project"`
}

// request is what recotem writes on stdin.
type request struct {
	Protocol   int    `json:"protocol"`
	Config     config `json:"config"`
	RecipeName string `json:"recipe_name"`
	RunID      string `json:"run_id"`
}

// failure is an error with the plugin exit status to report.
type failure struct {
	code int
	msg  string
}

func (f *failure) Error() string { return f.msg }

func fail(format string, args ...any) error {
	return &failure{code: exitData, msg: fmt.Sprintf(format, args...)}
}

// run executes one protocol command; opts are extra client options (tests).
func run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, opts []option.ClientOption) int {
	var err error
	switch cmd {
	case "describe":
		err = describe(stdout)
	case "probe", "fetch":
		var req request
		dec := json.NewDecoder(stdin)
		if err = dec.Decode(&req); err != nil {
			err = fail("invalid request on stdin: %v", err)
			break
		}
		if req.Protocol != 0 && req.Protocol != 1 {
			err = fail("unsupported protocol %d", req.Protocol)
			break
		}
		if cmd == "probe" {
			err = probe(ctx, req.Config, getenv, opts)
		} else {
			err = fetch(ctx, req.Config, stdout, stderr, getenv, opts)
		}
	default:
		fmt.Fprintf(stderr, "unknown command %q; want describe, probe or fetch\n", cmd)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, strings.ReplaceAll(err.Error(), "\n", " "))
		var f *failure
		if errors.As(err, &f) {
			return f.code
		}
		return exitData
	}
	return exitOK
}

func describe(w io.Writer) error {
	d := map[string]any{
		"protocol":  1,
		"type":      "bigquery",
		"schema":    json.RawMessage(schema),
		"no_expand": []string{"query", "query_parameters"},
		"probe":     true,
		"output":    "ndjson",
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// queryParameters binds the recipe's parameters as typed scalars: bool →
// BOOL (checked first), int → INT64, float → FLOAT64, str → STRING.
func queryParameters(p map[string]json.RawMessage) ([]*bigquery.QueryParameter, error) {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*bigquery.QueryParameter
	for _, n := range names {
		raw := bytes.TrimSpace(p[n])
		var typ, val string
		switch {
		case bytes.Equal(raw, []byte("true")) || bytes.Equal(raw, []byte("false")):
			typ, val = "BOOL", string(raw)
		case len(raw) > 0 && raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fail("BigQuery query parameter '%s': %v", n, err)
			}
			typ, val = "STRING", s
		case len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'):
			if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
				typ, val = "INT64", string(raw)
			} else if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
				typ, val = "FLOAT64", strconv.FormatFloat(f, 'g', -1, 64)
			} else {
				return nil, fail("BigQuery query parameter '%s' has unsupported type 'int'. Supported types: int, float, str, bool.", n)
			}
		default:
			return nil, fail("BigQuery query parameter '%s' has unsupported type '%s'. Supported types: int, float, str, bool.", n, pyType(raw))
		}
		out = append(out, &bigquery.QueryParameter{
			Name:           n,
			ParameterType:  &bigquery.QueryParameterType{Type: typ},
			ParameterValue: &bigquery.QueryParameterValue{Value: val, ForceSendFields: []string{"Value"}},
		})
	}
	return out, nil
}

// pyType names a JSON value's type as Python would.
func pyType(raw []byte) string {
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return "NoneType"
	case raw[0] == '[':
		return "list"
	case raw[0] == '{':
		return "dict"
	}
	return "object"
}

// client builds the REST client and finds the billing project.
func client(ctx context.Context, cfg config, getenv func(string) string, opts []option.ClientOption) (*bigquery.Service, string, error) {
	project := ""
	if cfg.Project != nil {
		project = *cfg.Project
	}
	if h := getenv(EnvEmulatorHost); h != "" {
		opts = append([]option.ClientOption{option.WithEndpoint("http://" + h + "/bigquery/v2/"), option.WithoutAuthentication()}, opts...)
	}
	svc, err := bigquery.NewService(ctx, opts...)
	if err != nil {
		return nil, "", err
	}
	if project == "" {
		project = getenv("GOOGLE_CLOUD_PROJECT")
	}
	if project == "" {
		if creds, err := google.FindDefaultCredentials(ctx, bigquery.BigqueryScope); err == nil {
			project = creds.ProjectID
		}
	}
	if project == "" {
		return nil, "", errors.New("no billing project: set source.project or configure a default project")
	}
	return svc, project, nil
}

func queryRequest(cfg config, params []*bigquery.QueryParameter, dry bool) *bigquery.QueryRequest {
	f := false
	r := &bigquery.QueryRequest{
		Query:           cfg.Query,
		UseLegacySql:    &f,
		QueryParameters: params,
		DryRun:          dry,
		TimeoutMs:       10000,
		FormatOptions:   &bigquery.DataFormatOptions{UseInt64Timestamp: true},
		// No rows in the response: they come from the Storage Read API or,
		// on fallback, from jobs.getQueryResults paging.
		ForceSendFields: []string{"MaxResults"},
	}
	if len(params) > 0 {
		r.ParameterMode = "NAMED"
	}
	if dry {
		r.UseQueryCache = &f
	}
	return r
}

// probe dry-runs the query.
func probe(ctx context.Context, cfg config, getenv func(string) string, opts []option.ClientOption) error {
	params, err := queryParameters(cfg.QueryParameters)
	if err != nil {
		return err
	}
	svc, project, err := client(ctx, cfg, getenv, opts)
	if err != nil {
		return fail("BigQuery client creation failed: %v. Ensure Application Default Credentials (ADC) are configured.", err)
	}
	if _, err := svc.Jobs.Query(project, queryRequest(cfg, params, true)).Context(ctx).Do(); err != nil {
		return fail("BigQuery dry-run failed: %v", err)
	}
	return nil
}
