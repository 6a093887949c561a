package serve

import (
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// notifier speaks the systemd notification protocol (sd_notify) on
// $NOTIFY_SOCKET; without the variable every call is a no-op.
type notifier struct {
	addr string
}

func newNotifier() *notifier {
	return &notifier{addr: os.Getenv("NOTIFY_SOCKET")}
}

// send writes one state message ("READY=1", "STOPPING=1", "WATCHDOG=1").
func (n *notifier) send(state string) error {
	if n.addr == "" {
		return nil
	}
	addr := n.addr
	if strings.HasPrefix(addr, "@") {
		addr = "\x00" + addr[1:] // abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err
}

// watchdogInterval returns half of $WATCHDOG_USEC (the ping period systemd
// recommends), or 0 when no watchdog is configured for this process.
func watchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}
