package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/source/delimited"
	"github.com/codelibs/recotem-go/pkg/source/pystr"
)

// Exec-plugin protocol (docs/plugins.md). A plugin is an executable named
// PluginPrefix+<type> found on the exec path.
const (
	PluginPrefix    = "recotem-source-"
	ProtocolVersion = 1
	// EnvExecPath lists extra directories searched for plugins, separated
	// by the OS list separator, after the running binary's own directory
	// and before PATH.
	EnvExecPath = "RECOTEM_EXEC_PATH"
)

// Plugin exit codes.
const (
	pluginExitData  = 3
	pluginExitFetch = 7
)

// describeTimeout bounds `describe`; a plugin must answer it quickly.
const describeTimeout = 10 * time.Second

// Plugin is a discovered exec plugin: what its `describe` reported.
type Plugin struct {
	// Type is the source type name (the executable's suffix).
	Type string
	// Path is the executable.
	Path string
	// Schema is the JSON Schema of the whole source mapping, type included.
	Schema json.RawMessage
	// NoExpand lists keys exempt from ${RECOTEM_RECIPE_*} expansion.
	NoExpand []string
	// Probe reports whether the plugin implements `probe`.
	Probe bool
	// Output is the row format of `fetch`: "csv" (default) or "ndjson".
	Output string
}

// describeDoc is the JSON a plugin prints for `describe`.
type describeDoc struct {
	Protocol int             `json:"protocol"`
	Type     string          `json:"type"`
	Schema   json.RawMessage `json:"schema"`
	NoExpand []string        `json:"no_expand"`
	Probe    bool            `json:"probe"`
	Output   string          `json:"output"`
}

// Registry holds the plugins found on the exec path.
type Registry struct {
	plugins map[string]*Plugin
	order   []string
}

// NewRegistry returns a registry of the given plugins, in order (for tests
// and callers that discover plugins themselves).
func NewRegistry(ps ...*Plugin) *Registry {
	r := &Registry{plugins: map[string]*Plugin{}}
	for _, p := range ps {
		if _, dup := r.plugins[p.Type]; !dup {
			r.plugins[p.Type] = p
			r.order = append(r.order, p.Type)
		}
	}
	return r
}

// Lookup returns the plugin for a source type.
func (r *Registry) Lookup(typ string) (*Plugin, bool) {
	if r == nil {
		return nil, false
	}
	p, ok := r.plugins[typ]
	return p, ok
}

// Plugins returns the discovered plugins in discovery order.
func (r *Registry) Plugins() []*Plugin {
	if r == nil {
		return nil
	}
	out := make([]*Plugin, 0, len(r.order))
	for _, t := range r.order {
		out = append(out, r.plugins[t])
	}
	return out
}

// Types returns the plugin source types for recipe.LoadOptions.Plugins. The
// bigquery plugin is omitted: the recipe package owns the bigquery schema.
func (r *Registry) Types() []recipe.PluginType {
	var out []recipe.PluginType
	for _, p := range r.Plugins() {
		if p.Type == "bigquery" {
			continue
		}
		out = append(out, recipe.PluginType{Name: p.Type, Schema: p.Schema, NoExpand: p.NoExpand})
	}
	return out
}

// ExecPath returns the directories searched for plugins, in order: the
// running binary's own directory, RECOTEM_EXEC_PATH, PATH.
func ExecPath(getenv func(string) string) []string {
	if getenv == nil {
		getenv = os.Getenv
	}
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dirs = append(dirs, filepath.Dir(exe))
	}
	for _, v := range []string{getenv(EnvExecPath), getenv("PATH")} {
		for _, d := range filepath.SplitList(v) {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs
}

// Discover finds every recotem-source-<type> executable on dirs and asks
// each for its description. When two directories hold the same type, the
// first one wins (like PATH lookup). A plugin named after a built-in type
// other than bigquery (csv, parquet, sql), a plugin whose describe fails or
// disagrees with its file name, or one speaking another protocol version
// is an error (exit 2: it surfaces while loading the recipe).
func Discover(ctx context.Context, dirs []string) (*Registry, error) {
	r := &Registry{plugins: map[string]*Plugin{}}
	seenDir := map[string]bool{}
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil || seenDir[abs] {
			continue
		}
		seenDir[abs] = true
		entries, err := os.ReadDir(abs)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, PluginPrefix) || len(name) == len(PluginPrefix) {
				continue
			}
			typ := name[len(PluginPrefix):]
			if _, dup := r.plugins[typ]; dup {
				continue
			}
			path := filepath.Join(abs, name)
			st, err := os.Stat(path)
			if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
				continue
			}
			switch typ {
			case "csv", "parquet", "sql":
				return nil, exitcode.New(exitcode.Recipe, "source plugin %s may not shadow the built-in source type '%s'", path, typ)
			}
			p, err := describe(ctx, path, typ)
			if err != nil {
				return nil, exitcode.New(exitcode.Recipe, "Failed to load DataSource plugin %s: %v", path, err)
			}
			r.plugins[typ] = p
			r.order = append(r.order, typ)
		}
	}
	return r, nil
}

// describe runs `<path> describe` and checks its answer.
func describe(ctx context.Context, path, typ string) (*Plugin, error) {
	ctx, cancel := context.WithTimeout(ctx, describeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "describe")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("describe: %v%s", err, lastLine(stderr.Bytes()))
	}
	var d describeDoc
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("describe: invalid JSON: %v", err)
	}
	switch {
	case d.Protocol != ProtocolVersion:
		return nil, fmt.Errorf("describe: protocol %d, want %d", d.Protocol, ProtocolVersion)
	case d.Type != typ:
		return nil, fmt.Errorf("describe: type %q does not match the executable name (%q)", d.Type, typ)
	case d.NoExpand == nil:
		return nil, errors.New("describe: no_expand is required (use [] for none)")
	case len(d.Schema) == 0 || !json.Valid(d.Schema) || d.Schema[0] != '{':
		return nil, errors.New("describe: schema must be a JSON Schema object")
	}
	switch d.Output {
	case "":
		d.Output = "csv"
	case "csv", "ndjson":
	default:
		return nil, fmt.Errorf("describe: output %q is neither csv nor ndjson", d.Output)
	}
	return &Plugin{Type: typ, Path: path, Schema: d.Schema, NoExpand: d.NoExpand, Probe: d.Probe, Output: d.Output}, nil
}

func lastLine(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return ": " + string(b)
}

// registry returns env.Plugins or discovers the plugins on the exec path.
func (e Env) registry() (*Registry, error) {
	if e.Plugins != nil {
		return e.Plugins, nil
	}
	return Discover(context.Background(), ExecPath(e.Getenv))
}

// pluginSource runs an exec plugin.
type pluginSource struct {
	p      *Plugin
	config any
	env    Env
}

// probingPluginSource is a pluginSource whose plugin implements probe.
type probingPluginSource struct{ *pluginSource }

func newPluginSource(typ string, cfg map[string]any, env Env) (Source, error) {
	reg, err := env.registry()
	if err != nil {
		return nil, err
	}
	p, ok := reg.Lookup(typ)
	if !ok {
		return nil, exitcode.New(exitcode.Recipe, "source: unknown type %q: no %s%s on the exec path", typ, PluginPrefix, typ)
	}
	return wrapPlugin(&pluginSource{p: p, config: cfg, env: env}), nil
}

func wrapPlugin(s *pluginSource) Source {
	if s.p.Probe {
		return probingPluginSource{s}
	}
	return s
}

// newBigQuery runs the recotem-source-bigquery plugin.
func newBigQuery(cfg recipe.BigQuerySource, env Env) (Source, error) {
	reg, err := env.registry()
	if err != nil {
		return nil, err
	}
	p, ok := reg.Lookup("bigquery")
	if !ok {
		return nil, dataErr("the bigquery source needs the %sbigquery executable in recotem's own directory, %s or PATH", PluginPrefix, EnvExecPath)
	}
	if cfg.Type == "" {
		cfg.Type = "bigquery"
	}
	return wrapPlugin(&pluginSource{p: p, config: cfg, env: env}), nil
}

func (s *pluginSource) Type() string { return s.p.Type }

// Probe runs `probe`.
func (s probingPluginSource) Probe(ctx context.Context) error {
	return s.run(ctx, "probe", nil)
}

// request is the JSON a plugin reads on stdin for fetch and probe.
type request struct {
	Protocol   int            `json:"protocol"`
	Config     any            `json:"config"`
	RecipeName string         `json:"recipe_name"`
	RunID      string         `json:"run_id"`
	Extra      map[string]any `json:"extra"`
}

// Fetch runs `fetch` and streams its output to sink.
func (s *pluginSource) Fetch(ctx context.Context, cols Columns, sink Sink) error {
	return s.run(ctx, "fetch", func(r io.Reader) error {
		if s.p.Output == "ndjson" {
			return readNDJSON(r, cols, sink)
		}
		return readPluginCSV(r, cols, sink)
	})
}

// run executes the plugin with a command and maps its exit status: 3 → data
// error, 7 → fetch error, any other failure → data error for fetch and
// internal error (1) for probe, as the reference does.
func (s *pluginSource) run(ctx context.Context, command string, consume func(io.Reader) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := json.Marshal(request{Protocol: ProtocolVersion, Config: s.config, RecipeName: s.env.RecipeName, RunID: s.env.RunID, Extra: map[string]any{}})
	if err != nil {
		return dataErr("source plugin %s: encoding its configuration: %v", s.p.Type, err)
	}
	cmd := exec.CommandContext(ctx, s.p.Path, command)
	cmd.Stdin = bytes.NewReader(req)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return dataErr("source plugin %s: %v", s.p.Type, err)
	}
	var stdout io.ReadCloser
	if consume != nil {
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return dataErr("source plugin %s: %v", s.p.Type, err)
		}
	}
	if err := cmd.Start(); err != nil {
		return dataErr("source plugin %s: %v", s.p.Type, err)
	}
	var wg sync.WaitGroup
	var last string
	wg.Add(1)
	go func() {
		defer wg.Done()
		log := s.env.logger()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			last = line
			log.Info("source_plugin_stderr", "plugin", s.p.Type, "command", command, "line", line)
		}
		io.Copy(io.Discard, stderr)
	}()
	var consumeErr error
	if consume != nil {
		consumeErr = consume(stdout)
		if consumeErr != nil {
			cancel()
		}
		io.Copy(io.Discard, stdout)
	}
	wg.Wait()
	waitErr := cmd.Wait()
	var ee *exec.ExitError
	exited := errors.As(waitErr, &ee) && ee.ExitCode() >= 0
	// A plugin that exited with a status explains itself better than the
	// parse error its truncated output caused; one we killed after a parse
	// or sink error does not.
	if waitErr != nil && (consumeErr == nil || exited) {
		msg := last
		if msg == "" {
			msg = waitErr.Error()
		}
		code := -1
		if ee != nil {
			code = ee.ExitCode()
		}
		switch {
		case code == pluginExitFetch:
			return exitcode.New(exitcode.Fetch, "source plugin %s %s failed: %s", s.p.Type, command, msg)
		case code == pluginExitData || command == "fetch":
			return dataErr("source plugin %s %s failed (exit %d): %s", s.p.Type, command, code, msg)
		default:
			return exitcode.New(exitcode.Internal, "source plugin %s %s crashed (exit %d): %s", s.p.Type, command, code, msg)
		}
	}
	if consumeErr != nil {
		return consumeErr
	}
	return nil
}

// readPluginCSV reads the CSV a plugin writes: a header row, then rows;
// an empty field is null; everything else is text.
func readPluginCSV(r io.Reader, cols Columns, sink Sink) error {
	rd, err := delimited.NewReader(r, delimited.Options{})
	if err != nil {
		return err
	}
	fields, err := rd.Read()
	if err == io.EOF {
		return dataErr("source plugin output is empty (no CSV header)")
	}
	if err != nil {
		return dataErr("source plugin output: %v", err)
	}
	names := mangle(fields)
	sel, err := selectColumns(names, cols)
	if err != nil {
		return err
	}
	if err := sink.Begin(Header{Columns: names, HasTime: sel.time >= 0, TimeNeedsInference: sel.time >= 0}); err != nil {
		return err
	}
	get := func(f [][]byte, i int) ([]byte, bool) {
		if i >= len(f) || len(f[i]) == 0 {
			return nil, true
		}
		return f[i], false
	}
	var row Row
	for {
		f, err := rd.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return dataErr("source plugin output line %d: %v", rd.Line(), err)
		}
		if len(f) > len(names) {
			return dataErr("source plugin output line %d: expected %d fields, saw %d", rd.Line(), len(names), len(f))
		}
		row.User, row.UserNull = get(f, sel.user)
		row.Item, row.ItemNull = get(f, sel.item)
		if sel.time >= 0 {
			if t, null := get(f, sel.time); null {
				row.Time = Value{Kind: TimeNull}
			} else {
				row.Time = Value{Kind: TimeText, Text: t}
			}
		}
		if err := sink.Row(&row); err != nil {
			return err
		}
	}
}

// readNDJSON reads the NDJSON a plugin writes: a first line with the JSON
// array of column names, then one JSON array of values per row.
func readNDJSON(r io.Reader, cols Columns, sink Sink) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	dec.UseNumber()
	var names []string
	if err := dec.Decode(&names); err != nil {
		if err == io.EOF {
			return dataErr("source plugin output is empty (no NDJSON header)")
		}
		return dataErr("source plugin output: NDJSON header must be an array of column names: %v", err)
	}
	sel, err := selectColumns(names, cols)
	if err != nil {
		return err
	}
	if err := sink.Begin(Header{Columns: names, HasTime: sel.time >= 0}); err != nil {
		return err
	}
	var row Row
	var vals []any
	var ubuf, ibuf []byte
	line := 1
	for {
		vals = vals[:0]
		if err := dec.Decode(&vals); err == io.EOF {
			return nil
		} else if err != nil {
			return dataErr("source plugin output row %d: %v", line, err)
		}
		line++
		if len(vals) > len(names) {
			return dataErr("source plugin output row %d: expected %d values, saw %d", line, len(names), len(vals))
		}
		at := func(i int) any {
			if i < len(vals) {
				return vals[i]
			}
			return nil
		}
		row.User, row.UserNull, ubuf = jsonIDText(at(sel.user), ubuf[:0])
		row.Item, row.ItemNull, ibuf = jsonIDText(at(sel.item), ibuf[:0])
		if sel.time >= 0 {
			row.Time = jsonTime(at(sel.time))
		}
		if err := sink.Row(&row); err != nil {
			return err
		}
	}
}

func jsonIDText(v any, buf []byte) ([]byte, bool, []byte) {
	switch x := v.(type) {
	case nil:
		return nil, true, buf
	case string:
		buf = append(buf, x...)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			buf = strconv.AppendInt(buf, n, 10)
		} else if f, err := x.Float64(); err == nil {
			buf = pystr.AppendFloat(buf, f)
		} else {
			buf = append(buf, x...)
		}
	case bool:
		buf = pystr.AppendBool(buf, x)
	default:
		b, _ := json.Marshal(x)
		buf = append(buf, b...)
	}
	return buf, false, buf
}

func jsonTime(v any) Value {
	switch x := v.(type) {
	case nil:
		return Value{Kind: TimeNull}
	case string:
		return Value{Kind: TimeText, Text: []byte(x)}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return Value{Kind: TimeInt, Int: n}
		}
		f, _ := x.Float64()
		return Value{Kind: TimeFloat, Float: f}
	case bool:
		if x {
			return Value{Kind: TimeBool, Int: 1}
		}
		return Value{Kind: TimeBool}
	}
	b, _ := json.Marshal(v)
	return Value{Kind: TimeText, Text: b}
}
