package serve

import "testing"

func TestWatcherIgnoresUnrelatedFiles(t *testing.T) {
	w := &watcher{s: &Server{cfg: Config{RecipesDir: "/etc/recotem/recipes"}}}
	for name, want := range map[string]bool{
		"/etc/recotem/recipes/news.yaml":         true,
		"/etc/recotem/recipes/serve.log":         false,
		"/etc/recotem/recipes/news.yml":          false,
		"/etc/recotem/recipes/sub/x.yaml":        false,
		"/var/lib/recotem/news.recotem":          true,
		"/var/lib/recotem/news.1a2b3c4d.recotem": true,
		"/var/lib/recotem/.news.recotem.123.tmp": false,
		"/var/lib/recotem/news.recotem.lock":     false,
	} {
		if got := w.relevant(name); got != want {
			t.Errorf("relevant(%q) = %v, want %v", name, got, want)
		}
	}
}
