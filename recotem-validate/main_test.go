package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "recotem-validate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func TestValidate(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data.csv")
	os.WriteFile(data, []byte("user_id,item_id\nu1,i1\n"), 0o644)
	dirCSV := filepath.Join(dir, "x.csv")
	os.Mkdir(dirCSV, 0o755)
	n := 0
	recipeFor := func(path string, extra string) string {
		n++
		p := filepath.Join(dir, fmt.Sprintf("r%d.yaml", n))
		os.WriteFile(p, []byte("name: demo\nsource: {type: csv, path: \""+path+"\"}\nschema: {user_column: user_id, item_column: item_id}\ntraining: {algorithms: [TopPop]}\noutput: {path: "+filepath.Join(dir, "m.recotem")+"}\n"+extra), 0o644)
		return p
	}
	for _, tc := range []struct {
		name   string
		recipe string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"good csv", recipeFor(data, ""), nil, 0, "Recipe 'demo': schema OK\nDataSource: probe OK (csv)\nValidation passed.\n", ""},
		{"missing csv", recipeFor(filepath.Join(dir, "nope.csv"), ""), nil, 3, "Recipe 'demo': schema OK\n", "CSV file not found"},
		{"directory named .csv", recipeFor(dirCSV, ""), nil, 3, "Recipe 'demo': schema OK\n", "DataSource probe failed: CSV path '" + dirCSV + "' is a directory, not a file\n"},
		{"bad schema", recipeFor(data, "bogus: 1\n"), nil, 2, "", "Extra inputs are not permitted"},
		{"env var", recipeFor("${RECOTEM_RECIPE_DATA}", ""), []string{"--env-var", "RECOTEM_RECIPE_DATA=" + data}, 0, "Validation passed.", ""},
		{"env var without =", recipeFor(data, ""), []string{"--env-var", "NOEQUALS"}, 2, "", "--env-var 'NOEQUALS' must be in KEY=VALUE format.\n"},
		{"env var with an empty key", recipeFor(data, ""), []string{"--env-var", "=v"}, 2, "", "--env-var '=v' must be in KEY=VALUE format.\n"},
		{"http without pin", recipeFor("http://127.0.0.1/x.csv", ""), nil, 2, "", "sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{tc.recipe}, tc.args...)...)
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errb.String(), tc.code, tc.stdout, tc.stderr)
			}
		})
	}
	// An http source with a pin on a loopback host: schema OK, probe refused (exit 7).
	sha := strings.Repeat("a", 64)
	p := filepath.Join(dir, "h.yaml")
	os.WriteFile(p, []byte("name: h\nsource: {type: csv, path: 'http://127.0.0.1/x.csv', sha256: "+sha+"}\nschema: {user_column: u, item_column: i}\ntraining: {algorithms: [TopPop]}\noutput: {path: "+filepath.Join(dir, "m.recotem")+"}\n"), 0o644)
	cmd := exec.Command(bin, p)
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 7 || !strings.Contains(string(out), "schema OK") {
		t.Errorf("loopback http probe: exit %d: %s", cmd.ProcessState.ExitCode(), out)
	}
}
