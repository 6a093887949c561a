package blobtest

import (
	"context"
	"net/http"
	"os"
	"testing"

	"gocloud.dev/blob/azureblob"
)

func TestStartAzurite(t *testing.T) {
	addr, env := StartAzurite(t, "one", "two")
	if addr == "" || len(env) != 4 {
		t.Fatalf("addr %q env %q", addr, env)
	}
	svc, err := azureblob.NewServiceURL(azureblob.NewDefaultServiceURLOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"one", "two"} {
		c, err := azureblob.NewDefaultClient(svc, azureblob.ContainerName(name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetProperties(context.Background(), nil); err != nil {
			t.Errorf("container %s: %v", name, err)
		}
	}
}

func TestStartGCS(t *testing.T) {
	addr, env := StartGCS(t, "models")
	if len(env) != 1 || env[0] != "STORAGE_EMULATOR_HOST="+addr || os.Getenv("STORAGE_EMULATOR_HOST") != addr {
		t.Fatalf("addr %q env %q", addr, env)
	}
	resp, err := http.Get("http://" + addr + "/storage/v1/b/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("bucket models: %s", resp.Status)
	}
}
