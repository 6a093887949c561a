//go:build unix

package rawfile

import (
	"net"
	"path/filepath"
	"syscall"
	"testing"
)

// TestProbeSpecialFiles checks that files that are not regular fail the
// probe without blocking on them (a named pipe with no writer would block
// an open for reading).
func TestProbeSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock.csv")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	assertProbe(t, fifo, "CSV path '"+fifo+"' is a named pipe, not a regular file")
	assertProbe(t, sock, "CSV path '"+sock+"' is a socket, not a regular file")
	assertProbe(t, "/dev/null", "CSV path '/dev/null' is a device, not a regular file")
}
