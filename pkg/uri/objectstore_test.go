package uri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob/azureblob"
)

// clearCloudEnv removes every cloud credential and endpoint variable that
// could leak in from the machine running the tests.
func clearCloudEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range []string{"AWS_", "GOOGLE_", "STORAGE_EMULATOR_", "AZURE_"} {
			if strings.HasPrefix(name, p) {
				t.Setenv(name, "")
				os.Unsetenv(name)
			}
		}
	}
	missing := filepath.Join(t.TempDir(), "missing")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", missing)
	t.Setenv("AWS_CONFIG_FILE", missing)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("HOME", t.TempDir())
}

func TestS3(t *testing.T) {
	clearCloudEnv(t)
	backend := s3mem.New()
	if err := backend.CreateBucket("recotem-test"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	exerciseStore(t, &Store{}, "s3://recotem-test")

	_, err := ReadAll(context.Background(), "s3://no-such-bucket/x.csv", 0)
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/x.csv") || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing bucket: %v", err)
	}
}

func TestS3NoCredentials(t *testing.T) {
	clearCloudEnv(t)
	_, err := ReadAll(context.Background(), "s3://bucket/x.csv", 0)
	if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "read s3://bucket/x.csv: no AWS credentials found") {
		t.Fatalf("err = %v", err)
	}
}

func TestGCS(t *testing.T) {
	clearCloudEnv(t)
	// The storage client reads through the XML API, which the fake serves
	// only on its public host: give it the listening address.
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: uint16(p), PublicHost: addr, Writer: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "recotem-test"})
	t.Setenv("STORAGE_EMULATOR_HOST", addr)
	exerciseStore(t, &Store{}, "gs://recotem-test")
	exerciseStore(t, &Store{}, "gs://my-project@recotem-test")
}

func TestGCSNoCredentials(t *testing.T) {
	clearCloudEnv(t)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	_, err := Stat(context.Background(), "gs://bucket/x.csv")
	if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "stat gs://bucket/x.csv: no Google credentials found") {
		t.Fatalf("err = %v", err)
	}
}

func TestAzureNoAccount(t *testing.T) {
	clearCloudEnv(t)
	err := WriteFile(context.Background(), "az://container/x.bin", []byte("x"))
	if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "write az://container/x.bin: no Azure storage account") {
		t.Fatalf("err = %v", err)
	}
}

// azuriteAccount and azuriteKey are Azurite's documented well-known
// development credentials.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// findAzurite returns the azurite-blob executable: $AZURITE_BLOB, then PATH,
// then the prefix scripts/objectstores.sh installs into.
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

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startAzurite runs Azurite's blob service on a free loopback port until the
// test ends and returns its address.
func startAzurite(t *testing.T, bin string) string {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	var out strings.Builder
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", port,
		"--location", t.TempDir(), "--skipApiVersionCheck", "--silent")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("azurite did not listen on %s: %s", addr, out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestAzure(t *testing.T) {
	bin := findAzurite()
	if bin == "" {
		t.Skip("azurite-blob not installed (run scripts/objectstores.sh, or set AZURITE_BLOB)")
	}
	if testing.Short() {
		t.Skip("starting Azurite is slow; skipped with -short")
	}
	addr := startAzurite(t, bin)
	clearCloudEnv(t)
	t.Setenv("AZURE_STORAGE_ACCOUNT", azuriteAccount)
	t.Setenv("AZURE_STORAGE_KEY", azuriteKey)
	t.Setenv("AZURE_STORAGE_DOMAIN", addr)
	t.Setenv("AZURE_STORAGE_PROTOCOL", "http")

	svc, err := azureblob.NewServiceURL(azureblob.NewDefaultServiceURLOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"recotem-test", "recotem-abfs"} {
		c, err := azureblob.NewDefaultClient(svc, azureblob.ContainerName(name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Create(ctx, nil); err != nil {
			t.Fatalf("create container %s: %v", name, err)
		}
	}
	exerciseStore(t, &Store{}, "az://recotem-test")
	exerciseStore(t, &Store{}, "abfs://recotem-abfs")

	// The same account through a connection string.
	t.Setenv("AZURE_STORAGE_ACCOUNT", "")
	t.Setenv("AZURE_STORAGE_KEY", "")
	t.Setenv("AZURE_STORAGE_DOMAIN", "")
	t.Setenv("AZURE_STORAGE_PROTOCOL", "")
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", fmt.Sprintf(
		"DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://%s/%s;",
		azuriteAccount, azuriteKey, addr, azuriteAccount))
	if got, err := ReadAll(ctx, "abfss://recotem-test/dir/data.csv", 0); err != nil || len(got) == 0 {
		t.Fatalf("read through the connection string: %q, %v", got, err)
	}
}
