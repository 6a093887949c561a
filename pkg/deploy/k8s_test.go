package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/repotest"
)

// document is one YAML document of a manifest file.
type document struct {
	file string
	node *yaml.Node
	kind string
	name string
}

// manifests parses every YAML document of every *.yaml file in contrib/k8s.
func manifests(t *testing.T) []document {
	t.Helper()
	dir := filepath.Join(repotest.Root(t), k8sDir)
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	sort.Strings(files)
	var docs []document
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 0; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d: %v", filepath.Base(f), i+1, err)
			}
			var head struct {
				Kind     string `yaml:"kind"`
				Metadata struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
			}
			if err := n.Decode(&head); err != nil {
				t.Fatalf("%s: document %d: %v", filepath.Base(f), i+1, err)
			}
			docs = append(docs, document{filepath.Base(f), &n, head.Kind, head.Metadata.Name})
		}
	}
	return docs
}

// find decodes the one document of the given kind (and name, if not
// empty) into v.
func find(t *testing.T, docs []document, kind, name string, v any) document {
	t.Helper()
	var hit []document
	for _, d := range docs {
		if d.kind == kind && (name == "" || d.name == name) {
			hit = append(hit, d)
		}
	}
	if len(hit) != 1 {
		t.Fatalf("%d %s documents named %q in %s, want 1", len(hit), kind, name, k8sDir)
	}
	if err := hit[0].node.Decode(v); err != nil {
		t.Fatalf("%s: %s %s: %v", hit[0].file, kind, name, err)
	}
	return hit[0]
}

// The subset of the Kubernetes API the checks read.
type (
	envVar struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	}
	probe struct {
		HTTPGet *struct {
			Path        string `yaml:"path"`
			Port        any    `yaml:"port"`
			HTTPHeaders []struct {
				Name  string `yaml:"name"`
				Value string `yaml:"value"`
			} `yaml:"httpHeaders"`
		} `yaml:"httpGet"`
	}
	container struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Ports   []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env     []envVar `yaml:"env"`
		EnvFrom []struct {
			SecretRef *struct {
				Name string `yaml:"name"`
			} `yaml:"secretRef"`
		} `yaml:"envFrom"`
		StartupProbe    *probe `yaml:"startupProbe"`
		LivenessProbe   *probe `yaml:"livenessProbe"`
		ReadinessProbe  *probe `yaml:"readinessProbe"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	}
	podSpec struct {
		RestartPolicy                 string `yaml:"restartPolicy"`
		TerminationGracePeriodSeconds *int   `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
			RunAsUser    *int  `yaml:"runAsUser"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
			PersistentVolumeClaim *struct {
				ClaimName string `yaml:"claimName"`
				ReadOnly  bool   `yaml:"readOnly"`
			} `yaml:"persistentVolumeClaim"`
		} `yaml:"volumes"`
	}
	podTemplate struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec podSpec `yaml:"spec"`
	}
	deployment struct {
		Spec struct {
			Template podTemplate `yaml:"template"`
		} `yaml:"spec"`
	}
	cronJob struct {
		Spec struct {
			Schedule          string `yaml:"schedule"`
			ConcurrencyPolicy string `yaml:"concurrencyPolicy"`
			JobTemplate       struct {
				Spec struct {
					PodFailurePolicy struct {
						Rules []struct {
							Action      string `yaml:"action"`
							OnExitCodes *struct {
								Operator string `yaml:"operator"`
								Values   []int  `yaml:"values"`
							} `yaml:"onExitCodes"`
						} `yaml:"rules"`
					} `yaml:"podFailurePolicy"`
					Template podTemplate `yaml:"template"`
				} `yaml:"spec"`
			} `yaml:"jobTemplate"`
		} `yaml:"spec"`
	}
	service struct {
		Spec struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				TargetPort any `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	configMap struct {
		Data map[string]string `yaml:"data"`
	}
	secret struct {
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		StringData map[string]string `yaml:"stringData"`
	}
)

func (c container) env(name string) (envVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return envVar{}, false
}

func (c container) mount(path string) (readOnly, ok bool) {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return m.ReadOnly, true
		}
	}
	return false, false
}

// checkHardened checks the pod and container security settings both
// workloads share.
func checkHardened(t *testing.T, what string, p podSpec) {
	t.Helper()
	if sc := p.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext must set runAsNonRoot: true and a non-zero runAsUser", what)
	}
	for _, c := range p.Containers {
		sc := c.SecurityContext
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: container %s: readOnlyRootFilesystem must be true", what, c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: container %s: allowPrivilegeEscalation must be false", what, c.Name)
		}
		if !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
			t.Errorf("%s: container %s: capabilities.drop = %q, want [ALL]", what, c.Name, sc.Capabilities.Drop)
		}
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "RECOTEM_") && !isDocumented(e.Name) {
				t.Errorf("%s: container %s sets unknown variable %s", what, c.Name, e.Name)
			}
		}
	}
}

func TestK8sManifestsParse(t *testing.T) {
	docs := manifests(t)
	seen := map[string]string{}
	files := map[string]bool{}
	for _, d := range docs {
		files[d.file] = true
		if d.kind == "" || (d.name == "" && d.kind != "Kustomization") {
			t.Errorf("%s: document without kind or metadata.name", d.file)
		}
		key := d.kind + "/" + d.name
		if prev, dup := seen[key]; dup {
			t.Errorf("%s: %s already defined in %s", d.file, key, prev)
		}
		seen[key] = d.file
		var v map[string]any
		if err := d.node.Decode(&v); err != nil {
			t.Errorf("%s: %v", d.file, err)
		}
		if _, ok := v["apiVersion"].(string); !ok {
			t.Errorf("%s: %s without apiVersion", d.file, key)
		}
	}

	var k struct {
		Resources []string `yaml:"resources"`
	}
	find(t, docs, "Kustomization", "", &k)
	for _, r := range k.Resources {
		if !files[r] {
			t.Errorf("%s lists %s, which is not a manifest in %s", kustomization, r, k8sDir)
		}
	}
	for f := range files {
		listed := slices.Contains(k.Resources, f)
		switch {
		case f == kustomization:
		case f == secretExample && listed:
			t.Errorf("%s lists %s: re-applying would overwrite real keys with placeholders", kustomization, f)
		case f != secretExample && !listed:
			t.Errorf("%s does not list %s", kustomization, f)
		}
	}
}

func TestK8sServe(t *testing.T) {
	docs := manifests(t)
	var d deployment
	find(t, docs, "Deployment", "recotem-serve", &d)
	pod := d.Spec.Template.Spec
	checkHardened(t, "Deployment recotem-serve", pod)
	if len(pod.Containers) != 1 {
		t.Fatalf("Deployment recotem-serve: %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if want := []string{installBin + "recotem-serve", "--recipes", "/etc/recotem/recipes"}; !slices.Equal(c.Command, want) {
		t.Errorf("serve command = %q, want %q", c.Command, want)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 || c.Ports[0].Name != "http" {
		t.Errorf("serve ports = %+v, want one named http on 8080", c.Ports)
	}
	if e, _ := c.env("RECOTEM_HOST"); e.Value != "0.0.0.0" {
		t.Errorf("serve RECOTEM_HOST = %q, want 0.0.0.0", e.Value)
	}
	if e, _ := c.env("RECOTEM_PORT"); e.Value != "8080" {
		t.Errorf("serve RECOTEM_PORT = %q, want 8080 (the container port)", e.Value)
	}
	hostsVar, ok := c.env("RECOTEM_ALLOWED_HOSTS")
	if !ok {
		t.Fatal("serve: RECOTEM_ALLOWED_HOSTS not set (the default admits only localhost)")
	}
	hosts := strings.Split(hostsVar.Value, ",")

	for _, p := range []struct {
		what  string
		probe *probe
		path  string
	}{
		{"startupProbe", c.StartupProbe, "/livez"},
		{"livenessProbe", c.LivenessProbe, "/livez"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("serve: no %s.httpGet", p.what)
			continue
		}
		g := p.probe.HTTPGet
		if g.Path != p.path || fmt.Sprint(g.Port) != "http" {
			t.Errorf("serve %s: GET %s on port %v, want %s on port http", p.what, g.Path, g.Port, p.path)
		}
		// The kubelet sends Host: <pod IP>, which the host allow-list
		// rejects with 400; the probe must send an allowed name.
		host := ""
		for _, h := range g.HTTPHeaders {
			if strings.EqualFold(h.Name, "Host") {
				host = h.Value
			}
		}
		if host == "" || !slices.Contains(hosts, host) {
			t.Errorf("serve %s: Host header %q not in RECOTEM_ALLOWED_HOSTS %q", p.what, host, hosts)
		}
	}

	var s secret
	find(t, docs, "Secret", "", &s)
	fromSecret := false
	for _, ef := range c.EnvFrom {
		if ef.SecretRef != nil && ef.SecretRef.Name == s.Metadata.Name {
			fromSecret = true
		}
	}
	if !fromSecret {
		t.Errorf("serve: keys not taken from Secret %s (envFrom)", s.Metadata.Name)
	}
	drain := defaultDrain
	if e, ok := c.env("RECOTEM_DRAIN_SECONDS"); ok {
		drain, _ = strconv.Atoi(e.Value)
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g <= drain {
		t.Errorf("serve: terminationGracePeriodSeconds must exceed RECOTEM_DRAIN_SECONDS (%d)", drain)
	}
	if ro, ok := c.mount("/var/lib/recotem"); !ok || !ro {
		t.Errorf("serve: /var/lib/recotem must be mounted read-only")
	}
	if ro, ok := c.mount("/etc/recotem/recipes"); !ok || !ro {
		t.Errorf("serve: /etc/recotem/recipes must be mounted read-only")
	}

	var svc service
	find(t, docs, "Service", "recotem-serve", &svc)
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("Service selector %s=%s does not match the serve pods", k, v)
		}
	}
	if len(svc.Spec.Ports) != 1 || fmt.Sprint(svc.Spec.Ports[0].TargetPort) != "http" {
		t.Errorf("Service ports %+v, want one with targetPort http", svc.Spec.Ports)
	}
}

func TestK8sTrain(t *testing.T) {
	docs := manifests(t)
	var cj cronJob
	doc := find(t, docs, "CronJob", "", &cj)
	what := "CronJob " + doc.name
	if cj.Spec.ConcurrencyPolicy != "Forbid" {
		t.Errorf("%s: concurrencyPolicy = %q, want Forbid", what, cj.Spec.ConcurrencyPolicy)
	}
	js := cj.Spec.JobTemplate.Spec
	pod := js.Template.Spec
	checkHardened(t, what, pod)
	if pod.RestartPolicy != "Never" {
		t.Errorf("%s: restartPolicy = %q, want Never (required by podFailurePolicy)", what, pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", what, len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Command) < 2 || c.Command[0] != installBin+"recotem-train" {
		t.Fatalf("%s: command = %q, want %srecotem-train RECIPE ...", what, c.Command, installBin)
	}
	var cm configMap
	find(t, docs, "ConfigMap", "recotem-recipes", &cm)
	if _, ok := cm.Data[strings.TrimPrefix(c.Command[1], "/etc/recotem/recipes/")]; !ok || !strings.HasPrefix(c.Command[1], "/etc/recotem/recipes/") {
		t.Errorf("%s: recipe %s is not in ConfigMap recotem-recipes", what, c.Command[1])
	}
	if ro, ok := c.mount("/var/lib/recotem"); !ok || ro {
		t.Errorf("%s: /var/lib/recotem must be mounted read-write", what)
	}
	var s secret
	find(t, docs, "Secret", "", &s)
	if e, ok := c.env("RECOTEM_SIGNING_KEYS"); !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
		e.ValueFrom.SecretKeyRef.Name != s.Metadata.Name || e.ValueFrom.SecretKeyRef.Key != "RECOTEM_SIGNING_KEYS" {
		t.Errorf("%s: RECOTEM_SIGNING_KEYS must come from Secret %s", what, s.Metadata.Name)
	}
	if _, ok := c.env("RECOTEM_API_KEYS"); ok {
		t.Errorf("%s: training does not need RECOTEM_API_KEYS", what)
	}

	// The Job fails at once on permanent exit codes and retries 3 and 7.
	var failFast []int
	for _, r := range js.PodFailurePolicy.Rules {
		if r.Action == "FailJob" && r.OnExitCodes != nil && r.OnExitCodes.Operator == "In" {
			failFast = append(failFast, r.OnExitCodes.Values...)
		}
	}
	for _, code := range []int{2, 5, 8} {
		if !slices.Contains(failFast, code) {
			t.Errorf("%s: exit code %d is retried; podFailurePolicy must fail the Job", what, code)
		}
	}
	for _, code := range []int{0, 3, 7} {
		if slices.Contains(failFast, code) {
			t.Errorf("%s: exit code %d fails the Job at once; it should be retried", what, code)
		}
	}

	// Both workloads use the same claim.
	var d deployment
	find(t, docs, "Deployment", "recotem-serve", &d)
	claims := func(p podSpec) []string {
		var out []string
		for _, v := range p.Volumes {
			if v.PersistentVolumeClaim != nil {
				out = append(out, v.PersistentVolumeClaim.ClaimName)
			}
		}
		return out
	}
	if a, b := claims(pod), claims(d.Spec.Template.Spec); len(a) != 1 || !slices.Equal(a, b) {
		t.Errorf("claims: train %q, serve %q; want the same single claim", a, b)
	}
}

// TestK8sRecipesLoad loads every recipe of the ConfigMap with the real
// recipe loader; their artifacts must land on the shared volume.
func TestK8sRecipesLoad(t *testing.T) {
	var cm configMap
	find(t, manifests(t), "ConfigMap", "recotem-recipes", &cm)
	if len(cm.Data) == 0 {
		t.Fatal("ConfigMap recotem-recipes holds no recipe")
	}
	opts := loadOptions()
	for name, text := range cm.Data {
		if !strings.HasSuffix(name, ".yaml") {
			t.Errorf("ConfigMap key %s: serve reads only *.yaml files", name)
			continue
		}
		r, err := recipe.LoadBytes(filepath.Join("/etc/recotem/recipes", name), []byte(text), opts)
		if err != nil {
			t.Errorf("ConfigMap key %s: %v", name, err)
			continue
		}
		if !strings.HasPrefix(r.Output.Path, "/var/lib/recotem/") {
			t.Errorf("ConfigMap key %s: output.path %s is not on the shared volume /var/lib/recotem", name, r.Output.Path)
		}
	}
}

// TestK8sSecretIsPlaceholder: the example Secret must not hold anything
// recotem would accept as a key.
func TestK8sSecretIsPlaceholder(t *testing.T) {
	var s secret
	find(t, manifests(t), "Secret", "", &s)
	if got := slices.Sorted(maps.Keys(s.StringData)); !slices.Equal(got, []string{keys.EnvAPI, keys.EnvSigning}) {
		t.Errorf("Secret stringData keys = %q, want %s and %s", got, keys.EnvAPI, keys.EnvSigning)
	}
	if _, err := keys.ParseSigning(s.StringData[keys.EnvSigning]); err == nil {
		t.Errorf("Secret %s is a usable signing key ring; keep a placeholder", keys.EnvSigning)
	}
	if _, err := keys.ParseAPI(s.StringData[keys.EnvAPI]); err == nil {
		t.Errorf("Secret %s is a usable API key ring; keep a placeholder", keys.EnvAPI)
	}
	for k, v := range s.StringData {
		if !strings.Contains(v, "PLACEHOLDER") {
			t.Errorf("Secret %s = %q does not say PLACEHOLDER", k, v)
		}
	}
}
