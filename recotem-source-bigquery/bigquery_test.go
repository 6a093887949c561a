package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/api/option"
)

// fakeBigQuery is a local HTTP server speaking the two REST endpoints the
// plugin uses: jobs.query (POST /projects/{p}/queries) and
// jobs.getQueryResults (GET /projects/{p}/queries/{job}). It serves a
// three-row result in pages of two rows, the first page only after one
// incomplete poll.
type fakeBigQuery struct {
	mu       sync.Mutex
	requests []map[string]any
	status   int    // non-zero: jobs.query fails with this status
	jobError string // non-empty: the job fails
}

const fakeSchema = `{"fields":[{"name":"user_id","type":"STRING"},{"name":"item_id","type":"INTEGER"},{"name":"ts","type":"TIMESTAMP"},{"name":"w","type":"FLOAT"},{"name":"ok","type":"BOOLEAN"},{"name":"tags","type":"STRING","mode":"REPEATED"}]}`

func (f *fakeBigQuery) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/bigquery/v2/projects/proj/queries":
		var req map[string]any
		json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		if f.status != 0 {
			w.WriteHeader(f.status)
			w.Write([]byte(`{"error":{"code":403,"message":"Access Denied: permission denied","errors":[{"reason":"accessDenied","message":"Access Denied"}]}}`))
			return
		}
		if req["dryRun"] == true {
			w.Write([]byte(`{"jobComplete":true,"totalBytesProcessed":"100","schema":` + fakeSchema + `}`))
			return
		}
		w.Write([]byte(`{"jobReference":{"projectId":"proj","jobId":"job1","location":"US"},"jobComplete":false}`))
	case r.Method == http.MethodGet && r.URL.Path == "/bigquery/v2/projects/proj/queries/job1":
		if f.jobError != "" {
			w.Write([]byte(`{"jobComplete":true,"errors":[{"message":"` + f.jobError + `"}]}`))
			return
		}
		if r.URL.Query().Get("location") != "US" {
			http.Error(w, `{"error":{"code":400,"message":"location"}}`, 400)
			return
		}
		switch r.URL.Query().Get("pageToken") {
		case "":
			w.Write([]byte(`{"jobComplete":true,"schema":` + fakeSchema + `,"pageToken":"p2","totalRows":"3","rows":[
				{"f":[{"v":"u1"},{"v":"1"},{"v":"1704067200000000"},{"v":"1.5"},{"v":"true"},{"v":[{"v":"a"}]}]},
				{"f":[{"v":"u2"},{"v":"2"},{"v":null},{"v":"NaN"},{"v":"false"},{"v":[]}]}]}`))
		case "p2":
			w.Write([]byte(`{"jobComplete":true,"totalRows":"3","rows":[{"f":[{"v":"u3"},{"v":null},{"v":"1704067200123456"},{"v":"2"},{"v":null},{"v":[]}]}]}`))
		default:
			http.Error(w, "bad token", 400)
		}
	default:
		http.Error(w, `{"error":{"code":404,"message":"not found: `+r.Method+" "+r.URL.Path+`"}}`, 404)
	}
}

func testOpts(srv *httptest.Server) []option.ClientOption {
	return []option.ClientOption{option.WithEndpoint(srv.URL + "/bigquery/v2/"), option.WithoutAuthentication()}
}

func runCmd(t *testing.T, srv *httptest.Server, cmd, req string, env map[string]string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), cmd, strings.NewReader(req), &out, &errb, getenv, testOpts(srv))
	return code, out.String(), errb.String()
}

func TestFetch(t *testing.T) {
	fake := &fakeBigQuery{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	req := `{"protocol":1,"config":{"type":"bigquery","query":"SELECT * FROM t WHERE a = @a AND b = @b AND c = @c AND d = @d","project":"proj",
		"query_parameters":{"a":true,"b":7,"c":2.5,"d":"x"}},"recipe_name":"r","run_id":"abc"}`
	code, out, stderr := runCmd(t, srv, "fetch", req, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := `["user_id","item_id","ts","w","ok","tags"]
["u1",1,"2024-01-01T00:00:00Z",1.5,true,"[{\"v\":\"a\"}]"]
["u2",2,null,null,false,"[]"]
["u3",null,"2024-01-01T00:00:00.123456Z",2,null,"[]"]
`
	if out != want {
		t.Errorf("stdout\n%s\nwant\n%s", out, want)
	}
	if !strings.Contains(stderr, "bigquery_storage_fallback") {
		t.Errorf("no fallback notice: %s", stderr)
	}
	params, _ := json.Marshal(fake.requests[0]["queryParameters"])
	wantParams := `[{"name":"a","parameterType":{"type":"BOOL"},"parameterValue":{"value":"true"}},{"name":"b","parameterType":{"type":"INT64"},"parameterValue":{"value":"7"}},{"name":"c","parameterType":{"type":"FLOAT64"},"parameterValue":{"value":"2.5"}},{"name":"d","parameterType":{"type":"STRING"},"parameterValue":{"value":"x"}}]`
	if string(params) != wantParams || fake.requests[0]["parameterMode"] != "NAMED" || fake.requests[0]["useLegacySql"] != false {
		t.Errorf("request %v\nparams %s", fake.requests[0], params)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, cmd, req string
		env            map[string]string
		status         int
		jobError       string
		code           int
		errHas         string
	}{
		{name: "list param", cmd: "fetch", req: `{"config":{"query":"q","project":"proj","query_parameters":{"xs":[1,2]}}}`, code: 3, errHas: "BigQuery query parameter 'xs' has unsupported type 'list'. Supported types: int, float, str, bool."},
		{name: "list param probe", cmd: "probe", req: `{"config":{"query":"q","project":"proj","query_parameters":{"n":null}}}`, code: 3, errHas: "unsupported type 'NoneType'"},
		{name: "submission 403", cmd: "fetch", req: `{"config":{"query":"q","project":"proj"}}`, status: 403, code: 3, errHas: "BigQuery query submission failed"},
		{name: "job error", cmd: "fetch", req: `{"config":{"query":"q","project":"proj"}}`, jobError: "Syntax error", code: 3, errHas: "BigQuery query execution failed: Syntax error"},
		{name: "dry run fails", cmd: "probe", req: `{"config":{"query":"q","project":"proj"}}`, status: 403, code: 3, errHas: "BigQuery dry-run failed"},
		{name: "storage required", cmd: "fetch", req: `{"config":{"query":"q","project":"proj"}}`, env: map[string]string{EnvRequireStorageAPI: "1"}, code: 3, errHas: "REST API only"},
		{name: "bad stdin", cmd: "fetch", req: `nope`, code: 3, errHas: "invalid request"},
		{name: "unknown command", cmd: "frobnicate", req: ``, code: 2, errHas: "unknown command"},
		{name: "probe ok", cmd: "probe", req: `{"config":{"query":"SELECT 1","project":"proj"}}`, code: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeBigQuery{status: tc.status, jobError: tc.jobError}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			code, _, stderr := runCmd(t, srv, tc.cmd, tc.req, tc.env)
			if code != tc.code || !strings.Contains(stderr, tc.errHas) {
				t.Errorf("exit %d stderr %q, want %d %q", code, stderr, tc.code, tc.errHas)
			}
			if tc.name == "probe ok" && (len(fake.requests) != 1 || fake.requests[0]["dryRun"] != true || fake.requests[0]["useQueryCache"] != false) {
				t.Errorf("dry run request %v", fake.requests)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), "describe", nil, &out, &out, os.Getenv, nil); code != 0 {
		t.Fatal(out.String())
	}
	var d struct {
		Protocol int             `json:"protocol"`
		Type     string          `json:"type"`
		Schema   json.RawMessage `json:"schema"`
		NoExpand []string        `json:"no_expand"`
		Probe    bool            `json:"probe"`
		Output   string          `json:"output"`
	}
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Protocol != 1 || d.Type != "bigquery" || !d.Probe || d.Output != "ndjson" || strings.Join(d.NoExpand, ",") != "query,query_parameters" || !json.Valid(d.Schema) {
		t.Errorf("%+v", d)
	}
}

// TestBinaryEndToEnd builds the plugin and runs it as recotem would, with
// BIGQUERY_EMULATOR_HOST pointing at the fake server.
func TestBinaryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "recotem-source-bigquery")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := httptest.NewServer(&fakeBigQuery{})
	defer srv.Close()
	cmd := exec.Command(bin, "fetch")
	cmd.Env = append(os.Environ(), EnvEmulatorHost+"="+strings.TrimPrefix(srv.URL, "http://"))
	cmd.Stdin = strings.NewReader(`{"protocol":1,"config":{"type":"bigquery","query":"SELECT 1","project":"proj"}}`)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v", err)
	}
	if lines := strings.Count(string(out), "\n"); lines != 4 {
		t.Errorf("%d lines:\n%s", lines, out)
	}
}
