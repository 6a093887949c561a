package tune

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Journal is a Storage in a local file: an append-only journal of JSON
// records, one per line, each trial state change appended and fsynced
// before the call returns, guarded by flock(2) so several processes on one
// host may share it. A crash (even kill -9) loses at most the record being
// written; a torn last line is ignored on load. A running trial whose
// owning process no longer exists is reported as interrupted, so a resumed
// study runs that slot again.
type Journal struct {
	path string
}

type journalRecord struct {
	V     int    `json:"v"`
	Study string `json:"study"`
	Trial Trial  `json:"trial"`
}

// OpenJournal opens (creating if needed, mode 0600) the journal at path.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating study journal directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening study journal: %w", err)
	}
	f.Close()
	return &Journal{path: path}, nil
}

// with runs fn on the journal file under an exclusive or shared flock.
func (j *Journal) with(exclusive bool, fn func(f *os.File) error) error {
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening study journal: %w", err)
	}
	defer f.Close()
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		return fmt.Errorf("locking study journal: %w", err)
	}
	return fn(f)
}

// read returns the latest record of every trial of study.
func (j *Journal) read(f *os.File, study string) (map[int]Trial, bool, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, false, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, false, fmt.Errorf("reading study journal: %w", err)
	}
	trials := map[int]Trial{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r journalRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Study != study {
			continue // a torn line from a crash, or another study
		}
		trials[r.Trial.Number] = r.Trial
	}
	for n, t := range trials {
		if t.State == Running && t.Error == "" && !ownerAlive(t.Owner) {
			t.Error = Interrupted
			trials[n] = t
		}
	}
	torn := len(data) > 0 && data[len(data)-1] != '\n'
	return trials, torn, sc.Err()
}

func (j *Journal) append(f *os.File, torn bool, study string, t Trial) error {
	line, err := json.Marshal(journalRecord{V: 1, Study: study, Trial: t})
	if err != nil {
		return fmt.Errorf("encoding trial %d: %w", t.Number, err)
	}
	if torn {
		line = append([]byte{'\n'}, line...)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing study journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing study journal: %w", err)
	}
	return nil
}

// Load implements Storage.
func (j *Journal) Load(_ context.Context, study string) ([]Trial, error) {
	var out []Trial
	err := j.with(false, func(f *os.File) error {
		trials, _, err := j.read(f, study)
		out = sorted(trials)
		return err
	})
	return out, err
}

// Claim implements Storage.
func (j *Journal) Claim(_ context.Context, study string, t Trial, budget int) (int, bool, error) {
	number, ok := 0, false
	err := j.with(true, func(f *os.File) error {
		trials, torn, err := j.read(f, study)
		if err != nil {
			return err
		}
		if Used(sorted(trials), t.Class) >= budget {
			return nil
		}
		for n := range trials {
			if n >= number {
				number = n + 1
			}
		}
		t.Number = number
		ok = true
		return j.append(f, torn, study, t)
	})
	return number, ok, err
}

// Save implements Storage.
func (j *Journal) Save(_ context.Context, study string, t Trial) error {
	return j.with(true, func(f *os.File) error {
		_, torn, err := j.read(f, study)
		if err != nil {
			return err
		}
		return j.append(f, torn, study, t)
	})
}

// Close implements Storage.
func (j *Journal) Close() error { return nil }

// hostname is this host's name as used in trial owners.
var hostname = func() string {
	h, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return h
}()

// OwnerID returns an owner identifier for this process: host/pid/run.
func OwnerID(run string) string {
	return fmt.Sprintf("%s/%d/%s", hostname, os.Getpid(), run)
}

// ownerAlive reports whether the process named by an OwnerID may still be
// running: owners on other hosts are assumed alive.
func ownerAlive(owner string) bool {
	parts := strings.SplitN(owner, "/", 3)
	if len(parts) < 2 || parts[0] != hostname {
		return true
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return true
	}
	if pid == os.Getpid() {
		return true
	}
	err = syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}
