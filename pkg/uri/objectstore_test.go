package uri

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/codelibs/recotem-go/pkg/blobtest"
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
	blobtest.StartGCS(t, "recotem-test")
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

func TestAzure(t *testing.T) {
	clearCloudEnv(t)
	addr, _ := blobtest.StartAzurite(t, "recotem-test", "recotem-abfs")
	ctx := context.Background()
	exerciseStore(t, &Store{}, "az://recotem-test")
	exerciseStore(t, &Store{}, "abfs://recotem-abfs")

	// The same account through a connection string.
	t.Setenv("AZURE_STORAGE_ACCOUNT", "")
	t.Setenv("AZURE_STORAGE_KEY", "")
	t.Setenv("AZURE_STORAGE_DOMAIN", "")
	t.Setenv("AZURE_STORAGE_PROTOCOL", "")
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", fmt.Sprintf(
		"DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://%s/%s;",
		blobtest.AzuriteAccount, blobtest.AzuriteKey, addr, blobtest.AzuriteAccount))
	if got, err := ReadAll(ctx, "abfss://recotem-test/dir/data.csv", 0); err != nil || len(got) == 0 {
		t.Fatalf("read through the connection string: %q, %v", got, err)
	}
}
