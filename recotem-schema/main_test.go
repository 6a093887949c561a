package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildBinary builds recotem-schema into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "recotem-schema")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// run runs the binary with a minimal environment plus env.
func run(t *testing.T, bin string, env []string, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}, env...)
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.Bytes(), e.Bytes(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.Bytes(), e.Bytes(), 0
}

type schemaDoc struct {
	Schema     string `json:"$schema"`
	Title      string `json:"title"`
	Properties struct {
		Source struct {
			Discriminator struct {
				PropertyName string            `json:"propertyName"`
				Mapping      map[string]string `json:"mapping"`
			} `json:"discriminator"`
		} `json:"source"`
	} `json:"properties"`
}

// writePlugin writes a fake recotem-source-<typ> that answers describe.
func writePlugin(t *testing.T, dir, typ string) {
	t.Helper()
	script := "#!/bin/sh\nif [ \"$1\" = describe ]; then\n  echo '{\"protocol\":1,\"type\":\"" + typ + "\",\"no_expand\":[],\"schema\":{\"type\":\"object\",\"properties\":{\"type\":{\"const\":\"" + typ + "\"},\"table\":{\"type\":\"string\"}},\"required\":[\"type\",\"table\"]}}'\n  exit 0\nfi\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "recotem-source-"+typ), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestSchemaCommand(t *testing.T) {
	bin := buildBinary(t)

	stdout, stderr, code := run(t, bin, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc schemaDoc
	if err := json.Unmarshal(stdout, &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	if doc.Schema != "https://json-schema.org/draft/2020-12/schema" || doc.Title != "Recipe" {
		t.Errorf("$schema %q title %q", doc.Schema, doc.Title)
	}
	d := doc.Properties.Source.Discriminator
	if d.PropertyName != "type" || len(d.Mapping) != 4 {
		t.Errorf("discriminator %+v", d)
	}
	for _, typ := range []string{"csv", "parquet", "sql", "bigquery"} {
		if d.Mapping[typ] == "" || !bytes.Contains(stdout, []byte(`"`+typ+`"`)) {
			t.Errorf("source type %s missing", typ)
		}
	}
	if !bytes.HasPrefix(stdout, []byte("{\n  \"")) {
		t.Error("output is not indented with 2 spaces")
	}
	if len(stderr) != 0 {
		t.Errorf("stderr: %s", stderr)
	}

	// Plugins on RECOTEM_EXEC_PATH join the union.
	plugins := t.TempDir()
	writePlugin(t, plugins, "warehouse")
	stdout, stderr, code = run(t, bin, []string{"RECOTEM_EXEC_PATH=" + plugins})
	if code != 0 {
		t.Fatalf("with plugin: exit %d: %s", code, stderr)
	}
	doc = schemaDoc{}
	if err := json.Unmarshal(stdout, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Properties.Source.Discriminator.Mapping["warehouse"] == "" || !bytes.Contains(stdout, []byte(`"table"`)) {
		t.Errorf("plugin type missing: %v", doc.Properties.Source.Discriminator.Mapping)
	}

	// A plugin shadowing a built-in type is a recipe error: exit 2.
	bad := t.TempDir()
	writePlugin(t, bad, "csv")
	stdout, stderr, code = run(t, bin, []string{"RECOTEM_EXEC_PATH=" + bad})
	if code != 2 || len(stdout) != 0 || !strings.HasPrefix(string(stderr), "Schema generation failed: ") {
		t.Errorf("shadowing plugin: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	// A usage error exits 2.
	if _, _, code := run(t, bin, nil, "--no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}
