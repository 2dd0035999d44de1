package datadir

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A second Lock on the same directory fails at once with ErrInUse and the
// holder's PID; after Release the directory can be locked again.
func TestAcquireIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created by Acquire
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Acquire(dir)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Acquire: %v, want ErrInUse", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("second Acquire took %s: it must not wait", d)
	}
	if want := "process " + strconv.Itoa(os.Getpid()) + " "; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the holder (%q)", err, want)
	}
	l.Release()
	l.Release() // idempotent
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	if h, ok := parse(b); !ok || h.PID != os.Getpid() || time.Since(h.Started) > time.Minute {
		t.Fatalf("lock file %q: %+v %v", b, h, ok)
	}
}

// The lock belongs to the process: another process holding it keeps this
// one out, and its death (kill -9) frees the directory with no cleanup.
func TestLockHeldByAnotherProcess(t *testing.T) {
	if dir := os.Getenv("DATADIR_HOLD"); dir != "" {
		l, err := Acquire(dir)
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		defer l.Release()
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute) // until killed
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHeldByAnotherProcess$")
	cmd.Env = append(os.Environ(), "DATADIR_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("holder: %q %v", line, err)
	}
	_, err = Acquire(dir)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "process "+strconv.Itoa(cmd.Process.Pid)+" ") {
		t.Fatalf("Acquire while pid %d holds it: %v", cmd.Process.Pid, err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"pid=12\nstarted=2026-01-02T03:04:05.5Z\n", true},
		{"", false},
		{"pid=12\n", false},
		{"pid=x\nstarted=2026-01-02T03:04:05Z\n", false},
		{"pid=0\nstarted=2026-01-02T03:04:05Z\n", false},
	} {
		if _, ok := parse([]byte(tc.in)); ok != tc.ok {
			t.Errorf("parse(%q) ok = %v, want %v", tc.in, ok, tc.ok)
		}
	}
}
