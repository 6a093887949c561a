package deploy

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/repotest"
)

// directive is one Key=Value line of a unit file.
type directive struct {
	section, key, value string
	line                int
}

// parseUnit reads systemd unit syntax: [Section] headers, Key=Value lines,
// '#' and ';' comments, backslash continuation lines.
func parseUnit(text string) ([]directive, error) {
	var out []directive
	section := ""
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		n := i + 1
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(lines[i])
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: bad section header %q", n, line)
			}
			section = line[1 : len(line)-1]
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				return nil, fmt.Errorf("line %d: not Key=Value inside a section: %q", n, line)
			}
			out = append(out, directive{section, strings.TrimSpace(k), strings.TrimSpace(v), n})
		}
	}
	return out, nil
}

func loadUnit(t *testing.T, rel string) []directive {
	t.Helper()
	ds, err := parseUnit(read(t, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return ds
}

// values returns every value assigned to section.key, in order.
func values(ds []directive, section, key string) []string {
	var out []string
	for _, d := range ds {
		if d.section == section && d.key == key {
			out = append(out, d.value)
		}
	}
	return out
}

func TestUnitDirectives(t *testing.T) {
	tests := []struct {
		file, section, key string
		want               []string // every assignment, in order
	}{
		{serveUnit, "Service", "Type", []string{"notify"}},
		{serveUnit, "Service", "NotifyAccess", []string{"main"}},
		{serveUnit, "Service", "WatchdogSec", []string{"30"}},
		{serveUnit, "Service", "ExecStart", []string{installBin + "recotem-serve --recipes /etc/recotem/recipes"}},
		{serveUnit, "Service", "ExecReload", []string{"/bin/kill -HUP $MAINPID"}},
		{serveUnit, "Service", "EnvironmentFile", []string{"/etc/recotem/recotem.env"}},
		{serveUnit, "Service", "User", []string{"recotem"}},
		{serveUnit, "Service", "Group", []string{"recotem"}},
		{serveUnit, "Service", "Restart", []string{"on-failure"}},
		{serveUnit, "Service", "RestartPreventExitStatus", []string{"2 5 8"}},
		{serveUnit, "Service", "LimitNOFILE", []string{"65536"}},
		{serveUnit, "Install", "WantedBy", []string{"multi-user.target"}},

		{trainUnit, "Service", "Type", []string{"oneshot"}},
		{trainUnit, "Service", "ExecStart", []string{installBin + "recotem-train /etc/recotem/recipes/%i.yaml -q --fail-on-busy"}},
		{trainUnit, "Service", "EnvironmentFile", []string{"/etc/recotem/recotem.env"}},
		{trainUnit, "Service", "User", []string{"recotem"}},
		{trainUnit, "Service", "Group", []string{"recotem"}},
		// --fail-on-busy makes a skipped busy lock exit 6, which counts
		// as success but stays visible in the journal (status=6).
		{trainUnit, "Service", "SuccessExitStatus", []string{"6"}},
		// Retry only the maybe-transient 3 (data source) and 7 (HTTP fetch).
		{trainUnit, "Service", "Restart", []string{"on-failure"}},
		{trainUnit, "Service", "RestartPreventExitStatus", []string{"1 2 4 5 6 8"}},
		{trainUnit, "Service", "Environment", []string{"RECOTEM_LOCK_DIR=/var/lib/recotem/locks"}},
		{trainUnit, "Service", "Nice", []string{"10"}},
		{trainUnit, "Service", "IOSchedulingClass", []string{"idle"}},

		{serveUnit, "Unit", "StartLimitBurst", []string{"5"}},
		{trainUnit, "Unit", "StartLimitBurst", []string{"5"}},
		{trainUnit, "Unit", "StartLimitIntervalSec", []string{"6h"}},

		{trainTimer, "Timer", "OnCalendar", []string{"daily"}},
		{trainTimer, "Timer", "RandomizedDelaySec", []string{"15min"}},
		{trainTimer, "Timer", "Persistent", []string{"true"}},
		{trainTimer, "Install", "WantedBy", []string{"timers.target"}},
	}
	for _, tt := range tests {
		got := values(loadUnit(t, tt.file), tt.section, tt.key)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: [%s] %s = %q, want %q", tt.file, tt.section, tt.key, got, tt.want)
		}
	}
}

// hardening lists the sandboxing directives both services must set, to the
// same values.
var hardening = map[string][]string{
	"ProtectSystem":           {"strict"},
	"ReadWritePaths":          {"/var/lib/recotem"},
	"ReadOnlyPaths":           {"/etc/recotem"},
	"NoNewPrivileges":         {"yes"},
	"PrivateTmp":              {"yes"},
	"PrivateDevices":          {"yes"},
	"ProtectHome":             {"yes"},
	"ProtectKernelTunables":   {"yes"},
	"ProtectKernelModules":    {"yes"},
	"ProtectKernelLogs":       {"yes"},
	"ProtectControlGroups":    {"yes"},
	"ProtectClock":            {"yes"},
	"ProtectHostname":         {"yes"},
	"ProtectProc":             {"invisible"},
	"ProcSubset":              {"pid"},
	"RestrictAddressFamilies": {"AF_UNIX AF_INET AF_INET6"},
	"RestrictNamespaces":      {"yes"},
	"RestrictRealtime":        {"yes"},
	"RestrictSUIDSGID":        {"yes"},
	"RemoveIPC":               {"yes"},
	"LockPersonality":         {"yes"},
	"MemoryDenyWriteExecute":  {"yes"},
	"SystemCallArchitectures": {"native"},
	"SystemCallFilter":        {"@system-service", "~@privileged @resources"},
	"SystemCallErrorNumber":   {"EPERM"},
	"CapabilityBoundingSet":   {""},
	"AmbientCapabilities":     {""},
	"StateDirectory":          {"recotem"},
	"WorkingDirectory":        {"/var/lib/recotem"},
	"UMask":                   {"0027"},
}

func TestUnitHardening(t *testing.T) {
	for _, u := range []string{serveUnit, trainUnit} {
		ds := loadUnit(t, u)
		for key, want := range hardening {
			if got := values(ds, "Service", key); !slices.Equal(got, want) {
				t.Errorf("%s: %s = %q, want %q", u, key, got, want)
			}
		}
		if got := values(ds, "Service", "DynamicUser"); got != nil {
			t.Errorf("%s: DynamicUser = %q; the units share the fixed user recotem", u, got)
		}
	}
}

// TestServeStopTimeoutCoversDrain: systemd must not SIGKILL the server
// while it drains for the default RECOTEM_DRAIN_SECONDS.
func TestServeStopTimeoutCoversDrain(t *testing.T) {
	v := values(loadUnit(t, serveUnit), "Service", "TimeoutStopSec")
	if len(v) != 1 {
		t.Fatalf("%s: TimeoutStopSec = %q, want one value in seconds", serveUnit, v)
	}
	sec, err := strconv.Atoi(v[0])
	if err != nil {
		t.Fatalf("%s: TimeoutStopSec=%s: want plain seconds", serveUnit, v[0])
	}
	if sec < defaultDrain+5 {
		t.Errorf("%s: TimeoutStopSec=%d leaves under 5 s above the %d s drain", serveUnit, sec, defaultDrain)
	}
}

// TestUnitBinaryPaths: installBin appears only in ExecStart= lines (the
// Makefile rewrites it to $(PREFIX)/bin), naming binaries the repository
// builds.
func TestUnitBinaryPaths(t *testing.T) {
	r := repotest.Root(t)
	for _, u := range units {
		for i, line := range strings.Split(read(t, u), "\n") {
			if !strings.Contains(line, installBin) {
				continue
			}
			if !strings.HasPrefix(line, "ExecStart=") {
				t.Errorf("%s:%d: %s outside ExecStart=: %q", u, i+1, installBin, line)
				continue
			}
			bin, _, _ := strings.Cut(strings.TrimPrefix(line, "ExecStart="+installBin), " ")
			if !slices.Contains(binaries, bin) {
				t.Errorf("%s:%d: %s is not an installed binary", u, i+1, bin)
			}
			if _, err := os.Stat(filepath.Join(r, bin, "go.mod")); err != nil {
				t.Errorf("%s:%d: no module %s/ in the repository: %v", u, i+1, bin, err)
			}
		}
	}
}

// TestUnitEnvironmentNames: Environment= in the units sets only known
// variables.
func TestUnitEnvironmentNames(t *testing.T) {
	for _, u := range units {
		for _, v := range values(loadUnit(t, u), "Service", "Environment") {
			name, _, _ := strings.Cut(v, "=")
			if !isDocumented(name) {
				t.Errorf("%s: Environment=%s sets an unknown variable", u, v)
			}
		}
	}
}

// stageUnits writes the units into dir/units with installBin rewritten to
// dir/bin (as `make install` rewrites it to $(PREFIX)/bin), creates fake
// executables for the binaries they start, and names the train templates
// as the instance "news". It returns the unit paths.
func stageUnits(t *testing.T, dir string) []string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	ud := filepath.Join(dir, "units")
	for _, d := range []string{bin, ud} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range binaries {
		if err := os.WriteFile(filepath.Join(bin, b), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for _, u := range units {
		text := strings.ReplaceAll(read(t, u), installBin, bin+"/")
		name := strings.Replace(filepath.Base(u), "@.", "@news.", 1)
		p := filepath.Join(ud, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// analyze runs systemd-analyze with a timeout and returns its combined
// output.
func analyze(sa string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sa, args...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// systemdAnalyze returns the systemd-analyze binary, or skips the test with
// the reason it cannot run here: not installed, or unable to verify even a
// trivial unit (no usable systemd in the sandbox).
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skipf("systemd-analyze not installed (Debian package systemd): %v", err)
	}
	dir := t.TempDir()
	probe := filepath.Join(dir, "recotem-probe.service")
	unit := "[Unit]\nDescription=probe\n[Service]\nExecStart=/bin/sh -c true\n"
	if err := os.WriteFile(probe, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := analyze(sa, "verify", probe); err != nil || strings.TrimSpace(out) != "" {
		t.Skipf("systemd-analyze cannot verify a trivial unit in this environment (%v): %s", err, out)
	}
	return sa
}

// TestSystemdAnalyzeVerify runs `systemd-analyze verify` on the units. Any
// message about one of them fails the test: verify exits 0 on unknown
// directives and only prints a warning.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa := systemdAnalyze(t)
	paths := stageUnits(t, t.TempDir())
	out, err := analyze(sa, append([]string{"verify"}, paths...)...)
	var ours []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, "recotem") {
			ours = append(ours, line)
		} else if line != "" {
			t.Logf("systemd-analyze (not about our units): %s", line)
		}
	}
	if err != nil || len(ours) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", strings.Join(paths, " "), err, strings.Join(ours, "\n"))
	}
}

// TestSystemdAnalyzeVerifyCatchesTypos makes sure the verify check can
// fail: a misspelled directive must produce a message about the unit.
func TestSystemdAnalyzeVerifyCatchesTypos(t *testing.T) {
	sa := systemdAnalyze(t)
	paths := stageUnits(t, t.TempDir())
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(b), "NoNewPrivileges=", "NoNewPrivilegez=", 1)
	if err := os.WriteFile(paths[0], []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := analyze(sa, "verify", paths[0])
	if !strings.Contains(out, "NoNewPrivilegez") {
		t.Errorf("systemd-analyze verify did not report the misspelled directive: %q", out)
	}
}

var exposureRE = regexp.MustCompile(`Overall exposure level for (\S+): ([0-9.]+)`)

// TestSystemdAnalyzeSecurity keeps both services at an exposure level of at
// most 2.0 ("OK") in `systemd-analyze security --offline=yes`.
func TestSystemdAnalyzeSecurity(t *testing.T) {
	sa := systemdAnalyze(t)
	paths := stageUnits(t, t.TempDir())
	for _, p := range paths {
		if !strings.HasSuffix(p, ".service") {
			continue
		}
		out, err := analyze(sa, "security", "--offline=yes", "--no-pager", p)
		m := exposureRE.FindStringSubmatch(out)
		if m == nil {
			if strings.Contains(out, "offline") || strings.Contains(out, "unrecognized option") {
				t.Skipf("this systemd-analyze has no offline security mode: %s", out)
			}
			t.Fatalf("systemd-analyze security %s: %v\n%s", p, err, out)
		}
		level, _ := strconv.ParseFloat(m[2], 64)
		t.Logf("%s: exposure %.1f", m[1], level)
		if level > 2.0 {
			t.Errorf("%s: exposure level %.1f, want at most 2.0:\n%s", m[1], level, out)
		}
	}
}

// TestReadmeRecipesLoad loads every ```yaml block of the systemd README
// with the real recipe loader.
func TestReadmeRecipesLoad(t *testing.T) {
	const readme = "contrib/systemd/README.md"
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(read(t, readme), -1)
	if len(blocks) == 0 {
		t.Fatalf("%s: no yaml block", readme)
	}
	for i, b := range blocks {
		if _, err := recipe.LoadBytes(fmt.Sprintf("%s#%d", readme, i+1), []byte(b[1]), loadOptions()); err != nil {
			t.Errorf("%s: yaml block %d: %v", readme, i+1, err)
		}
	}
}
