// Package deploy checks the deployment files under contrib/ against the
// programs they deploy: the systemd units in contrib/systemd (directives,
// shared hardening, `systemd-analyze verify` and `systemd-analyze security`
// when systemd-analyze can run), the environment file example in
// contrib/env (every variable the code reads is documented, and the values
// shown as defaults are the defaults recotem-serve applies) and the
// Kubernetes manifests in contrib/k8s (YAML syntax, the kustomization, probes,
// security contexts, the example recipe loads, the example Secret holds no
// usable key). TestMakeInstall runs `make install` into a temporary DESTDIR
// and checks every file it installs (binaries, units, man pages, completion
// scripts, the environment example); it uses the binaries in
// $RECOTEM_TEST_EXAMPLES_BIN when set (`make test` sets it to bin/), else
// builds them.
//
// The package has no code of its own: its tests are the checks, so that
// `go test ./...` in pkg fails when a deployment file drifts from the code.
// The tests find the repository root by walking up from the package
// directory to the directory holding go.work.
package deploy
