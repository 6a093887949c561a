package tune

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/dbtest"
	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// TestMain lets the test binary act as a second trainer process: with
// RECOTEM_TEST_WORKER=<storage> it claims and completes trials of class
// "A" (budget from RECOTEM_TEST_BUDGET) and exits, or with
// RECOTEM_TEST_HANG=1 claims one trial and hangs until killed.
func TestMain(m *testing.M) {
	if storage := os.Getenv("RECOTEM_TEST_WORKER"); storage != "" {
		os.Exit(worker(storage))
	}
	os.Exit(dbtest.Run(m))
}

func worker(storage string) int {
	ctx := context.Background()
	store, err := OpenStorage(ctx, storage)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer store.Close()
	budget, _ := strconv.Atoi(os.Getenv("RECOTEM_TEST_BUDGET"))
	study, err := Open(ctx, store, "study", Sampler{}, OwnerID("w"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		t, ok, err := study.Ask(ctx, "A", budget, testSpace, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if !ok {
			return 0
		}
		if os.Getenv("RECOTEM_TEST_HANG") == "1" {
			fmt.Println("claimed")
			time.Sleep(time.Minute)
		}
		time.Sleep(2 * time.Millisecond) // a "fit"
		t.State, t.Score = Complete, objective(t.Params)
		if err := study.Tell(ctx, t); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
}

func startWorker(t *testing.T, storage string, budget int, hang bool) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RECOTEM_TEST_WORKER="+storage, "RECOTEM_TEST_BUDGET="+strconv.Itoa(budget))
	if hang {
		cmd.Env = append(cmd.Env, "RECOTEM_TEST_HANG=1")
	}
	cmd.Stderr = os.Stderr
	return cmd
}

// checkStudy asserts that a study holds exactly want trials of class A,
// with distinct numbers, all complete.
func checkStudy(t *testing.T, store Storage, want int) {
	t.Helper()
	trials, err := store.Load(context.Background(), "study")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	complete := 0
	for _, tr := range trials {
		if seen[tr.Number] {
			t.Fatalf("trial %d recorded twice", tr.Number)
		}
		seen[tr.Number] = true
		if tr.State == Complete {
			complete++
		}
	}
	if complete != want || Used(trials, "A") != want {
		t.Fatalf("%d complete trials (%d used), want %d", complete, Used(trials, "A"), want)
	}
}

func runConcurrentWorkers(t *testing.T, storage string, budget int) {
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		cmd := startWorker(t, storage, budget, false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Run(); err != nil {
				t.Errorf("worker: %v", err)
			}
		}()
	}
	wg.Wait()
}

func TestJournalSharedByTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "study.jsonl")
	runConcurrentWorkers(t, path, 25)
	store, err := OpenStorage(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	checkStudy(t, store, 25)
}

func TestPostgresSharedByTwoProcesses(t *testing.T) {
	url := dbtest.Postgres(t)
	runConcurrentWorkers(t, url, 25)
	store, err := OpenStorage(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	checkStudy(t, store, 25)
}

func TestJournalResumesAfterKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "study.jsonl")
	cmd := startWorker(t, path, 3, true)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, _ := out.Read(buf); !strings.Contains(string(buf[:n]), "claimed") {
		t.Fatalf("worker did not claim a trial: %q", buf[:n])
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	// A torn record, as a crash mid-write would leave.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"v":1,"study":"study","trial":{"numb`)
	f.Close()

	store, _ := OpenStorage(context.Background(), path)
	trials, err := store.Load(context.Background(), "study")
	if err != nil || len(trials) != 1 || trials[0].Error != Interrupted {
		t.Fatalf("after kill: %+v %v, want one interrupted trial", trials, err)
	}
	if err := startWorker(t, path, 3, false).Run(); err != nil {
		t.Fatal(err)
	}
	checkStudy(t, store, 3)
}

func TestOpenStorage(t *testing.T) {
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"", 0, "*tune.Memory"},
		{"  ", 0, "*tune.Memory"},
		{filepath.Join(t.TempDir(), "s.jsonl"), 0, "*tune.Journal"},
		{"postgresql://u:secret@h/db", exitcode.Training, ""},
		{"mysql://h/db", exitcode.Training, ""},
		{"sqlite:///x.db", exitcode.Training, ""},
	} {
		s, err := OpenStorage(context.Background(), tc.path)
		if exitcode.Of(err) != tc.code {
			t.Errorf("%q: err %v, want code %d", tc.path, err, tc.code)
			continue
		}
		if err == nil && fmt.Sprintf("%T", s) != tc.want {
			t.Errorf("%q: %T, want %s", tc.path, s, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
