package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeBigQuery is a local HTTP server speaking the REST endpoints the
// plugin uses: jobs.query (POST /projects/{p}/queries), jobs.getQueryResults
// (GET /projects/{p}/queries/{job}) and jobs.get (GET /projects/{p}/jobs/{job}).
// The job completes after one poll; its three-row result is served in pages
// of two rows.
type fakeBigQuery struct {
	mu        sync.Mutex
	requests  []map[string]any
	rowPages  int    // getQueryResults calls that asked for rows
	status    int    // non-zero: jobs.query fails with this status
	jobError  string // non-empty: the job fails
	noDestTab bool   // jobs.get reports no destination table
}

const fakeSchema = `{"fields":[{"name":"user_id","type":"STRING"},{"name":"item_id","type":"INTEGER"},{"name":"ts","type":"TIMESTAMP"},
{"name":"w","type":"FLOAT"},{"name":"ok","type":"BOOLEAN"},{"name":"tags","type":"STRING","mode":"REPEATED"},{"name":"n","type":"NUMERIC"},
{"name":"d","type":"DATE"},{"name":"rec","type":"RECORD","fields":[{"name":"a","type":"INTEGER"},{"name":"b","type":"FLOAT"}]}]}`

// wantRows is what both download paths must write for the fake data.
const wantRows = `["user_id","item_id","ts","w","ok","tags","n","d","rec"]
["u1",1,"2024-01-01T00:00:00Z",1.5,true,"[\"a\"]","12.5","2024-01-01","{\"a\":1,\"b\":0.25}"]
["u2\u003cé\"",2,null,null,false,"[]",null,null,null]
["u3",null,"2024-01-01T00:00:00.123456Z",2,null,"[\"b\",\"c\"]","-0.001","2023-12-31","{\"a\":null,\"b\":null}"]
`

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
	case r.Method == http.MethodGet && r.URL.Path == "/bigquery/v2/projects/proj/jobs/job1":
		if r.URL.Query().Get("location") != "US" {
			http.Error(w, `{"error":{"code":400,"message":"location"}}`, 400)
			return
		}
		if f.noDestTab {
			w.Write([]byte(`{"jobReference":{"projectId":"proj","jobId":"job1","location":"US"},"status":{"state":"DONE"},"configuration":{"query":{}}}`))
			return
		}
		w.Write([]byte(`{"jobReference":{"projectId":"proj","jobId":"job1","location":"US"},"status":{"state":"DONE"},
			"configuration":{"query":{"destinationTable":{"projectId":"proj","datasetId":"_anon","tableId":"anon1"}}}}`))
	case r.Method == http.MethodGet && r.URL.Path == "/bigquery/v2/projects/proj/queries/job1":
		if f.jobError != "" {
			w.Write([]byte(`{"jobComplete":true,"errors":[{"message":"` + f.jobError + `"}]}`))
			return
		}
		if r.URL.Query().Get("location") != "US" {
			http.Error(w, `{"error":{"code":400,"message":"location"}}`, 400)
			return
		}
		if r.URL.Query().Get("maxResults") == "0" {
			w.Write([]byte(`{"jobComplete":true,"schema":` + fakeSchema + `,"totalRows":"3"}`))
			return
		}
		f.mu.Lock()
		f.rowPages++
		f.mu.Unlock()
		switch r.URL.Query().Get("pageToken") {
		case "":
			w.Write([]byte(`{"jobComplete":true,"schema":` + fakeSchema + `,"pageToken":"p2","totalRows":"3","rows":[
				{"f":[{"v":"u1"},{"v":"1"},{"v":"1704067200000000"},{"v":"1.5"},{"v":"true"},{"v":[{"v":"a"}]},{"v":"12.5"},{"v":"2024-01-01"},
				      {"v":{"f":[{"v":"1"},{"v":"0.25"}]}}]},
				{"f":[{"v":"u2<é\""},{"v":"2"},{"v":null},{"v":"NaN"},{"v":"false"},{"v":[]},{"v":null},{"v":null},{"v":null}]}]}`))
		case "p2":
			w.Write([]byte(`{"jobComplete":true,"totalRows":"3","rows":[{"f":[{"v":"u3"},{"v":null},{"v":"1704067200123456"},{"v":"2"},{"v":null},
				{"v":[{"v":"b"},{"v":"c"}]},{"v":"-0.001"},{"v":"2023-12-31"},{"v":{"f":[{"v":null},{"v":"Infinity"}]}}]}]}`))
		default:
			http.Error(w, "bad token", 400)
		}
	default:
		http.Error(w, `{"error":{"code":404,"message":"not found: `+r.Method+" "+r.URL.Path+`"}}`, 404)
	}
}

// fakeStorage is a BigQuery Storage Read API server holding the same three
// rows as fakeBigQuery, served in Arrow record batches of two rows.
type fakeStorage struct {
	storagepb.UnimplementedBigQueryReadServer
	rec arrow.RecordBatch
	faults

	mu       sync.Mutex
	creates  []*storagepb.CreateReadSessionRequest
	offsets  []int64
	readCall int
}

// faults are the errors a fakeStorage returns.
type faults struct {
	createErr error // CreateReadSession fails with it
	readErr   error // ReadRows fails with it before sending anything
	midErr    error // the first ReadRows call fails with it after one batch
	alwaysMid bool  // later ReadRows calls fail with midErr at once
	noStreams bool  // the session has no streams (an empty table)
}

// arrowRecord builds the fake data as the Storage Read API types it.
func arrowRecord(t testing.TB) arrow.RecordBatch {
	mem := memory.NewGoAllocator()
	recType := arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "b", Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "user_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "item_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "w", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String)},
		{Name: "n", Type: &arrow.Decimal128Type{Precision: 38, Scale: 9}, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "rec", Type: recType, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	users := b.Field(0).(*array.StringBuilder)
	items := b.Field(1).(*array.Int64Builder)
	ts := b.Field(2).(*array.TimestampBuilder)
	ws := b.Field(3).(*array.Float64Builder)
	oks := b.Field(4).(*array.BooleanBuilder)
	tags := b.Field(5).(*array.ListBuilder)
	tagv := tags.ValueBuilder().(*array.StringBuilder)
	ns := b.Field(6).(*array.Decimal128Builder)
	ds := b.Field(7).(*array.Date32Builder)
	recs := b.Field(8).(*array.StructBuilder)
	ra := recs.FieldBuilder(0).(*array.Int64Builder)
	rb := recs.FieldBuilder(1).(*array.Float64Builder)
	dec := func(s string) decimal128.Num {
		n, err := decimal128.FromString(s, 38, 9)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	day := func(s string) arrow.Date32 {
		d, _ := time.Parse("2006-01-02", s)
		return arrow.Date32FromTime(d)
	}

	users.Append("u1")
	items.Append(1)
	ts.Append(arrow.Timestamp(1704067200000000))
	ws.Append(1.5)
	oks.Append(true)
	tags.Append(true)
	tagv.Append("a")
	ns.Append(dec("12.5"))
	ds.Append(day("2024-01-01"))
	recs.Append(true)
	ra.Append(1)
	rb.Append(0.25)

	users.Append(`u2<é"`)
	items.Append(2)
	ts.AppendNull()
	ws.Append(math.NaN())
	oks.Append(false)
	tags.Append(true)
	ns.AppendNull()
	ds.AppendNull()
	recs.AppendNull()

	users.Append("u3")
	items.AppendNull()
	ts.Append(arrow.Timestamp(1704067200123456))
	ws.Append(2)
	oks.AppendNull()
	tags.Append(true)
	tagv.Append("b")
	tagv.Append("c")
	ns.Append(dec("-0.001"))
	ds.Append(day("2023-12-31"))
	recs.Append(true)
	ra.AppendNull()
	rb.Append(math.Inf(1))
	return b.NewRecordBatch()
}

// messages collects IPC messages: the schema first, then one per batch.
type messages [][]byte

func (m *messages) Start() error { return nil }
func (m *messages) Close() error { return nil }
func (m *messages) WritePayload(p ipc.Payload) error {
	var b bytes.Buffer
	_, err := p.WritePayload(&b)
	*m = append(*m, b.Bytes())
	return err
}

// serialize returns the IPC schema message and one record batch message
// per slice of at most two rows of rec, starting at row offset.
func serialize(rec arrow.RecordBatch, offset int64) ([]byte, [][]byte, error) {
	var m messages
	w := ipc.NewWriterWithPayloadWriter(&m, ipc.WithSchema(rec.Schema()))
	for off := offset; off < rec.NumRows(); off += 2 {
		s := rec.NewSlice(off, min(off+2, rec.NumRows()))
		err := w.Write(s)
		s.Release()
		if err != nil {
			return nil, nil, err
		}
	}
	if offset >= rec.NumRows() { // schema only
		if err := w.Write(rec.NewSlice(0, 0)); err != nil {
			return nil, nil, err
		}
		m = m[:1]
	}
	if err := w.Close(); err != nil {
		return nil, nil, err
	}
	return m[0], m[1:], nil
}

func (s *fakeStorage) CreateReadSession(_ context.Context, req *storagepb.CreateReadSessionRequest) (*storagepb.ReadSession, error) {
	s.mu.Lock()
	s.creates = append(s.creates, req)
	s.mu.Unlock()
	if s.createErr != nil {
		return nil, s.createErr
	}
	schema, _, err := serialize(s.rec, s.rec.NumRows())
	if err != nil {
		return nil, err
	}
	streams := []*storagepb.ReadStream{{Name: "projects/proj/locations/us/sessions/s1/streams/0"}}
	if s.noStreams {
		streams = nil
	}
	return &storagepb.ReadSession{
		Name:       "projects/proj/locations/us/sessions/s1",
		DataFormat: storagepb.DataFormat_ARROW,
		Schema:     &storagepb.ReadSession_ArrowSchema{ArrowSchema: &storagepb.ArrowSchema{SerializedSchema: schema}},
		Table:      req.GetReadSession().GetTable(),
		Streams:    streams,
	}, nil
}

func (s *fakeStorage) ReadRows(req *storagepb.ReadRowsRequest, srv storagepb.BigQueryRead_ReadRowsServer) error {
	s.mu.Lock()
	s.offsets = append(s.offsets, req.GetOffset())
	s.readCall++
	first := s.readCall == 1
	s.mu.Unlock()
	if s.readErr != nil {
		return s.readErr
	}
	if s.alwaysMid && !first {
		return s.midErr
	}
	if req.GetReadStream() != "projects/proj/locations/us/sessions/s1/streams/0" {
		return status.Error(codes.NotFound, "no stream "+req.GetReadStream())
	}
	_, batches, err := serialize(s.rec, req.GetOffset())
	if err != nil {
		return err
	}
	for i, b := range batches {
		if i == 1 && s.midErr != nil && first {
			return s.midErr
		}
		rows := min(2, s.rec.NumRows()-req.GetOffset()-int64(2*i))
		if err := srv.Send(&storagepb.ReadRowsResponse{
			Rows:     &storagepb.ReadRowsResponse_ArrowRecordBatch{ArrowRecordBatch: &storagepb.ArrowRecordBatch{SerializedRecordBatch: b, RowCount: rows}},
			RowCount: rows,
		}); err != nil {
			return err
		}
	}
	return nil
}

// startStorage serves fs on 127.0.0.1 and returns its host:port.
func startStorage(t *testing.T, fs *fakeStorage) string {
	t.Helper()
	if fs.rec == nil {
		fs.rec = arrowRecord(t)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	storagepb.RegisterBigQueryReadServer(srv, fs)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
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

const fetchReq = `{"protocol":1,"config":{"type":"bigquery","query":"SELECT * FROM t","project":"proj"},"recipe_name":"r","run_id":"abc"}`

func TestFetchParameters(t *testing.T) {
	fake := &fakeBigQuery{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	host := startStorage(t, &fakeStorage{})
	req := `{"protocol":1,"config":{"type":"bigquery","query":"SELECT * FROM t WHERE a = @a AND b = @b AND c = @c AND d = @d","project":"proj",
		"query_parameters":{"a":true,"b":7,"c":2.5,"d":"x"}},"recipe_name":"r","run_id":"abc"}`
	code, out, stderr := runCmd(t, srv, "fetch", req, map[string]string{EnvStorageEmulatorHost: host})
	if code != 0 || out != wantRows {
		t.Fatalf("exit %d: %s\nstdout\n%s", code, stderr, out)
	}
	params, _ := json.Marshal(fake.requests[0]["queryParameters"])
	wantParams := `[{"name":"a","parameterType":{"type":"BOOL"},"parameterValue":{"value":"true"}},{"name":"b","parameterType":{"type":"INT64"},"parameterValue":{"value":"7"}},{"name":"c","parameterType":{"type":"FLOAT64"},"parameterValue":{"value":"2.5"}},{"name":"d","parameterType":{"type":"STRING"},"parameterValue":{"value":"x"}}]`
	if string(params) != wantParams || fake.requests[0]["parameterMode"] != "NAMED" || fake.requests[0]["useLegacySql"] != false ||
		fake.requests[0]["maxResults"] != float64(0) {
		t.Errorf("request %v\nparams %s", fake.requests[0], params)
	}
}

// TestFetchStorage covers the outcomes of the Storage Read API download
// (datasources.md §1.5) against a fake gRPC server and a fake REST server
// holding the same data.
func TestFetchStorage(t *testing.T) {
	denied := status.Error(codes.PermissionDenied, "request failed: the user does not have 'bigquery.readsessions.create' permission")
	strict := map[string]string{EnvRequireStorageAPI: "true"}
	cases := []struct {
		name      string
		fs        faults
		noDest    bool
		env       map[string]string
		code      int
		out       string   // stdout if not wantRows
		rest      bool     // rows come from REST paging
		stderrHas []string // substrings of stderr
		stderrNot string
		offsets   []int64 // ReadRows offsets requested, if checked
		creates   int     // CreateReadSession calls, if checked
	}{
		{name: "success", code: 0, offsets: []int64{0}, creates: 1, stderrNot: "reason="},
		{name: "success strict", env: strict, code: 0, stderrNot: "reason="},
		{name: "permission denied falls back", fs: faults{createErr: denied}, code: 0, rest: true,
			stderrHas: []string{"bigquery_storage_fallback reason=api_error", "bigquery.readSessions.create", "PermissionDenied"}},
		{name: "permission denied text falls back", fs: faults{createErr: status.Error(codes.Unknown, "403 Forbidden")}, code: 0, rest: true,
			stderrHas: []string{"reason=api_error"}},
		{name: "permission denied on ReadRows falls back", fs: faults{readErr: denied}, code: 0, rest: true,
			stderrHas: []string{"reason=api_error", "ReadRows"}},
		{name: "permission denied strict", fs: faults{createErr: denied}, env: strict, code: 3,
			stderrHas: []string{"BigQuery Storage Read API permission denied", EnvRequireStorageAPI, "bigquery.readSessions.create"}, stderrNot: "reason="},
		{name: "unavailable", fs: faults{createErr: status.Error(codes.Unavailable, "backend unavailable")}, code: 3, creates: createAttempts,
			stderrHas: []string{"reason=non_iam_error_no_fallback", "REST fallback skipped", "Unavailable"}},
		{name: "resource exhausted", fs: faults{createErr: status.Error(codes.ResourceExhausted, "quota")}, code: 3, creates: 1,
			stderrHas: []string{"reason=non_iam_error_no_fallback", "REST fallback skipped"}},
		{name: "resource exhausted strict", fs: faults{createErr: status.Error(codes.ResourceExhausted, "quota")}, env: strict, code: 3,
			stderrHas: []string{"reason=non_iam_error_no_fallback", "REST fallback skipped"}},
		{name: "deadline on ReadRows", fs: faults{readErr: status.Error(codes.DeadlineExceeded, "slow")}, code: 3,
			stderrHas: []string{"reason=non_iam_error_no_fallback", "REST fallback skipped", "ReadRows"}},
		{name: "interrupted stream resumes at offset", fs: faults{midErr: status.Error(codes.Unavailable, "connection reset")}, code: 0,
			offsets: []int64{0, 2}, stderrNot: "reason="},
		{name: "mid-stream error fails", fs: faults{midErr: status.Error(codes.Internal, "boom")}, code: 3, offsets: []int64{0},
			stderrHas: []string{"Failed to download BigQuery results: Storage Read API stream", "at row 2", "boom"}, stderrNot: "reason="},
		{name: "interruptions exhaust resumes", fs: faults{midErr: status.Error(codes.Unavailable, "reset"), alwaysMid: true}, code: 3,
			offsets: []int64{0, 2, 2, 2}, stderrHas: []string{"Failed to download BigQuery results"}},
		{name: "empty table", fs: faults{noStreams: true}, code: 0, out: wantRows[:strings.Index(wantRows, "\n")+1], offsets: []int64{}},
		{name: "no destination table", noDest: true, code: 0, rest: true, creates: -1, stderrHas: []string{"bigquery_storage_skipped"}, stderrNot: "reason="},
		{name: "no destination table strict", noDest: true, env: strict, code: 3, stderrHas: []string{EnvRequireStorageAPI}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeBigQuery{noDestTab: tc.noDest}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			fs := &fakeStorage{faults: tc.fs}
			env := map[string]string{EnvStorageEmulatorHost: startStorage(t, fs)}
			for k, v := range tc.env {
				env[k] = v
			}
			code, out, stderr := runCmd(t, srv, "fetch", fetchReq, env)
			t.Logf("stderr:\n%s", stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			want := wantRows
			if tc.out != "" {
				want = tc.out
			}
			if code == 0 && out != want {
				t.Errorf("stdout\n%s\nwant\n%s", out, want)
			}
			if code != 0 && len(out) > 0 && fs.midErr == nil {
				t.Errorf("output despite failure before any row: %q", out)
			}
			if got := fake.rowPages > 0; got != tc.rest {
				t.Errorf("REST pages %d, want REST download %v", fake.rowPages, tc.rest)
			}
			for _, s := range tc.stderrHas {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if tc.stderrNot != "" && strings.Contains(stderr, tc.stderrNot) {
				t.Errorf("stderr has %q:\n%s", tc.stderrNot, stderr)
			}
			if n := strings.Count(stderr, "reason="); n > 1 {
				t.Errorf("%d reason lines:\n%s", n, stderr)
			}
			if code != 0 {
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if last := lines[len(lines)-1]; strings.Contains(last, "reason=") {
					t.Errorf("error line is the reason line: %s", last)
				}
			}
			fs.mu.Lock()
			defer fs.mu.Unlock()
			if tc.offsets != nil && !equal(fs.offsets, tc.offsets) {
				t.Errorf("ReadRows offsets %v, want %v", fs.offsets, tc.offsets)
			}
			switch {
			case tc.creates > 0 && len(fs.creates) != tc.creates:
				t.Errorf("%d CreateReadSession calls, want %d", len(fs.creates), tc.creates)
			case tc.creates < 0 && len(fs.creates) != 0:
				t.Errorf("%d CreateReadSession calls, want none", len(fs.creates))
			}
			if len(fs.creates) > 0 {
				c := fs.creates[0]
				if c.GetParent() != "projects/proj" || c.GetReadSession().GetTable() != "projects/proj/datasets/_anon/tables/anon1" ||
					c.GetReadSession().GetDataFormat() != storagepb.DataFormat_ARROW || c.GetMaxStreamCount() != maxStreams {
					t.Errorf("CreateReadSession %v", c)
				}
			}
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestIAMShaped pins the permission classification of storage errors.
func TestIAMShaped(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{status.Error(codes.PermissionDenied, "x"), true},
		{status.Error(codes.Unknown, "rpc failed: PERMISSION_DENIED"), true},
		{status.Error(codes.Unknown, "googleapi: Error 403: Forbidden"), true},
		{status.Error(codes.Internal, "Permission denied on table"), true},
		{status.Error(codes.Unavailable, "x"), false},
		{status.Error(codes.ResourceExhausted, "429 Too Many Requests"), false},
		{status.Error(codes.DeadlineExceeded, "x"), false},
		{status.Error(codes.Unauthenticated, "x"), false},
	}
	for _, tc := range cases {
		if got := iamShaped(tc.err); got != tc.want {
			t.Errorf("iamShaped(%v) = %v, want %v", tc.err, got, tc.want)
		}
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
// BIGQUERY_EMULATOR_HOST and BIGQUERY_STORAGE_EMULATOR_HOST pointing at the
// fake servers; without the latter it downloads with the REST API.
func TestBinaryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "recotem-source-bigquery")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, withStorage := range []bool{true, false} {
		fake := &fakeBigQuery{}
		srv := httptest.NewServer(fake)
		fs := &fakeStorage{}
		cmd := exec.Command(bin, "fetch")
		cmd.Env = append(os.Environ(), EnvEmulatorHost+"="+strings.TrimPrefix(srv.URL, "http://"))
		if withStorage {
			cmd.Env = append(cmd.Env, EnvStorageEmulatorHost+"="+startStorage(t, fs))
		}
		cmd.Stdin = strings.NewReader(fetchReq)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		srv.Close()
		if err != nil {
			t.Fatalf("storage %v: %v\n%s", withStorage, err, stderr.String())
		}
		if string(out) != wantRows {
			t.Errorf("storage %v: stdout\n%s\nwant\n%s", withStorage, out, wantRows)
		}
		fs.mu.Lock()
		if got := len(fs.offsets) > 0; got != withStorage || (fake.rowPages > 0) == withStorage {
			t.Errorf("storage %v: %d ReadRows calls, %d REST pages; stderr:\n%s", withStorage, len(fs.offsets), fake.rowPages, stderr.String())
		}
		fs.mu.Unlock()
	}
}

// BenchmarkStorageBatch measures decoding one Arrow record batch of 10,000
// rows (string, int64, timestamp, float64) and writing it as NDJSON.
func BenchmarkStorageBatch(b *testing.B) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "user_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "item_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "w", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	const n = 10000
	for i := range n {
		rb.Field(0).(*array.StringBuilder).Append("user-" + strconv.Itoa(i%977))
		rb.Field(1).(*array.Int64Builder).Append(int64(i % 5003))
		rb.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(1704067200000000 + int64(i)*1000003))
		rb.Field(3).(*array.Float64Builder).Append(float64(i) / 7)
	}
	rec := rb.NewRecordBatch()
	rb.Release()
	var m messages
	w := ipc.NewWriterWithPayloadWriter(&m, ipc.WithSchema(schema))
	if err := w.Write(rec); err != nil {
		b.Fatal(err)
	}
	w.Close()
	rawSchema, batch := m[0], m[1]
	out := bufio.NewWriter(io.Discard)
	var buf []byte
	b.SetBytes(int64(len(batch)))
	b.ResetTimer()
	for b.Loop() {
		r, err := ipc.NewReader(io.MultiReader(bytes.NewReader(rawSchema), bytes.NewReader(batch)), ipc.WithSchema(schema))
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
			rec := r.RecordBatch()
			cols := rec.Columns()
			for i := 0; i < int(rec.NumRows()); i++ {
				buf, _ = appendArrowRow(buf[:0], cols, i)
				out.Write(buf)
			}
		}
		r.Release()
	}
}
