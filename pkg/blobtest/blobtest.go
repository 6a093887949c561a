// Package blobtest starts object-store emulators for tests, the way dbtest
// starts database servers: Azurite's blob service (a Node.js program that
// scripts/objectstores.sh installs) and fake-gcs-server (in process), each
// on a free loopback port with the containers or buckets a test needs, and
// the environment that points gocloud.dev at them. The S3 emulator
// (gofakes3) is an http.Handler and needs no help from here.
package blobtest

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"gocloud.dev/blob/azureblob"
)

// Azurite's documented well-known development credentials.
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azurite is the azurite-blob executable, looked up when the test binary
// starts (tests may change HOME and PATH afterwards).
var azurite = findAzurite()

// findAzurite returns the azurite-blob executable: $AZURITE_BLOB, then
// PATH, then the prefix scripts/objectstores.sh installs into
// ($RECOTEM_OBJECTSTORES_PREFIX, default ~/.cache/recotem-objectstores);
// "" when there is none.
func findAzurite() string {
	if p := os.Getenv("AZURITE_BLOB"); p != "" {
		return p
	}
	if p, err := exec.LookPath("azurite-blob"); err == nil {
		return p
	}
	prefix := os.Getenv("RECOTEM_OBJECTSTORES_PREFIX")
	if prefix == "" {
		home, _ := os.UserHomeDir()
		prefix = filepath.Join(home, ".cache", "recotem-objectstores")
	}
	p := filepath.Join(prefix, "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// StartAzurite runs Azurite's blob service on a free loopback port until the
// test ends, sets the environment that points gocloud.dev's azureblob at it
// (AZURE_STORAGE_ACCOUNT, _KEY, _DOMAIN, _PROTOCOL, with t.Setenv), creates
// the named containers and returns its address and that environment (for
// the commands a test runs). The test is skipped when Azurite is not
// installed, and with -short (it takes seconds to start).
func StartAzurite(t testing.TB, containers ...string) (addr string, env []string) {
	t.Helper()
	bin := azurite
	if bin == "" {
		t.Skip("azurite-blob not installed (run scripts/objectstores.sh, or set AZURITE_BLOB)")
	}
	if testing.Short() {
		t.Skip("starting Azurite is slow; skipped with -short")
	}
	addr, port := freePort(t)
	var out strings.Builder
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(int(port)),
		"--location", t.TempDir(), "--skipApiVersionCheck", "--silent")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(90 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("azurite did not listen on %s: %s", addr, out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	env = []string{"AZURE_STORAGE_ACCOUNT=" + AzuriteAccount, "AZURE_STORAGE_KEY=" + AzuriteKey,
		"AZURE_STORAGE_DOMAIN=" + addr, "AZURE_STORAGE_PROTOCOL=http"}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	svc, err := azureblob.NewServiceURL(azureblob.NewDefaultServiceURLOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range containers {
		c, err := azureblob.NewDefaultClient(svc, azureblob.ContainerName(name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Create(context.Background(), nil); err != nil {
			t.Fatalf("create container %s: %v", name, err)
		}
	}
	return addr, env
}

// StartGCS runs fake-gcs-server in process on a free loopback port until the
// test ends, with the named buckets, sets STORAGE_EMULATOR_HOST (with
// t.Setenv) so that gocloud.dev's gcsblob talks to it, and returns its
// address and that environment (for the commands a test runs).
func StartGCS(t testing.TB, buckets ...string) (addr string, env []string) {
	t.Helper()
	addr, port := freePort(t)
	// The storage client reads through the XML API, which the emulator
	// serves only on its public host: give it the listening address.
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: port, PublicHost: addr, Writer: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	for _, name := range buckets {
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name})
	}
	env = []string{"STORAGE_EMULATOR_HOST=" + addr}
	t.Setenv("STORAGE_EMULATOR_HOST", addr)
	return addr, env
}

// freePort returns a loopback address, and its port, that was free a
// moment ago.
func freePort(t testing.TB) (string, uint16) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return addr, uint16(p)
}
