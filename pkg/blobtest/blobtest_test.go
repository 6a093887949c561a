package blobtest

import (
	"context"
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
